package dev.baton.scheduler.core;

import dev.baton.api.FinishReason;
import dev.baton.api.VirtualClock;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.kv.KvCacheConfig;
import dev.baton.kv.KvCacheManager;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.PreemptionMode;
import dev.baton.scheduler.preemption.VictimSelector;
import dev.baton.scheduler.queue.FcfsQueue;
import dev.baton.scheduler.queue.StrictPriorityQueue;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random workloads with random cancellations through the real scheduler and KV manager, driven step by step (in order
 * or one step ahead). After every step: the token budget and {@code max-num-seqs} hold; no request is lost,
 * duplicated or finished twice; at quiescence every block is free.
 */
class StepSchedulerProperties {

    /** One random scenario: engine knobs, KV size and a workload. */
    record Scenario(int budget, int maxSeqs, int blockSize, int numBlocks, boolean chunked, int threshold,
                    boolean caching, boolean swap, boolean async, boolean priority, long seed, int requests) {
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<Integer> budget = Arbitraries.integers().between(16, 512);
        Arbitrary<Integer> seqs = Arbitraries.integers().between(1, 24);
        Arbitrary<Integer> bs = Arbitraries.of(1, 4, 16);
        Arbitrary<Integer> extraBlocks = Arbitraries.integers().between(0, 200);
        Arbitrary<Boolean> b = Arbitraries.of(true, false);
        Arbitrary<Integer> threshold = Arbitraries.of(0, 0, 8, 64);
        Arbitrary<Long> seed = Arbitraries.longs();
        Arbitrary<Integer> n = Arbitraries.integers().between(1, 40);
        return Combinators.combine(budget, seqs, bs, extraBlocks, b, threshold, b, b).as(
                        (bu, sq, bsz, extra, chunked, th, caching, swap) -> new Object[] {bu, sq, bsz, extra, chunked,
                            th, caching, swap})
                .flatMap(p -> Combinators.combine(b, b, seed, n).as((async, prio, sd, reqs) -> {
                    boolean chunked = (Boolean) p[4];
                    // Without chunked prefill a whole prompt must fit the budget, and the budget bounds the model
                    // length (as the engine builder enforces): prompt (<= 64) + output (<= 24) must fit.
                    int bu = Math.max(chunked ? (Integer) p[0] : Math.max(128, (Integer) p[0]), (Integer) p[1]);
                    int bsz = (Integer) p[2];
                    // KV must fit the largest request (prompt 64 + output 24, three samples) on its own.
                    int minBlocks = 3 * ((64 + 24 + bsz - 1) / bsz + 1) + 2;
                    return new Scenario(bu, (Integer) p[1], bsz, minBlocks + (Integer) p[3], (Boolean) p[4],
                            (Integer) p[5], (Boolean) p[6], (Boolean) p[7], async, prio, sd, reqs);
                }));
    }

    @Property(tries = 300)
    void budgetsHoldAndEveryRequestEndsOnceWithAllBlocksFree(@ForAll("scenarios") Scenario sc) {
        Run run = new Run(sc);
        run.execute();
        assertThat(run.endings).as("every request ends exactly once").hasSize(run.submitted.size());
        for (Map.Entry<String, Integer> e : run.finishCounts.entrySet()) {
            assertThat(e.getValue()).as("finishes of %s", e.getKey()).isEqualTo(run.samples.get(e.getKey()));
        }
        assertThat(run.kv.numFreeBlocks()).as("all blocks free at quiescence").isEqualTo(sc.numBlocks() - 1);
        assertThat(run.kv.usage()).isZero();
        assertThat(run.scheduler.numRunning()).isZero();
        assertThat(run.scheduler.numWaiting()).isZero();
        assertThat(run.scheduler.queuedTokens()).isZero();
    }

    /** Drives a scenario to quiescence. */
    static final class Run implements SequenceListener {
        final Scenario sc;
        final VirtualClock clock = new VirtualClock();
        final KvCacheManager kv;
        final StepScheduler scheduler;
        final Random rnd;
        final List<Request> submitted = new ArrayList<>();
        final Map<String, Integer> samples = new HashMap<>();
        final Map<String, Integer> finishCounts = new HashMap<>();
        final Map<String, FinishReason> endings = new HashMap<>();
        final StepResult result = new StepResult(1000, 0);
        final int maxModelLen;

        Run(Scenario sc) {
            this.sc = sc;
            this.rnd = new Random(sc.seed());
            this.maxModelLen = sc.chunked() ? 4096 : sc.budget();
            EngineConfig cfg = EngineConfig.builder().maxNumBatchedTokens(sc.budget()).maxNumSeqs(sc.maxSeqs())
                    .enableChunkedPrefill(sc.chunked()).longPrefillTokenThreshold(sc.threshold())
                    .enablePrefixCaching(sc.caching()).asyncScheduling(sc.async())
                    .preemptionMode(sc.swap() ? PreemptionMode.SWAP : PreemptionMode.RECOMPUTE).build();
            this.kv = KvCacheManager.create(KvCacheConfig.builder().blockSize(sc.blockSize())
                    .numDeviceBlocks(sc.numBlocks()).numHostBlocks(sc.swap() ? sc.numBlocks() / 2 : 0)
                    .enablePrefixCaching(sc.caching()).build());
            this.scheduler = new StepScheduler(cfg, kv, sc.priority() ? new StrictPriorityQueue() : new FcfsQueue(),
                    sc.priority() ? VictimSelector.lowestPriority() : VictimSelector.lastAdmitted(), clock, maxModelLen,
                    999, 1);
        }

