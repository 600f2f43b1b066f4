package dev.baton.scheduler.compose;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.StepShape;
import dev.baton.api.VirtualClock;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.api.request.SloTargets;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.EngineSetup;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.SchedulingPolicy;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.core.SequenceListener;
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.policy.FlowQueue;
import dev.baton.scheduler.policy.PolicyOptions;
import dev.baton.scheduler.policy.SchedulingPolicies;
import dev.baton.scheduler.preemption.RunningBatch;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Latency isolation in the {@code fair} policy, on the real engine and the simulated H100 / Llama-3.1-8B in virtual
 * time: a heavy tenant floods, a light tenant sends a request now and then.
 */
class SloComposerIsolationTest {

    /** One planned step, as the composer saw it. */
    static final class StepRecord {
        long at;
        boolean throttled;
        boolean lightRunning;
        boolean lightWaiting;
        boolean heavyWaiting;
        final Set<Sequence> decoding = Collections.newSetFromMap(new IdentityHashMap<>());
        final Set<Sequence> heavyDecodes = Collections.newSetFromMap(new IdentityHashMap<>());
        final Set<Sequence> exempt = Collections.newSetFromMap(new IdentityHashMap<>());
        int heavyDecodesScheduled;
        int exemptScheduled;
        int heavyPrefillTokens;
        int lightPrefillTokens;
        final StepShape shape = new StepShape();
        long predicted;

        boolean lightHasWork() {
            return lightRunning || lightWaiting;
        }

        /** Heavy work the quantum governs: its prefill chunks and its decodes that were not overdue. */
        boolean throttledWork() {
            return heavyPrefillTokens > 0 || heavyDecodesScheduled - exemptScheduled > 0;
        }
    }

    /** The fair policy's own parts, with its composer watched. */
    static final class Watched extends ForwardingComposer<SloComposer> {
        final FlowQueue queue;
        final CostModel cost;
        final List<StepRecord> steps = new ArrayList<>();
        /** For each admission of the heavy tenant while throttled: the decode step of the batch it joins. */
        final List<Long> throttledAdmissionSteps = new ArrayList<>();
        StepRecord current;
        RunningBatch batch;

        Watched(SloComposer inner, FlowQueue queue, CostModel cost) {
            super(inner);
            this.queue = queue;
            this.cost = cost;
        }

        @Override
        public int beginStep(long nowNanos, RunningBatch running, int defaultBudget) {
            finish();
            current = new StepRecord();
            steps.add(current);
            current.at = nowNanos;
            batch = running;
            for (int i = 0; i < running.size(); i++) {
                Sequence s = running.get(i);
                if (SarathiComposer.isDecode(s)) {
                    current.decoding.add(s);
                }
                if (s.tenant().equals(LIGHT)) {
                    current.lightRunning = true;
                } else if (SarathiComposer.isDecode(s)) {
                    current.heavyDecodes.add(s);
                    long tpot = s.request().slo().tpotNanos();
                    if (tpot != Long.MAX_VALUE && nowNanos - s.lastTokenNanos() >= tpot) {
                        current.exempt.add(s);
                    }
                }
            }
            current.lightWaiting = queue.waitingSinceNanos(LIGHT) != Long.MAX_VALUE;
            current.heavyWaiting = queue.waitingSinceNanos(HEAVY) != Long.MAX_VALUE;
            int budget = inner.beginStep(nowNanos, running, defaultBudget);
            current.throttled = inner.throttles(HEAVY);
            return budget;
        }

        @Override
        public int admitTokens(Sequence seq, int computed, int wanted, int budgetLeft) {
            int x = inner.admitTokens(seq, computed, wanted, budgetLeft);
            if (x > 0 && current.throttled && seq.tenant().equals(HEAVY)) {
                // Every running sequence at the context it decodes at, plus this one and the reserved seats.
                StepShape decodeStep = new StepShape();
                for (int i = 0; i < batch.size(); i++) {
                    decodeStep.addDecode(decodeContext(batch.get(i)));
                }
                for (int i = 0; i <= RESERVE_SEATS; i++) {
                    decodeStep.addDecode(decodeContext(seq));
                }
                throttledAdmissionSteps.add(cost.stepNanos(decodeStep));
            }
            return x;
        }

        private static int decodeContext(Sequence s) {
            return SarathiComposer.isDecode(s) ? Math.max(1, s.length())
                    : Math.max(1, s.length() + Math.max(0, s.remainingOutput()) / 2);
        }

