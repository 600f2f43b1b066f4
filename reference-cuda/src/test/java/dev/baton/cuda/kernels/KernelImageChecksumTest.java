package dev.baton.cuda.kernels;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The committed fatbin was built from the committed kernel sources: its record ({@code baton_kernels.fatbin.sha256},
 * written by {@code build-fatbin.sh}) holds the SHA-256 of the sources, which must equal that of the sources now, and
 * the SHA-256 of the fatbin, which must equal that of the fatbin now. A source edit without a rebuild (on a machine
 * without nvcc) fails here with what to do; so does a fatbin replaced by hand.
 */
class KernelImageChecksumTest {

    private static final String REBUILD = "; rebuild it on a machine with nvcc 13 (bash"
            + " reference-cuda/src/main/cuda/build-fatbin.sh, which any Maven build there runs) and commit both files";

    private static String sha256(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @DisplayName("the fatbin's record names the SHA-256 of the kernel sources as they are now")
    void fatbinMatchesTheSources() throws IOException {
        KernelSources.assumePresent();
        byte[][] contents = KernelSources.files().stream().map(p -> {
            try {
                return Files.readAllBytes(p);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toArray(byte[][]::new);
        KernelImage image = KernelImage.load();
        assertThat(sha256(contents)).as("SHA-256 of src/main/cuda/*.cu; the committed fatbin is stale" + REBUILD)
                .isEqualTo(image.recorded("sources-sha256"));
        assertThat(image.recorded("sources")).isEqualTo(String.join(" ",
                KernelSources.files().stream().map(p -> p.getFileName().toString()).toList()));
    }

    @Test
    @DisplayName("the fatbin is the one its record describes")
    void fatbinMatchesItsRecord() {
        KernelImage image = KernelImage.load();
        assertThat(sha256(image.bytes())).as("SHA-256 of the committed fatbin; it was replaced without its record"
                + REBUILD).isEqualTo(image.recorded("fatbin-sha256"));
    }

    @Test
    @DisplayName("the fatbin holds sm_90 SASS and compute_90 and compute_80 PTX, compiled without FMA contraction")
    void fatbinTargets() {
        KernelImage image = KernelImage.load();
        assertThat(image.recorded("flags")).contains("arch=compute_90,code=[sm_90,compute_90]",
                "arch=compute_80,code=compute_80", "-fmad=false");
        assertThat(image.recorded("nvcc")).contains("release 13.");
        assertThat(image.requiredDriverVersion()).isEqualTo(13000);
    }

    @Test
    @DisplayName("the build script records the flags it compiles with")
    void scriptFlagsAreRecorded() throws IOException {
        KernelSources.assumePresent();
        String script = Files.readString(Path.of("src/main/cuda/build-fatbin.sh"));
        String flags = KernelImage.load().recorded("flags");
        for (String f : flags.split(" ")) {
            assertThat(script).as("build-fatbin.sh passes %s", f).contains(f);
        }
    }

    @Test
    @DisplayName("the required driver version is read from the nvcc release line")
    void driverVersionFromRelease() {
        assertThat(KernelImage.requiredDriverVersion("Cuda compilation tools, release 13.0, V13.0.88")).isEqualTo(13000);
        assertThat(KernelImage.requiredDriverVersion("Cuda compilation tools, release 12.8, V12.8.61")).isEqualTo(12080);
        assertThatThrownBy(() -> KernelImage.requiredDriverVersion("nvcc something"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("nvcc something");
    }
}
