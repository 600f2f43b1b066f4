package dev.baton.cuda.conformance;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.accelerator.conformance.AcceleratorContract;
import dev.baton.cuda.emulation.EmulatedCudaProvider;

/**
 * The CUDA binding against the SPI conformance kit, on the fake libcuda (host memory, kernels in the CUDA emulator):
 * the FFM binding, the KV tiers, block moves, the kernels and the accelerator all run for real, only the GPU is
 * emulated. Skipped with the reason where no emulator can be built (no C++ compiler or no CUDA 13 cuda.h).
 */
class EmulatedCudaConformanceTest extends AcceleratorContract {

    @Override
    protected AcceleratorProvider provider() {
        return new EmulatedCudaProvider();
    }

    @Override
    protected Accelerator open(AcceleratorConfig config) {
        return provider().open(config);
    }

    @Override
    protected AcceleratorConfig.Builder configure(AcceleratorConfig.Builder builder) {
        return CudaConformanceTest.smallModel(builder);
    }
}
