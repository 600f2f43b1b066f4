package dev.baton.scheduler.admission;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Accelerators;
import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.StepShape;
import dev.baton.api.VirtualClock;
import dev.baton.api.admission.Rejection;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.api.request.SloTargets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;
import static org.assertj.core.api.Assertions.within;

/**
 * Early rejection on a predicted TTFT ({@link DeadlineFeasibility}): the prediction from the measured prefill
 * throughput and the scheduling lag, the admission test against {@code margin x target}, the conformal confidence
 * margin learnt from start times, and the cost reservation of requests costlier than the average.
 */
class DeadlineFeasibilityTest {
    private static final CostModel COST = Accelerators.open("sim:h100/llama-3.1-8b",
            AcceleratorConfig.builder().clock(new VirtualClock()).build()).costModel();
    private static final int STEP_TOKENS = 2048;
    private static final long MS = 1_000_000L;
    /** An idle engine's step: one full chunk of prefill, nothing else. */
    private static final long FULL_STEP = COST.stepNanos(new StepShape().addSequence(STEP_TOKENS, 0, 0, true));
    /** The measured throughput {@link #measure()} sets up: 1000 prompt tokens per 20 ms step. */
    private static final double RATE = 5e-5;

    private final VirtualClock clock = new VirtualClock(1_000_000_000L);
    private final AdmissionContext ctx = new AdmissionContext(clock, 4096, 32_000, 16, 1000, 100, 0, COST);

    private static InferenceRequest req(int prompt, int maxTokens, Duration ttft) {
        return InferenceRequest.withPrompt(new int[prompt]).sampling(SamplingParams.greedy(maxTokens))
                .slo(SloTargets.of(ttft, null)).build();
    }

    private static InferenceRequest req(int prompt, Duration ttft) {
        return req(prompt, 16, ttft);
    }

    private static DeadlineFeasibility policy(double margin, double confidence, boolean costAware,
                                              boolean oneStepAhead) {
        return new DeadlineFeasibility(STEP_TOKENS, 256, margin, confidence, costAware, 1.0, oneStepAhead);
    }

    /** Six seconds of saturated steps of 1000 prompt tokens per 20 ms: a measured rate of {@link #RATE}. */
    private void measure() {
        for (int i = 0; i <= 300; i++) {
            clock.advance(20 * MS);
            ctx.recordPrefill(clock.nanoTime(), 1000, true);
        }
        assertThat(ctx.prefillTokensPerNano()).isCloseTo(RATE, offset(RATE * 1e-9));
    }

    private static String ms(long nanos) {
        return (nanos / MS) + " ms";
    }

    // ------------------------------------------------------------------ the prediction

    @Test
    @DisplayName("wait = ahead / measured rate + lag: 1.5 steps planning one step ahead, 0.5 in order")
    void waitFromMeasuredRateAndLag() {
        measure();
        ctx.publishLoad(0, 0, 50_000);
        InferenceRequest r = req(1000, Duration.ofSeconds(5));
        DeadlineFeasibility.Prediction ahead = policy(1.0, 0, false, true).predict(r, ctx);
        DeadlineFeasibility.Prediction inOrder = policy(1.0, 0, false, false).predict(r, ctx);
        long drain = (long) (50_000 / ctx.prefillTokensPerNano());
        assertThat(drain).as("50k tokens at 50k tokens/s").isCloseTo(1_000_000_000L, within(1000L));
        assertThat(ahead.aheadTokens()).isEqualTo(50_000);
        assertThat(ahead.tokensPerNano()).as("the measured rate, not the cost model's")
                .isEqualTo(ctx.prefillTokensPerNano());
        assertThat(ahead.waitNanos()).isEqualTo(drain + (long) (1.5 * FULL_STEP));
        assertThat(inOrder.waitNanos()).isEqualTo(drain + (long) (0.5 * FULL_STEP));
        assertThat(ahead.waitNanos() - inOrder.waitNanos()).as("one step more").isCloseTo(FULL_STEP, within(1L));
        assertThat(ahead.ttftNanos()).isEqualTo(ahead.waitNanos() + ahead.ownNanos());
        assertThat(ahead.marginNanos()).isZero();
        assertThat(ahead.reserveNanos()).isZero();
    }

