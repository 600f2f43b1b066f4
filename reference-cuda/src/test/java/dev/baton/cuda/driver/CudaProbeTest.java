package dev.baton.cuda.driver;

import dev.baton.accelerator.Availability;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every reason the binding can be unavailable, through a scripted driver: each cuInit error, a driver too old for the
 * kernels, no device, a device too old, and failing queries. The real driver's path is checked against the fake
 * libcuda in EmulatedProbeTest.
 */
class CudaProbeTest {

    /** A driver answering with fixed codes and values. */
    record Scripted(int init, int version, int count, int major, int minor, int queryError) implements ProbeDriver {
        static Scripted healthy() {
            return new Scripted(0, 13000, 1, 9, 0, 0);
        }

        @Override
        public int init() {
            return init;
        }

        @Override
        public int driverVersion(int[] out) {
            out[0] = version;
            return 0;
        }

        @Override
        public int deviceCount(int[] out) {
            out[0] = count;
            return 0;
        }

        @Override
        public int computeCapability(int ordinal, int[] out) {
            out[0] = major;
            out[1] = minor;
            return 0;
        }

        @Override
        public int describe(int ordinal, String[] name, long[] memory) {
            name[0] = "NVIDIA H100 80GB HBM3";
            memory[0] = 85_029_158_912L;
            return queryError;
        }
    }

    @ParameterizedTest(name = "cuInit {0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "100 | no CUDA device: cuInit failed with CUDA_ERROR_NO_DEVICE (100)",
            "34  | the CUDA toolkit's stub libcuda was loaded instead of the driver: cuInit failed with CUDA_ERROR_STUB_LIBRARY (34)",
            "35  | the NVIDIA driver is too old: cuInit failed with CUDA_ERROR_INSUFFICIENT_DRIVER (35)",
            "36  | the NVIDIA driver is too old: cuInit failed with CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER (36)",
            "803 | the driver library and the kernel driver do not match: cuInit failed with CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (803)",
            "999 | cuInit failed with CUDA_ERROR_UNKNOWN (999)",
            "4711 | cuInit failed with CUresult(4711) (4711)"})
    @DisplayName("each cuInit error makes the binding unavailable with its own reason")
    void initErrors(int code, String reason) {
        Availability a = CudaProbe.check(new Scripted(code, 13000, 1, 9, 0, 0), 13000);
        assertThat(a.isAvailable()).isFalse();
        assertThat(a.detail()).startsWith(reason);
    }

    @Test
    @DisplayName("a driver older than the kernels' CUDA release is unavailable, naming both versions")
    void driverTooOld() {
        Availability a = CudaProbe.check(new Scripted(0, 12080, 1, 9, 0, 0), 13000);
        assertThat(a.isAvailable()).isFalse();
        assertThat(a.detail()).contains("supports CUDA 12.8", "need a driver for CUDA 13.0 or newer");
    }

    @Test
    @DisplayName("no device, or a device older than compute capability 8.0, is unavailable")
    void devices() {
        assertThat(CudaProbe.check(new Scripted(0, 13000, 0, 9, 0, 0), 13000).detail())
                .isEqualTo("no CUDA device (cuDeviceGetCount is 0)");
        Availability turing = CudaProbe.check(new Scripted(0, 13000, 1, 7, 5, 0), 13000);
        assertThat(turing.isAvailable()).isFalse();
        assertThat(turing.detail()).contains("compute capability 7.5", "need 8.0 or newer");
        assertThat(CudaProbe.check(new Scripted(0, 13000, 1, 8, 0, 0), 13000).isAvailable()).isTrue();
        assertThat(CudaProbe.check(new Scripted(0, 13000, 1, 9, 0, 2), 13000).detail())
                .contains("CUDA_ERROR_OUT_OF_MEMORY (2)");
    }

    @Test
    @DisplayName("a usable device is available, described by name, capability, memory and driver")
    void available() {
        Availability a = CudaProbe.check(Scripted.healthy(), 13000);
        assertThat(a.isAvailable()).isTrue();
        assertThat(a.detail()).isEqualTo("NVIDIA H100 80GB HBM3 (compute capability 9.0, 79.2 GiB); driver for CUDA"
                + " 13.0; 1 device");
    }

    @Test
    @DisplayName("native access: enabled for this JVM's class path, and the advice names the flag for either path")
    void nativeAccess() {
        assertThat(CudaProbe.nativeAccessProblem(CudaProbeTest.class.getModule()))
                .as("surefire passes --enable-native-access=ALL-UNNAMED").isNull();
        assertThat(CudaProbe.version(13000)).isEqualTo("13.0");
        assertThat(CudaProbe.version(12080)).isEqualTo("12.8");
    }

    @Test
    @DisplayName("no driver library, or a library without the CUDA symbols, is unavailable with the reason")
    void libraryProblems() {
        CudaDriver.Loading missing = CudaDriver.load("libbaton-no-such-driver.so.1");
        assertThat(missing).isInstanceOf(CudaDriver.Failed.class);
        assertThat(((CudaDriver.Failed) missing).reason()).startsWith("no libbaton-no-such-driver.so.1 (")
                .contains("install the NVIDIA driver");
        CudaDriver.Loading libc = CudaDriver.load("libc.so.6");
        assertThat(libc).isInstanceOf(CudaDriver.Failed.class);
        assertThat(((CudaDriver.Failed) libc).reason()).startsWith("libc.so.6 lacks cuInit, cuDriverGetVersion")
                .contains("cuMemAlloc_v2", "older than CUDA 13 needs");
        CudaProbe.Outcome o = CudaProbe.probe(CudaProbeTest.class.getModule(), "/nonexistent/libcuda.so.1", 13000);
        assertThat(o).isInstanceOf(CudaProbe.Unavailable.class);
        assertThat(o.availability().detail()).startsWith("no /nonexistent/libcuda.so.1");
    }
}