        @Override
        public void scheduled(Sequence seq, int context, int tokens, int drafts) {
            inner.scheduled(seq, context, tokens, drafts);
            current.shape.addSequence(tokens, context, drafts, context + tokens >= seq.length());
            if (current.heavyDecodes.contains(seq)) {
                current.heavyDecodesScheduled++;
                if (current.exempt.contains(seq)) {
                    current.exemptScheduled++;
                }
            } else if (current.decoding.contains(seq)) {
                return; // a light decode
            } else if (seq.tenant().equals(HEAVY)) {
                current.heavyPrefillTokens += tokens;
            } else {
                current.lightPrefillTokens += tokens;
            }
        }

        void finish() {
            if (current != null && current.shape.numSeqs() > 0) {
                current.predicted = cost.stepNanos(current.shape);
            }
        }
    }

    static final String HEAVY = "heavy";
    static final String LIGHT = "light";
    /** What the light tenant's requests ask for, unless a scenario says otherwise. */
    static final SloTargets LIGHT_SLO = SloTargets.of(Duration.ofSeconds(1), Duration.ofMillis(50));
    /** The fair policy's default. */
    static final int RESERVE_SEATS = 4;
    /** Far more steps than any of these runs needs: more means the engine stopped making progress. */
    static final int MAX_STEPS = 20_000;

    /** A wrapper policy that assembles {@code fair} and watches its composer. */
    static final class WatchedFair implements SchedulingPolicy {
        final SchedulingPolicy fair;
        final double quantumSteps;
        Watched watched;
        long quantum;

        WatchedFair(PolicyOptions options) {
            this.fair = SchedulingPolicies.named("fair", options);
            this.quantumSteps = options.isolationQuantum() > 0 ? options.isolationQuantum() : 2;
        }

        @Override
        public String name() {
            return "fair-watched";
        }

        @Override
        public Parts assemble(EngineSetup setup) {
            Parts p = fair.assemble(setup);
            watched = new Watched((SloComposer) p.composer(), (FlowQueue) p.queue(), setup.costModel());
            // The policy's quantum (without isolation, the default's, to measure the same steps against).
            quantum = (long) (quantumSteps * setup.costModel().stepNanos(new StepShape().addDecode(1024)));
            return new Parts(p.queue(), watched, p.victims(), p.admission());
        }
    }

    record Submitted(Request request, long[] startedAt) {
        long started() {
            return startedAt[0];
        }
    }

    record Outcome(Scenario scenario, WatchedFair policy, List<Submitted> heavy, List<Submitted> light) {
    }

    /** {@code fair} with the given isolation; without the memory guard, so that its composer is the SloComposer. */
    private static PolicyOptions options(double quantumSteps, Duration backlog) {
        return PolicyOptions.builder().memoryGuard(false, 1, 0, 0, 0)
                .isolation(quantumSteps, Duration.ofSeconds(30), 0.5, backlog).build();
    }

    /** Who sends what: the heavy tenant a burst of requests every 50 ms, the light tenant one now and then. */
    record Scenario(double seconds, int maxNumSeqs, int kvBlocks, int heavyPerBurst, int heavyOutMin,
                    int heavyOutMax, SloTargets heavySlo, long lightEveryNanos, int lightPromptMin,
                    int lightPromptMax, int lightOutMin, int lightOutMax, SloTargets lightSlo) {

        /**
         * 3 heavy requests (prompts of 1500..2500 tokens, 50..150 out, no targets) every 50 ms for 4 s; a light one
         * (800..1200 tokens, 4..8 out, TTFT 1 s and TPOT 50 ms) every 700 ms from 100 ms on, so that it often
         * arrives with nothing of its own running.
         */
        static Scenario sporadicLight() {
            return new Scenario(4, 48, 40_000, 3, 50, 151, SloTargets.NONE, 700_000_000L, 800, 1201, 4, 9, LIGHT_SLO);
        }
    }

    private static Outcome run(PolicyOptions options, long seed) {
        return run(options, Scenario.sporadicLight(), seed);
    }

