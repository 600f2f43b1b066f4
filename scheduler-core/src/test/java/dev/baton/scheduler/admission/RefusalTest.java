package dev.baton.scheduler.admission;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Accelerators;
import dev.baton.accelerator.CostModel;
import dev.baton.api.ShutdownMode;
import dev.baton.api.VirtualClock;
import dev.baton.api.admission.Admission;
import dev.baton.api.admission.Rejection;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.api.request.SloTargets;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.engine.ThreadedEngine;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Every refusal is typed, explained and mapped to an HTTP status; a refused request leaves nothing behind. */
class RefusalTest {
    private static final CostModel COST = Accelerators.open("sim:h100/llama-3.1-8b",
            AcceleratorConfig.builder().clock(new VirtualClock()).build()).costModel();

    private final VirtualClock clock = new VirtualClock(1_000_000_000L);

    private AdmissionContext context(int maxQueued, long maxQueuedTokens) {
        return new AdmissionContext(clock, 4096, 32_000, 16, 1000, maxQueued, maxQueuedTokens, COST);
    }

    private static InferenceRequest.Builder req(int prompt) {
        return InferenceRequest.withPrompt(new int[prompt]).sampling(SamplingParams.greedy(16));
    }

    /** A typed refusal whose message names the limit and says what to do. */
    private static void explained(Rejection r, RejectionReason reason, String... mentions) {
        assertThat(r).as("refused").isNotNull();
        assertThat(r.reason()).isEqualTo(reason);
        assertThat(r.message()).contains(mentions);
        assertThat(r.message()).containsAnyOf("retry", "raise", "lower", "shorten", "loosen", "wait", "use", "send",
                "split");
    }

    private static void nothingReserved(AdmissionContext ctx) {
        assertThat(ctx.queuedRequests()).as("queued requests").isZero();
        assertThat(ctx.queuedTokens()).as("queued tokens").isZero();
    }

    @ParameterizedTest
    @EnumSource(RejectionReason.class)
    @DisplayName("each reason maps to the HTTP status a server returns: the client's fault 4xx, capacity 503")
    void httpStatus(RejectionReason reason) {
        int expected = switch (reason) {
            case INVALID_REQUEST, PROMPT_TOO_LONG -> 400;
            case DUPLICATE_REQUEST_ID -> 409;
            case EXCEEDS_KV_CAPACITY -> 413;
            case TENANT_RATE_LIMITED, TENANT_QUOTA -> 429;
            case QUEUE_FULL, QUEUED_TOKENS_FULL, DEADLINE_UNMEETABLE, SHED_LOW_PRIORITY, KV_PRESSURE,
                 DEVICE_UNAVAILABLE, SHUTTING_DOWN -> 503;
        };
        assertThat(reason.httpStatus()).isEqualTo(expected);
        assertThat(Rejection.of(reason, "why").httpStatus()).isEqualTo(expected);
        assertThat(reason.isRetryableElsewhere()).isEqualTo(expected == 503);
        assertThat(reason.isClientError()).isEqualTo(expected < 500);
    }

    @Test
    @DisplayName("malformed requests: INVALID_REQUEST, PROMPT_TOO_LONG, EXCEEDS_KV_CAPACITY, before any reservation")
    void shape() {
        AdmissionContext ctx = context(10, 0);
        AdmissionPolicy p = AdmissionChain.of(BasicAdmission.shape(), BasicAdmission.queueBounds());
        explained(p.admit(InferenceRequest.withPrompt(1, 99_999).build(), ctx), RejectionReason.INVALID_REQUEST,
                "vocabulary");
        explained(p.admit(req(5000).build(), ctx), RejectionReason.PROMPT_TOO_LONG, "max-model-len 4096");
        explained(p.admit(req(4000).maxTokens(500).build(), ctx), RejectionReason.PROMPT_TOO_LONG, "maxTokens");
        AdmissionContext small = new AdmissionContext(clock, 4096, 32_000, 16, 10, 10, 0, COST);
        explained(p.admit(req(1000).build(), small), RejectionReason.EXCEEDS_KV_CAPACITY, "KV blocks");
        nothingReserved(ctx);
        nothingReserved(small);
    }

