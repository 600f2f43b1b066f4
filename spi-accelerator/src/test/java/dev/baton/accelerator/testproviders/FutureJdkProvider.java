package dev.baton.accelerator.testproviders;

/** A well-behaved provider whose class file the test rewrites to a future class-file version before defining it. */
public final class FutureJdkProvider extends FixtureProvider {
    public FutureJdkProvider() {
        super("future");
    }
}
