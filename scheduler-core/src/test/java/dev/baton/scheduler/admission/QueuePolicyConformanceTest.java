package dev.baton.scheduler.admission;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.api.FinishReason;
import dev.baton.api.VirtualClock;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.core.SequenceListener;
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.policy.PolicyOptions;
import dev.baton.scheduler.policy.QueueTimeoutAction;
import dev.baton.scheduler.policy.SchedulingPolicies;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** RTR-4: Triton's policy queue (max queue size, timeouts that only shorten, REJECT vs DELAY). */
class QueuePolicyConformanceTest {
    private static final Duration US = Duration.ofNanos(1_000);

    private static AdmissionContext context(int maxQueued) {
        return new AdmissionContext(new VirtualClock(), 4096, 32_000, 16, 1000, maxQueued, 0, null);
    }

    private static InferenceRequest req(int prompt) {
        return InferenceRequest.withPrompt(new int[prompt]).sampling(SamplingParams.greedy(4)).build();
    }

    @Test
    @DisplayName("RTR-4: with max_queue_size = 2 the 3rd enqueue is refused as unavailable (QUEUE_FULL, 503)")
    void maxQueueSize() {
        AdmissionContext ctx = context(2);
        AdmissionPolicy p = new BasicAdmission();
        assertThat(p.admit(req(10), ctx)).isNull();
        assertThat(p.admit(req(10), ctx)).isNull();
        var third = p.admit(req(10), ctx);
        assertThat(third.reason()).isEqualTo(RejectionReason.QUEUE_FULL);
        assertThat(third.httpStatus()).isEqualTo(503);
        assertThat(third.message()).contains("max-num-queued-reqs 2");
        // A place frees when a queued request starts; then the next one fits.
        p.onStarted(req(10), ctx);
        assertThat(p.admit(req(10), ctx)).isNull();
    }

    @Test
    @DisplayName("RTR-4: a per-request timeout only shortens the default: 100 µs with 50 µs -> 50 µs; with 500 µs -> 100 µs")
    void overrideOnlyShortens() {
        Duration dflt = US.multipliedBy(100);
        assertThat(QueueTimeouts.effective(dflt, US.multipliedBy(50))).isEqualTo(US.multipliedBy(50));
        assertThat(QueueTimeouts.effective(dflt, US.multipliedBy(500))).isEqualTo(US.multipliedBy(100));
        assertThat(QueueTimeouts.effective(dflt, null)).isEqualTo(dflt);
        assertThat(QueueTimeouts.deadline(dflt, US.multipliedBy(50), 1_000)).isEqualTo(1_000 + 50_000);
        assertThat(QueueTimeouts.deadline(dflt, US.multipliedBy(500), 1_000)).isEqualTo(1_000 + 100_000);
        // Deliberate difference from Triton: with no default, a request may still shorten its own wait.
        assertThat(QueueTimeouts.effective(null, US.multipliedBy(50))).isEqualTo(US.multipliedBy(50));
        assertThat(QueueTimeouts.deadline(null, null, 5)).isEqualTo(Long.MAX_VALUE);
    }

    /** Records the order in which requests are first scheduled. */
    private static final class StartOrder implements SequenceListener {
        final List<String> started = new ArrayList<>();

        @Override
        public void requestStarted(Request request, long nowNanos) {
            started.add(request.id());
        }

        @Override
        public void tokensAppended(Sequence seq, int from, int count, long nowNanos) {
        }

        @Override
        public void sequenceFinished(Sequence seq, long nowNanos) {
        }
    }

