package dev.baton.cuda.emulation;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.accelerator.AcceleratorUnavailableException;
import dev.baton.accelerator.Availability;
import dev.baton.cuda.device.CudaAccelerator;
import dev.baton.cuda.driver.CudaProbe;
import dev.baton.cuda.kernels.KernelImage;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The CUDA binding on the fake libcuda ({@link FakeCuda}): the real FFM binding, kernels and accelerator, with device
 * memory in host memory and the kernels run by the emulator. Named {@value #NAME} so that it never passes for the
 * {@code cuda} provider.
 */
public final class EmulatedCudaProvider implements AcceleratorProvider {

    public static final String NAME = "cuda-emulator";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "the CUDA binding on a fake libcuda whose kernels run in a host CUDA emulator (tests only)";
    }

    @Override
    public Availability availability() {
        Optional<Path> lib = FakeCuda.library();
        if (lib.isEmpty()) {
            return Availability.unavailable("no CUDA emulator here: " + FakeCuda.unavailableReason());
        }
        return probe(lib.get()).availability();
    }

    @Override
    public Accelerator open(AcceleratorConfig config) {
        Optional<Path> lib = FakeCuda.library();
        if (lib.isEmpty()) {
            throw new AcceleratorUnavailableException(NAME, "no CUDA emulator here: " + FakeCuda.unavailableReason());
        }
        CudaProbe.Outcome o = probe(lib.get());
        if (o instanceof CudaProbe.Ready ready) {
            return new CudaAccelerator(config, ready.driver(), NAME);
        }
        throw new AcceleratorUnavailableException(NAME, o.availability().detail());
    }

    private static CudaProbe.Outcome probe(Path lib) {
        return CudaProbe.probe(EmulatedCudaProvider.class.getModule(), lib.toString(),
                KernelImage.load().requiredDriverVersion());
    }
}
