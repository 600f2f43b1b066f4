package dev.baton.accelerator;

import dev.baton.accelerator.testproviders.FailingStaticInitProvider;
import dev.baton.accelerator.testproviders.FutureJdkProvider;
import dev.baton.accelerator.testproviders.GoodProvider;
import dev.baton.accelerator.testproviders.HiddenBase;
import dev.baton.accelerator.testproviders.LinkageProbeProvider;
import dev.baton.accelerator.testproviders.MissingBaseProvider;
import dev.baton.accelerator.testproviders.NotAProvider;
import dev.baton.accelerator.testproviders.NullAvailabilityProvider;
import dev.baton.accelerator.testproviders.NullNameProvider;
import dev.baton.accelerator.testproviders.ThrowingConstructorProvider;
import dev.baton.accelerator.testproviders.ThrowingNameProvider;
import dev.baton.accelerator.testproviders.ThrowingProbeProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Discovery survives every way a provider can break: each broken provider is listed as unavailable with a reason a
 * user can act on, and every other provider is still found. The providers are served by a class loader with its own
 * services file, so each case gets fresh classes (a static initializer runs again) and can be rewritten on the way in.
 */
class AcceleratorsDiscoveryTest {

    private static final String SERVICES = "META-INF/services/" + AcceleratorProvider.class.getName();
    private static final String FIXTURES = GoodProvider.class.getPackageName() + ".";
    /** A class-file major version no JDK understands yet (JDK 25 reads up to 69). */
    private static final int FUTURE_MAJOR = 99;

    @TempDir
    Path dir;

    /**
     * Serves the fixture package child-first (fresh classes per loader), hides {@link HiddenBase}, rewrites
     * {@link FutureJdkProvider}'s class-file version, and adds its own services file to the parent's.
     */
    static final class FixtureLoader extends ClassLoader {
        private final URL services;

