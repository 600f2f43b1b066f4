package dev.baton.accelerator.testproviders;

/** Loads, describes itself and is available. */
public final class GoodProvider extends FixtureProvider {
    public GoodProvider() {
        super("good");
    }
}
