package dev.baton.benchmarks.scheduler;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Accelerators;
import dev.baton.accelerator.CostModel;
import dev.baton.api.VirtualClock;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.api.request.SloTargets;
import dev.baton.kv.KvCacheConfig;
import dev.baton.kv.KvCacheManager;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.EngineSetup;
import dev.baton.scheduler.SchedulingPolicy;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.SequenceListener;
import dev.baton.scheduler.core.StepScheduler;
import dev.baton.scheduler.policy.SchedulingPolicies;
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

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * CPU cost of one scheduler step (plan plus apply) under each named policy, as a ratio against {@code vllm} in the
 * same run: what the SLO-aware composer, the least-slack queue and VTC fairness add to the step. Same method as
 * {@link SchedulerStepBenchmark} (state built once per trial, a fixed number of steps per iteration, no-op device),
 * with 16 tenants for {@code fair}. Every request carries SLO targets so that the SLO composer does its full work
 * (a TPOT timeline per decode, cost-model fits per prefill), but loose ones (TTFT 60 s, TPOT 10 s), so that every
 * policy holds the same batch and the comparison is of CPU per step, not of batch sizes.
 * <ul>
 *   <li>{@code decode}: a full batch of decodes with thousands of requests waiting (the steady state).</li>
 *   <li>{@code churn}: requests of 32 output tokens, so that every step finishes some and admits others from the
 *       queue, each admission going through the composer's fit search.</li>
 * </ul>
 * Run: {@code java -jar benchmarks/target/baton-benchmarks.jar PolicyStepBenchmark -f 1 -wi 2 -i 3}
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = PolicyStepBenchmark.WARMUP)
@Measurement(iterations = PolicyStepBenchmark.MEASURED)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-XX:+UseParallelGC"})
@State(Scope.Benchmark)
public class PolicyStepBenchmark {
    static final int STEPS = 200;
    static final int WARMUP = 10;
    static final int MEASURED = 10;
    private static final int PROMPT = 128;
    private static final int BLOCK = 16;
    private static final int CHURN_OUTPUT = 32;

    @Param({"vllm", "slo", "fair"})
    public String policy;

    @Param({"decode", "churn"})
    public String mode;

    @Param({"256", "1024"})
    public int running;

    private StepScheduler scheduler;
    private NoOpDevice device;

    @Setup(Level.Trial)
    public void setup() {
        boolean churn = mode.equals("churn");
        long totalSteps = (long) (WARMUP + MEASURED + 2) * STEPS;
        // Churn: a sequence lives ~CHURN_OUTPUT steps, so the run needs running x steps / output requests in all.
        int waiting = churn ? (int) (running * totalSteps / CHURN_OUTPUT) + running : 4 * running;
        // Decodes run for the whole trial; their maxTokens is what the run needs, so that a composer projecting each
        // request's lifetime KV (slo, fair) holds the same batch as one that does not.
        int output = churn ? CHURN_OUTPUT : (int) totalSteps + 64;
        int perSeqBlocks = (PROMPT + output) / BLOCK + 2;
        int blocks = running * perSeqBlocks + 64;
        KvCacheManager kv = KvCacheManager.create(KvCacheConfig.builder().blockSize(BLOCK).numDeviceBlocks(blocks)
                .enablePrefixCaching(true).build());
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(running).maxNumBatchedTokens(Math.max(8192, running))
                .maxQueuedRequests(waiting + running).build();
        VirtualClock clock = new VirtualClock();
        CostModel cost = Accelerators.open("sim:h100/llama-3.1-8b", AcceleratorConfig.builder().clock(clock).build())
                .costModel();
        SchedulingPolicy.Parts parts = SchedulingPolicies.named(policy)
                .assemble(new EngineSetup(cfg, cost, clock, 1 << 30, BLOCK, blocks - 1));
        scheduler = new StepScheduler(cfg, kv, parts.queue(), parts.victims(), parts.composer(), clock, 1 << 30, 0, 1);
        device = new NoOpDevice(scheduler);
        Random rnd = new Random(running);
        SamplingParams sampling = SamplingParams.builder().maxTokens(output).ignoreEos(true).build();
        SloTargets slo = SloTargets.of(Duration.ofSeconds(60), Duration.ofSeconds(10));
        for (int i = 0; i < running + waiting; i++) {
            int[] prompt = NoOpDevice.randomPrompt(rnd, PROMPT);
            InferenceRequest ir = InferenceRequest.withPrompt(prompt).requestId("r" + i).tenant("t" + (i % 16))
                    .sampling(sampling).slo(slo).build();
            scheduler.add(new Request("r" + i, ir, 0, i + 1, i, 0, Long.MAX_VALUE, Long.MAX_VALUE,
                    SequenceListener.NONE));
            if (i + 1 == running) {
                for (int s = 0; s < 64 && scheduler.numRunning() < running; s++) {
                    device.step();
                }
            }
        }
    }

    @TearDown(Level.Trial)
    public void checkBatch() {
        // Churn: requests finish in apply(), so the batch is full only while a step is being planned.
        boolean full = mode.equals("churn") ? scheduler.numRunning() > running * 9 / 10
                : scheduler.numRunning() == running;
        if (scheduler.totalPreemptions() != 0 || !full) {
            throw new IllegalStateException("not comparable: preemptions=" + scheduler.totalPreemptions()
                    + " running=" + scheduler.numRunning() + " (wanted " + running + ")");
        }
    }

    @Benchmark
    @OperationsPerInvocation(STEPS)
    public int step() {
        return device.steps(STEPS);
    }

}
