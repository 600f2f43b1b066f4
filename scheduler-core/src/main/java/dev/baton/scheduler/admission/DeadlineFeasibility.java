package dev.baton.scheduler.admission;

import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.StepShape;
import dev.baton.api.admission.Rejection;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Early rejection ({@code DEADLINE_UNMEETABLE}, 503): a request whose time-to-first-token target (or end-to-end
 * deadline) cannot be met given the work ahead of it is refused at the door, at once, instead of queueing, spending
 * prefill compute, and missing anyway. This is Mooncake's prediction-based early rejection (Qin et al., FAST'25): decide
 * on a prediction of the load the request will meet, not on the instantaneous queue length, which oscillates.
 *
 * <h2>The prediction</h2>
 * <pre>
 *   predicted start = ahead / drain rate  +  lag x step
 *   predicted TTFT  = predicted start  +  ceil(prompt / chunk) x step
 *   ahead           = prompt tokens still to compute before it: admitted and not started (the larger of the
 *                     reservations and the engine's queue) plus what running partial prefills have left
 *   drain rate      = the engine's measured prefill throughput ({@link AdmissionContext#prefillTokensPerNano()})
 * </pre>
 * <ul>
 *   <li><b>Drain rate</b>: prompt tokens the engine computed per second over the steps that left prompt work behind,
 *       decayed over a couple of seconds. It is the rate a queued request actually meets: in a batch bounded by its
 *       decode seats (a composer's admission gate, the KV), steps that compute no prompt while work waits count at
 *       zero, so the rate falls the moment the engine turns seat-bound, and rises again with it. Before there is a
 *       measurement, the cost model's: the running decodes at their mean context plus the largest chunk that keeps
 *       the step within the request's TPOT target, per step.</li>
 *   <li><b>Lag</b>: a request is first planned in the step after the one being planned; with one-step-ahead
 *       scheduling that is after the step on the device and the one already planned (1.5 steps on average after its
 *       arrival), otherwise after the step on the device (half a step).</li>
 *   <li><b>Confidence</b>: the prediction's error is measured on the requests it admitted near the target
 *       (predicted TTFT at least half of it): when each starts, the difference between its actual and predicted start
 *       is kept (the last {@value #SAMPLES}); a request is admitted only if its prediction plus the
 *       {@code confidence}-quantile of that error meets the target, that is, with about that probability
 *       (conformal prediction, Vovk et al., on a sliding window). At low load no request comes near the target and
 *       the margin is 0.</li>
 *   <li><b>Cost</b> (optional, {@code costAware}): under a shortage the requests to refuse, if the count of met SLOs is
 *       what matters (DistServe's goodput), are the costliest: that is the exchange in Moore and Hodgson's rule for the
 *       fewest late jobs on one machine (drop the longest job scheduled so far when one would be late). At the door
 *       this becomes a reservation: a request costlier than the average arrival must also leave room in its TTFT
 *       budget for its excess, {@code (cost - mean cost) / drain rate}, which its admission would take from the
 *       requests after it. Cost is in prompt-token equivalents: {@code prompt + k x expected output}, where {@code k}
 *       is a decode seat's marginal step time (the growth of the running batch's decode step per seat over its upper
 *       half) over a prompt token's marginal time, both from the cost model at the published load. An idle queue
 *       refuses nothing for cost: the reservation only bites when the queue is within the excess of the target.</li>
 * </ul>
 * A request whose TPOT target is below the time of a step that decodes it alone can never meet it and is refused too.
 *
 * <h2>Threads</h2>
 * {@link #admit} runs on callers' threads; it reads the published load, the measured figures, and updates the arrival
 * means with compare-and-set. It costs a few dozen cost-model evaluations, a few small scratch objects and a map entry
 * per request with a target, on the caller's thread, never on the engine thread. {@link #onStarted}, {@link #onEnded}
 * run on the engine thread (the single writer of the error window) and remove the entry; the error quantile is
 * recomputed there (a selection over {@value #SAMPLES} values) and published through a volatile.
 */
public final class DeadlineFeasibility implements AdmissionPolicy {
    /** Error samples kept for the confidence margin. */
    static final int SAMPLES = 64;
    /** Weight of one arrival in the mean prompt and output. */
    private static final double MEAN_WEIGHT = 1.0 / 256;

    private final int stepTokens;
    private final int maxSeqs;
    private final double margin;
    private final double confidence;
    private final boolean costAware;
    private final double lagSteps;
    private final double outputRatio;

    /** Admitted requests not started yet: {admitted at, predicted start delay, target}. */
    private final ConcurrentHashMap<InferenceRequest, long[]> pending = new ConcurrentHashMap<>();
    // Engine thread only: the error window.
    private final double[] errors = new double[SAMPLES];
    private final double[] scratch = new double[SAMPLES];
    private int numErrors;
    private int nextError;
    private volatile long errorQuantileNanos;
    private final AtomicLong meanPromptBits = new AtomicLong(Double.doubleToRawLongBits(-1));
    private final AtomicLong meanOutputBits = new AtomicLong(Double.doubleToRawLongBits(-1));

    /**
     * @param stepTokens  the engine's token budget per step ({@code max-num-batched-tokens})
     * @param maxSeqs     the most sequences in the running batch ({@code max-num-seqs})
     * @param margin      refuse when the prediction exceeds {@code margin x target} (1.0: exactly the target)
     * @param confidence  quantile of the measured prediction error added to the prediction, in [0.5, 1) (0.9: a
     *                    request is admitted when it makes its target with about 90% probability); 0 adds none
     * @param costAware   whether a request costlier than the average reserves its excess (see the class comment)
     * @param outputRatio fraction of {@code maxTokens} a request is expected to generate, for its cost
     * @param oneStepAhead whether the engine plans one step ahead (async scheduling): a longer lag before a request's
     *                    first chunk
     */
    public DeadlineFeasibility(int stepTokens, int maxSeqs, double margin, double confidence, boolean costAware,
                               double outputRatio, boolean oneStepAhead) {
        if (stepTokens < 1 || maxSeqs < 1) {
            throw new IllegalArgumentException("stepTokens (" + stepTokens + ") and maxSeqs (" + maxSeqs
                    + ") must be positive");
        }
        if (!(margin > 0)) {
            throw new IllegalArgumentException("margin must be positive, got " + margin);
        }
        if (!(confidence == 0 || (confidence >= 0.5 && confidence < 1))) {
            throw new IllegalArgumentException("confidence must be 0 (none) or in [0.5, 1), got " + confidence);
        }
        if (!(outputRatio > 0 && outputRatio <= 1)) {
            throw new IllegalArgumentException("outputRatio must be in (0, 1], got " + outputRatio);
        }
        this.stepTokens = stepTokens;
        this.maxSeqs = maxSeqs;
        this.margin = margin;
        this.confidence = confidence;
        this.costAware = costAware;
        this.outputRatio = outputRatio;
        this.lagSteps = oneStepAhead ? 1.5 : 0.5;
    }

    /** Prediction only: no confidence margin, no cost reservation, one step ahead. */
    public DeadlineFeasibility(int stepTokens, int maxSeqs, double margin) {
        this(stepTokens, maxSeqs, margin, 0, false, 1.0, true);
    }

    @Override
    public Rejection admit(InferenceRequest r, AdmissionContext ctx) {
        long ttft = r.slo().ttftNanos();
        long deadline = r.deadline() == null ? Long.MAX_VALUE : r.deadline().toNanos();
        long tpot = r.slo().tpotNanos();
        if (ttft == Long.MAX_VALUE && deadline == Long.MAX_VALUE && tpot == Long.MAX_VALUE) {
            return null;
        }
        if (tpot != Long.MAX_VALUE) {
            long alone = ctx.costModel().stepNanos(new StepShape().addDecode(r.promptLength()));
            if (alone > tpot) {
                return Rejection.of(RejectionReason.DEADLINE_UNMEETABLE, "its TPOT target (" + ms(tpot)
                        + ") is below the time of a step that decodes it alone (" + ms(alone)
                        + " on this device); loosen the TPOT target or use a faster device");
            }
        }
        long target = Math.min(ttft, deadline);
        if (target == Long.MAX_VALUE) {
            return null;
        }
        Prediction p = predict(r, ctx);
        long limit = (long) (margin * target);
        if (p.ttftNanos() + p.marginNanos() + p.reserveNanos() <= limit) {
            if (confidence > 0 && p.ttftNanos() + p.marginNanos() + p.reserveNanos() >= limit / 2) {
                pending.put(r, new long[] {ctx.clock().nanoTime(), p.waitNanos(), target});
            }
            return null;
        }
        String what = ttft <= deadline ? "TTFT target" : "deadline";
        long over = p.ttftNanos() + p.marginNanos() + p.reserveNanos() - limit;
        String extra = (p.marginNanos() != 0 ? ", " + ms(p.marginNanos()) + " of measured prediction error" : "")
                + (p.reserveNanos() > 0 ? ", and " + ms(p.reserveNanos()) + " kept for the requests after it, since"
                + " it costs more than the average request" : "");
        return new Rejection(RejectionReason.DEADLINE_UNMEETABLE, "its first token is predicted after "
                + ms(p.ttftNanos()) + ", past its " + what + " (" + ms(target) + ") with the margins: "
                + p.aheadTokens() + " prompt tokens are ahead of it at about "
                + Math.round(p.tokensPerNano() * 1e9) + " tokens/s (" + ms(p.waitNanos()) + " with the scheduling"
                + " lag), plus " + ms(p.ownNanos()) + " for its own " + r.promptLength() + "-token prompt" + extra
                + "; retry later, on another replica, or with a looser target", Duration.ofNanos(Math.max(1, over)));
    }

    /**
     * The predicted time to first token of a request if it were admitted now, and the margins the admission test
     * adds to it (see the class comment).
     *
     * @param aheadTokens   prompt tokens ahead of it
     * @param tokensPerNano the rate they are predicted to drain at
     * @param waitNanos     predicted time until its first chunk runs (the drain plus the scheduling lag)
     * @param ownNanos      the time of its own prefill
     * @param marginNanos   the confidence margin (measured prediction error)
     * @param reserveNanos  the time kept for later requests when it costs more than the average (0 if not)
     */
    public record Prediction(long aheadTokens, double tokensPerNano, long waitNanos, long ownNanos, long marginNanos,
                             long reserveNanos) {
        public long ttftNanos() {
            return waitNanos + ownNanos;
        }
    }

    /** The prediction {@link #admit} compares with the request's target; also updates the arrival means. */
    public Prediction predict(InferenceRequest r, AdmissionContext ctx) {
        CostModel cost = ctx.costModel();
        long tpot = r.slo().tpotNanos();
        int running = Math.min(ctx.running(), maxSeqs);
        int avgContext = running == 0 ? 1 : (int) Math.max(1, Math.min(Integer.MAX_VALUE / 2,
                ctx.kvUsage() * ctx.usableKvBlocks() * ctx.blockSize() / running));
        StepShape decodes = new StepShape().addDecodes(running, (long) running * avgContext, avgContext);
        long stepLimit = tpot == Long.MAX_VALUE ? Long.MAX_VALUE : tpot;
        int chunk = largestChunk(cost, decodes, Math.max(1, stepTokens - running), stepLimit);
        StepShape trial = new StepShape();
        long stepNanos = cost.stepNanos(trial.set(decodes).addSequence(chunk, 0, 0, true));
        long own = (long) Math.ceil((double) r.promptLength() / chunk) * stepNanos;
        long ahead = Math.max(ctx.queuedTokens(), ctx.backlogTokens());
        double measured = ctx.prefillTokensPerNano();
        double rate = measured > 0 ? measured : (double) chunk / stepNanos;
        long wait = (ahead == 0 ? 0 : (long) (ahead / rate)) + (long) (lagSteps * stepNanos);
        long reserve = 0;
        if (costAware) {
            double expected = Math.ceil(outputRatio * r.sampling().maxTokens());
            double meanPrompt = updateMean(meanPromptBits, r.promptLength());
            double meanOutput = updateMean(meanOutputBits, expected);
            long base = running == 0 ? 0 : cost.stepNanos(decodes);
            long prefillAlone = stepNanos - base;
            double perToken = Math.max(1, (double) prefillAlone / chunk);
            double k = seatNanos(cost, running, avgContext) / perToken;
            double excess = (r.promptLength() - meanPrompt) + k * (expected - meanOutput);
            reserve = excess <= 0 ? 0 : (long) (excess / rate);
        }
        return new Prediction(ahead, rate, wait, own, errorQuantileNanos, reserve);
    }

    /**
     * The marginal step time of one more decode seat in a batch of {@code running} at {@code context}: the growth of
     * the decode step per seat over the upper half of the batch (attention kernels grow in waves, so the step from one
     * seat to the next says little).
     */
    private static double seatNanos(CostModel cost, int running, int context) {
        int hi = Math.max(2, running);
        int lo = hi / 2;
        StepShape s = new StepShape().addDecodes(lo, (long) lo * context, context);
        long atLo = cost.stepNanos(s);
        s.addDecodes(hi - lo, (long) (hi - lo) * context, context);
        return Math.max(0, (double) (cost.stepNanos(s) - atLo) / (hi - lo));
    }

    /** Exponential mean over arrivals (lock-free; a lost update under contention only delays it by one sample). */
    private static double updateMean(AtomicLong bits, double x) {
        while (true) {
            long old = bits.get();
            double m = Double.longBitsToDouble(old);
            double next = m < 0 ? x : m + MEAN_WEIGHT * (x - m);
            if (bits.compareAndSet(old, Double.doubleToRawLongBits(next))) {
                return m < 0 ? x : m;
            }
        }
    }

    /** The largest prefill chunk (at most {@code max}) that keeps a step with {@code base} within {@code limit}. */
    static int largestChunk(CostModel cost, StepShape base, int max, long limit) {
        if (limit == Long.MAX_VALUE) {
            return max;
        }
        StepShape trial = new StepShape();
        if (cost.stepNanos(trial.set(base).addSequence(max, 0, 0, true)) <= limit) {
            return max;
        }
        int lo = 1;
        int hi = max;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (cost.stepNanos(trial.set(base).addSequence(mid, 0, 0, true)) <= limit) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** The confidence margin now in use: the measured quantile of the start-time prediction error, nanoseconds. */
    public long errorMarginNanos() {
        return errorQuantileNanos;
    }

    @Override
    public void release(InferenceRequest request, AdmissionContext ctx) {
        pending.remove(request);
    }

    @Override
    public void onStarted(InferenceRequest r, AdmissionContext ctx) {
        long[] p = pending.remove(r);
        if (p == null || confidence == 0) {
            return;
        }
        // A start past the target is a miss whatever its delay: censored there, so that the queue's late tier (or a
        // stall) cannot blow the margin up beyond what it takes to be on time.
        double error = Math.min(ctx.clock().nanoTime() - p[0], p[2]) - p[1];
        errors[nextError] = error;
        nextError = (nextError + 1) % SAMPLES;
        numErrors = Math.min(SAMPLES, numErrors + 1);
        System.arraycopy(errors, 0, scratch, 0, numErrors);
        Arrays.sort(scratch, 0, numErrors);
        double q = scratch[Math.min(numErrors - 1, (int) Math.floor(confidence * numErrors))];
        errorQuantileNanos = (long) Math.max(0, q);
    }

    @Override
    public void onEnded(InferenceRequest request, boolean started, AdmissionContext ctx) {
        pending.remove(request);
    }

    private static String ms(long nanos) {
        return (nanos / 1_000_000) + " ms";
    }
}