    @Test
    @DisplayName("own prefill = ceil(prompt / chunk) x step; the running decodes take seats from the chunk")
    void ownPrefillInChunks() {
        measure();
        DeadlineFeasibility p = policy(1.0, 0, false, true);
        assertThat(p.predict(req(2048, Duration.ofSeconds(5)), ctx).ownNanos()).isEqualTo(FULL_STEP);
        assertThat(p.predict(req(2049, Duration.ofSeconds(5)), ctx).ownNanos()).isEqualTo(2 * FULL_STEP);
        assertThat(p.predict(req(5000, Duration.ofSeconds(5)), ctx).ownNanos()).isEqualTo(3 * FULL_STEP);
        // 32 decodes at a mean context of 0.3 x 1000 blocks x 16 tokens / 32 = 150: chunks of 2048 - 32 tokens.
        ctx.publishLoad(32, 0.3, 0);
        StepShape busy = new StepShape();
        for (int i = 0; i < 32; i++) {
            busy.addDecode(150);
        }
        long busyStep = COST.stepNanos(busy.addSequence(STEP_TOKENS - 32, 0, 0, true));
        assertThat(p.predict(req(4032, Duration.ofSeconds(5)), ctx).ownNanos()).isEqualTo(2 * busyStep);
        assertThat(p.predict(req(4033, Duration.ofSeconds(5)), ctx).ownNanos()).isEqualTo(3 * busyStep);
    }

    @Test
    @DisplayName("a TPOT target caps the chunk: the largest whose step fits it, so a prompt takes more, shorter steps")
    void tpotCapsTheChunk() {
        long tpot = 30 * MS;
        int chunk = DeadlineFeasibility.largestChunk(COST, new StepShape(), STEP_TOKENS, tpot);
        long step = COST.stepNanos(new StepShape().addSequence(chunk, 0, 0, true));
        assertThat(chunk).isBetween(1, STEP_TOKENS - 1);
        assertThat(step).isLessThanOrEqualTo(tpot);
        assertThat(COST.stepNanos(new StepShape().addSequence(chunk + 1, 0, 0, true))).isGreaterThan(tpot);
        InferenceRequest r = InferenceRequest.withPrompt(new int[5000]).sampling(SamplingParams.greedy(16))
                .slo(SloTargets.of(Duration.ofSeconds(5), Duration.ofNanos(tpot))).build();
        DeadlineFeasibility.Prediction pr = policy(1.0, 0, false, true).predict(r, ctx);
        assertThat(pr.ownNanos()).isEqualTo((long) Math.ceil(5000.0 / chunk) * step);
        assertThat(pr.tokensPerNano()).as("no measurement yet: the cost model's chunk per step")
                .isEqualTo((double) chunk / step);
    }

    @Test
    @DisplayName("an idle engine predicts no wait beyond the lag, measured rate or not")
    void idleEngineWaitsOnlyTheLag() {
        DeadlineFeasibility p = policy(1.0, 0, false, true);
        InferenceRequest r = req(1000, Duration.ofSeconds(1));
        DeadlineFeasibility.Prediction cold = p.predict(r, ctx);
        assertThat(cold.aheadTokens()).isZero();
        assertThat(cold.tokensPerNano()).as("the cost model's rate").isEqualTo((double) STEP_TOKENS / FULL_STEP);
        assertThat(cold.waitNanos()).isEqualTo((long) (1.5 * FULL_STEP));
        measure();
        ctx.publishLoad(0, 0, 0);
        DeadlineFeasibility.Prediction warm = p.predict(r, ctx);
        assertThat(warm.tokensPerNano()).isEqualTo(ctx.prefillTokensPerNano());
        assertThat(warm.waitNanos()).isEqualTo((long) (1.5 * FULL_STEP));
        assertThat(warm.ttftNanos()).isEqualTo((long) (1.5 * FULL_STEP) + FULL_STEP);
    }

    @Test
    @DisplayName("the tokens ahead are the larger of the admitted-not-started reservations and the engine's backlog")
    void aheadIsReservationsOrBacklog() {
        DeadlineFeasibility p = policy(1.0, 0, false, true);
        InferenceRequest r = req(1000, Duration.ofSeconds(1));
        assertThat(ctx.tryReserve(30_000)).isNull();
        ctx.publishLoad(0, 0, 10_000);
        assertThat(p.predict(r, ctx).aheadTokens()).isEqualTo(30_000);
        ctx.publishLoad(0, 0, 40_000);
        assertThat(p.predict(r, ctx).aheadTokens()).isEqualTo(40_000);
    }

    // ------------------------------------------------------------------ the admission test

