package dev.baton.accelerator.testproviders;

import dev.baton.accelerator.Availability;

/**
 * Its availability probe touches a class whose static initializer fails, so the probe throws a {@link LinkageError}
 * ({@link ExceptionInInitializerError}) rather than an exception: what a binding sees when its native layer cannot
 * initialise.
 */
public final class LinkageProbeProvider extends FixtureProvider {
    public LinkageProbeProvider() {
        super("probe-linkage");
    }

    @Override
    public Availability availability() {
        return Availability.available("driver " + NativeDriver.VERSION);
    }

    static final class NativeDriver {
        static final int VERSION = initialise();

        private static int initialise() {
            throw new UnsupportedOperationException("native driver boom");
        }
    }
}
