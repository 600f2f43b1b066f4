package dev.baton.examples;

import dev.baton.accelerator.Accelerators;
import dev.baton.api.request.InferenceRequest;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Issue 2, must-show 2: the class files of the four core modules are Java 17 (class-file major version 61), so they run
 * on the widest audience of Java servers, and {@code baton-api} depends on nothing but {@code java.base}.
 *
 * <p>Examples depends on every core module, so their classes are on this test's class path, either as the reactor's
 * {@code target/classes} folders or as their jars; both are read, {@code module-info.class} included.
 */
class CoreModulesBaselineTest {

    /** Class-file major version of Java 17. */
    private static final int JAVA_17 = 61;

    static Stream<Arguments> coreModulesWithClasses() {
        return Stream.of(
                Arguments.of("api", "baton-api", InferenceRequest.class),
                Arguments.of("kvpaging", "baton-kvpaging", null),
                Arguments.of("spi-accelerator", "baton-spi-accelerator", Accelerators.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("coreModulesWithClasses")
    @DisplayName("core module class files, module-info included, are Java 17 (major 61)")
    void core_module_class_files_are_java_17(String module, String artifactId, Class<?> known) throws IOException {
        Path location = moduleOnClassPath(module, artifactId);
        if (known != null) {
            assertThat(locationOf(known)).as("where %s is loaded from", known.getName()).isEqualTo(location);
        }
        Map<String, Integer> versions = classFileVersions(location);

        assertThat(versions).as("class files of %s at %s", module, location).containsKey("module-info.class")
                .hasSizeGreaterThan(1);
        assertThat(offending(versions)).as("%s class files that are not major version %d", module, JAVA_17)
                .isEmpty();
    }

    /**
     * scheduler-core is being written now and may have no classes yet: its location must be on the class path, and
     * every class file it has must be Java 17; while it has none, this test is skipped (reported, never passed
     * silently).
     */
    @Test
    @DisplayName("scheduler-core class files are Java 17 (major 61), checked once the module has classes")
    void scheduler_core_class_files_are_java_17_once_it_has_classes() throws IOException {
        Path location = moduleOnClassPath("scheduler-core", "baton-scheduler-core");
        Map<String, Integer> versions = Files.exists(location) ? classFileVersions(location) : Map.of();
        assumeFalse(versions.isEmpty(), "scheduler-core has no classes yet at " + location);
        assertThat(offending(versions)).as("scheduler-core class files that are not major version %d", JAVA_17)
                .isEmpty();
    }

    @Test
    @DisplayName("baton-api's module descriptor requires only java.base")
    void the_api_module_requires_only_java_base() throws IOException {
        Path location = locationOf(InferenceRequest.class);
        ModuleDescriptor descriptor;
        try (InputStream in = open(location, "module-info.class")) {
            descriptor = ModuleDescriptor.read(in);
        }
        assertThat(descriptor.name()).isEqualTo("dev.baton.api");
        assertThat(descriptor.requires()).extracting(ModuleDescriptor.Requires::name).containsExactly("java.base");
        assertThat(descriptor.exports()).extracting(ModuleDescriptor.Exports::source)
                .containsExactlyInAnyOrder("dev.baton.api", "dev.baton.api.admission", "dev.baton.api.plan",
                        "dev.baton.api.request");
    }

    @Test
    @DisplayName("baton-api's pom declares no dependencies, and the parent gives every module test dependencies only")
    void the_api_pom_declares_no_dependencies() throws Exception {
        Path root = repositoryRoot();
        Element api = pom(root.resolve("api/pom.xml"));
        assertThat(text(api, "artifactId")).isEqualTo("baton-api");
        assertThat(children(api, "dependencies")).as("<dependencies> in api/pom.xml").isEmpty();
        assertThat(children(api, "dependencyManagement")).as("<dependencyManagement> in api/pom.xml").isEmpty();

        // Dependencies declared in the parent's <dependencies> are inherited by api: all must be test-scoped.
        Element parent = pom(root.resolve("pom.xml"));
        for (Element deps : children(parent, "dependencies")) {
            for (Element dep : children(deps, "dependency")) {
                assertThat(text(dep, "scope")).as("scope of inherited dependency %s", text(dep, "artifactId"))
                        .isEqualTo("test");
            }
        }
    }

    @Test
    @DisplayName("the baton-api jar, when built, carries the same dependency-free pom")
    void the_built_api_jar_pom_declares_no_dependencies() throws Exception {
        Path location = locationOf(InferenceRequest.class);
        assumeFalse(Files.isDirectory(location), "api is on the class path as classes, not as its jar");
        try (InputStream in = open(location, "META-INF/maven/dev.baton/baton-api/pom.xml")) {
            Element api = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in).getDocumentElement();
            assertThat(children(api, "dependencies")).isEmpty();
        }
    }

    // ---------------------------------------------------------------- class files

    private static Path locationOf(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The class-path entry of a module: its reactor {@code target/classes} folder or its jar. */
    private static Path moduleOnClassPath(String moduleDir, String artifactId) {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(Path::of)
                .filter(p -> p.endsWith(Path.of(moduleDir, "target", "classes"))
                        || p.getFileName().toString().startsWith(artifactId + "-")
                        && p.getFileName().toString().endsWith(".jar")
                        && !p.getFileName().toString().endsWith("-tests.jar"))
                .findFirst()
                .orElseThrow(() -> new AssertionError(moduleDir + " is not on the class path: "
                        + System.getProperty("java.class.path")));
    }

    /** Every {@code .class} file under a classes folder or in a jar, by path, with its major version. */
    private static Map<String, Integer> classFileVersions(Path location) throws IOException {
        Map<String, Integer> versions = new TreeMap<>();
        if (Files.isDirectory(location)) {
            try (Stream<Path> files = Files.walk(location)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                    try (InputStream in = Files.newInputStream(f)) {
                        versions.put(location.relativize(f).toString().replace(File.separatorChar, '/'), major(in));
                    }
                }
            }
        } else {
            try (ZipFile jar = new ZipFile(location.toFile())) {
                Enumeration<? extends ZipEntry> entries = jar.entries();
                while (entries.hasMoreElements()) {
                    ZipEntry e = entries.nextElement();
                    if (e.getName().endsWith(".class")) {
                        try (InputStream in = jar.getInputStream(e)) {
                            versions.put(e.getName(), major(in));
                        }
                    }
                }
            }
        }
        return versions;
    }

    /** The major version: bytes 6-7 of a class file, after the magic number and the minor version. */
    private static int major(InputStream in) throws IOException {
        byte[] head = in.readNBytes(8);
        assertThat(head).hasSize(8).startsWith((byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE);
        return (head[6] & 0xFF) << 8 | head[7] & 0xFF;
    }

    private static Map<String, Integer> offending(Map<String, Integer> versions) {
        return versions.entrySet().stream().filter(e -> e.getValue() != JAVA_17)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private static InputStream open(Path location, String entry) throws IOException {
        if (Files.isDirectory(location)) {
            return Files.newInputStream(location.resolve(entry));
        }
        ZipFile jar = new ZipFile(location.toFile());
        ZipEntry e = jar.getEntry(entry);
        if (e == null) {
            jar.close();
            throw new IOException(entry + " not found in " + location);
        }
        // Reads the whole entry so the jar can be closed at once.
        try (jar; InputStream in = jar.getInputStream(e)) {
            return new java.io.ByteArrayInputStream(in.readAllBytes());
        }
    }

    // ---------------------------------------------------------------- poms

    /** The checkout's root: the nearest folder up from the working directory with {@code api/pom.xml}. */
    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("api/pom.xml")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new AssertionError("no checkout root above " + Path.of("").toAbsolutePath());
    }

    private static Element pom(Path file) throws Exception {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
        return doc.getDocumentElement();
    }

    /** Direct child elements named {@code name} (not nested ones, such as a plugin's dependencies). */
    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n instanceof Element e && e.getTagName().equals(name)) {
                out.add(e);
            }
        }
        return out;
    }

    private static String text(Element parent, String name) {
        List<Element> c = children(parent, name);
        return c.isEmpty() ? null : c.get(0).getTextContent().trim();
    }
}