    @Test
    @DisplayName("admits when the prediction fits margin x target, to the nanosecond; refuses past it")
    void admitsUpToTheTarget() {
        measure();
        ctx.publishLoad(0, 0, 20_000);
        DeadlineFeasibility p = policy(1.0, 0, false, true);
        long ttft = p.predict(req(1000, Duration.ofSeconds(1)), ctx).ttftNanos();
        assertThat(p.admit(req(1000, Duration.ofNanos(ttft)), ctx)).isNull();
        Rejection late = p.admit(req(1000, Duration.ofNanos(ttft - 1)), ctx);
        assertThat(late).isNotNull();
        assertThat(late.retryAfter()).as("over by one nanosecond").isEqualTo(Duration.ofNanos(1));
        // margin 2: twice the target is allowed
        assertThat(policy(2.0, 0, false, true).admit(req(1000, Duration.ofNanos(ttft / 2 + 1)), ctx)).isNull();
    }

    @Test
    @DisplayName("a refusal names the prediction, the target, the work ahead, the rate, the lag and its own prefill")
    void refusalNamesTheNumbers() {
        measure();
        ctx.publishLoad(0, 0, 20_000);
        InferenceRequest r = req(1000, Duration.ofMillis(600));
        DeadlineFeasibility.Prediction pr = policy(0.9, 0, false, true).predict(r, ctx);
        long limit = (long) (0.9 * 600 * MS);
        assertThat(pr.ttftNanos()).as("400 ms of drain, 1.5 steps of lag, one step of its own")
                .isBetween(limit + 1, 600 * MS);
        assertThat(policy(1.0, 0, false, true).admit(r, ctx)).as("fits the target itself").isNull();
        Rejection no = policy(0.9, 0, false, true).admit(r, ctx);
        assertThat(no).isNotNull();
        assertThat(no.reason()).isEqualTo(RejectionReason.DEADLINE_UNMEETABLE);
        assertThat(no.httpStatus()).isEqualTo(503);
        assertThat(no.message()).contains("predicted after " + ms(pr.ttftNanos()), "TTFT target (600 ms)",
                "20000 prompt tokens are ahead of it at about 50000 tokens/s",
                "(" + ms(pr.waitNanos()) + " with the scheduling lag)",
                ms(pr.ownNanos()) + " for its own 1000-token prompt", "retry later");
        assertThat(no.message()).doesNotContain("prediction error", "kept for the requests after it");
        assertThat(no.retryAfter()).isEqualTo(Duration.ofNanos(pr.ttftNanos() - limit));
    }

    @Test
    @DisplayName("a TPOT target below the step that decodes the request alone is refused, even on an idle engine")
    void tpotBelowASingleDecode() {
        long shortCtx = COST.stepNanos(new StepShape().addDecode(10));
        long longCtx = COST.stepNanos(new StepShape().addDecode(1000));
        long tpot = 10 * MS;
        assertThat(shortCtx).isLessThanOrEqualTo(tpot);
        assertThat(longCtx).isGreaterThan(tpot);
        DeadlineFeasibility p = policy(1.0, 0, false, true);
        InferenceRequest shortPrompt = InferenceRequest.withPrompt(new int[10])
                .slo(SloTargets.of(null, Duration.ofNanos(tpot))).build();
        InferenceRequest longPrompt = InferenceRequest.withPrompt(new int[1000])
                .slo(SloTargets.of(Duration.ofSeconds(10), Duration.ofNanos(tpot))).build();
        assertThat(p.admit(shortPrompt, ctx)).isNull();
        Rejection no = p.admit(longPrompt, ctx);
        assertThat(no).isNotNull();
        assertThat(no.reason()).isEqualTo(RejectionReason.DEADLINE_UNMEETABLE);
        assertThat(no.message()).contains("TPOT target (10 ms)", "decodes it alone (" + ms(longCtx),
                "loosen the TPOT target");
    }

    // ------------------------------------------------------------------ the confidence margin

    /** A load at which a 1000-token prompt with a 1 s target is predicted within it, by less than 175 ms. */
    private DeadlineFeasibility.Prediction nearTarget(DeadlineFeasibility p) {
        measure();
        ctx.publishLoad(0, 0, 35_000); // 700 ms of drain
        DeadlineFeasibility.Prediction pr = p.predict(req(1000, Duration.ofSeconds(1)), ctx);
        assertThat(pr.ttftNanos()).isBetween(825 * MS, 1000 * MS);
        assertThat(1000 * MS - pr.waitNanos()).as("room for starts up to 181 ms late before the target")
                .isGreaterThan(181 * MS);
        return pr;
    }

