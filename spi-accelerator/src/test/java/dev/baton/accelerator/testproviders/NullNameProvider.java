package dev.baton.accelerator.testproviders;

/** Has no name, so nobody can select it, and a listing that requires names must not crash on it. */
public final class NullNameProvider extends FixtureProvider {
    public NullNameProvider() {
        super(null);
    }
}