    private static Outcome run(PolicyOptions options, Scenario sc, long seed) {
        WatchedFair policy = new WatchedFair(options);
        VirtualClock clock = new VirtualClock();
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(sc.maxNumSeqs()).maxNumBatchedTokens(4096)
                .enablePrefixCaching(false).build();
        EngineCore core = policy.applyTo(Engines.builder().device("sim:h100/llama-3.1-8b")
                .acceleratorConfig(AcceleratorConfig.builder().clock(clock).numGpuBlocksOverride(sc.kvBlocks())
                        .build())
                .config(cfg)).buildCore();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Submitted> heavy = new ArrayList<>();
        List<Submitted> light = new ArrayList<>();
        long end = (long) (sc.seconds() * 1e9);
        long nextHeavy = 0;
        long nextLight = 100_000_000L;
        int n = 0;
        while (nextHeavy < end || nextLight < end || core.hasWork()) {
            long now = clock.nanoTime();
            while (nextHeavy < end && nextHeavy <= now) {
                for (int k = 0; k < sc.heavyPerBurst(); k++) {
                    heavy.add(submit(core, ++n, HEAVY, rnd.nextInt(1500, 2501),
                            rnd.nextInt(sc.heavyOutMin(), sc.heavyOutMax()), sc.heavySlo(), nextHeavy));
                }
                nextHeavy += 50_000_000L;
            }
            while (nextLight < end && nextLight <= now) {
                light.add(submit(core, ++n, LIGHT, rnd.nextInt(sc.lightPromptMin(), sc.lightPromptMax()),
                        rnd.nextInt(sc.lightOutMin(), sc.lightOutMax()), sc.lightSlo(), nextLight));
                nextLight += sc.lightEveryNanos();
            }
            if (core.hasWork()) {
                core.step();
                assertThat(policy.watched.steps.size()).as("steps, at %s ms of virtual time", clock.nanoTime() / 1e6)
                        .isLessThan(MAX_STEPS);
            } else {
                clock.advanceTo(Math.min(nextHeavy, nextLight));
            }
        }
        policy.watched.finish();
        return new Outcome(sc, policy, heavy, light);
    }

    private static Submitted submit(EngineCore core, int n, String tenant, int prompt, int out, SloTargets slo,
                                    long arrival) {
        InferenceRequest ir = InferenceRequest.withPrompt(new int[prompt]).requestId("r" + n).tenant(tenant)
                .sampling(SamplingParams.greedy(out)).slo(slo).build();
        Request r = new Request("r" + n, ir, arrival, n, n, 0, Long.MAX_VALUE, Long.MAX_VALUE, core);
        long[] started = {-1};
        r.attach(new SequenceListener() {
            @Override
            public void requestStarted(Request request, long nowNanos) {
                started[0] = nowNanos;
            }

            @Override
            public void tokensAppended(Sequence seq, int from, int count, long nowNanos) {
            }

            @Override
            public void sequenceFinished(Sequence seq, long nowNanos) {
            }
        });
        core.submit(r);
        return new Submitted(r, started);
    }

    /**
     * Checks every step in which the light tenant has work (a request running or waiting): the heavy tenant is
     * throttled; a step that prefills for the light tenant holds none of the heavy tenant's decodes (but the overdue
     * ones); any other step with heavy work in it (prefill chunks, decodes that were not overdue) is predicted to last
     * at most the quantum. Returns {steps checked against the quantum, steps with a light prefill}.
     */
    private static int[] assertIsolated(Outcome o) {
        long quantum = o.policy().quantum;
        int checked = 0;
        int lightPrefills = 0;
        for (StepRecord s : o.policy().watched.steps) {
            if (!s.lightHasWork()) {
                continue;
            }
            assertThat(s.throttled).as("step at %s ms: the light tenant has work", s.at / 1e6).isTrue();
            if (s.lightPrefillTokens > 0) {
                lightPrefills++;
                assertThat(s.heavyDecodesScheduled - s.exemptScheduled)
                        .as("heavy decodes in a step that prefills for the light tenant (at %s ms)", s.at / 1e6)
                        .isZero();
            } else if (s.throttledWork()) {
                checked++;
                assertThat(s.predicted).as("step at %s ms with throttled work", s.at / 1e6)
                        .isLessThanOrEqualTo(quantum);
            }
        }
        return new int[] {checked, lightPrefills};
    }

    @Test
    @DisplayName("while the light tenant has work, the heavy tenant is throttled: steps with its work stay within the quantum, and none of its decodes share a step with a light prefill")
    void throttledStepsStayWithinTheQuantum() {
        Outcome on = run(options(2, Duration.ofSeconds(1)), 1);
        int[] counts = assertIsolated(on);
        assertThat(counts[0]).isGreaterThan(20);
        assertThat(counts[1]).isGreaterThanOrEqualTo(on.light().size());

        // The same arrivals without isolation: long steps while the light tenant waits or runs, and its prefills
        // share their steps with the heavy tenant's whole batch.
        Outcome off = run(options(0, Duration.ofSeconds(1)), 1);
        long quantum = off.policy().quantum;
        int longSteps = 0;
        int sharedPrefills = 0;
        for (StepRecord s : off.policy().watched.steps) {
            assertThat(s.throttled).isFalse();
            if (!s.lightHasWork()) {
                continue;
            }
            if (s.lightPrefillTokens > 0 && s.heavyDecodesScheduled > 0) {
                sharedPrefills++;
            } else if (s.throttledWork() && s.predicted > quantum) {
                longSteps++;
            }
        }
        assertThat(longSteps).isGreaterThan(10);
        assertThat(sharedPrefills).isPositive();
        assertThat(meanTtft(on.light())).isLessThan(meanTtft(off.light()));
    }