    /**
     * Admits 64 requests at the current load, then starts request i {@code 150 - 32 + i} ms after its predicted start:
     * late by 150 ms on average; sorted, the 0.9 quantile (index 57) is 175 ms, the maximum 181 ms.
     */
    private void startLate(DeadlineFeasibility p, long predictedWait) {
        List<InferenceRequest> admitted = new ArrayList<>();
        long t0 = clock.nanoTime();
        for (int i = 0; i < DeadlineFeasibility.SAMPLES; i++) {
            InferenceRequest r = req(1000, Duration.ofSeconds(1));
            assertThat(p.admit(r, ctx)).as("admitted before any error is known").isNull();
            admitted.add(r);
        }
        for (int i = 0; i < admitted.size(); i++) {
            clock.advanceTo(t0 + predictedWait + (150 - 32 + i) * MS);
            p.onStarted(admitted.get(i), ctx);
        }
    }

    @Test
    @DisplayName("starts later than predicted by ~150 ms make the margin their 0.9 quantile, and a fitting request "
            + "is then refused")
    void confidenceMarginFromLateStarts() {
        DeadlineFeasibility p = policy(1.0, 0.9, false, true);
        DeadlineFeasibility.Prediction before = nearTarget(p);
        assertThat(p.errorMarginNanos()).isZero();
        startLate(p, before.waitNanos());
        assertThat(p.errorMarginNanos()).as("the 58th of 64 errors, not the mean (149.5) nor the max (181)")
                .isEqualTo(175 * MS);
        DeadlineFeasibility.Prediction after = p.predict(req(1000, Duration.ofSeconds(1)), ctx);
        assertThat(after.ttftNanos()).as("the load is the same").isEqualTo(before.ttftNanos());
        assertThat(after.marginNanos()).isEqualTo(175 * MS);
        Rejection no = p.admit(req(1000, Duration.ofSeconds(1)), ctx);
        assertThat(no).isNotNull();
        assertThat(no.message()).contains("175 ms of measured prediction error");
        assertThat(p.admit(req(1000, Duration.ofSeconds(2)), ctx)).as("a looser target still fits").isNull();
    }

    @Test
    @DisplayName("with confidence 0 the same late starts leave the margin at 0 and the request admitted")
    void noConfidenceNoMargin() {
        DeadlineFeasibility p = policy(1.0, 0, false, true);
        DeadlineFeasibility.Prediction before = nearTarget(p);
        startLate(p, before.waitNanos());
        assertThat(p.errorMarginNanos()).isZero();
        assertThat(p.admit(req(1000, Duration.ofSeconds(1)), ctx)).isNull();
    }

    @Test
    @DisplayName("only requests predicted at least half-way to their target measure the error: at low load none does")
    void lowLoadMeasuresNothing() {
        DeadlineFeasibility p = policy(1.0, 0.9, false, true);
        long wait = nearTarget(p).waitNanos();
        ctx.publishLoad(0, 0, 0);
        InferenceRequest idle = req(1000, Duration.ofSeconds(1));
        assertThat(p.predict(idle, ctx).ttftNanos()).isLessThan(500 * MS);
        assertThat(p.admit(idle, ctx)).isNull();
        clock.advance(900 * MS);
        p.onStarted(idle, ctx);
        assertThat(p.errorMarginNanos()).isZero();
        // The same kind of lateness on a request admitted near its target is measured.
        ctx.publishLoad(0, 0, 35_000);
        InferenceRequest near = req(1000, Duration.ofSeconds(1));
        assertThat(p.admit(near, ctx)).isNull();
        clock.advance(wait + 100 * MS);
        p.onStarted(near, ctx);
        assertThat(p.errorMarginNanos()).isEqualTo(100 * MS);
    }

    @Test
    @DisplayName("a start past the target is censored there: the error counts up to the target, not the stall")
    void lateStartsAreCensoredAtTheTarget() {
        DeadlineFeasibility p = policy(1.0, 0.9, false, true);
        long wait = nearTarget(p).waitNanos();
        InferenceRequest r = req(1000, Duration.ofSeconds(1));
        assertThat(p.admit(r, ctx)).isNull();
        clock.advance(30_000 * MS); // a 30 s stall
        p.onStarted(r, ctx);
        assertThat(p.errorMarginNanos()).isEqualTo(1000 * MS - wait);
    }

