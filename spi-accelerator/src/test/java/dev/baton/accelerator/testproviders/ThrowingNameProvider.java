package dev.baton.accelerator.testproviders;

/** Fails to describe itself. */
public final class ThrowingNameProvider extends FixtureProvider {
    public ThrowingNameProvider() {
        super("unused");
    }

    @Override
    public String name() {
        throw new IllegalStateException("name boom");
    }
}
