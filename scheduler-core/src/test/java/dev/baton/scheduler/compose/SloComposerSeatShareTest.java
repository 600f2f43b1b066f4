package dev.baton.scheduler.compose;

import dev.baton.accelerator.AcceleratorConfig;
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
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.policy.PolicyOptions;
import dev.baton.scheduler.policy.SchedulingPolicies;
import dev.baton.scheduler.preemption.RunningBatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who holds its share of the running batch ({@link SloComposer#holdsShare}: running sequences times tenants running at
 * least the batch size), asked by the fair queue's yield and by the seat gate at any point of a step.
 */
class SloComposerSeatShareTest {

    /** Asks the composer, after everything it is told about, whether each tenant holds its share, and checks it. */
    static final class Checked extends ForwardingComposer<SloComposer> {
        RunningBatch batch;
        int checks;
        int holding;

        Checked(SloComposer inner) {
            super(inner);
        }

        @Override
        public int beginStep(long nowNanos, RunningBatch running, int defaultBudget) {
            batch = running;
            int budget = inner.beginStep(nowNanos, running, defaultBudget);
            check();
            return budget;
        }

        @Override
        public void scheduled(Sequence seq, int context, int tokens, int drafts) {
            inner.scheduled(seq, context, tokens, drafts);
            check();
        }

        private void check() {
            Map<String, Integer> running = new HashMap<>();
            for (int i = 0; i < batch.size(); i++) {
                running.merge(batch.get(i).tenant(), 1, Integer::sum);
            }
            for (String tenant : new String[] {"a", "b", "c"}) {
                int mine = running.getOrDefault(tenant, 0);
                boolean holds = mine > 0 && (long) mine * running.size() >= batch.size();
                assertThat(inner.holdsShare(tenant)).as("%s with %s of %s running (%s)", tenant, mine, batch.size(),
                        running).isEqualTo(holds);
                checks++;
                if (holds) {
                    holding++;
                }
            }
        }
    }

    @ParameterizedTest(name = "isolation quantum {0}")
    @ValueSource(doubles = {0, 2})
    void holdsShare_counts_each_running_sequence_once_all_through_the_step(double quantumSteps) {
        Checked[] checked = new Checked[1];
        SchedulingPolicy fair = SchedulingPolicies.named("fair", PolicyOptions.builder()
                .memoryGuard(false, 1, 0, 0, 0)
                .isolation(quantumSteps, Duration.ofSeconds(30), 0.5, Duration.ofSeconds(1)).build());
        SchedulingPolicy watched = new SchedulingPolicy() {
            @Override
            public String name() {
                return "fair-checked";
            }

            @Override
            public Parts assemble(EngineSetup setup) {
                Parts p = fair.assemble(setup);
                checked[0] = new Checked((SloComposer) p.composer());
                return new Parts(p.queue(), checked[0], p.victims(), p.admission());
            }
        };
        VirtualClock clock = new VirtualClock();
        EngineCore core = watched.applyTo(Engines.builder().device("sim:h100/llama-3.1-8b")
                .acceleratorConfig(AcceleratorConfig.builder().clock(clock).numGpuBlocksOverride(20_000).build())
                .config(EngineConfig.builder().maxNumSeqs(12).maxNumBatchedTokens(1024).enablePrefixCaching(false)
                        .build())).buildCore();
        SplittableRandom rnd = new SplittableRandom(11);
        for (int n = 1; n <= 90; n++) {
            String tenant = n % 5 == 0 ? "c" : n % 3 == 0 ? "b" : "a";
            InferenceRequest ir = InferenceRequest.withPrompt(new int[rnd.nextInt(50, 600)]).requestId("s" + n)
                    .tenant(tenant).sampling(SamplingParams.greedy(rnd.nextInt(5, 60)))
                    .slo(SloTargets.of(Duration.ofSeconds(60), Duration.ofMillis(100))).build();
            core.submit(new Request("s" + n, ir, clock.nanoTime(), n, n, 0, Long.MAX_VALUE, Long.MAX_VALUE, core));
            if (n % 3 == 0) {
                core.step();
            }
        }
        for (int i = 0; i < 100_000 && core.hasWork(); i++) {
            core.step();
        }
        assertThat(core.hasWork()).isFalse();
        assertThat(checked[0].checks).isGreaterThan(1000);
        assertThat(checked[0].holding).isPositive().isLessThan(checked[0].checks);
    }
}
