package dev.baton.accelerator.testproviders;

/** Does work in its constructor, against the SPI's advice, and that work fails. */
public final class ThrowingConstructorProvider extends FixtureProvider {
    public ThrowingConstructorProvider() {
        super("ctor-throws");
        throw new IllegalStateException("constructor boom: no device handle");
    }
}
