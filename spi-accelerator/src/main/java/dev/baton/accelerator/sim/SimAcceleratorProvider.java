package dev.baton.accelerator.sim;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.accelerator.Availability;

/**
 * The {@code sim} provider: a discrete-event simulated accelerator, always available. Profiles are
 * {@code <device>/<model>}, e.g. {@code h100/llama-3.1-8b}; see {@link HardwareProfiles} and {@link ModelProfiles}.
 */
public final class SimAcceleratorProvider implements AcceleratorProvider {

    public static final String NAME = "sim";
    public static final String DEFAULT_PROFILE = "h100/llama-3.1-8b";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "simulated accelerator on a virtual clock, driven by a calibrated cost model (devices: "
                + String.join(", ", HardwareProfiles.names()) + "; models: " + String.join(", ", ModelProfiles.names())
                + ")";
    }

    @Override
    public Availability availability() {
        return Availability.available("always available (no hardware needed)");
    }

    @Override
    public Accelerator open(AcceleratorConfig config) {
        return new SimAccelerator(config);
    }
}
