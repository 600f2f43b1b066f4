package dev.baton.accelerator.cpu;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.accelerator.Availability;

/**
 * The {@code cpu} provider: a small Llama-style transformer computed in plain Java over a paged KV pool, with seeded
 * random weights ({@link CpuAccelerator}). Always available. It has no profiles; the model is sized with
 * {@code cpu.*} options ({@link CpuAccelerator#OPTIONS}).
 */
public final class CpuAcceleratorProvider implements AcceleratorProvider {

    public static final String NAME = "cpu";

    /** Does no work: the model is built when a device is opened. */
    public CpuAcceleratorProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        CpuModelConfig d = CpuModelConfig.DEFAULT;
        return "reference transformer in plain Java float32 over a paged KV pool, seeded random weights (default "
                + d.layers() + " layers, hidden " + d.hidden() + ", " + d.heads() + "/" + d.kvHeads()
                + " query/KV heads, vocabulary " + d.vocab() + "; options " + String.join(", ", CpuAccelerator.OPTIONS)
                + ")";
    }

    @Override
    public Availability availability() {
        return Availability.available("always available (runs on the JVM's heap, one thread)");
    }

    @Override
    public Accelerator open(AcceleratorConfig config) {
        return new CpuAccelerator(config);
    }
}
