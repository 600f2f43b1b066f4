package dev.baton.scheduler.compose;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.StepShape;
import dev.baton.api.VirtualClock;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.api.request.SloTargets;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.preemption.RunningBatch;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The composers on the real engine: what each step is made of. */
class ComposerTest {

    /** One step as the composer saw it: decodes present at the start, and what was scheduled. */
    static final class StepRecord {
        final java.util.Set<Sequence> decoding = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        int decodesPresent;
        int decodesScheduled;
        int prefillTokens;
        int totalTokens;
        long limitNanos = Long.MAX_VALUE;
        final StepShape shape = new StepShape();
    }

    /** Wraps a composer and records every step's composition. */
    static final class Recording extends ForwardingComposer<BatchComposer> {
        final List<StepRecord> steps = new ArrayList<>();
        StepRecord current;

        Recording(BatchComposer inner) {
            super(inner);
        }

        @Override
        public int beginStep(long nowNanos, RunningBatch running, int defaultBudget) {
            current = new StepRecord();
            steps.add(current);
            for (int i = 0; i < running.size(); i++) {
                if (SarathiComposer.isDecode(running.get(i))) {
                    current.decodesPresent++;
                    current.decoding.add(running.get(i));
                }
            }
            int budget = inner.beginStep(nowNanos, running, defaultBudget);
            if (inner instanceof SloComposer slo) {
                current.limitNanos = slo.stepLimitNanos();
            }
            return budget;
        }

        @Override
        public void scheduled(Sequence seq, int context, int tokens, int drafts) {
            inner.scheduled(seq, context, tokens, drafts);
            if (current.decoding.contains(seq)) {
                current.decodesScheduled++;
            } else {
                current.prefillTokens += tokens;
            }
            current.totalTokens += tokens;
            current.shape.addSequence(tokens, context, drafts, context + tokens >= seq.length());
        }
    }

    private static EngineCore core(EngineConfig cfg, int blocks, Recording recording) {
        return Engines.builder().device("sim:h100/llama-3.1-8b")
                .acceleratorConfig(AcceleratorConfig.builder().clock(new VirtualClock()).numGpuBlocksOverride(blocks)
                        .build())
                .config(cfg).composer(() -> recording).buildCore();
    }

    /** Submits {@code n} requests (prompts 100..3000, outputs 8..64) spread over the first steps, runs to the end. */
    private static void workload(EngineCore core, int n, SloTargets slo, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int submitted = 0;
        for (int step = 0; step < 100_000 && (submitted < n || core.hasWork()); step++) {
            if (submitted < n && step % 2 == 0) {
                for (int k = 0; k < 3 && submitted < n; k++) {
                    submitted++;
                    int[] prompt = new int[rnd.nextInt(100, 3001)];
                    for (int t = 0; t < prompt.length; t++) {
                        prompt[t] = rnd.nextInt(32_000);
                    }
                    InferenceRequest ir = InferenceRequest.withPrompt(prompt)
                            .requestId("c" + submitted).sampling(SamplingParams.greedy(rnd.nextInt(8, 65))).slo(slo)
                            .build();
                    assertThat(core.admissionPolicy().admit(ir, core.admission())).isNull();
                    core.submit(new Request("c" + submitted, ir, core.clock().nanoTime(), submitted, 1, 0,
                            Long.MAX_VALUE, Long.MAX_VALUE, core));
                }
            }
            if (core.hasWork()) {
                core.step();
            }
        }
        assertThat(core.hasWork()).isFalse();
        assertThat(core.scheduler().kv().usage()).isZero();
    }

    @Test
    @DisplayName("sarathi: every running decode is in every step (stall-free); prefill fills the fixed budget")
    void sarathiStallFree() {
        Recording rec = new Recording(new SarathiComposer(512));
        EngineCore core = core(EngineConfig.builder().maxNumSeqs(64).maxNumBatchedTokens(8192).build(), 20_000, rec);
        workload(core, 120, SloTargets.NONE, 1);
        int withPrefill = 0;
        for (StepRecord s : rec.steps) {
            assertThat(s.decodesScheduled).isEqualTo(s.decodesPresent);
            assertThat(s.totalTokens).isLessThanOrEqualTo(Math.max(512, s.decodesPresent));
            if (s.prefillTokens > 0 && s.decodesPresent < 512) {
                withPrefill++;
            }
        }
        assertThat(withPrefill).isPositive();
        assertThat(core.scheduler().totalPreemptions()).isZero();
    }