    private static List<Request> runWithOneSeat(QueueTimeoutAction action, StartOrder order) {
        VirtualClock clock = new VirtualClock();
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(1).maxNumBatchedTokens(256).build();
        Engines.Builder b = Engines.builder().device("sim:h100/llama-3.1-8b")
                .acceleratorConfig(AcceleratorConfig.builder().clock(clock).numGpuBlocksOverride(2000).build())
                .config(cfg);
        SchedulingPolicies.named("priority", PolicyOptions.builder().queueTimeoutAction(action).build()).applyTo(b);
        EngineCore core = b.buildCore();
        // "first" holds the seat for ~20 steps; "expired" can wait 50 ms, far less than that.
        List<Request> rs = new ArrayList<>();
        rs.add(request(core, "first", 0, 20, Long.MAX_VALUE, order));
        rs.add(request(core, "expired", 0, 4, 50_000_000L, order));
        rs.add(request(core, "fresh-1", 0, 4, Long.MAX_VALUE, order));
        rs.add(request(core, "fresh-2", 0, 4, Long.MAX_VALUE, order));
        rs.add(request(core, "lower-level", 1, 4, Long.MAX_VALUE, order));
        for (Request r : rs) {
            core.submit(r);
        }
        for (int i = 0; i < 10_000 && core.hasWork(); i++) {
            core.step();
        }
        assertThat(core.hasWork()).isFalse();
        assertThat(core.admission().queuedRequests()).isZero();
        return rs;
    }

    private static Request request(EngineCore core, String id, int priority, int maxTokens, long queueDeadline,
                                   SequenceListener l) {
        InferenceRequest ir = InferenceRequest.withPrompt(new int[32]).requestId(id).priority(priority)
                .sampling(SamplingParams.greedy(maxTokens)).build();
        assertThat(core.admissionPolicy().admit(ir, core.admission())).isNull();
        Request r = new Request(id, ir, 0, core.admission().queuedRequests(), 1, 0, Long.MAX_VALUE, queueDeadline,
                core);
        r.attach(l);
        return r;
    }

    @Test
    @DisplayName("RTR-4: REJECT -- a request not scheduled by its queue timeout comes back rejected (QUEUE_TIMEOUT)")
    void reject() {
        StartOrder order = new StartOrder();
        List<Request> rs = runWithOneSeat(QueueTimeoutAction.REJECT, order);
        assertThat(rs.get(1).sample(0).finishReason()).isEqualTo(FinishReason.QUEUE_TIMEOUT);
        assertThat(rs.get(1).sample(0).numOutput()).isZero();
        assertThat(order.started).containsExactly("first", "fresh-1", "fresh-2", "lower-level");
    }

    @Test
    @DisplayName("RTR-4: DELAY -- an expired request is served after all non-expired requests of its level")
    void delay() {
        StartOrder order = new StartOrder();
        List<Request> rs = runWithOneSeat(QueueTimeoutAction.DELAY, order);
        assertThat(rs).allSatisfy(r -> assertThat(r.sample(0).finishReason()).isEqualTo(FinishReason.LENGTH));
        // Behind both unexpired requests of priority 0, but still ahead of the lower priority level.
        assertThat(order.started).containsExactly("first", "fresh-1", "fresh-2", "expired", "lower-level");
    }

    @Test
    @DisplayName("RTR-4: DELAY works for FCFS (vllm) and SLO policies too; REJECT is the default")
    void delayEverywhere() {
        for (String policy : List.of("vllm", "sarathi", "slo", "fair")) {
            VirtualClock clock = new VirtualClock();
            Engines.Builder b = Engines.builder().device("sim:h100/llama-3.1-8b")
                    .acceleratorConfig(AcceleratorConfig.builder().clock(clock).numGpuBlocksOverride(2000).build())
                    .config(EngineConfig.builder().maxNumSeqs(1).maxNumBatchedTokens(256).build());
            SchedulingPolicies.named(policy, PolicyOptions.builder().queueTimeoutAction(QueueTimeoutAction.DELAY)
                    .build()).applyTo(b);
            EngineCore core = b.buildCore();
            StartOrder order = new StartOrder();
            Request first = request(core, "first", 0, 20, Long.MAX_VALUE, order);
            Request expired = request(core, "expired", 0, 4, 50_000_000L, order);
            Request fresh = request(core, "fresh", 0, 4, Long.MAX_VALUE, order);
            core.submit(first);
            core.submit(expired);
            core.submit(fresh);
            for (int i = 0; i < 10_000 && core.hasWork(); i++) {
                core.step();
            }
            assertThat(order.started).as(policy).containsExactly("first", "fresh", "expired");
        }
        assertThat(PolicyOptions.defaults().queueTimeoutAction()).isEqualTo(QueueTimeoutAction.REJECT);
    }
}