        FixtureLoader(URL services) {
            super("fixtures", AcceleratorsDiscoveryTest.class.getClassLoader());
            this.services = services;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith(FIXTURES)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                if (name.equals(HiddenBase.class.getName())) {
                    throw new ClassNotFoundException(name + " is hidden by the test class loader");
                }
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    byte[] bytes = classBytes(name);
                    if (name.equals(FutureJdkProvider.class.getName())) {
                        bytes[6] = (byte) (FUTURE_MAJOR >>> 8);
                        bytes[7] = (byte) FUTURE_MAJOR;
                    }
                    c = defineClass(name, bytes, 0, bytes.length);
                }
                return c;
            }
        }

        @Override
        protected Enumeration<URL> findResources(String name) {
            return name.equals(SERVICES) ? Collections.enumeration(List.of(services)) : Collections.emptyEnumeration();
        }

        private byte[] classBytes(String name) throws ClassNotFoundException {
            try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                if (in == null) {
                    throw new ClassNotFoundException(name);
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private ClassLoader loaderServing(String... providerClassNames) throws IOException {
        Path file = dir.resolve(SERVICES);
        Files.createDirectories(file.getParent());
        Files.write(file, List.of(providerClassNames));
        return new FixtureLoader(file.toUri().toURL());
    }

    private static ProviderStatus entry(List<ProviderStatus> all, String name) {
        return all.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no entry '" + name + "' in " + names(all)));
    }

    private static List<String> names(List<ProviderStatus> all) {
        List<String> names = new ArrayList<>();
        all.forEach(s -> names.add(s.name()));
        return names;
    }

    private static void assertAvailable(List<ProviderStatus> all, String name) {
        ProviderStatus s = entry(all, name);
        assertThat(s.availability().isAvailable()).as(name + ": " + s.availability().detail()).isTrue();
        assertThat(s.provider()).isNotNull();
        assertThat(s.provider().name()).isEqualTo(name);
    }

    @Test
    void the_default_class_path_offers_the_simulated_accelerator() {
        List<ProviderStatus> all = Accelerators.discover();
        assertAvailable(all, "sim");
        assertThat(Accelerators.DEFAULT_PROVIDER).isEqualTo("sim");
        assertThat(entry(all, "sim").description()).contains("simulated", "h100", "llama-3.1-8b");
    }

    @Test
    void a_good_provider_is_listed_as_available_next_to_the_class_paths_own() throws IOException {
        List<ProviderStatus> all = Accelerators.discover(loaderServing(GoodProvider.class.getName()));
        assertThat(names(all)).containsExactly("sim", "cpu", "good");
        assertAvailable(all, "good");
        assertThat(entry(all, "good").provider().getClass().getClassLoader()).isInstanceOf(FixtureLoader.class);
        assertThat(entry(all, "good").description()).isEqualTo("test provider good");
    }

    static Stream<Arguments> brokenProviders() {
        String future = FutureJdkProvider.class.getName();
        return Stream.of(
                Arguments.of("constructor throws", ThrowingConstructorProvider.class.getName(),
                        ThrowingConstructorProvider.class.getName(),
                        List.of("could not be instantiated", "constructor boom: no device handle")),
                Arguments.of("static initializer throws (ExceptionInInitializerError)",
                        FailingStaticInitProvider.class.getName(), FailingStaticInitProvider.class.getName(),
                        List.of("ExceptionInInitializerError", "static init boom: libfixture.so missing")),
                Arguments.of("class file for a newer JDK (UnsupportedClassVersionError)", future, future,
                        List.of("UnsupportedClassVersionError", "class file version " + FUTURE_MAJOR,
                                "needs a newer JDK than " + Runtime.version().feature())),
                Arguments.of("superclass missing (NoClassDefFoundError)", MissingBaseProvider.class.getName(),
                        "unknown provider", List.of("NoClassDefFoundError", "HiddenBase")),
                Arguments.of("availability probe throws", ThrowingProbeProvider.class.getName(), "probe-throws",
                        List.of("availability probe failed", "probe boom: driver returned 999")),
                Arguments.of("availability probe throws a LinkageError", LinkageProbeProvider.class.getName(),
                        "probe-linkage",
                        List.of("availability probe failed", "ExceptionInInitializerError", "native driver boom")),
                Arguments.of("availability probe answers null", NullAvailabilityProvider.class.getName(),
                        "probe-null", List.of("provider returned no availability")),
                Arguments.of("name() returns null", NullNameProvider.class.getName(),
                        NullNameProvider.class.getName(), List.of("name() returned null", "non-blank name")),
                Arguments.of("name() throws", ThrowingNameProvider.class.getName(),
                        ThrowingNameProvider.class.getName(), List.of("name boom")),
                Arguments.of("not an AcceleratorProvider", NotAProvider.class.getName(),
                        NotAProvider.class.getName(), List.of("not a subtype")),
                Arguments.of("class not found", FIXTURES + "NoSuchProvider", FIXTURES + "NoSuchProvider",
                        List.of("not found")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenProviders")
    void a_broken_provider_is_listed_unavailable_with_its_reason_and_the_others_are_still_found(
            String how, String providerClass, String listedAs, List<String> reasonParts) throws IOException {
        ClassLoader loader = loaderServing(providerClass, GoodProvider.class.getName());

        List<ProviderStatus> all = Accelerators.discover(loader);

        assertThat(names(all)).as(how).containsExactly("sim", "cpu", listedAs, "good");
        ProviderStatus broken = all.get(2);
        assertThat(broken.availability().isAvailable()).isFalse();
        assertThat(broken.availability()).isInstanceOf(Availability.Unavailable.class);
        assertThat(broken.availability().detail()).contains(reasonParts);
        assertThat(broken.description()).isNotBlank();
        assertAvailable(all, "sim");
        assertAvailable(all, "good");
    }

    @Test
    void every_broken_provider_at_once_still_leaves_the_good_ones_found() throws IOException {
        List<String> classes = new ArrayList<>();
        brokenProviders().forEach(a -> classes.add((String) a.get()[1]));
        classes.add(GoodProvider.class.getName());

        List<ProviderStatus> all = Accelerators.discover(loaderServing(classes.toArray(String[]::new)));

        assertThat(all).hasSize(2 + classes.size());
        assertThat(all.stream().filter(s -> s.availability().isAvailable()).map(ProviderStatus::name))
                .containsExactly("sim", "cpu", "good");
        assertThat(all).filteredOn(s -> !s.availability().isAvailable())
                .allSatisfy(s -> assertThat(s.availability().detail()).isNotBlank())
                .hasSize(classes.size() - 1);
    }

    /**
     * The fixture reproduces the JDK behaviour discovery must survive: a class file for a newer JDK makes
     * {@code ServiceLoader}'s {@code hasNext()} throw {@link UnsupportedClassVersionError}, a {@link LinkageError}
     * that a {@code catch (ServiceConfigurationError)} does not see.
     */
    @Test
    void a_future_class_file_makes_service_loader_throw_a_linkage_error_not_a_service_configuration_error()
            throws IOException {
        ClassLoader loader = loaderServing(FutureJdkProvider.class.getName());
        Iterator<AcceleratorProvider> it = ServiceLoader.load(AcceleratorProvider.class, loader).iterator();
        assertThat(it.next().name()).isEqualTo("sim");
        assertThat(it.next().name()).isEqualTo("cpu");
        assertThatThrownBy(it::hasNext).isInstanceOf(UnsupportedClassVersionError.class)
                .isInstanceOf(LinkageError.class)
                .hasMessageContaining("class file version " + FUTURE_MAJOR);
    }

    @Test
    void a_missing_superclass_also_escapes_service_loader_as_a_linkage_error() throws IOException {
        ClassLoader loader = loaderServing(MissingBaseProvider.class.getName());
        Iterator<AcceleratorProvider> it = ServiceLoader.load(AcceleratorProvider.class, loader).iterator();
        it.next();
        it.next();
        assertThatThrownBy(it::hasNext).isInstanceOf(NoClassDefFoundError.class);
    }

    /** The wording JDK 17 uses when the reference CUDA provider (compiled for 22+) is found on its class path. */
    @Test
    void a_provider_named_like_every_provider_is_named_after_its_class_not_after_a_word_of_the_jdk_message() {
        assertThat(Accelerators.failedName(new UnsupportedClassVersionError("dev/baton/cuda/CudaAcceleratorProvider"
                + " has been compiled by a more recent version of the Java Runtime (class file version 66.0), this"
                + " version of the Java Runtime only recognizes class file versions up to 61.0")))
                .isEqualTo("dev.baton.cuda.CudaAcceleratorProvider");
        assertThat(Accelerators.failedName(new java.util.ServiceConfigurationError(AcceleratorProvider.class.getName()
                + ": Provider dev.baton.cuda.CudaAcceleratorProvider could not be instantiated")))
                .isEqualTo("dev.baton.cuda.CudaAcceleratorProvider");
        assertThat(Accelerators.failedName(new NoClassDefFoundError("dev/baton/cuda/Driver")))
                .isEqualTo("unknown provider");
        assertThat(Accelerators.failedName(new NoClassDefFoundError())).isEqualTo("unknown provider");
    }
}
