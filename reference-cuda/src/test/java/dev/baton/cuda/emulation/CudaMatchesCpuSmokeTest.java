package dev.baton.cuda.emulation;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.conformance.PlanDriver;
import dev.baton.accelerator.conformance.SequenceSpec;
import dev.baton.accelerator.cpu.CpuAcceleratorProvider;
import dev.baton.api.VirtualClock;
import dev.baton.api.request.SamplingParams;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CudaMatchesCpuSmokeTest {

    @Test
    void greedy_tokens_match() {
        FakeCuda.assumeAvailable();
        AcceleratorConfig.Builder b = AcceleratorConfig.builder().clock(new VirtualClock()).blockSize(4)
                .numGpuBlocksOverride(64).seed(17);
        AcceleratorConfig cpu = b.option("cpu.layers", "2").option("cpu.hidden", "64").option("cpu.heads", "4")
                .option("cpu.kv-heads", "2").option("cpu.intermediate", "128").option("cpu.vocab", "128")
                .option("cpu.max-model-len", "256").option("cpu.host-blocks", "16").build();
        AcceleratorConfig cuda = AcceleratorConfig.builder().clock(new VirtualClock()).blockSize(4)
                .numGpuBlocksOverride(64).seed(17).option("cuda.layers", "2").option("cuda.hidden", "64")
                .option("cuda.heads", "4").option("cuda.kv-heads", "2").option("cuda.intermediate", "128")
                .option("cuda.vocab", "128").option("cuda.max-model-len", "256").option("cuda.host-blocks", "16")
                .build();
        SequenceSpec spec = SequenceSpec.of(new int[] {5, 4, 3, 2, 1, 7, 9}, 12, SamplingParams.greedy(12), 3);
        int[] a;
        int[] c;
        try (Accelerator acc = new CpuAcceleratorProvider().open(cpu)) {
            a = PlanDriver.solo(acc, spec);
        }
        try (Accelerator acc = new EmulatedCudaProvider().open(cuda)) {
            c = PlanDriver.solo(acc, spec);
        }
        assertThat(c).containsExactly(a);
    }
}
