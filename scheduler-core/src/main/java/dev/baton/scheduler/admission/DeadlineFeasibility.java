package dev.baton.scheduler.admission;

import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.StepShape;
import dev.baton.api.admission.Rejection;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;

import java.time.Duration;

/**
 * Early rejection ({@code DEADLINE_UNMEETABLE}, 503): a request whose time-to-first-token target (or end-to-end
 * deadline) cannot be met given the work ahead of it is refused at the door, at once, instead of queueing, spending
 * prefill compute, and missing anyway. This is Mooncake's prediction-based early rejection (Qin et al., FAST'25): decide
 * on a prediction of the load the request will meet -- including the decode load it will join -- not on the
 * instantaneous queue length, which oscillates.
 *
 * <h2>The prediction</h2>
 * <pre>
 *   predicted TTFT = ahead / drain rate  +  own prefill
 *   ahead          = prompt tokens admitted and not yet started (max of the reservations and the engine's backlog)
 *   drain rate     = min(measured or prefill rate, seat rate when the batch is full)
 *   own prefill    = ceil(prompt / chunk) steps of (the running decodes + one chunk), by the cost model
 * </pre>
 * <ul>
 *   <li><b>Prefill rate</b> (cost model, published load): {@code running} decodes at the average context
 *       {@code kvUsage x capacity / running}, plus the largest chunk that keeps the step within the request's TPOT
 *       target (what an SLO-aware composer does; the whole token budget without a target): chunk / step time.</li>
 *   <li><b>Measured rate</b>: prompt tokens the engine started per second of backlog, decayed over a few seconds. It
 *       contains every way the engine is slowed down that a model of one step misses, and replaces the prefill rate
 *       once a second of backlog has been seen.</li>
 *   <li><b>Seat rate</b> (the decode load the request will meet): a batch can hold {@code B*} decodes, the most whose
 *       step stays within {@code decodeShare x} the TPOT target at the mean context of recent requests (at most
 *       {@code max-num-seqs}). When the running and admitted requests fill those seats, a waiting request starts only
 *       when one finishes: {@code B* / (mean output x step time)} requests per second, times the mean prompt. This
 *       catches the moment the engine turns from prefill-bound to seat-bound before the measured rate can follow
 *       it (Mooncake predicts decode load for the same reason).</li>
 * </ul>
 * A request whose TPOT target is below the time of a step that decodes it alone can never meet it and is refused too.
 *
 * <h2>Threads</h2>
 * {@link #admit} runs on callers' threads and only reads: the published load, the reservations, and three volatile
 * figures measured on the engine thread in {@link #onStarted} (the drain rate; the mean prompt and output of requests
 * that start). It costs a few dozen cost-model evaluations and two small scratch objects per request with an SLO, on
 * the caller's thread, never on the engine thread. The drain rate is prompt tokens started divided by the time the engine had a backlog, both decayed
 * exponentially (a burst of starts in one step cannot spike it); time without a backlog is not counted, since a start
 * that finds no one else waiting says nothing about capacity.
 */
public final class DeadlineFeasibility implements AdmissionPolicy {
    /** Time constant of the measured drain rate. */
    private static final double DECAY_NANOS = 5e9;
    /** Busy time needed before the measurement is trusted over the cost model. */
    private static final double MIN_BUSY_NANOS = 1e9;
    /** Weight of one start in the mean prompt and output. */
    private static final double MEAN_WEIGHT = 1.0 / 64;

    private final int stepTokens;
    private final int maxSeqs;
    private final double decodeShare;
    private final double margin;

    // Engine thread only: decayed tokens started and decayed busy time, and the last backlogged start.
    private double decayedTokens;
    private double decayedBusyNanos;
    private long lastStartNanos = Long.MIN_VALUE;

    private volatile double drainTokensPerNano;
    private volatile double meanPrompt;
    private volatile double meanOutput;

    /**
     * @param stepTokens  the engine's token budget per step ({@code max-num-batched-tokens})
     * @param maxSeqs     the most sequences in the running batch ({@code max-num-seqs})
     * @param decodeShare most of the TPOT target that a step of decodes may take in this engine (an SLO-aware
     *                    composer's limit; 1.0 for one that only keeps steps within the target)
     * @param margin      refuse when the prediction exceeds {@code margin x target} (1.0: exactly the target; lower
     *                    refuses earlier, leaving room for prediction error)
     */
    public DeadlineFeasibility(int stepTokens, int maxSeqs, double decodeShare, double margin) {
        if (stepTokens < 1 || maxSeqs < 1) {
            throw new IllegalArgumentException("stepTokens (" + stepTokens + ") and maxSeqs (" + maxSeqs
                    + ") must be positive");
        }
        if (!(decodeShare > 0 && decodeShare <= 1)) {
            throw new IllegalArgumentException("decodeShare must be in (0, 1], got " + decodeShare);
        }
        if (!(margin > 0)) {
            throw new IllegalArgumentException("margin must be positive, got " + margin);
        }
        this.stepTokens = stepTokens;
        this.maxSeqs = maxSeqs;
        this.decodeShare = decodeShare;
        this.margin = margin;
    }