    @Test
    @DisplayName("a throttled decode that has waited a whole TPOT target since its last token is never held back")
    void overdueDecodesAreNotHeldBack() {
        // The heavy tenant's requests have a 45 ms TPOT target, the light ones long prompts (2500..3000 tokens): after
        // a step that prefills for the light tenant every heavy decode is overdue, more than the quantum holds.
        Scenario sc = new Scenario(4, 48, 40_000, 3, 50, 151,
                SloTargets.of(Duration.ofSeconds(30), Duration.ofMillis(45)), 700_000_000L, 2500, 3001, 4, 9, LIGHT_SLO);
        Outcome on = run(options(2, Duration.ofSeconds(1)), sc, 1);
        int[] counts = assertIsolated(on);
        assertThat(counts[0]).isGreaterThan(20);
        int overdue = 0;
        int heldBack = 0;
        int pastTheQuantum = 0;
        for (StepRecord s : on.policy().watched.steps) {
            if (!s.throttled) {
                continue;
            }
            assertThat(s.exemptScheduled).as("overdue heavy decodes scheduled at %s ms", s.at / 1e6)
                    .isEqualTo(s.exempt.size());
            overdue += s.exempt.size();
            heldBack += s.heavyDecodes.size() - s.heavyDecodesScheduled;
            if (s.exemptScheduled > 0 && s.predicted > on.policy().quantum) {
                pastTheQuantum++;
            }
        }
        assertThat(overdue).isPositive();
        assertThat(heldBack).as("decodes that took turns").isPositive();
        assertThat(pastTheQuantum).as("steps that the overdue decodes alone took past the quantum").isPositive();
    }

    @Test
    @DisplayName("a light request that cannot be admitted yet (seat gate, KV) does not hold the throttled decodes back: the engine keeps making progress")
    void aRefusedLightRequestDoesNotStallTheEngine() {
        // The heavy tenant's 25 ms TPOT target: the seat gate keeps a light request out while its batch runs.
        Scenario seatGate = new Scenario(4, 48, 40_000, 3, 50, 151,
                SloTargets.of(Duration.ofSeconds(30), Duration.ofMillis(25)), 700_000_000L, 800, 1201, 4, 9, LIGHT_SLO);
        // A small KV cache that the heavy tenant (no targets) fills: a light request's lifetime KV does not fit.
        Scenario kvFull = new Scenario(3, 48, 4_000, 3, 50, 151, SloTargets.NONE, 700_000_000L, 800, 1201, 4, 9,
                LIGHT_SLO);
        // The same with a quantum shorter than one decode step: no throttled decode fits in it.
        List<Outcome> outcomes = List.of(run(options(2, Duration.ofSeconds(1)), seatGate, 1),
                run(options(2, Duration.ofSeconds(1)), kvFull, 1), run(options(0.5, Duration.ofSeconds(1)), kvFull, 1));
        for (Outcome o : outcomes) {
            Scenario sc = o.scenario();
            for (StepRecord s : o.policy().watched.steps) {
                if (!s.decoding.isEmpty()) {
                    assertThat(s.shape.numSeqs()).as("%s: step at %s ms with %s decodes running", sc, s.at / 1e6,
                            s.decoding.size()).isPositive();
                }
            }
            assertThat(o.light()).allSatisfy(l -> assertThat(l.request().sample(0).isFinished()).isTrue());
            assertThat(o.heavy()).allSatisfy(h -> assertThat(h.request().sample(0).isFinished()).isTrue());
        }
    }

