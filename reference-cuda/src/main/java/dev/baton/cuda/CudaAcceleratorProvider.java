package dev.baton.cuda;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.accelerator.AcceleratorUnavailableException;
import dev.baton.accelerator.Availability;

/**
 * The {@code cuda} provider: the reference CUDA binding of the accelerator SPI.
 *
 * <p>The binding itself is not implemented yet; until it is, this provider is discovered and reports itself
 * unavailable with that reason, so that device listings show where it will be.
 */
public final class CudaAcceleratorProvider implements AcceleratorProvider {

    public static final String NAME = "cuda";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "reference CUDA binding (CUDA driver API through the FFM API, JDK 22+)";
    }

    @Override
    public Availability availability() {
        return Availability.unavailable("not implemented yet: the CUDA binding is still to be built");
    }

    @Override
    public Accelerator open(AcceleratorConfig config) {
        throw new AcceleratorUnavailableException(NAME, availability().detail());
    }
}
