package dev.baton.accelerator.testproviders;

import dev.baton.accelerator.Availability;

/** Its probe answers {@code null}. */
public final class NullAvailabilityProvider extends FixtureProvider {
    public NullAvailabilityProvider() {
        super("probe-null");
    }

    @Override
    public Availability availability() {
        return null;
    }
}