    @Override
    public Rejection admit(InferenceRequest r, AdmissionContext ctx) {
        long ttft = r.slo().ttftNanos();
        long deadline = r.deadline() == null ? Long.MAX_VALUE : r.deadline().toNanos();
        long tpot = r.slo().tpotNanos();
        if (ttft == Long.MAX_VALUE && deadline == Long.MAX_VALUE && tpot == Long.MAX_VALUE) {
            return null;
        }
        CostModel cost = ctx.costModel();
        StepShape shape = new StepShape();
        if (tpot != Long.MAX_VALUE) {
            long alone = cost.stepNanos(shape.addDecode(r.promptLength()));
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
        int running = ctx.running();
        int avgContext = running == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE / 2,
                ctx.kvUsage() * ctx.usableKvBlocks() * ctx.blockSize() / running);
        shape.clear();
        for (int i = 0; i < running; i++) {
            shape.addDecode(Math.max(1, avgContext));
        }
        long stepLimit = tpot == Long.MAX_VALUE ? Long.MAX_VALUE : tpot;
        int chunk = largestChunk(cost, shape, Math.max(1, stepTokens - running), stepLimit);
        long stepNanos = cost.stepNanos(new StepShape().set(shape).addSequence(chunk, 0, 0, true));
        long own = (long) Math.ceil((double) r.promptLength() / chunk) * stepNanos;
        long ahead = Math.max(ctx.queuedTokens(), ctx.backlogTokens());
        double measured = drainTokensPerNano;
        double rate = measured > 0 ? measured : (double) chunk / stepNanos;
        double prompt = meanPrompt > 0 ? meanPrompt : r.promptLength();
        double output = meanOutput > 0 ? meanOutput : r.sampling().maxTokens();
        int seats = seats(cost, tpot, (int) Math.min(Integer.MAX_VALUE / 2, prompt + output / 2));
        if (running + ctx.queuedRequests() + 1 > seats) {
            double seatRate = seats / (output * stepNanos) * prompt;
            rate = Math.min(rate, seatRate);
        }
        long wait = ahead == 0 ? 0 : (long) (ahead / rate);
        long predicted = wait + own;
        if (predicted <= margin * target) {
            return null;
        }
        String what = ttft <= deadline ? "TTFT target" : "deadline";
        long over = (long) (predicted - margin * target);
        return new Rejection(RejectionReason.DEADLINE_UNMEETABLE, "its first token is predicted after "
                + ms(predicted) + ", past its " + what + " (" + ms(target) + "): " + ahead + " prompt tokens are ahead"
                + " of it at about " + Math.round(rate * 1e9) + " tokens/s (" + ms(wait) + "), plus " + ms(own)
                + " for its own " + r.promptLength() + "-token prompt; retry later, on another replica, or with a"
                + " looser target", Duration.ofNanos(Math.max(1, over)));
    }

    /** The most decodes at {@code context} whose step fits {@code decodeShare x tpot} (max-num-seqs without one). */
    private int seats(CostModel cost, long tpot, int context) {
        if (tpot == Long.MAX_VALUE) {
            return maxSeqs;
        }
        double limit = decodeShare * tpot;
        StepShape shape = new StepShape();
        int lo = 1;
        int hi = maxSeqs;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            shape.clear();
            for (int i = 0; i < mid; i++) {
                shape.addDecode(context);
            }
            if (cost.stepNanos(shape) <= limit) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
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

    /** The measured drain rate in prompt tokens per second, or 0 before there is a measurement. */
    public double measuredTokensPerSecond() {
        return drainTokensPerNano * 1e9;
    }

    @Override
    public void onStarted(InferenceRequest r, AdmissionContext ctx) {
        long now = ctx.clock().nanoTime();
        double p = meanPrompt;
        meanPrompt = p == 0 ? r.promptLength() : p + MEAN_WEIGHT * (r.promptLength() - p);
        double o = meanOutput;
        meanOutput = o == 0 ? r.sampling().maxTokens() : o + MEAN_WEIGHT * (r.sampling().maxTokens() - o);
        // The engine published its waiting tokens after the last step; more than this request's own prompt means
        // others were waiting too, so this start happened at the engine's pace rather than at the arrivals'.
        if (ctx.backlogTokens() <= r.promptLength()) {
            lastStartNanos = Long.MIN_VALUE;
            return;
        }
        if (lastStartNanos != Long.MIN_VALUE) {
            long busy = Math.max(0, now - lastStartNanos);
            double keep = Math.exp(-busy / DECAY_NANOS);
            decayedTokens *= keep;
            decayedBusyNanos = decayedBusyNanos * keep + busy;
        }
        lastStartNanos = now;
        decayedTokens += r.promptLength();
        if (decayedBusyNanos >= MIN_BUSY_NANOS) {
            drainTokensPerNano = decayedTokens / decayedBusyNanos;
        }
    }

    private static String ms(long nanos) {
        return (nanos / 1_000_000) + " ms";
    }
}
