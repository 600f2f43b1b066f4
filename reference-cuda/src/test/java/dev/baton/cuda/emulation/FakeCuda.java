package dev.baton.cuda.emulation;

import dev.baton.cuda.driver.CudaDriver;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The fake {@code libcuda} of {@code src/test/cuda} (the driver functions on the host, the module's kernels run by a
 * small CUDA emulator), built once per JVM with the host C++ compiler into {@code target/fake-libcuda}, so that tests
 * drive the real FFM binding, the kernels and the CUDA accelerator without a GPU.
 *
 * <p>Building needs a C++17 compiler ({@code g++}, or {@code $CXX}) and a CUDA 13 {@code cuda.h} (under
 * {@code $CUDA_HOME/include} or {@code /usr/local/cuda/include}); where either is missing, tests that need the fake are
 * skipped with that reason. The library is rebuilt only when its sources change.
 */
public final class FakeCuda {

    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final Path KERNELS = MODULE.resolve("src/main/cuda/baton_kernels.cu");
    private static final Path EMULATOR = MODULE.resolve("src/test/cuda/cuda_emu.h");
    private static final Path FAKE = MODULE.resolve("src/test/cuda/fake_libcuda.cpp");

    private static Path library;
    private static String unavailable;
    private static MethodHandle set;
    private static MethodHandle get;

    private FakeCuda() {
    }

    /** The built library, or empty with {@link #unavailableReason()}. */
    public static synchronized Optional<Path> library() {
        if (library == null && unavailable == null) {
            try {
                build();
            } catch (IOException e) {
                unavailable = "building the fake libcuda failed: " + e.getMessage();
            }
        }
        return Optional.ofNullable(library);
    }

    /** Why the fake is not available (or {@code null}). */
    public static synchronized String unavailableReason() {
        library();
        return unavailable;
    }

    /** Skips the calling test unless the fake can be built here. */
    public static Path assumeAvailable() {
        Optional<Path> lib = library();
        Assumptions.assumeTrue(lib.isPresent(), () -> "no CUDA emulator here: " + unavailable);
        return lib.get();
    }

    /** The binding bound to the fake (skips the test when there is none). */
    public static CudaDriver driver() {
        Path lib = assumeAvailable();
        CudaDriver.Loading loading = CudaDriver.load(lib.toString());
        if (loading instanceof CudaDriver.Failed f) {
            throw new AssertionError("the fake libcuda does not bind: " + f.reason());
        }
        return ((CudaDriver.Loaded) loading).driver();
    }

    /** Sets a knob of the fake (init_result, driver_version, device_count, cc_major, cc_minor, total_mem, max_pitch). */
    public static void set(String key, long value) {
        try (Arena a = Arena.ofConfined()) {
            int r = (int) handles()[0].invokeExact(a.allocateFrom(key), value);
            if (r != 0) {
                throw new IllegalArgumentException("the fake libcuda has no knob " + key);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Reads a knob or counter of the fake (launches, streams, events, modules, device_allocations, ...). */
    public static long get(String key) {
        try (Arena a = Arena.ofConfined()) {
            return (long) handles()[1].invokeExact(a.allocateFrom(key));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Restores every knob to its default (a healthy CUDA 13 device of compute capability 9.0). */
    public static void reset() {
        set("init_result", 0);
        set("driver_version", 13000);
        set("device_count", 1);
        set("cc_major", 9);
        set("cc_minor", 0);
        set("total_mem", 8L << 30);
        set("max_pitch", 2147483647L);
    }

    private static synchronized MethodHandle[] handles() {
        if (set == null) {
            Path lib = assumeAvailable();
            SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
            Linker linker = Linker.nativeLinker();
            set = linker.downcallHandle(lookup.find("bfake_set").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
            get = linker.downcallHandle(lookup.find("bfake_get").orElseThrow(),
                    FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        }
        return new MethodHandle[] {set, get};
    }

    private static void build() throws IOException {
        if (!Files.isRegularFile(FAKE) || !Files.isRegularFile(KERNELS)) {
            unavailable = "the emulator's sources are not here (" + FAKE + "); run from the reference-cuda module";
            return;
        }
        Optional<Path> header = cudaInclude();
        if (header.isEmpty()) {
            unavailable = "no CUDA 13 cuda.h (looked in $CUDA_HOME/include and /usr/local/cuda/include): the fake"
                    + " libcuda is compiled against it";
            return;
        }
        String cxx = Optional.ofNullable(System.getenv("CXX")).orElse("g++");
        Optional<Path> compiler = onPath(cxx);
        if (compiler.isEmpty()) {
            unavailable = "no C++ compiler '" + cxx + "' on the PATH (set CXX)";
            return;
        }
        String hash = hash(KERNELS, EMULATOR, FAKE);
        Path dir = MODULE.resolve("target/fake-libcuda");
        Path out = dir.resolve("libbaton-fake-cuda-" + hash.substring(0, 16) + ".so");
        if (!Files.isRegularFile(out)) {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(out.getFileName() + ".tmp");
            List<String> cmd = new ArrayList<>(List.of(compiler.get().toString(), "-std=c++17", "-O2",
                    "-ffp-contract=off", "-fno-fast-math", "-fPIC", "-shared", "-pthread", "-include",
                    EMULATOR.toString(), "-I", KERNELS.getParent().toString(), "-I", header.get().toString(),
                    FAKE.toString(), "-o", tmp.toString()));
            Path log = dir.resolve("build.log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new IOException(String.join(" ", cmd) + " failed:\n" + Files.readString(log));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while compiling the fake libcuda");
            }
            Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        library = out;
    }

    /** The directory holding a CUDA 13 cuda.h, if any. */
    public static Optional<Path> cudaInclude() {
        List<Path> candidates = new ArrayList<>();
        String home = System.getenv("CUDA_HOME");
        if (home != null) {
            candidates.add(Path.of(home, "include"));
        }
        candidates.add(Path.of("/usr/local/cuda/include"));
        for (Path c : candidates) {
            Path h = c.resolve("cuda.h");
            try {
                if (Files.isRegularFile(h) && Files.readString(h, StandardCharsets.ISO_8859_1)
                        .matches("(?s).*#define CUDA_VERSION 13\\d{3}.*")) {
                    return Optional.of(c);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Optional.empty();
    }

    private static Optional<Path> onPath(String program) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static String hash(Path... files) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Path f : files) {
                md.update(Files.readAllBytes(f));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
