package dev.baton.cuda;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The provider as other JVMs see it, in child processes: a JDK 17 lists it as unavailable with the JDK reason (its
 * class file is Java 17, so ServiceLoader loads it), and a JDK 25 without {@code --enable-native-access} lists it as
 * unavailable with the flag to add. The multi-release layout of the build output is checked too.
 */
class JdkCompatibilityTest {

    private static final String PROBE = """
            public class Probe {
                public static void main(String[] args) {
                    for (var s : dev.baton.accelerator.Accelerators.discover()) {
                        System.out.println(s.name() + "|" + s.availability().isAvailable() + "|" + s.availability().detail());
                    }
                }
            }
            """;

    /** A JDK 17 on this machine ($JAVA17_HOME, or the usual install places), if any. */
    static Optional<Path> jdk17() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("JAVA17_HOME");
        if (env != null) {
            candidates.add(Path.of(env));
        }
        try (Stream<Path> s = Files.list(Path.of("/usr/lib/jvm"))) {
            s.filter(p -> p.getFileName().toString().contains("17")).sorted().forEach(candidates::add);
        } catch (IOException e) {
            // No /usr/lib/jvm: only $JAVA17_HOME counts.
        }
        return candidates.stream().filter(p -> Files.isExecutable(p.resolve("bin/java"))).findFirst();
    }

    /** The class path of the provider's base part and the modules it needs, without this module's test classes. */
    private static String basePath() {
        List<String> parts = new ArrayList<>();
        parts.add(Path.of("target/classes").toAbsolutePath().toString());
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.contains("spi-accelerator") && !e.contains("tests") && !e.contains("test-classes")
                    || e.contains("baton-api") || e.replace('\\', '/').contains("/api/target/classes")) {
                parts.add(e);
            }
        }
        return String.join(File.pathSeparator, parts);
    }

    private static List<String> run(List<String> command, Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
        List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
        assertThat(p.exitValue()).as("child JVM exit; output: %s", lines).isZero();
        return lines;
    }

    @Test
    @DisplayName("on JDK 17 the provider is listed unavailable with 'needs JDK 22+', and discovery does not fail")
    void jdk17ListsItUnavailable() throws Exception {
        Optional<Path> jdk = jdk17();
        assumeTrue(jdk.isPresent(), "no JDK 17 here (set JAVA17_HOME)");
        Path dir = Files.createTempDirectory("baton-jdk17");
        Files.writeString(dir.resolve("Probe.java"), PROBE);
        List<String> out = run(List.of(jdk.get().resolve("bin/java").toString(), "-cp", basePath(), "Probe.java"), dir);
        assertThat(out).anySatisfy(l -> assertThat(l).startsWith("cuda|false|needs JDK 22+").contains("running JDK 17"));
        assertThat(out).anySatisfy(l -> assertThat(l).startsWith("sim|true|"));
    }

    @Test
    @DisplayName("without --enable-native-access the provider is unavailable and names the flag")
    void withoutNativeAccess() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path dir = Files.createTempDirectory("baton-native-access");
        Files.writeString(dir.resolve("Probe.java"), PROBE);
        String cp = System.getProperty("java.class.path");
        List<String> out = run(List.of(java.toString(), "-cp", cp, "Probe.java"), dir);
        assertThat(out).anySatisfy(l -> assertThat(l).startsWith("cuda|false|native access is not enabled for the"
                + " class path (the unnamed module): start java with --enable-native-access=ALL-UNNAMED"));
    }

    @Test
    @DisplayName("the build lays out a multi-release jar: a Java 17 base and the binding in META-INF/versions/22")
    void multiReleaseLayout() throws IOException {
        Path classes = Path.of("target/classes");
        assumeTrue(Files.isDirectory(classes.resolve("META-INF/versions/22")), "no build output here");
        assertThat(major(classes.resolve("dev/baton/cuda/CudaAcceleratorProvider.class"))).isEqualTo(61);
        assertThat(major(classes.resolve("META-INF/versions/22/dev/baton/cuda/device/CudaBinding.class")))
                .isEqualTo(66);
        assertThat(major(classes.resolve("META-INF/versions/22/dev/baton/cuda/driver/CudaDriver.class")))
                .isEqualTo(66);
        try (Stream<Path> s = Files.walk(classes.resolve("dev"))) {
            assertThat(s.filter(p -> p.toString().endsWith(".class")).map(p -> p.getFileName().toString()))
                    .as("the base holds only the provider").containsExactlyInAnyOrder(
                            "CudaAcceleratorProvider.class", "package-info.class");
        }
        assertThat(Files.readString(Path.of("pom.xml"))).contains("<Multi-Release>true</Multi-Release>");
    }

    private static int major(Path classFile) throws IOException {
        byte[] b = Files.readAllBytes(classFile);
        return (b[6] & 0xFF) << 8 | (b[7] & 0xFF);
    }
}
