package dev.baton.accelerator.testproviders;

import dev.baton.accelerator.Availability;

/** Its availability probe throws, against the SPI's contract. */
public final class ThrowingProbeProvider extends FixtureProvider {
    public ThrowingProbeProvider() {
        super("probe-throws");
    }

    @Override
    public Availability availability() {
        throw new IllegalStateException("probe boom: driver returned 999");
    }
}
