package dev.baton.cuda.device;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.accelerator.Availability;
import dev.baton.accelerator.conformance.PlanDriver;
import dev.baton.accelerator.conformance.Schedule;
import dev.baton.accelerator.conformance.SequenceSpec;
import dev.baton.accelerator.conformance.Workload;
import dev.baton.accelerator.cpu.CpuAccelerator;
import dev.baton.accelerator.cpu.CpuAcceleratorProvider;
import dev.baton.api.VirtualClock;
import dev.baton.api.plan.BlockTable;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.api.request.SamplingParams;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CUDA device runs the CPU reference device's model: on the same random workloads and schedules (batching,
 * chunked prefill, placeholders, swaps, recompute, prefix sharing with copy-on-write, drafts, cancellations; greedy
 * and seeded sampled requests), both produce the same tokens, and the logits of every computed position agree, bit
 * for bit in the emulator and within {@link #LOGIT_TOLERANCE} on a GPU (whose double-precision {@code exp} may differ
 * from Java's in the last place). With {@code cuda.attention=fast} the logits agree within float32 rounding; that is
 * checked on fed tokens (chunked prompts), so that a near tie rounding the other way cannot make the runs diverge.
 */
public abstract class CudaMatchesCpuChecks {

    /** Largest relative difference of a logits row allowed on a GPU with exact attention. */
    public static final double LOGIT_TOLERANCE = 1e-5;
    /** The same for the fast attention kernel (another order of summation). */
    public static final double FAST_LOGIT_TOLERANCE = 1e-4;

    /** The provider under test. */
    protected abstract AcceleratorProvider provider();

    /** Whether logits must be bit-identical (the emulator computes on the host, as Java does). */
    protected abstract boolean bitExact();

    /** How many random workloads to run with exact attention. */
    protected abstract int workloads();

    /** How many with the fast attention kernel (slow in the emulator, which runs its warps as fibers). */
    protected abstract int fastWorkloads();

    /** What one comparison found. */
    public record Comparison(int workloads, int tokens, int rows, int identicalRows, double maxRelativeDifference) {
    }

    @Test
    @DisplayName("the CUDA device produces the CPU device's tokens and logits on random workloads and schedules")
    void matchesTheCpuDevice(TestReporter reporter) {
        Comparison c = compare(workloads());
        reporter.publishEntry("exact attention", c.toString());
        assertThat(c.tokens()).isPositive();
        if (bitExact()) {
            assertThat(c.identicalRows()).as("%s", c).isEqualTo(c.rows());
        } else {
            assertThat(c.maxRelativeDifference()).as("%s", c).isLessThanOrEqualTo(LOGIT_TOLERANCE);
        }
    }

    @Test
    @DisplayName("with the fast paged-attention kernel, logits agree with the CPU device within float32 rounding")
    void fastAttentionAgrees(TestReporter reporter) {
        Comparison c = compareForced(fastWorkloads());
        reporter.publishEntry("fast attention", c.toString());
        assertThat(c.rows()).isPositive();
        assertThat(c.maxRelativeDifference()).as("%s", c).isLessThanOrEqualTo(FAST_LOGIT_TOLERANCE);
    }

    /**
     * Feeds both devices the same known tokens (prompts in random chunks over several steps, sequences batched
     * together), so that the plans never depend on what either device sampled, and compares the logits of every
     * position: a near tie that rounds differently cannot make the runs diverge.
     */
    public Comparison compareForced(int n) {
        Availability a = provider().availability();
        Assumptions.assumeTrue(a.isAvailable(), () -> provider().name() + " is unavailable here: " + a.detail());
        SplittableRandom rnd = new SplittableRandom(4242);
        int rows = 0;
        int identical = 0;
        double worst = 0;
        for (int w = 0; w < n; w++) {
            int seqs = 1 + rnd.nextInt(4);
            int[][] prompts = new int[seqs][];
            for (int i = 0; i < seqs; i++) {
                prompts[i] = prompt(rnd, 1 + rnd.nextInt(90));
            }
            long chunkSeed = rnd.nextLong();
            List<float[]> cpuRows = forced(new CpuAcceleratorProvider().open(config("cpu", 4, "exact")), prompts,
                    chunkSeed);
            List<float[]> cudaRows = forced(provider().open(config("cuda", 4, "fast")), prompts, chunkSeed);
            assertThat(cudaRows).hasSameSizeAs(cpuRows);
            for (int r = 0; r < cpuRows.size(); r++) {
                double d = relativeDifference(cpuRows.get(r), cudaRows.get(r));
                worst = Math.max(worst, d);
                identical += d == 0 ? 1 : 0;
                rows++;
            }
        }
        return new Comparison(n, 0, rows, identical, worst);
    }

    /** Runs the prompts in random chunks (each sequence in its own blocks) and returns every position's logits. */
    private static List<float[]> forced(Accelerator acc, int[][] prompts, long seed) {
        List<float[]> rows = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        try (acc) {
            if (acc instanceof CpuAccelerator cpu) {
                cpu.captureLogits((seq, pos, logits, off) -> rows.add(Arrays.copyOfRange(logits, off, off + VOCAB)));
            } else {
                ((CudaAccelerator) acc).captureLogits((seq, pos, logits, off) ->
                        rows.add(Arrays.copyOfRange(logits, off, off + VOCAB)));
            }
            int bs = acc.kvLayout().blockSize();
            int[] done = new int[prompts.length];
            int[] firstBlock = new int[prompts.length];
            int next = 1;
            for (int i = 0; i < prompts.length; i++) {
                firstBlock[i] = next;
                next += (prompts[i].length + bs - 1) / bs;
            }
            StepPlan plan = new StepPlan();
            StepResult result = new StepResult(VOCAB, acc.maxProposals());
            for (long step = 0; ; step++) {
                plan.clear(step);
                for (int i = 0; i < prompts.length; i++) {
                    int left = prompts[i].length - done[i];
                    if (left == 0) {
                        continue;
                    }
                    int chunk = 1 + rnd.nextInt(Math.min(left, 17));
                    int s = plan.addSequence(i, 1, SamplingParams.greedy(1), 0, done[i], 0,
                            done[i] + chunk == prompts[i].length ? StepPlan.FLAG_SAMPLE : 0);
                    plan.addTokens(prompts[i], done[i], chunk);
                    int blocks = (done[i] + chunk + bs - 1) / bs;
                    plan.setBlockTable(s, 0, new Consecutive(firstBlock[i], blocks), blocks);
                    done[i] += chunk;
                }
                if (plan.numSeqs() == 0) {
                    return rows;
                }
                acc.execute(plan, result);
            }
        }
    }

    /** Blocks {@code first .. first + size - 1}. */
    private record Consecutive(int first, int size) implements BlockTable {
        @Override
        public int blockId(int index) {
            return first + index;
        }
    }

    private static double relativeDifference(float[] x, float[] y) {
        double norm = 0;
        double diff = 0;
        for (int v = 0; v < x.length; v++) {
            norm = Math.max(norm, Math.abs(x[v]));
            diff = Math.max(diff, Math.abs((double) x[v] - y[v]));
        }
        return diff / Math.max(norm, 1e-6);
    }

    /** Runs {@code n} random workloads on both devices and compares; every token must be equal. */
    public Comparison compare(int n) {
        Availability a = provider().availability();
        Assumptions.assumeTrue(a.isAvailable(), () -> provider().name() + " is unavailable here: " + a.detail());
        SplittableRandom rnd = new SplittableRandom(97);
        int tokens = 0;
        int rows = 0;
        int identical = 0;
        double worst = 0;
        for (int w = 0; w < n; w++) {
            Workload workload = workload(rnd);
            Schedule schedule = schedule(rnd);
            List<float[]> cpuRows = new ArrayList<>();
            List<float[]> cudaRows = new ArrayList<>();
            PlanDriver.Outcome cpu;
            PlanDriver.Outcome cuda;
            try (CpuAccelerator acc = (CpuAccelerator) new CpuAcceleratorProvider().open(config("cpu", 4, "exact"))) {
                acc.captureLogits((seq, pos, logits, off) -> cpuRows.add(Arrays.copyOfRange(logits, off, off + VOCAB)));
                cpu = PlanDriver.run(acc, workload, schedule, null);
            }
            try (Accelerator acc = provider().open(config("cuda", 4, "exact"))) {
                ((CudaAccelerator) acc).captureLogits((seq, pos, logits, off) ->
                        cudaRows.add(Arrays.copyOfRange(logits, off, off + VOCAB)));
                cuda = PlanDriver.run(acc, workload, schedule, null);
            }
            for (int s = 0; s < workload.size(); s++) {
                assertThat(cuda.tokens(s)).as("workload %d sequence %d under %s", w, s, schedule)
                        .containsExactly(cpu.tokens(s));
                tokens += cpu.tokens(s).length;
            }
            assertThat(cudaRows).as("logits rows").hasSameSizeAs(cpuRows);
            int common = cpuRows.size();
            for (int r = 0; r < common; r++) {
                double d = relativeDifference(cpuRows.get(r), cudaRows.get(r));
                worst = Math.max(worst, d);
                identical += d == 0 ? 1 : 0;
                rows++;
            }
        }
        return new Comparison(n, tokens, rows, identical, worst);
    }

    private static final int VOCAB = 128;

    /** The small model of the conformance runs, for either provider. */
    static AcceleratorConfig config(String prefix, int blockSize, String attention) {
        AcceleratorConfig.Builder b = AcceleratorConfig.builder().clock(new VirtualClock()).blockSize(blockSize)
                .numGpuBlocksOverride(384).seed(17)
                .option(prefix + ".layers", "2").option(prefix + ".hidden", "64").option(prefix + ".heads", "4")
                .option(prefix + ".kv-heads", "2").option(prefix + ".intermediate", "128")
                .option(prefix + ".vocab", String.valueOf(VOCAB)).option(prefix + ".max-model-len", "256")
                .option(prefix + ".host-blocks", "256");
        if (prefix.equals("cuda")) {
            b.option("cuda.attention", attention);
        }
        return b.build();
    }

    private static Workload workload(SplittableRandom rnd) {
        int n = 1 + rnd.nextInt(4);
        int[] system = prompt(rnd, 1 + rnd.nextInt(12));
        List<SequenceSpec> specs = new ArrayList<>();
        int lastWithSystem = -1;
        for (int i = 0; i < n; i++) {
            int[] prompt = prompt(rnd, 1 + rnd.nextInt(24));
            int shareFrom = -1;
            int shareTokens = 0;
            if (rnd.nextInt(3) == 0) {
                int[] joined = Arrays.copyOf(system, system.length + prompt.length);
                System.arraycopy(prompt, 0, joined, system.length, prompt.length);
                prompt = joined;
                if (lastWithSystem >= 0) {
                    shareFrom = lastWithSystem;
                    shareTokens = 1 + rnd.nextInt(system.length);
                }
                lastWithSystem = i;
            }
            int maxTokens = 1 + rnd.nextInt(10);
            SamplingParams params = rnd.nextBoolean() ? SamplingParams.greedy(maxTokens)
                    : SamplingParams.builder().temperature(0.5 + rnd.nextDouble()).topP(rnd.nextBoolean() ? 1 : 0.9)
                    .topK(rnd.nextBoolean() ? 0 : 20).seed(rnd.nextLong()).maxTokens(maxTokens).build();
            specs.add(new SequenceSpec(prompt, maxTokens, params, rnd.nextLong(), rnd.nextInt(3), shareFrom,
                    shareTokens));
        }
        return new Workload(specs);
    }

    private static Schedule schedule(SplittableRandom rnd) {
        int[] budgets = {1, 3, 8, 64, 4096};
        int[] caps = {1, 4, 32, 1 << 20};
        int[] drafts = {0, 1, 3};
        return new Schedule(budgets[rnd.nextInt(budgets.length)], caps[rnd.nextInt(caps.length)],
                drafts[rnd.nextInt(drafts.length)], Schedule.DraftSource.RANDOM, rnd.nextInt(3) * 0.5,
                rnd.nextInt(3) * 0.1, rnd.nextInt(2) * 0.05, rnd.nextLong());
    }

    private static int[] prompt(SplittableRandom rnd, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = rnd.nextInt(VOCAB);
        }
        return p;
    }
}
