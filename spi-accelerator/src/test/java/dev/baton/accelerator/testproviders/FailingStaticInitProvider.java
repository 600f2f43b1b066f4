package dev.baton.accelerator.testproviders;

/** Its static initializer fails (as one that loads a native library would): ExceptionInInitializerError. */
public final class FailingStaticInitProvider extends FixtureProvider {
    private static final int NATIVE_HANDLE = loadNativeLibrary();

    public FailingStaticInitProvider() {
        super("static-init-" + NATIVE_HANDLE);
    }

    private static int loadNativeLibrary() {
        throw new IllegalStateException("static init boom: libfixture.so missing");
    }
}