        void execute() {
            int toSubmit = sc.requests();
            ScheduledStep[] steps = {new ScheduledStep(1), new ScheduledStep(1)};
            ScheduledStep inFlight = null;
            int flip = 0;
            for (int step = 0; step < 50_000; step++) {
                if (toSubmit > 0 && rnd.nextInt(3) == 0) {
                    submit();
                    toSubmit--;
                }
                if (!submitted.isEmpty() && rnd.nextInt(12) == 0) {
                    Request victim = submitted.get(rnd.nextInt(submitted.size()));
                    scheduler.abort(victim, FinishReason.CANCELLED);
                }
                ScheduledStep s = scheduler.schedule(steps[flip]);
                flip ^= 1;
                checkStep(s);
                if (sc.async()) {
                    if (inFlight != null) {
                        applyFake(inFlight);
                    }
                    inFlight = s.isEmpty() ? null : s;
                } else if (!s.isEmpty()) {
                    applyFake(s);
                }
                clock.advance(1_000_000);
                if (toSubmit == 0 && inFlight == null && !scheduler.hasWork()) {
                    return;
                }
            }
            throw new AssertionError("no quiescence after 50000 steps: running " + scheduler.numRunning()
                    + ", waiting " + scheduler.numWaiting());
        }

        private void submit() {
            String id = "r" + submitted.size();
            int len = 1 + rnd.nextInt(64);
            int[] prompt = new int[len];
            int family = rnd.nextInt(4);
            for (int i = 0; i < len; i++) {
                // Shared prefixes: the first half of the prompt depends only on the family.
                prompt[i] = i < len / 2 ? family * 7 + i % 5 : rnd.nextInt(900);
            }
            int n = rnd.nextInt(6) == 0 ? 1 + rnd.nextInt(3) : 1;
            int maxTokens = 1 + rnd.nextInt(24);
            SamplingParams sp = SamplingParams.builder().maxTokens(maxTokens).minTokens(rnd.nextInt(maxTokens + 1))
                    .build();
            InferenceRequest ir = InferenceRequest.withPrompt(prompt).requestId(id).sampling(sp).parallelSamples(n)
                    .priority(rnd.nextInt(3)).build();
            Request r = new Request(id, ir, clock.nanoTime(), submitted.size() + 1, rnd.nextLong(), 0, Long.MAX_VALUE,
                    Long.MAX_VALUE, this);
            submitted.add(r);
            samples.put(id, n);
            scheduler.add(r);
        }

        private void checkStep(ScheduledStep s) {
            StepPlan plan = s.plan();
            assertThat(plan.totalTokens()).isLessThanOrEqualTo(sc.budget());
            assertThat(plan.numSeqs()).isLessThanOrEqualTo(sc.maxSeqs());
            assertThat(scheduler.numRunning()).isLessThanOrEqualTo(sc.maxSeqs());
            for (int i = 0; i < plan.numSeqs(); i++) {
                assertThat(plan.numTokens(i)).isPositive();
                assertThat(plan.position(i) + plan.numTokens(i)).isLessThanOrEqualTo(maxModelLen);
                int blocksNeeded = (plan.position(i) + plan.numTokens(i) + sc.blockSize() - 1) / sc.blockSize();
                assertThat(plan.blockTableLength(i, 0)).isGreaterThanOrEqualTo(blocksNeeded);
            }
        }

        private void applyFake(ScheduledStep s) {
            result.reset(s.plan());
            for (int i = 0; i < s.numSeqs(); i++) {
                if (s.plan().samples(i)) {
                    // Token 999 is EOS: a few requests stop early.
                    result.addSampled(i, rnd.nextInt(40) == 0 ? 999 : rnd.nextInt(900));
                }
            }
            scheduler.apply(s, result);
        }

        @Override
        public void tokensAppended(Sequence seq, int from, int count, long nowNanos) {
            assertThat(seq.isFinished()).isFalse();
        }

        @Override
        public void sequenceFinished(Sequence seq, long nowNanos) {
            String id = seq.request().id();
            finishCounts.merge(id, 1, Integer::sum);
            assertThat(finishCounts.get(id)).isLessThanOrEqualTo(samples.get(id));
            if (seq.request().isFinished()) {
                assertThat(endings.put(id, seq.finishReason())).as("request %s ended twice", id).isNull();
            }
        }
    }
}