    @Test
    @DisplayName("slo: a step with prefill never exceeds its time limit (TPOT slack), and decodes are never deferred")
    void sloKeepsTheStepWithinItsLimit() {
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(64).maxNumBatchedTokens(8192).build();
        EngineCore probe = core(cfg, 20_000, new Recording(BatchComposer.vllm()));
        CostModel cost = probe.device().costModel();
        SloComposer slo = SloComposer.builder(cost, 20_000L * 16, 16).build();
        Recording rec = new Recording(slo);
        EngineCore core = core(cfg, 20_000, rec);
        workload(core, 150, SloTargets.of(Duration.ofSeconds(5), Duration.ofMillis(40)), 2);
        int limited = 0;
        for (StepRecord s : rec.steps) {
            assertThat(s.decodesScheduled).isEqualTo(s.decodesPresent);
            if (s.limitNanos != Long.MAX_VALUE && s.prefillTokens > 0) {
                limited++;
                assertThat(cost.stepNanos(s.shape)).isLessThanOrEqualTo(s.limitNanos);
            }
        }
        assertThat(limited).isGreaterThan(10);
    }

    @Test
    @DisplayName("slo: requests whose lifetime KV would not fit wait instead of being admitted and preempted later")
    void sloAvoidsPreemption() {
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(64).maxNumBatchedTokens(2048).build();
        // 400 blocks of 16 tokens: about 6 requests of ~1000 tokens over their lifetime.
        EngineCore fcfs = core(cfg, 400, new Recording(BatchComposer.vllm()));
        workload(fcfs, 40, SloTargets.NONE, 3);
        CostModel cost = fcfs.device().costModel();
        Recording rec = new Recording(SloComposer.builder(cost, 400L * 16, 16).build());
        EngineCore slo = core(cfg, 400, rec);
        workload(slo, 40, SloTargets.NONE, 3);
        assertThat(fcfs.scheduler().totalPreemptions()).isPositive();
        assertThat(slo.scheduler().totalPreemptions()).isZero();
    }

    /** A running batch whose KV usage and preemption count the test sets. */
    static final class FakeBatch implements RunningBatch {
        int size = 1;
        double usage;
        long preemptions;

        @Override
        public int size() {
            return size;
        }

        @Override
        public Sequence get(int index) {
            throw new UnsupportedOperationException();
        }

        @Override
        public double kvUsage() {
            return usage;
        }

        @Override
        public long preemptions() {
            return preemptions;
        }
    }

    @Test
    @DisplayName("memory guard: closed from the high KV watermark until the low one, and while preemptions thrash")
    void memoryGuard() {
        MemoryGuard g = new MemoryGuard(BatchComposer.vllm(), 0.9, 0.7, 4, 2);
        FakeBatch b = new FakeBatch();
        b.usage = 0.5;
        g.beginStep(0, b, 100);
        assertThat(g.admitTokens(null, 0, 10, 100)).isEqualTo(10);
        b.usage = 0.92;
        g.beginStep(0, b, 100);
        assertThat(g.admitTokens(null, 0, 10, 100)).isZero();
        assertThat(g.runningTokens(null, 5, 100)).as("running work is never held back").isEqualTo(5);
        b.usage = 0.8;
        g.beginStep(0, b, 100);
        assertThat(g.admitTokens(null, 0, 10, 100)).as("between the marks: still closed").isZero();
        b.usage = 0.7;
        g.beginStep(0, b, 100);
        assertThat(g.admitTokens(null, 0, 10, 100)).isEqualTo(10);
        // 3 preemptions within the 4-step window: over the limit of 2.
        b.preemptions = 3;
        g.beginStep(0, b, 100);
        assertThat(g.isThrashing()).isTrue();
        assertThat(g.admitTokens(null, 0, 10, 100)).isZero();
        b.size = 0;
        g.beginStep(0, b, 100);
        assertThat(g.admitTokens(null, 0, 10, 100)).as("nothing running: never closed").isEqualTo(10);
        b.size = 1;
        for (int i = 0; i < 4; i++) {
            g.beginStep(0, b, 100);
        }
        assertThat(g.isThrashing()).as("the window has passed").isFalse();
        assertThat(g.admitTokens(null, 0, 10, 100)).isEqualTo(10);
    }
}