    @Test
    @DisplayName("the light tenant's requests start before the heavy requests that arrived earlier and still wait")
    void lightRequestsGoFirst() {
        Outcome on = run(options(2, Duration.ofSeconds(1)), 2);
        int overtakable = 0;
        for (Submitted l : on.light()) {
            long arrived = l.request().arrivalNanos();
            assertThat(l.started()).isNotNegative();
            for (Submitted h : on.heavy()) {
                if (h.request().arrivalNanos() < arrived && h.started() > arrived) {
                    overtakable++;
                    assertThat(h.started()).as("heavy %s vs light %s", h.request().id(), l.request().id())
                            .isGreaterThanOrEqualTo(l.started());
                }
            }
        }
        assertThat(overtakable).as("heavy requests were waiting when light ones arrived").isGreaterThan(50);
    }

    @Test
    @DisplayName("a throttled tenant is admitted only while the batch's decode step with it and the reserved seats fits the quantum")
    void throttledAdmissionFitsTheQuantum() {
        // The heavy tenant has no targets of its own: its sequences count in the decode step all the same. It fills
        // the batch while the light tenant is idle; the light one comes back now and then (short requests, or longer
        // ones that keep it running while the heavy tenant's seats turn over).
        List<Scenario> scenarios = List.of(
                new Scenario(4, 48, 40_000, 3, 50, 151, SloTargets.NONE, 300_000_000L, 800, 1201, 4, 9, LIGHT_SLO),
                new Scenario(4, 48, 40_000, 3, 20, 61, SloTargets.NONE, 500_000_000L, 800, 1201, 20, 41, LIGHT_SLO),
                // Nobody has a TPOT target: the gate holds all the same.
                new Scenario(4, 48, 40_000, 3, 50, 151, SloTargets.NONE, 300_000_000L, 800, 1201, 4, 9,
                        SloTargets.of(Duration.ofSeconds(1), null)));
        int admissions = 0;
        for (Scenario sc : scenarios) {
            Outcome o = run(options(2, Duration.ofSeconds(1)), sc, 1);
            List<Long> steps = o.policy().watched.throttledAdmissionSteps;
            admissions += steps.size();
            assertThat(steps).as("%s", sc).allSatisfy(t -> assertThat(t).isLessThanOrEqualTo(o.policy().quantum));
        }
        assertThat(admissions).as("admissions of the heavy tenant while throttled").isGreaterThan(20);
    }

    @Test
    @DisplayName("between tenants that are both backlogged (backlog threshold 0) nothing is throttled; with a 1 s threshold the light one is protected")
    void bothBackloggedNothingThrottled() {
        int bothWaiting = 0;
        Outcome zero = flood(Duration.ZERO);
        for (StepRecord s : zero.policy().watched.steps) {
            if (s.lightWaiting && s.heavyWaiting) {
                bothWaiting++;
                assertThat(s.throttled).as("step at %s ms", s.at / 1e6).isFalse();
            }
        }
        assertThat(bothWaiting).isGreaterThan(20);
        Outcome second = flood(Duration.ofSeconds(1));
        long throttledWhileBothWait = second.policy().watched.steps.stream()
                .filter(s -> s.lightWaiting && s.heavyWaiting && s.throttled).count();
        assertThat(throttledWhileBothWait).isGreaterThan(10);
    }

    /** Both tenants submit everything at once: 150 heavy and 30 light requests (the light one within its share). */
    private static Outcome flood(Duration backlog) {
        WatchedFair policy = new WatchedFair(options(2, backlog));
        VirtualClock clock = new VirtualClock();
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(16).maxNumBatchedTokens(2048)
                .enablePrefixCaching(false).build();
        EngineCore core = policy.applyTo(Engines.builder().device("sim:h100/llama-3.1-8b")
                .acceleratorConfig(AcceleratorConfig.builder().clock(clock).numGpuBlocksOverride(40_000).build())
                .config(cfg)).buildCore();
        SplittableRandom rnd = new SplittableRandom(3);
        List<Submitted> heavy = new ArrayList<>();
        List<Submitted> light = new ArrayList<>();
        for (int n = 1; n <= 180; n++) {
            boolean isLight = n % 6 == 0;
            Submitted s = submit(core, n, isLight ? LIGHT : HEAVY, rnd.nextInt(500, 1500), rnd.nextInt(10, 40),
                    SloTargets.of(Duration.ofSeconds(30), Duration.ofMillis(100)), 0);
            (isLight ? light : heavy).add(s);
        }
        for (int i = 0; i < 100_000 && core.hasWork(); i++) {
            core.step();
        }
        assertThat(core.hasWork()).isFalse();
        policy.watched.finish();
        return new Outcome(null, policy, heavy, light);
    }

    private static double meanTtft(List<Submitted> requests) {
        return requests.stream().mapToLong(r -> r.request().firstTokenNanos() - r.request().arrivalNanos())
                .average().orElseThrow();
    }
}
