package dev.baton.benchmarks.scheduler;

import dev.baton.api.VirtualClock;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.kv.KvCacheConfig;
import dev.baton.kv.KvCacheManager;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.SequenceListener;
import dev.baton.scheduler.core.StepScheduler;
import dev.baton.scheduler.preemption.VictimSelector;
import dev.baton.scheduler.queue.FcfsQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * CPU cost of one scheduler step -- plan plus apply -- in steady-state decode with {@code running} sequences in the
 * batch and 10,000 requests waiting behind it, on a no-op device that samples one token per sequence. Prefix caching is
 * on and blocks are 16 tokens, as in vLLM's defaults, so every 16th step each sequence allocates a block and commits a
 * full one to the prefix cache.
 *
 * <p>The state is built once per trial (outside every measurement) and each iteration runs exactly {@value #STEPS}
 * steps, so the whole run is a known number of steps: the KV pool and the per-sequence arrays are sized for it, nothing
 * is ever preempted ({@link #checkSteadyState} fails the run if something was), and {@code -prof gc} sees only what the
 * steps themselves allocate. Scores are per step. Reference: vLLM's Python scheduler costs 0.16-0.85 ms per step at
 * batch 8-64.
 *
 * <p>Run: {@code java -jar benchmarks/target/baton-benchmarks.jar SchedulerStepBenchmark -prof gc}
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = SchedulerStepBenchmark.WARMUP)
@Measurement(iterations = SchedulerStepBenchmark.MEASURED)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-XX:+UseParallelGC"})
@State(Scope.Benchmark)
public class SchedulerStepBenchmark {
    static final int STEPS = 250;
    static final int WARMUP = 20;
    static final int MEASURED = 20;
    private static final int WAITING = 10_000;
    private static final int PROMPT = 128;
    private static final int BLOCK = 16;

    @Param({"64", "256", "1024", "4096"})
    public int running;

    private StepScheduler scheduler;
    private NoOpDevice device;

    @Setup(Level.Trial)
    public void setup() {
        // Enough blocks for the prompts plus the growth of every step of the run, so the batch never runs out of KV.
        long maxSteps = (long) (WARMUP + MEASURED) * STEPS + PROMPT;
        int blocks = (int) Math.min(Integer.MAX_VALUE - 8, running * (PROMPT / BLOCK + 2 + maxSteps / BLOCK) + 16);
        KvCacheManager kv = KvCacheManager.create(KvCacheConfig.builder().blockSize(BLOCK).numDeviceBlocks(blocks)
                .enablePrefixCaching(true).build());
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(running).maxNumBatchedTokens(Math.max(8192, running))
                .maxQueuedRequests(WAITING + running).build();
        VirtualClock clock = new VirtualClock();
        scheduler = new StepScheduler(cfg, kv, new FcfsQueue(), VictimSelector.lastAdmitted(), clock, 1 << 30, 0, 1);
        device = new NoOpDevice(scheduler);
        Random rnd = new Random(running);
        SamplingParams decodeForever = SamplingParams.builder().maxTokens(1 << 14).ignoreEos(true).build();
        long seq = 0;
        for (int i = 0; i < running + WAITING; i++) {
            int[] prompt = NoOpDevice.randomPrompt(rnd, PROMPT);
            InferenceRequest ir = InferenceRequest.withPrompt(prompt).requestId("r" + i).sampling(decodeForever)
                    .build();
            scheduler.add(new Request("r" + i, ir, 0, ++seq, i, 0, Long.MAX_VALUE, Long.MAX_VALUE,
                    SequenceListener.NONE));
            if (i + 1 == running) {
                // Prefill the batch before the waiting requests arrive.
                while (scheduler.numRunning() < running || device.lastPlan().numSeqs() != running
                        || device.lastPlan().totalTokens() != running) {
                    device.step();
                }
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public int step() {
        return device.steps(STEPS);
    }


    @TearDown(Level.Trial)
    public void checkSteadyState() {
        if (scheduler.totalPreemptions() != 0 || scheduler.numRunning() != running
                || scheduler.numWaiting() != WAITING) {
            throw new IllegalStateException("not a steady state: preemptions=" + scheduler.totalPreemptions()
                    + " running=" + scheduler.numRunning() + " waiting=" + scheduler.numWaiting());
        }
    }
}