    @Test
    @DisplayName("QUEUE_FULL and QUEUED_TOKENS_FULL: the waiting-queue bounds, released when a request starts")
    void queueBounds() {
        AdmissionContext ctx = context(2, 1000);
        AdmissionPolicy p = new BasicAdmission();
        assertThat(p.admit(req(600).build(), ctx)).isNull();
        explained(p.admit(req(600).build(), ctx), RejectionReason.QUEUED_TOKENS_FULL, "max-num-queued-tokens 1000");
        assertThat(p.admit(req(100).build(), ctx)).isNull();
        explained(p.admit(req(1).build(), ctx), RejectionReason.QUEUE_FULL, "max-num-queued-reqs 2");
        assertThat(ctx.queuedRequests()).isEqualTo(2);
        p.onStarted(req(600).build(), ctx);
        p.onEnded(req(100).build(), false, ctx);
        nothingReserved(ctx);
    }

    @Test
    @DisplayName("TENANT_RATE_LIMITED: a request rate with retryAfter; the request passes once that time has passed")
    void requestRate() {
        AdmissionContext ctx = context(100, 0);
        TenantQuotas q = TenantQuotas.builder().tenant("a", TenantLimits.requestRate(2, 2)).build();
        InferenceRequest a = req(10).tenant("a").build();
        assertThat(q.admit(a, ctx)).isNull();
        assertThat(q.admit(a, ctx)).isNull();
        Rejection r = q.admit(a, ctx);
        explained(r, RejectionReason.TENANT_RATE_LIMITED, "tenant 'a'", "2.0/s", "retry after");
        assertThat(r.httpStatus()).isEqualTo(429);
        assertThat(r.retryAfter()).isEqualTo(Duration.ofMillis(500));
        // Other tenants are not affected.
        assertThat(q.admit(req(10).tenant("b").build(), ctx)).isNull();
        clock.advance(r.retryAfter().toNanos() - 1);
        assertThat(q.admit(a, ctx)).isNotNull();
        clock.advance(1);
        assertThat(q.admit(a, ctx)).isNull();
    }

    @Test
    @DisplayName("TENANT_RATE_LIMITED: a token rate counts prompt plus maxTokens; a request over the burst can never pass")
    void tokenRate() {
        AdmissionContext ctx = context(100, 0);
        TenantQuotas q = TenantQuotas.of(TenantLimits.tokenRate(1000, 500));
        InferenceRequest r = req(184).build(); // 184 + 16 = 200 tokens
        assertThat(q.admit(r, ctx)).isNull();
        assertThat(q.admit(r, ctx)).isNull();
        Rejection third = q.admit(r, ctx);
        explained(third, RejectionReason.TENANT_RATE_LIMITED, "token rate", "may use 200");
        assertThat(third.retryAfter()).isEqualTo(Duration.ofMillis(100));
        Rejection huge = q.admit(req(1000).build(), ctx);
        explained(huge, RejectionReason.TENANT_RATE_LIMITED, "token burst 500");
        assertThat(huge.retryAfter()).as("never passes: no retry time").isNull();
    }

    @Test
    @DisplayName("TENANT_QUOTA: requests in flight per tenant, freed when one ends")
    void concurrency() {
        AdmissionContext ctx = context(100, 0);
        TenantQuotas q = TenantQuotas.of(TenantLimits.concurrency(2));
        InferenceRequest r = req(10).tenant("t").build();
        assertThat(q.admit(r, ctx)).isNull();
        assertThat(q.admit(r, ctx)).isNull();
        Rejection third = q.admit(r, ctx);
        explained(third, RejectionReason.TENANT_QUOTA, "2 requests in flight");
        assertThat(third.httpStatus()).isEqualTo(429);
        assertThat(q.inFlight("t")).isEqualTo(2);
        q.onEnded(r, true, ctx);
        assertThat(q.admit(r, ctx)).isNull();
        q.onEnded(r, true, ctx);
        q.onEnded(r, false, ctx);
        assertThat(q.inFlight("t")).isZero();
    }

