package dev.baton.cuda.conformance;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.accelerator.conformance.AcceleratorContract;
import dev.baton.cuda.CudaAcceleratorProvider;
import org.junit.jupiter.api.Tag;

/**
 * The {@code cuda} provider against the SPI conformance kit, run from the kit's published test artifact, with the same
 * small model as the CPU provider's conformance run. Needs a GPU: without one the kit skips every check with the
 * provider's reason (no libcuda.so.1, no device, ...), after checking that unavailability is reported, not thrown.
 * Tagged {@code gpu} for both engines (Jupiter tests and the kit's jqwik properties).
 */
@Tag("gpu")
@net.jqwik.api.Tag("gpu")
class CudaConformanceTest extends AcceleratorContract {

    @Override
    protected AcceleratorProvider provider() {
        return new CudaAcceleratorProvider();
    }

    @Override
    protected Accelerator open(AcceleratorConfig config) {
        return provider().open(config);
    }

    @Override
    protected AcceleratorConfig.Builder configure(AcceleratorConfig.Builder builder) {
        return smallModel(builder);
    }

    /** 2 layers, hidden 64, 4/2 heads, vocabulary 128: the model of CpuAcceleratorConformanceTest. */
    static AcceleratorConfig.Builder smallModel(AcceleratorConfig.Builder builder) {
        return builder.option("cuda.layers", "2").option("cuda.hidden", "64").option("cuda.heads", "4")
                .option("cuda.kv-heads", "2").option("cuda.intermediate", "128").option("cuda.vocab", "128")
                .option("cuda.max-model-len", "256").option("cuda.host-blocks", "256");
    }
}
