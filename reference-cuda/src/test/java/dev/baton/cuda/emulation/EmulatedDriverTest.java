package dev.baton.cuda.emulation;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Availability;
import dev.baton.accelerator.KvBlockAccess;
import dev.baton.accelerator.KvBlockAccess.Tier;
import dev.baton.api.VirtualClock;
import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.cuda.device.CudaAccelerator;
import dev.baton.cuda.driver.CuResult;
import dev.baton.cuda.driver.CudaDriver;
import dev.baton.cuda.driver.CudaException;
import dev.baton.cuda.driver.CudaProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The binding against the fake libcuda, through the real FFM downcalls: every unavailability reason the driver can
 * cause, the one-thread-per-context discipline, resources released at close, the swap fallback for pitches above the
 * device's limit, and the options a user can get wrong.
 */
class EmulatedDriverTest {

    private static final int CUDA_13 = 13000;

    @BeforeEach
    void healthy() {
        FakeCuda.assumeAvailable();
        FakeCuda.reset();
    }

    @AfterEach
    void restore() {
        if (FakeCuda.library().isPresent()) {
            FakeCuda.reset();
        }
    }

    private static Availability probe() {
        return CudaProbe.probe(EmulatedDriverTest.class.getModule(), FakeCuda.assumeAvailable().toString(), CUDA_13)
                .availability();
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "init_result    | 100   | no CUDA device: cuInit failed with CUDA_ERROR_NO_DEVICE (100)",
            "init_result    | 34    | the CUDA toolkit's stub libcuda was loaded instead of the driver",
            "init_result    | 35    | the NVIDIA driver is too old: cuInit failed with CUDA_ERROR_INSUFFICIENT_DRIVER (35)",
            "driver_version | 12080 | the NVIDIA driver supports CUDA 12.8, the kernels (PTX ISA of nvcc 13.0) need",
            "device_count   | 0     | no CUDA device (cuDeviceGetCount is 0)",
            "cc_major       | 7     | device 0 has compute capability 7.0; the kernels need 8.0 or newer"})
    @DisplayName("each driver answer that rules the device out is reported through the FFM binding")
    void unavailabilityReasons(String knob, long value, String reason) {
        FakeCuda.set(knob, value);
        Availability a = probe();
        assertThat(a.isAvailable()).isFalse();
        assertThat(a.detail()).startsWith(reason);
    }

    @Test
    @DisplayName("a healthy driver is available and names the device")
    void available() {
        Availability a = probe();
        assertThat(a.isAvailable()).isTrue();
        assertThat(a.detail()).startsWith("Baton CUDA emulator").contains("compute capability 9.0", "CUDA 13.0");
    }

    @Test
    @DisplayName("a call that needs a context fails, typed and named, on a thread where none is current")
    void contextIsPerThread() {
        CudaDriver driver = FakeCuda.driver();
        driver.init();
        assertThatThrownBy(() -> driver.memAlloc(1024)).isInstanceOf(CudaException.class)
                .hasMessage("cuMemAlloc_v2 failed: CUDA_ERROR_INVALID_CONTEXT (201): 1024 bytes")
                .satisfies(e -> assertThat(((CudaException) e).code()).isEqualTo(201));
        assertThat(driver.errorName(CuResult.INVALID_VALUE)).isEqualTo("CUDA_ERROR_INVALID_VALUE");
        assertThat(driver.errorName(4711)).isEqualTo("CUresult(4711)");
    }

    private static AcceleratorConfig.Builder small() {
        return AcceleratorConfig.builder().clock(new VirtualClock()).blockSize(4).numGpuBlocksOverride(32).seed(3)
                .option("cuda.layers", "2").option("cuda.hidden", "32").option("cuda.heads", "4")
                .option("cuda.kv-heads", "2").option("cuda.intermediate", "64").option("cuda.vocab", "61")
                .option("cuda.max-model-len", "128").option("cuda.host-blocks", "8");
    }

    @Test
    @DisplayName("closing a device frees every allocation, stream, event, module and the primary context")
    void closeReleasesEverything() {
        try (Accelerator acc = new EmulatedCudaProvider().open(small().build())) {
            assertThat(FakeCuda.get("device_allocations")).isPositive();
            assertThat(FakeCuda.get("host_allocations")).isPositive();
            assertThat(FakeCuda.get("primary_refs")).isEqualTo(1);
            StepPlan plan = new StepPlan();
            StepResult result = new StepResult(acc.model().vocabSize(), 0);
            plan.clear(0);
            acc.execute(plan, result);
        }
        assertThat(FakeCuda.get("device_allocations")).isZero();
        assertThat(FakeCuda.get("host_allocations")).isZero();
        assertThat(FakeCuda.get("primary_refs")).isZero();
        assertThat(FakeCuda.get("streams")).isZero();
        assertThat(FakeCuda.get("events")).isZero();
        assertThat(FakeCuda.get("modules")).isZero();
    }

    @Test
    @DisplayName("when a tensor is further apart than the maximum 2D-copy pitch, swaps copy slab by slab, as exactly")
    void swapsBeyondTheMaximumPitch() {
        FakeCuda.set("max_pitch", 64);
        try (Accelerator acc = new EmulatedCudaProvider().open(small().build())) {
            KvBlockAccess kv = (KvBlockAccess) acc;
            int bytes = (int) acc.kvLayout().bytesPerBlock();
            byte[] data = new byte[bytes];
            new SplittableRandom(1).nextBytes(data);
            kv.writeBlock(Tier.DEVICE, 3, data, 0);
            StepPlan plan = new StepPlan();
            StepResult result = new StepResult(acc.model().vocabSize(), 0);
            plan.clear(0);
            plan.addMove(BlockMoveKind.SWAP_OUT, 3, 5);
            plan.addMove(BlockMoveKind.SWAP_IN, 5, 7);
            acc.execute(plan, result);
            byte[] back = new byte[bytes];
            kv.readBlock(Tier.HOST, 5, back, 0);
            assertThat(back).isEqualTo(data);
            kv.readBlock(Tier.DEVICE, 7, back, 0);
            assertThat(back).isEqualTo(data);
        }
    }

    @Test
    @DisplayName("options a user can get wrong are refused with what to change")
    void badOptions() {
        EmulatedCudaProvider p = new EmulatedCudaProvider();
        assertThatThrownBy(() -> p.open(small().option("cuda.layerz", "2").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown cuda option 'cuda.layerz'")
                .hasMessageContaining("cuda.layers");
        assertThatThrownBy(() -> p.open(small().option("cuda.attention", "flash").build()))
                .hasMessageContaining("cuda.attention must be 'exact'");
        assertThatThrownBy(() -> p.open(small().option("cuda.hidden", "30").build()))
                .hasMessageContaining("cuda.hidden (30) must be a multiple of cuda.heads");
        assertThatThrownBy(() -> p.open(small().profile("h100").build())).hasMessageContaining("no profiles");
        assertThatThrownBy(() -> p.open(small().option("cuda.device", "3").build()))
                .isInstanceOf(CudaException.class).hasMessageContaining("CUDA_ERROR_INVALID_DEVICE");
        assertThat(FakeCuda.get("device_allocations")).isZero();
    }

    @Test
    @DisplayName("KV blocks are readable only between steps and within their tier; the null block is never written")
    void blockAccessChecks() {
        try (CudaAccelerator acc = (CudaAccelerator) new EmulatedCudaProvider().open(small().build())) {
            byte[] buf = new byte[(int) acc.kvLayout().bytesPerBlock()];
            assertThatThrownBy(() -> acc.writeBlock(Tier.DEVICE, 0, buf, 0)).hasMessageContaining("null block");
            assertThatThrownBy(() -> acc.readBlock(Tier.HOST, 8, buf, 0)).hasMessageContaining("outside [0, 8)");
            assertThatThrownBy(() -> acc.readBlock(Tier.DEVICE, 1, new byte[3], 0)).hasMessageContaining("a block is");
            StepPlan plan = new StepPlan();
            plan.clear(0);
            acc.launch(plan);
            assertThatThrownBy(() -> acc.readBlock(Tier.DEVICE, 1, buf, 0)).isInstanceOf(IllegalStateException.class);
            acc.await(new StepResult(acc.model().vocabSize(), 0));
        }
    }
}
