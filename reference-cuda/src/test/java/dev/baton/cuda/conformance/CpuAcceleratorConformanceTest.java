package dev.baton.cuda.conformance;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.accelerator.conformance.AcceleratorContract;
import dev.baton.accelerator.cpu.CpuAcceleratorProvider;

/**
 * The {@code cpu} provider against the SPI conformance kit, run from the kit's published test artifact, with a small
 * model (2 layers, hidden 64) so that the properties stay fast; the default model is covered by spi-accelerator's own
 * tests.
 */
class CpuAcceleratorConformanceTest extends AcceleratorContract {

    @Override
    protected AcceleratorProvider provider() {
        return new CpuAcceleratorProvider();
    }

    @Override
    protected Accelerator open(AcceleratorConfig config) {
        return provider().open(config);
    }

    @Override
    protected AcceleratorConfig.Builder configure(AcceleratorConfig.Builder builder) {
        return builder.option("cpu.layers", "2").option("cpu.hidden", "64").option("cpu.heads", "4")
                .option("cpu.kv-heads", "2").option("cpu.intermediate", "128").option("cpu.vocab", "128")
                .option("cpu.max-model-len", "256").option("cpu.host-blocks", "256");
    }
}
