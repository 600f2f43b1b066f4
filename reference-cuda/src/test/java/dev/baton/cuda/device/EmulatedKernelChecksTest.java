package dev.baton.cuda.device;

import dev.baton.cuda.driver.CudaDriver;
import dev.baton.cuda.emulation.FakeCuda;

/**
 * {@link KernelChecks} on the fake libcuda, whose kernels run in the host CUDA emulator: small sizes, every build
 * machine with a C++ compiler and a CUDA 13 cuda.h.
 */
class EmulatedKernelChecksTest extends KernelChecks {

    @Override
    protected CudaDriver driver() {
        CudaDriver driver = FakeCuda.driver();
        FakeCuda.reset();
        driver.init();
        return driver;
    }

    @Override
    protected Scale scale() {
        return new Scale(5, 70, 40, 97, 40);
    }
}
