package dev.baton.scheduler.engine;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Accelerators;
import dev.baton.api.Completion;
import dev.baton.api.FinishReason;
import dev.baton.api.Submission;
import dev.baton.api.admission.Admission;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.FailurePolicy;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Device faults and overload: typed outcomes, bounded memory, no leaked block, and an engine thread that survives. */
class EngineFaultTest {

    private static FaultyAccelerator device(int blocks, long seed) {
        return new FaultyAccelerator(Accelerators.open("sim:h100/llama-3.1-8b",
                AcceleratorConfig.builder().numGpuBlocksOverride(blocks).build()), seed);
    }

    private static InferenceRequest request(Random rnd, int maxPrompt, int maxTokens) {
        int[] prompt = new int[1 + rnd.nextInt(maxPrompt)];
        for (int k = 0; k < prompt.length; k++) {
            prompt[k] = rnd.nextInt(5000);
        }
        return InferenceRequest.withPrompt(prompt).sampling(SamplingParams.greedy(1 + rnd.nextInt(maxTokens))).build();
    }

    @ParameterizedTest(name = "{0}, async={1}")
    @CsvSource({"FAIL, false", "FAIL, true", "REQUEUE, false", "REQUEUE, true"})
    @DisplayName("a device that throws on random steps fails (or requeues) exactly those requests and leaks nothing")
    void randomStepFailures(FailurePolicy policy, boolean async) throws Exception {
        FaultyAccelerator dev = device(300, 7);
        dev.failWithProbability(0.15);
        ThreadedEngine engine = Engines.builder().accelerator(dev)
                .config(EngineConfig.builder().maxNumSeqs(16).maxNumBatchedTokens(256).failurePolicy(policy)
                        .maxDeviceRetries(3).asyncScheduling(async).build())
                .buildThreaded();
        Random rnd = new Random(1);
        List<Submission> subs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            subs.add(engine.submit(request(rnd, 100, 30)).orThrow());
        }
        Map<FinishReason, Integer> reasons = new EnumMap<>(FinishReason.class);
        for (Submission s : subs) {
            Completion c = s.completion().get(60, TimeUnit.SECONDS);
            reasons.merge(c.finishReason(), 1, Integer::sum);
            assertThat(c.finishReason()).isIn(FinishReason.LENGTH, FinishReason.STOP, FinishReason.DEVICE_ERROR);
        }
        assertThat(dev.failures.get()).isPositive();
        assertThat(reasons.getOrDefault(FinishReason.DEVICE_ERROR, 0)).isPositive();
        assertThat(reasons.getOrDefault(FinishReason.LENGTH, 0)).isPositive();

        // The engine thread survived: with faults off, new work completes normally.
        dev.failWithProbability(0);
        Completion after = engine.submit(request(rnd, 50, 10)).orThrow().completion().get(30, TimeUnit.SECONDS);
        assertThat(after.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertQuiescent(engine);
        engine.close();
    }

    @Test
    @DisplayName("a stalled device is detected: live requests fail, new ones are refused, and the engine recovers")
    void stalledDevice() throws Exception {
        FaultyAccelerator dev = device(300, 3);
        ThreadedEngine engine = Engines.builder().accelerator(dev)
                .config(EngineConfig.builder().deviceStallTimeout(Duration.ofMillis(200)).build())
                .buildThreaded();
        Random rnd = new Random(2);
        CountDownLatch release = dev.stallNextStep();
        List<Submission> stuck = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            stuck.add(engine.submit(request(rnd, 50, 20)).orThrow());
        }
        for (Submission s : stuck) {
            Completion c = s.completion().get(30, TimeUnit.SECONDS);
            assertThat(c.finishReason()).isEqualTo(FinishReason.DEVICE_ERROR);
        }
        assertThat(engine.isStalled()).isTrue();
        Admission refused = engine.submit(request(rnd, 10, 5));
        assertThat(refused).isInstanceOf(Admission.Rejected.class);
        assertThat(((Admission.Rejected) refused).reason()).isEqualTo(RejectionReason.DEVICE_UNAVAILABLE);
        assertThat(((Admission.Rejected) refused).rejection().httpStatus()).isEqualTo(503);

        release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (engine.isStalled() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(engine.isStalled()).isFalse();
        Completion after = engine.submit(request(rnd, 50, 10)).orThrow().completion().get(30, TimeUnit.SECONDS);
        assertThat(after.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertQuiescent(engine);
        engine.close();
    }

    @Test
    @DisplayName("10x overload of a small KV cache: typed refusals, a bounded queue, no leaked block")
    void kvExhaustionUnderOverload() throws Exception {
        FaultyAccelerator dev = device(64, 5);
        int maxQueued = 50;
        ThreadedEngine engine = Engines.builder().accelerator(dev)
                .config(EngineConfig.builder().maxNumSeqs(16).maxNumBatchedTokens(256).maxQueuedRequests(maxQueued)
                        .build())
                .buildThreaded();
        Random rnd = new Random(4);
        List<Submission> accepted = new ArrayList<>();
        Map<RejectionReason, Integer> refusals = new EnumMap<>(RejectionReason.class);
        // The cache holds 63 blocks of 16 tokens, about 4 of these requests at full length; offer 10x what the queue
        // and the running batch hold, as fast as possible.
        for (int i = 0; i < 10 * (maxQueued + 16); i++) {
            Admission a = engine.submit(request(rnd, 400, 200));
            if (a instanceof Admission.Accepted acc) {
                accepted.add(acc.submission());
            } else {
                Admission.Rejected r = (Admission.Rejected) a;
                refusals.merge(r.reason(), 1, Integer::sum);
                assertThat(r.rejection().message()).contains("max-num-queued-reqs");
            }
            assertThat(engine.core().admission().queuedRequests()).isLessThanOrEqualTo(maxQueued);
        }
        assertThat(refusals).containsOnlyKeys(RejectionReason.QUEUE_FULL);
        for (Submission s : accepted) {
            assertThat(s.completion().get(60, TimeUnit.SECONDS).finishReason())
                    .isIn(FinishReason.LENGTH, FinishReason.STOP);
        }
        assertThat(engine.core().scheduler().totalPreemptions()).as("KV ran out and requests were preempted")
                .isPositive();
        assertQuiescent(engine);
        engine.close();
    }

    @Test
    @DisplayName("a request that could never fit in KV is refused up front with EXCEEDS_KV_CAPACITY")
    void neverFits() {
        ThreadedEngine engine = Engines.builder().accelerator(device(8, 1)).buildThreaded();
        Admission a = engine.submit(InferenceRequest.withPrompt(new int[100]).maxTokens(100).build());
        assertThat(a).isInstanceOf(Admission.Rejected.class);
        assertThat(((Admission.Rejected) a).reason()).isEqualTo(RejectionReason.EXCEEDS_KV_CAPACITY);
        engine.close();
    }

    static void assertQuiescent(ThreadedEngine engine) throws InterruptedException {
        EngineCore core = engine.core();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((engine.snapshot().running() > 0 || engine.snapshot().waiting() > 0) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        engine.shutdown(dev.baton.api.ShutdownMode.DRAIN).join();
        assertThat(core.scheduler().kv().numFreeBlocks()).as("no leaked block")
                .isEqualTo(core.device().kvLayout().numDeviceBlocks() - 1);
        assertThat(core.admission().queuedRequests()).isZero();
    }
}
