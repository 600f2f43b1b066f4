package dev.baton.scheduler.policy;

import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.StepShape;
import dev.baton.scheduler.core.Sequence;

import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * The order of one tenant's waiting requests in a {@link FlowQueue}: a key computed once, when a sequence joins the
 * queue; the lowest key is served first, ties by arrival.
 *
 * <h2>No time inside a heap</h2>
 * vLLM's aging SJF re-computes a time-dependent score inside the heap's comparator, so the heap invariant silently
 * breaks as time passes. Every order here has a <em>static</em> key with the same meaning at every instant:
 * <ul>
 *   <li>EDF: the TTFT deadline {@code arrival + ttft};</li>
 *   <li>least slack: the latest start time {@code deadline - prefill estimate} (slack at time {@code t} is
 *       {@code key - t}, the same order for every {@code t});</li>
 *   <li>aging SJF with linear aging, score {@code length - rate x wait}: at time {@code t} that is
 *       {@code (length + rate x arrival) - rate x t}, and the last term is common to all, so the order is that of
 *       {@code arrival + length / rate} -- a static key, and a request ages past any later one whose predicted length
 *       exceeds its own by more than {@code rate x} the time between their arrivals.</li>
 * </ul>
 * Deadline orders also say when a waiting request has become hopeless ({@link #keyIsDeadline()}: its key is in the
 * past); a {@link FlowQueue} can then serve it after every request that can still make it.
 */
public interface QueueOrder {

    /** The key of a sequence that has never run; lower is served first. */
    long key(Sequence seq);

    /** Whether a key is a time on the engine clock by which the request must start (past it, it is late). */
    default boolean keyIsDeadline() {
        return false;
    }

    /** Arrival order: every key equal, so the arrival tie-break decides. */
    static QueueOrder fcfs() {
        return seq -> 0;
    }

    /** Earliest deadline first on the TTFT deadline; requests without a TTFT target last, in arrival order. */
    static QueueOrder edf() {
        return new QueueOrder() {
            @Override
            public long key(Sequence seq) {
                return seq.request().ttftDeadlineNanos();
            }

            @Override
            public boolean keyIsDeadline() {
                return true;
            }
        };
    }

    /**
     * Least slack first: the TTFT deadline minus the predicted time to prefill the prompt on an idle device (in chunks
     * of {@code chunkTokens}). A long prompt must start earlier than a short one with the same deadline.
     */
    static QueueOrder leastSlack(CostModel costModel, int chunkTokens) {
        Objects.requireNonNull(costModel, "costModel");
        if (chunkTokens < 1) {
            throw new IllegalArgumentException("chunkTokens must be positive, got " + chunkTokens);
        }
        StepShape shape = new StepShape();
        return new QueueOrder() {
            @Override
            public long key(Sequence seq) {
                long deadline = seq.request().ttftDeadlineNanos();
                if (deadline == Long.MAX_VALUE) {
                    return Long.MAX_VALUE;
                }
                int p = seq.promptLength();
                int full = p / chunkTokens;
                int rest = p % chunkTokens;
                long estimate = 0;
                if (full > 0) {
                    estimate += full * costModel.stepNanos(shape.clear().addSequence(chunkTokens, 0, 0, false));
                }
                if (rest > 0 || p == 0) {
                    estimate += costModel.stepNanos(shape.clear().addSequence(Math.max(1, rest), 0, 0, true));
                }
                return deadline - estimate;
            }

            @Override
            public boolean keyIsDeadline() {
                return true;
            }
        };
    }

    /**
     * Shortest job first with linear aging: a request's predicted length counts {@code 1e9 / agingTokensPerSecond}
     * nanoseconds of waiting per token, so it is served before any request arriving later than
     * {@code arrival + (its length - theirs) / agingTokensPerSecond}.
     *
     * @param length               predicted length of a request in tokens (e.g. {@link #promptLength()})
     * @param agingTokensPerSecond how many tokens of predicted length one second of waiting is worth
     */
    static QueueOrder agingShortestFirst(ToLongFunction<Sequence> length, double agingTokensPerSecond) {
        Objects.requireNonNull(length, "length");
        if (!(agingTokensPerSecond > 0) || Double.isInfinite(agingTokensPerSecond)) {
            throw new IllegalArgumentException("the aging rate must be a positive number of tokens per second, got "
                    + agingTokensPerSecond);
        }
        double nanosPerToken = 1e9 / agingTokensPerSecond;
        return seq -> {
            double k = seq.request().arrivalNanos() + nanosPerToken * Math.max(0, length.applyAsLong(seq));
            return k >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) k;
        };
    }

    /** Predicted length = the prompt (vLLM's SJF). */
    static long promptLength(Sequence seq) {
        return seq.promptLength();
    }

    /** Predicted length = the prompt plus {@code maxTokens} (the most the request can take). */
    static long promptPlusMaxTokens(Sequence seq) {
        return (long) seq.promptLength() + seq.maxTokens();
    }
}
