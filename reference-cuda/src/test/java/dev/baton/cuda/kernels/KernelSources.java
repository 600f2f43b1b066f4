package dev.baton.cuda.kernels;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The module's kernel sources ({@code src/main/cuda}), for tests that compare the build's outputs with them. */
final class KernelSources {

    static final Path DIR = Path.of("src/main/cuda");

    private KernelSources() {
    }

    /** Skips the test where the sources are not present (a GPU host runs the tests from jars, without sources). */
    static void assumePresent() {
        Assumptions.assumeTrue(Files.isRegularFile(DIR.resolve("baton_kernels.cu")),
                "the kernel sources (reference-cuda/src/main/cuda) are not in the working directory");
    }

    /** Every {@code *.cu} and {@code *.cuh} file, in byte order of their names (build-fatbin.sh's order). */
    static List<Path> files() {
        try (Stream<Path> s = Files.list(DIR)) {
            List<Path> files = new ArrayList<>(s.filter(p -> p.toString().endsWith(".cu") || p.toString().endsWith(".cuh"))
                    .toList());
            files.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String kernels() {
        try {
            return Files.readString(DIR.resolve("baton_kernels.cu"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
