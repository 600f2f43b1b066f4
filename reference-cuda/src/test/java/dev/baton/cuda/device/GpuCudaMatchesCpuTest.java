package dev.baton.cuda.device;

import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.cuda.CudaAcceleratorProvider;
import org.junit.jupiter.api.Tag;

/** {@link CudaMatchesCpuChecks} on a GPU (skipped with the provider's reason where there is none). */
@Tag("gpu")
class GpuCudaMatchesCpuTest extends CudaMatchesCpuChecks {

    @Override
    protected AcceleratorProvider provider() {
        return new CudaAcceleratorProvider();
    }

    @Override
    protected boolean bitExact() {
        return false;
    }

    @Override
    protected int fastWorkloads() {
        return emulated() ? 3 : 10;
    }

    @Override
    protected int workloads() {
        return emulated() ? 12 : 40;
    }

    /** gpu-check.sh --emulate runs these on the fake libcuda, where the fast kernel is slow. */
    private boolean emulated() {
        return provider().availability().detail().contains("emulator");
    }
}
