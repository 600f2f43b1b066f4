package dev.baton.scheduler.compose;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.StepShape;
import dev.baton.api.VirtualClock;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.api.request.SloTargets;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.EngineSetup;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.SchedulingPolicy;
import dev.baton.scheduler.admission.BasicAdmission;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.policy.FlowQueue;
import dev.baton.scheduler.policy.QueueOrder;
import dev.baton.scheduler.preemption.RunningBatch;
import dev.baton.scheduler.preemption.VictimSelector;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code max-num-partial-prefills}: a waiting head that outranks a running partial prefill takes its slot, and the
 * lower-ranked one pauses instead of holding the more urgent request back.
 */
class SloComposerPartialPrefillTest {

    /** Tokens each request got in each step. */
    static final class Steps extends ForwardingComposer<BatchComposer> {
        final List<Map<String, Integer>> steps = new ArrayList<>();
        final List<Integer> budgetLeft = new ArrayList<>();
        int budget;

        Steps(BatchComposer inner) {
            super(inner);
        }

        @Override
        public int beginStep(long nowNanos, RunningBatch running, int defaultBudget) {
            steps.add(new HashMap<>());
            budget = inner.beginStep(nowNanos, running, defaultBudget);
            budgetLeft.add(budget);
            return budget;
        }

        @Override
        public void scheduled(Sequence seq, int context, int tokens, int drafts) {
            inner.scheduled(seq, context, tokens, drafts);
            steps.get(steps.size() - 1).merge(seq.request().id(), tokens, Integer::sum);
            int last = budgetLeft.size() - 1;
            budgetLeft.set(last, budgetLeft.get(last) - tokens);
        }

        int tokens(int step, String id) {
            return steps.get(step).getOrDefault(id, 0);
        }
    }

    /**
     * An EDF queue and an SLO composer (earliest TTFT deadline ranks first) with isolation: tenant "heavy" exceeds its
     * share, so its prefill chunks are held to the quantum (two decode steps at context 1024), which leaves budget
     * that a lower-ranked prefill could use.
     */
    private static EngineCore engine(int composerPartialLimit, Steps[] out) {
        SchedulingPolicy policy = new SchedulingPolicy() {
            @Override
            public String name() {
                return "edf-isolated";
            }

            @Override
            public Parts assemble(EngineSetup setup) {
                FlowQueue q = FlowQueue.builder().order(QueueOrder.edf()).demoteLate(false).build();
                long quantum = 2 * setup.costModel().stepNanos(new StepShape().addDecode(1024));
                SloComposer c = SloComposer.builder(setup.costModel(), setup.kvCapacityTokens(), setup.blockSize())
                        .maxNumSeqs(setup.config().maxNumSeqs()).maxPartialPrefills(composerPartialLimit)
                        .waitingQueue(q)
                        .isolation(quantum, (t, now) -> t.equals("heavy"), (t, now) -> false).build();
                out[0] = new Steps(c);
                return new Parts(q, out[0], VictimSelector.lowestPriority(), new BasicAdmission());
            }
        };
        return policy.applyTo(Engines.builder().device("sim:h100/llama-3.1-8b")
                .acceleratorConfig(AcceleratorConfig.builder().clock(new VirtualClock()).numGpuBlocksOverride(4000)
                        .build())
                .config(EngineConfig.builder().maxNumSeqs(8).maxNumBatchedTokens(2048).maxNumPartialPrefills(1)
                        .enablePrefixCaching(false).build())).buildCore();
    }

    private int arrivals;

    private Request submit(EngineCore core, String id, String tenant, int prompt, Duration ttft) {
        InferenceRequest ir = InferenceRequest.withPrompt(new int[prompt]).requestId(id).tenant(tenant)
                .sampling(SamplingParams.greedy(4)).slo(SloTargets.of(ttft, null)).build();
        Request r = new Request(id, ir, core.clock().nanoTime(), ++arrivals, 1, 0, Long.MAX_VALUE,
                Long.MAX_VALUE, core);
        core.submit(r);
        return r;
    }

    @Test
    @DisplayName("with max-num-partial-prefills 1, a running low-rank partial prefill pauses in the step where a more urgent head starts as a partial prefill")
    void urgentHeadTakesThePartialPrefillSlot() {
        Steps[] steps = new Steps[1];
        EngineCore core = engine(1, steps);
        Request patient = submit(core, "patient", "light", 6000, Duration.ofSeconds(60));
        core.step();
        assertThat(steps[0].tokens(0, "patient")).as("it starts as a partial prefill").isEqualTo(2048);

        Request urgent = submit(core, "urgent", "heavy", 6000, Duration.ofSeconds(2));
        core.step();
        int chunk = steps[0].tokens(1, "urgent");
        assertThat(chunk).as("the urgent request starts at once, as a partial prefill").isPositive().isLessThan(6000);
        assertThat(steps[0].tokens(1, "patient")).as("the patient one pauses").isZero();
        assertThat(steps[0].budgetLeft.get(1)).as("though budget was left over").isPositive();

        // The urgent prefill keeps the slot until it is done; then the patient one resumes.
        int step = 2;
        while (urgent.sample(0).numComputed() < 6000 && step < 100) {
            core.step();
            int u = steps[0].tokens(step, "urgent");
            int p = steps[0].tokens(step, "patient");
            if (urgent.sample(0).numComputed() < 6000) {
                assertThat(u).as("step %s", step).isPositive();
                assertThat(p).as("step %s: paused while the urgent one is partial", step).isZero();
            }
            step++;
        }
        for (int i = 0; i < 1000 && core.hasWork(); i++) {
            core.step();
        }
        assertThat(core.hasWork()).isFalse();
        assertThat(patient.sample(0).numOutput()).isEqualTo(4);
        assertThat(urgent.sample(0).numOutput()).isEqualTo(4);
        assertThat(urgent.firstTokenNanos()).isLessThan(patient.firstTokenNanos());
    }

    @Test
    @DisplayName("without the handover (no limit known to the composer), the patient prefill keeps the slot and the urgent one waits")
    void withoutTheHandoverTheUrgentHeadWaits() {
        Steps[] steps = new Steps[1];
        EngineCore core = engine(0, steps);
        submit(core, "patient", "light", 6000, Duration.ofSeconds(60));
        core.step();
        submit(core, "urgent", "heavy", 6000, Duration.ofSeconds(2));
        core.step();
        assertThat(steps[0].tokens(1, "patient")).isPositive();
        assertThat(steps[0].tokens(1, "urgent")).isZero();
    }
}
