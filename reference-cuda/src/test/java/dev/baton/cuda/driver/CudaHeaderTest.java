package dev.baton.cuda.driver;

import dev.baton.cuda.emulation.FakeCuda;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemoryLayout.PathElement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The binding's symbol table, result names and struct layout against the CUDA 13 driver header: always against the
 * committed list {@value #EXPECTED} (so that builds without the toolkit still check the binding), and, where a CUDA 13
 * {@code cuda.h} is installed, the committed list itself against the header.
 */
class CudaHeaderTest {

    static final String EXPECTED = "/dev/baton/cuda/driver/cuda13-driver-functions.txt";

    /** Sizes and alignments of the C types that CUDA_MEMCPY2D uses, on LP64 Linux. */
    private static final Map<String, Integer> C_SIZES = Map.of("size_t", 8, "CUmemorytype", 4, "void *", 8,
            "CUdeviceptr", 8, "CUarray", 8);

    private static List<String> committed() throws IOException {
        try (InputStream in = CudaHeaderTest.class.getResourceAsStream(EXPECTED)) {
            assertThat(in).as(EXPECTED + " on the test class path").isNotNull();
            List<String> lines = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    lines.add(line.trim());
                }
            }
            return lines;
        }
    }

    private static CudaHeader header() throws IOException {
        Optional<Path> include = FakeCuda.cudaInclude();
        assumeTrue(include.isPresent(), "no CUDA 13 cuda.h here ($CUDA_HOME/include or /usr/local/cuda/include):"
                + " the committed list " + EXPECTED + " stands in for it");
        return CudaHeader.read(include.get().resolve("cuda.h"));
    }

    @Test
    @DisplayName("every bound function has the symbol and signature of the committed CUDA 13 list")
    void bindingMatchesTheCommittedList() throws IOException {
        List<String> lines = new ArrayList<>();
        for (DriverFunction f : DriverFunction.values()) {
            lines.add(f.line());
        }
        assertThat(lines).containsExactlyElementsOf(committed());
    }

    @Test
    @DisplayName("the committed list is what the CUDA 13 cuda.h says: versioned symbols and C signatures")
    void committedListMatchesTheHeader() throws IOException {
        CudaHeader h = header();
        assertThat(h.cudaVersion()).isBetween(13000, 13999);
        for (String line : committed()) {
            String[] f = line.split(" ");
            assertThat(h.symbol(f[0])).as("the symbol cuda.h maps %s to", f[0]).isEqualTo(f[1]);
            assertThat(h.signature(f[0])).as("the prototype of %s", f[0]).isEqualTo(f[2]);
        }
    }

    @Test
    @DisplayName("legacy names are never bound: where cuda.h versions a name, the binding uses the versioned symbol")
    void noLegacySymbols() {
        for (DriverFunction f : DriverFunction.values()) {
            if (!f.symbol().equals(f.api())) {
                assertThat(f.symbol()).as(f.api()).matches(Pattern.quote(f.api()) + "_v\\d");
            }
        }
        assertThat(DriverFunction.MEM_ALLOC.symbol()).isEqualTo("cuMemAlloc_v2");
        assertThat(DriverFunction.MEMCPY_HTOD.symbol()).isEqualTo("cuMemcpyHtoD_v2");
        assertThat(DriverFunction.DEVICE_PRIMARY_CTX_RELEASE.symbol()).isEqualTo("cuDevicePrimaryCtxRelease_v2");
        assertThat(DriverFunction.EVENT_ELAPSED_TIME.symbol()).isEqualTo("cuEventElapsedTime_v2");
    }

    @Test
    @DisplayName("result-code names are those of enum cudaError_enum, plus the documented runtime-API extra")
    void resultNamesMatchTheHeader() throws IOException {
        Map<Integer, String> fromHeader = header().errors();
        assertThat(fromHeader).containsEntry(0, "CUDA_SUCCESS").containsEntry(100, "CUDA_ERROR_NO_DEVICE")
                .containsEntry(34, "CUDA_ERROR_STUB_LIBRARY").containsEntry(222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION");
        Map<Integer, String> ours = new HashMap<>(CuResult.all());
        CuResult.EXTRA_NAMES.keySet().forEach(ours::remove);
        assertThat(ours).isEqualTo(fromHeader);
        assertThat(fromHeader).doesNotContainKeys(CuResult.EXTRA_NAMES.keySet().toArray(Integer[]::new));
    }

    @Test
    @DisplayName("CUDA_MEMCPY2D: the FFM struct layout has the header's fields at the C offsets (128 bytes)")
    void memcpy2dLayoutMatchesTheHeader() throws IOException {
        List<String[]> fields = header().structFields("CUDA_MEMCPY2D_st");
        long offset = 0;
        for (String[] f : fields) {
            int size = C_SIZES.getOrDefault(f[0].endsWith("*") ? "void *" : f[0], -1);
            assertThat(size).as("size of %s %s", f[0], f[1]).isPositive();
            offset = (offset + size - 1) / size * size;
            assertThat(Memcpy2D.LAYOUT.byteOffset(PathElement.groupElement(f[1]))).as(f[1]).isEqualTo(offset);
            offset += size;
        }
        assertThat(Memcpy2D.LAYOUT.byteSize()).isEqualTo((offset + 7) / 8 * 8).isEqualTo(128);
    }

    @Test
    @DisplayName("the device attributes, memory types and flags the binding passes have the header's values")
    void constantsMatchTheHeader() throws IOException {
        Path include = FakeCuda.cudaInclude().orElse(null);
        assumeTrue(include != null, "no CUDA 13 cuda.h here");
        String text = java.nio.file.Files.readString(include.resolve("cuda.h"), StandardCharsets.ISO_8859_1);
        Map<String, Integer> expected = Map.of(
                "CU_DEVICE_ATTRIBUTE_MAX_PITCH", CudaDriver.ATTRIBUTE_MAX_PITCH,
                "CU_DEVICE_ATTRIBUTE_CLOCK_RATE", CudaDriver.ATTRIBUTE_CLOCK_RATE,
                "CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT", CudaDriver.ATTRIBUTE_MULTIPROCESSOR_COUNT,
                "CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE", CudaDriver.ATTRIBUTE_MEMORY_CLOCK_RATE,
                "CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH", CudaDriver.ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH,
                "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR", CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR", CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                "CU_MEMORYTYPE_HOST", Memcpy2D.HOST,
                "CU_MEMORYTYPE_DEVICE", Memcpy2D.DEVICE,
                "CU_MEMHOSTALLOC_PORTABLE", CudaDriver.MEMHOSTALLOC_PORTABLE);
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            Matcher m = Pattern.compile("(?m)^\\s*(?:#define\\s+)?" + e.getKey() + "\\s*=?\\s*(0x[0-9a-fA-F]+|\\d+)")
                    .matcher(text);
            assertThat(m.find()).as(e.getKey() + " in cuda.h").isTrue();
            assertThat(Integer.decode(m.group(1))).as(e.getKey()).isEqualTo(e.getValue());
        }
    }
}
