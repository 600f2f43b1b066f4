package dev.baton.scheduler.policy;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.api.VirtualClock;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.api.request.SloTargets;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.EngineSetup;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.SchedulingPolicy;
import dev.baton.scheduler.admission.AdmissionChain;
import dev.baton.scheduler.admission.DeadlineFeasibility;
import dev.baton.scheduler.admission.TenantLimits;
import dev.baton.scheduler.admission.TenantQuotas;
import dev.baton.scheduler.compose.MemoryGuard;
import dev.baton.scheduler.compose.SarathiComposer;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.queue.FcfsQueue;
import dev.baton.scheduler.queue.StrictPriorityQueue;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The policy registry that benchmarks and trace replay select policies from. */
class SchedulingPoliciesTest {

    private static Engines.Builder builder(EngineConfig cfg) {
        return Engines.builder().device("sim:h100/llama-3.1-8b")
                .acceleratorConfig(AcceleratorConfig.builder().clock(new VirtualClock()).numGpuBlocksOverride(4000)
                        .build())
                .config(cfg);
    }

    @Test
    @DisplayName("the registry knows vllm, priority, sarathi, slo and fair, case-insensitively, and lists them on a typo")
    void names() {
        assertThat(SchedulingPolicies.names()).containsExactly("vllm", "priority", "sarathi", "slo", "fair");
        assertThat(SchedulingPolicies.named("SLO").name()).isEqualTo("slo");
        for (String n : SchedulingPolicies.names()) {
            assertThat(SchedulingPolicies.describe(n)).isNotBlank();
        }
        assertThatThrownBy(() -> SchedulingPolicies.named("fifo"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'fifo'").hasMessageContaining("vllm, priority, sarathi, slo, fair");
    }

    @Test
    @DisplayName("each policy assembles its own parts, fresh for every engine")
    void parts() {
        EngineConfig cfg = EngineConfig.builder().build();
        EngineCore probe = builder(cfg).buildCore();
        EngineSetup setup = new EngineSetup(cfg, probe.device().costModel(), probe.clock(), 8192, 16, 3999);
        SchedulingPolicy.Parts vllm = SchedulingPolicies.named("vllm").assemble(setup);
        assertThat(vllm.queue()).isInstanceOf(FcfsQueue.class);
        assertThat(SchedulingPolicies.named("priority").assemble(setup).queue())
                .isInstanceOf(StrictPriorityQueue.class);
        assertThat(SchedulingPolicies.named("sarathi", PolicyOptions.builder().sarathiTokenBudget(512).build())
                .assemble(setup).composer()).isInstanceOfSatisfying(SarathiComposer.class,
                        c -> assertThat(c.tokenBudget()).isEqualTo(512));
        SchedulingPolicy.Parts slo = SchedulingPolicies.named("slo").assemble(setup);
        assertThat(slo.queue()).isInstanceOf(FlowQueue.class);
        assertThat(slo.composer()).isInstanceOf(MemoryGuard.class);
        assertThat(((AdmissionChain) slo.admission()).policies()).anyMatch(p -> p instanceof DeadlineFeasibility);
        SchedulingPolicy.Parts fair = SchedulingPolicies.named("fair", PolicyOptions.builder()
                .tenantWeight("gold", 3).defaultTenantLimits(TenantLimits.concurrency(10)).build()).assemble(setup);
        assertThat(((FlowQueue) fair.queue()).counters().weight("gold")).isEqualTo(3);
        assertThat(((AdmissionChain) fair.admission()).policies()).anyMatch(p -> p instanceof TenantQuotas);
        SchedulingPolicy.Parts again = SchedulingPolicies.named("fair").assemble(setup);
        assertThat(again.queue()).isNotSameAs(fair.queue());
        assertThat(again.composer()).isNotSameAs(fair.composer());
    }

    @Test
    @DisplayName("a part set on the builder after the policy overrides that part only")
    void builderOverrides() {
        EngineCore core = SchedulingPolicies.named("slo").applyTo(builder(EngineConfig.builder().build()))
                .queue(FcfsQueue::new).buildCore();
        assertThat(core.scheduler().waitingQueue()).isInstanceOf(FcfsQueue.class);
        assertThat(core.admissionPolicy()).isInstanceOf(AdmissionChain.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"vllm", "priority", "sarathi", "slo", "fair"})
    @DisplayName("every policy serves a mixed workload to the end and leaves no block or reservation behind")
    void servesAndCleansUp(String name) {
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(32).maxNumBatchedTokens(1024).build();
        EngineCore core = SchedulingPolicies.named(name, PolicyOptions.builder().tenantWeight("b", 2).build())
                .applyTo(builder(cfg)).buildCore();
        SplittableRandom rnd = new SplittableRandom(5);
        int admitted = 0;
        for (int i = 0; i < 60; i++) {
            int[] prompt = new int[rnd.nextInt(16, 1500)];
            for (int t = 0; t < prompt.length; t++) {
                prompt[t] = rnd.nextInt(1000);
            }
            InferenceRequest ir = InferenceRequest.withPrompt(prompt).requestId("m" + i).tenant(i % 3 == 0 ? "a" : "b")
                    .priority(i % 4 == 0 ? 1 : 0).sampling(SamplingParams.greedy(rnd.nextInt(1, 40)))
                    .slo(SloTargets.of(Duration.ofSeconds(30), Duration.ofMillis(200))).parallelSamples(i % 7 == 0 ? 2 : 1)
                    .build();
            var refused = core.admissionPolicy().admit(ir, core.admission());
            if (refused != null) {
                assertThat(refused.reason()).isEqualTo(RejectionReason.DEADLINE_UNMEETABLE);
                continue;
            }
            admitted++;
            core.submit(new Request("m" + i, ir, core.clock().nanoTime(), i, i, 0, Long.MAX_VALUE, Long.MAX_VALUE,
                    core));
            core.step();
        }
        for (int i = 0; i < 100_000 && core.hasWork(); i++) {
            core.step();
        }
        assertThat(admitted).isPositive();
        assertThat(core.hasWork()).isFalse();
        assertThat(core.finishedRequests()).isEqualTo(admitted);
        assertThat(core.scheduler().kv().usage()).isZero();
        assertThat(core.admission().queuedRequests()).isZero();
        assertThat(core.admission().queuedTokens()).isZero();
    }
}
