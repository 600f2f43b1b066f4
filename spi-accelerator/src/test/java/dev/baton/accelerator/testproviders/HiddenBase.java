package dev.baton.accelerator.testproviders;

/** The superclass that {@link MissingBaseProvider}'s test class loader hides. */
public abstract class HiddenBase extends FixtureProvider {
    protected HiddenBase(String name) {
        super(name);
    }
}
