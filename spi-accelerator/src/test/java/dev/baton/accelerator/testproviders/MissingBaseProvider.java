package dev.baton.accelerator.testproviders;

/**
 * Extends a class the test class loader refuses to find, so defining it throws {@link NoClassDefFoundError} (a
 * {@link LinkageError} escaping {@code ServiceLoader}'s {@code hasNext()}): a provider jar missing one of its own
 * dependencies.
 */
public final class MissingBaseProvider extends HiddenBase {
    public MissingBaseProvider() {
        super("missing-base");
    }
}
