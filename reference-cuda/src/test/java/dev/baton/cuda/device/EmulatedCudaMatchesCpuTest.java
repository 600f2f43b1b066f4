package dev.baton.cuda.device;

import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.cuda.emulation.EmulatedCudaProvider;

/** {@link CudaMatchesCpuChecks} in the emulator, where the logits must be bit-identical to the CPU device's. */
class EmulatedCudaMatchesCpuTest extends CudaMatchesCpuChecks {

    @Override
    protected AcceleratorProvider provider() {
        return new EmulatedCudaProvider();
    }

    @Override
    protected boolean bitExact() {
        return true;
    }

    @Override
    protected int fastWorkloads() {
        return 3;
    }

    @Override
    protected int workloads() {
        return 12;
    }
}
