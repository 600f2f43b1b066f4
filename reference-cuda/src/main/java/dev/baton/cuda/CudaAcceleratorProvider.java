package dev.baton.cuda;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.accelerator.AcceleratorUnavailableException;
import dev.baton.accelerator.Availability;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The {@code cuda} provider: the reference CUDA binding of the accelerator SPI, through the CUDA driver API
 * ({@code libcuda.so.1}) and the Foreign Function and Memory API.
 *
 * <h2>JDK versions</h2>
 * This class is compiled for Java 17, so that {@link java.util.ServiceLoader} can load it on every JDK Baton supports;
 * the binding itself lives in the jar's {@code META-INF/versions/22} (a multi-release jar) because the FFM API is final
 * only from JDK 22. On an older JDK this provider reports itself unavailable and never touches the binding; on JDK 22+
 * it loads {@value #BINDING} by name and delegates to it (the rapidsai/cuvs-java shape). Nothing here throws: every
 * problem becomes an {@link Availability.Unavailable} with a reason a user can act on (JDK too old, native access not
 * enabled, no {@code libcuda.so.1}, no device, driver too old, and so on).
 *
 * <h2>Deployment</h2>
 * The binding calls restricted FFM methods, which need native access: start Java with
 * {@code --enable-native-access=ALL-UNNAMED} when Baton is on the class path ({@code ./baton} does), or
 * {@code --enable-native-access=dev.baton.cuda} when it is on the module path. Without it the provider says so.
 */
public final class CudaAcceleratorProvider implements AcceleratorProvider {

    public static final String NAME = "cuda";

    /** The first JDK whose {@code java.lang.foreign} is final. */
    public static final int MIN_JDK = 22;

    /** The JDK 22+ class, in {@code META-INF/versions/22}, that probes and opens devices. */
    static final String BINDING = "dev.baton.cuda.device.CudaBinding";

    /** Does no work: probing happens in {@link #availability()}. */
    public CudaAcceleratorProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "reference CUDA binding (CUDA driver API through the FFM API, JDK 22+; kernels for sm_80+, the CPU"
                + " device's reference transformer on the GPU)";
    }

    @Override
    public Availability availability() {
        return availability(Runtime.version().feature(), BINDING);
    }

    /**
     * The availability on a JDK of feature version {@code jdk}, delegating to {@code binding} (a class with a static
     * {@code Availability availability()}) on JDK 22+.
     */
    static Availability availability(int jdk, String binding) {
        if (jdk < MIN_JDK) {
            return Availability.unavailable("needs JDK " + MIN_JDK + "+ (the Foreign Function and Memory API), running"
                    + " JDK " + jdk + ": run Baton on JDK " + MIN_JDK + " or newer to use the CUDA binding");
        }
        try {
            MethodHandle probe = bindingMethod(binding, "availability", MethodType.methodType(Availability.class));
            Availability a = (Availability) probe.invoke();
            return a != null ? a : Availability.unavailable("the CUDA binding returned no availability");
        } catch (ClassNotFoundException e) {
            return Availability.unavailable("the JDK " + MIN_JDK + " part of baton-reference-cuda (" + binding
                    + " in META-INF/versions/" + MIN_JDK + ") is not on the class path: use the baton-reference-cuda"
                    + " jar as built (a multi-release jar; repackaging must keep META-INF/versions and"
                    + " 'Multi-Release: true')");
        } catch (Throwable e) {
            return Availability.unavailable("the CUDA binding failed to probe: " + e);
        }
    }

    @Override
    public Accelerator open(AcceleratorConfig config) {
        Availability a = availability();
        if (!a.isAvailable()) {
            throw new AcceleratorUnavailableException(NAME, a.detail());
        }
        try {
            MethodHandle open = bindingMethod(BINDING, "open",
                    MethodType.methodType(Accelerator.class, AcceleratorConfig.class));
            return (Accelerator) open.invoke(config);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("the CUDA binding failed to open a device: " + e, e);
        }
    }

    private static MethodHandle bindingMethod(String binding, String name, MethodType type)
            throws ClassNotFoundException, NoSuchMethodException, IllegalAccessException {
        Class<?> c = Class.forName(binding, true, CudaAcceleratorProvider.class.getClassLoader());
        return MethodHandles.publicLookup().findStatic(c, name, type);
    }
}