    @Test
    @DisplayName("a request released or ended before it started leaves no error sample")
    void releasedRequestsLeaveNoSample() {
        DeadlineFeasibility p = policy(1.0, 0.9, false, true);
        long wait = nearTarget(p).waitNanos();
        InferenceRequest released = req(1000, Duration.ofSeconds(1));
        InferenceRequest ended = req(1000, Duration.ofSeconds(1));
        InferenceRequest kept = req(1000, Duration.ofSeconds(1));
        assertThat(p.admit(released, ctx)).isNull();
        assertThat(p.admit(ended, ctx)).isNull();
        assertThat(p.admit(kept, ctx)).isNull();
        p.release(released, ctx);
        p.onEnded(ended, false, ctx);
        clock.advance(wait + 150 * MS);
        p.onStarted(released, ctx);
        p.onStarted(ended, ctx);
        assertThat(p.errorMarginNanos()).isZero();
        p.onStarted(kept, ctx);
        assertThat(p.errorMarginNanos()).isEqualTo(150 * MS);
        p.onStarted(kept, ctx); // a second start of the same request is not a second sample
        assertThat(p.errorMarginNanos()).isEqualTo(150 * MS);
    }

    // ------------------------------------------------------------------ the cost reservation

    /** 32 running decodes and 38k prompt tokens ahead: an average request is predicted within 1 s, by ~80 ms. */
    private void loaded() {
        measure();
        ctx.publishLoad(32, 0.3, 38_000);
    }

    @Test
    @DisplayName("cost-aware: at the same load and target, a request generating far more than the mean is refused, "
            + "the average one admitted")
    void costlierRequestReservesItsExcess() {
        loaded();
        DeadlineFeasibility p = policy(1.0, 0, true, true);
        Duration target = Duration.ofSeconds(1);
        for (int i = 0; i < 32; i++) { // the arrival mean: 500-token prompts, 100 output tokens
            assertThat(p.admit(req(500, 100, target), ctx)).isNull();
        }
        DeadlineFeasibility.Prediction average = p.predict(req(500, 100, target), ctx);
        DeadlineFeasibility.Prediction costly = p.predict(req(500, 3500, target), ctx);
        assertThat(average.reserveNanos()).isZero();
        assertThat(costly.ttftNanos()).as("the same prefill ahead and of its own").isEqualTo(average.ttftNanos());
        assertThat(costly.ttftNanos()).isLessThan(target.toNanos());
        assertThat(costly.ttftNanos() + costly.reserveNanos()).isGreaterThan(target.toNanos());
        Rejection no = p.admit(req(500, 3500, target), ctx);
        assertThat(no).isNotNull();
        assertThat(no.reason()).isEqualTo(RejectionReason.DEADLINE_UNMEETABLE);
        assertThat(no.message()).contains("kept for the requests after it", "costs more than the average request");
        assertThat(p.admit(req(500, 100, target), ctx)).isNull();
    }

    @Test
    @DisplayName("cost-aware: a prompt longer than the mean reserves its excess tokens at the drain rate")
    void longPromptReservesItsExcessTokens() {
        loaded();
        DeadlineFeasibility p = policy(1.0, 0, true, true);
        for (int i = 0; i < 32; i++) {
            p.predict(req(500, 100, Duration.ofSeconds(1)), ctx);
        }
        DeadlineFeasibility.Prediction longer = p.predict(req(3000, 100, Duration.ofSeconds(1)), ctx);
        assertThat(longer.reserveNanos()).isEqualTo((long) (2500 / ctx.prefillTokensPerNano()));
        assertThat(p.predict(req(200, 100, Duration.ofSeconds(1)), ctx).reserveNanos()).as("cheaper: nothing")
                .isZero();
    }

    @Test
    @DisplayName("without cost-awareness the costly and the average request are treated alike: both admitted")
    void costBlindTreatsThemAlike() {
        loaded();
        DeadlineFeasibility p = policy(1.0, 0, false, true);
        Duration target = Duration.ofSeconds(1);
        for (int i = 0; i < 32; i++) {
            assertThat(p.admit(req(500, 100, target), ctx)).isNull();
        }
        DeadlineFeasibility.Prediction costly = p.predict(req(500, 3500, target), ctx);
        assertThat(costly.reserveNanos()).isZero();
        assertThat(costly).isEqualTo(p.predict(req(500, 100, target), ctx));
        assertThat(p.admit(req(500, 3500, target), ctx)).isNull();
        assertThat(p.admit(req(500, 100, target), ctx)).isNull();
    }
}