    @Test
    @DisplayName("TENANT_QUOTA under contention: many threads at once never exceed the bound (lock-free CAS)")
    void concurrencyUnderContention() throws Exception {
        AdmissionContext ctx = context(100_000, 0);
        TenantQuotas q = TenantQuotas.of(TenantLimits.concurrency(7));
        InferenceRequest r = req(10).tenant("t").build();
        AtomicInteger admitted = new AtomicInteger();
        AtomicInteger maxSeen = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 2000; i++) {
                    if (q.admit(r, ctx) == null) {
                        admitted.incrementAndGet();
                        maxSeen.accumulateAndGet(q.inFlight("t"), Math::max);
                        q.onEnded(r, true, ctx);
                    }
                }
            });
            threads.add(th);
            th.start();
        }
        go.countDown();
        for (Thread th : threads) {
            th.join();
        }
        assertThat(maxSeen.get()).isLessThanOrEqualTo(7);
        assertThat(admitted.get()).isPositive();
        assertThat(q.inFlight("t")).isZero();
    }

    @Test
    @DisplayName("DEADLINE_UNMEETABLE: refused at once when the work ahead makes the TTFT target impossible")
    void deadline() {
        AdmissionContext ctx = context(100, 0);
        DeadlineFeasibility p = new DeadlineFeasibility(2048, 256, 1.0);
        InferenceRequest tight = req(1000).slo(SloTargets.of(Duration.ofMillis(500), null)).build();
        assertThat(p.admit(tight, ctx)).as("idle engine").isNull();
        ctx.publishLoad(32, 0.3, 200_000); // 200k prompt tokens waiting: seconds of prefill
        Rejection r = p.admit(tight, ctx);
        explained(r, RejectionReason.DEADLINE_UNMEETABLE, "TTFT target (500 ms)", "200000 prompt tokens are ahead");
        assertThat(r.httpStatus()).isEqualTo(503);
        assertThat(r.retryAfter()).isPositive();
        assertThat(p.admit(req(1000).build(), ctx)).as("no target, nothing to miss").isNull();
        assertThat(p.admit(req(1000).slo(SloTargets.of(Duration.ofSeconds(600), null)).build(), ctx)).isNull();
        Rejection byDeadline = p.admit(req(1000).deadline(Duration.ofMillis(300)).build(), ctx);
        explained(byDeadline, RejectionReason.DEADLINE_UNMEETABLE, "deadline (300 ms)");
        Rejection tpot = p.admit(req(10).slo(SloTargets.of(null, Duration.ofMillis(1))).build(), ctx);
        explained(tpot, RejectionReason.DEADLINE_UNMEETABLE, "TPOT target (1 ms)", "decodes it alone");
    }

    @Test
    @DisplayName("SHED_LOW_PRIORITY: under saturation sheddable priorities are refused, important ones still queue")
    void shedding() {
        AdmissionContext ctx = context(100, 0);
        PriorityShedding p = new PriorityShedding(0, 3, 0.9);
        InferenceRequest low = req(10).priority(5).build();
        assertThat(p.admit(low, ctx)).as("not saturated").isNull();
        for (int i = 0; i < 3; i++) {
            ctx.tryReserve(10);
        }
        explained(p.admit(low, ctx), RejectionReason.SHED_LOW_PRIORITY, "3 requests are waiting", "priority 0 or less");
        assertThat(p.admit(req(10).priority(0).build(), ctx)).isNull();
        AdmissionContext kv = context(100, 0);
        kv.publishLoad(10, 0.95, 0);
        explained(p.admit(low, kv), RejectionReason.SHED_LOW_PRIORITY, "KV usage is 95%");
    }

    @Test
    @DisplayName("KV_PRESSURE: refused from the high watermark until usage falls to the low one (hysteresis)")
    void kvPressure() {
        AdmissionContext ctx = context(100, 0);
        KvPressure p = new KvPressure(0.95, 0.8);
        InferenceRequest r = req(10).build();
        ctx.publishLoad(10, 0.9, 0);
        assertThat(p.admit(r, ctx)).isNull();
        ctx.publishLoad(10, 0.96, 0);
        explained(p.admit(r, ctx), RejectionReason.KV_PRESSURE, "96.0%", "until it falls to 80%");
        ctx.publishLoad(10, 0.9, 0);
        assertThat(p.admit(r, ctx)).as("still above the low mark").isNotNull();
        ctx.publishLoad(10, 0.8, 0);
        assertThat(p.admit(r, ctx)).isNull();
        assertThat(p.isThrottling()).isFalse();
    }

    @Test
    @DisplayName("a chain releases every earlier reservation when a later policy refuses: nothing half-enqueued")
    void chainReleases() {
        AdmissionContext ctx = context(100, 0);
        TenantQuotas quotas = TenantQuotas.of(new TenantLimits(1, 1, 10_000, 10_000, 5));
        AtomicInteger released = new AtomicInteger();
        AdmissionPolicy refuseAll = new AdmissionPolicy() {
            @Override
            public Rejection admit(InferenceRequest request, AdmissionContext c) {
                return Rejection.of(RejectionReason.SHED_LOW_PRIORITY, "always; retry later");
            }

            @Override
            public void release(InferenceRequest request, AdmissionContext c) {
                released.incrementAndGet();
            }

            @Override
            public void onStarted(InferenceRequest request, AdmissionContext c) {
            }

            @Override
            public void onEnded(InferenceRequest request, boolean started, AdmissionContext c) {
            }
        };
        AdmissionChain chain = AdmissionChain.of(BasicAdmission.shape(), quotas, BasicAdmission.queueBounds(),
                refuseAll);
        InferenceRequest r = req(100).tenant("t").build();
        for (int i = 0; i < 5; i++) {
            assertThat(chain.admit(r, ctx).reason()).isEqualTo(RejectionReason.SHED_LOW_PRIORITY);
        }
        nothingReserved(ctx);
        assertThat(quotas.inFlight("t")).isZero();
        assertThat(released.get()).as("the refusing policy itself is not released").isZero();
        // The rate buckets were refunded too: with a burst of 1 request, a chain without the refusal still passes.
        AdmissionChain open = AdmissionChain.of(BasicAdmission.shape(), quotas, BasicAdmission.queueBounds());
        assertThat(open.admit(r, ctx)).isNull();
        assertThat(ctx.queuedRequests()).isEqualTo(1);
        assertThat(quotas.inFlight("t")).isEqualTo(1);
        open.release(r, ctx);
        nothingReserved(ctx);
        assertThat(quotas.inFlight("t")).isZero();
        assertThat(chain.policies()).hasSize(4);
    }

    @Test
    @DisplayName("the threaded engine counts refusals by reason and enqueues nothing; engine-level reasons too")
    void threadedEngine() throws Exception {
        AdmissionChain chain = AdmissionChain.of(BasicAdmission.shape(),
                TenantQuotas.builder().tenant("capped", TenantLimits.concurrency(1)).build(),
                BasicAdmission.queueBounds());
        try (ThreadedEngine engine = Engines.builder().device("sim:h100/llama-3.1-8b")
                // Real time, steps as long as on the device (~10 ms): the first request stays in flight throughout.
                .acceleratorConfig(AcceleratorConfig.builder().numGpuBlocksOverride(2000).option("sim.realtime", "true")
                        .build())
                .config(EngineConfig.builder().maxNumSeqs(4).maxNumBatchedTokens(256).build())
                .admission(chain).buildThreaded()) {
            var first = engine.submit(req(10).tenant("capped").requestId("keep")
                    .sampling(SamplingParams.greedy(20_000)).build());
            assertThat(first.isAccepted()).isTrue();
            Admission second = engine.submit(req(10).tenant("capped").build());
            assertThat(((Admission.Rejected) second).reason()).isEqualTo(RejectionReason.TENANT_QUOTA);
            Admission dup = engine.submit(req(10).requestId("keep").build());
            assertThat(((Admission.Rejected) dup).reason()).isEqualTo(RejectionReason.DUPLICATE_REQUEST_ID);
            assertThat(engine.rejections(RejectionReason.TENANT_QUOTA)).isEqualTo(1);
            assertThat(engine.rejections(RejectionReason.DUPLICATE_REQUEST_ID)).isEqualTo(1);
            first.orThrow().cancel();
            first.orThrow().completion().get();
            // Every reservation made for the three submissions is back: only the cancelled one ever got in.
            assertThat(engine.core().admission().queuedRequests()).isZero();
            engine.shutdown(ShutdownMode.DRAIN).get();
            Admission late = engine.submit(req(10).build());
            assertThat(((Admission.Rejected) late).reason()).isEqualTo(RejectionReason.SHUTTING_DOWN);
            assertThat(((Admission.Rejected) late).rejection().message()).contains("another replica");
        }
    }

    @Test
    @DisplayName("tenant limits refuse nonsense with a message that says what to change")
    void limitsValidation() {
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> TenantLimits.requestRate(1, 0)))
                .hasMessageContaining("burst of at least 1");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> new KvPressure(0.5, 0.9)))
                .hasMessageContaining("low KV watermark");
        assertThat(TenantQuotas.builder().defaults(TenantLimits.concurrency(3)).tenant("x", TenantLimits.UNLIMITED)
                .build().limits("x")).isEqualTo(TenantLimits.UNLIMITED);
    }
}
