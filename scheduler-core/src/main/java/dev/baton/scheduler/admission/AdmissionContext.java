package dev.baton.scheduler.admission;

import dev.baton.accelerator.CostModel;
import dev.baton.api.Clock;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What admission may look at and reserve, shared between the callers' threads (which decide) and the engine thread
 * (which publishes its load once per step and releases reservations when requests start or end).
 *
 * <h2>Concurrency</h2>
 * Reservations are lock-free compare-and-set loops on {@link AtomicLong}s, so a bound is never exceeded however many
 * threads submit at once, and an admitted request's reservation is released exactly once by the engine thread. Load
 * figures ({@link #running()}, {@link #kvUsage()}, ...) are plain volatile publications of the engine's last step: a
 * caller may read a value one step old, never a torn one.
 */
public final class AdmissionContext {
    /** Time constant of the measured prefill throughput: a burst changes it within a TTFT target or two. */
    static final double PREFILL_DECAY_NANOS = 2e9;
    /** Saturated step time needed before the measurement is published. */
    static final double PREFILL_MIN_BUSY_NANOS = 1e9;

    private final Clock clock;
    private final int maxModelLen;
    private final int vocabSize;
    private final int blockSize;
    private final int usableKvBlocks;
    private final int maxQueuedRequests;
    private final long maxQueuedTokens;
    private final CostModel costModel;

    private final AtomicLong queuedRequests = new AtomicLong();
    private final AtomicLong queuedTokens = new AtomicLong();
    private volatile int running;
    private volatile double kvUsage;
    private volatile long backlogTokens;

    // Engine thread only: the prefill throughput measured over steps that left prompt work behind.
    private long lastStepEndNanos = Long.MIN_VALUE;
    private boolean lastSaturated;
    private double decayedPrefillTokens;
    private double decayedBusyNanos;
    private volatile double prefillTokensPerNano;

    public AdmissionContext(Clock clock, int maxModelLen, int vocabSize, int blockSize, int usableKvBlocks,
                            int maxQueuedRequests, long maxQueuedTokens, CostModel costModel) {
        this.clock = clock;
        this.maxModelLen = maxModelLen;
        this.vocabSize = vocabSize;
        this.blockSize = blockSize;
        this.usableKvBlocks = usableKvBlocks;
        this.maxQueuedRequests = maxQueuedRequests;
        this.maxQueuedTokens = maxQueuedTokens;
        this.costModel = costModel;
    }

    public Clock clock() {
        return clock;
    }

    public int maxModelLen() {
        return maxModelLen;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int blockSize() {
        return blockSize;
    }

    public int usableKvBlocks() {
        return usableKvBlocks;
    }

    public int maxQueuedRequests() {
        return maxQueuedRequests;
    }

    /** 0 means unbounded. */
    public long maxQueuedTokens() {
        return maxQueuedTokens;
    }

    /** The device's step-time model, for deadline feasibility estimates. */
    public CostModel costModel() {
        return costModel;
    }

    /** Requests admitted and not yet started (reserved). */
    public long queuedRequests() {
        return queuedRequests.get();
    }

    /** Prompt tokens of requests admitted and not yet started (reserved). */
    public long queuedTokens() {
        return queuedTokens.get();
    }

    /** Sequences running at the engine's last step. */
    public int running() {
        return running;
    }

    /** Fraction of KV blocks in use at the engine's last step. */
    public double kvUsage() {
        return kvUsage;
    }

    /** Tokens the engine still has to compute for the requests it holds (prefill remaining plus expected decode). */
    public long backlogTokens() {
        return backlogTokens;
    }

    /**
     * Reserves room for one request of {@code promptTokens} in the queue bounds.
     *
     * @return null on success, else which bound refused it
     */
    public Bound tryReserve(long promptTokens) {
        long n;
        do {
            n = queuedRequests.get();
            if (n >= maxQueuedRequests) {
                return Bound.REQUESTS;
            }
        } while (!queuedRequests.compareAndSet(n, n + 1));
        if (maxQueuedTokens > 0) {
            long t;
            do {
                t = queuedTokens.get();
                if (t + promptTokens > maxQueuedTokens && t > 0) {
                    queuedRequests.decrementAndGet();
                    return Bound.TOKENS;
                }
            } while (!queuedTokens.compareAndSet(t, t + promptTokens));
        } else {
            queuedTokens.addAndGet(promptTokens);
        }
        return null;
    }

    /** Releases a reservation made by {@link #tryReserve}: the request started, ended, or was never enqueued. */
    public void release(long promptTokens) {
        queuedRequests.decrementAndGet();
        queuedTokens.addAndGet(-promptTokens);
    }

    /** Engine thread: publishes the load after a step. */
    public void publishLoad(int running, double kvUsage, long backlogTokens) {
        this.running = running;
        this.kvUsage = kvUsage;
        this.backlogTokens = backlogTokens;
    }

    /**
     * Engine thread: a step that computed {@code prefillTokens} prompt tokens ended at {@code nowNanos};
     * {@code saturated} says whether prompt work was left when it was planned. Only such steps measure the engine's
     * prefill throughput: a step that held all the prompt work there was says nothing about how much more it could
     * have done. Steps that computed no prompt tokens while work waited (a batch whose decodes leave no room, an
     * admission gate) count, at zero: that is the throughput a waiting request meets. A step is timed from the end of
     * the one before only when that one left prompt work too: otherwise the engine may have sat idle in between (it
     * makes no steps without work), and the idle time would read as a stall.
     */
    public void recordPrefill(long nowNanos, int prefillTokens, boolean saturated) {
        long last = lastStepEndNanos;
        boolean busyBefore = lastSaturated;
        lastStepEndNanos = nowNanos;
        lastSaturated = saturated;
        long dt = nowNanos - last;
        if (last == Long.MIN_VALUE || !saturated || !busyBefore || dt <= 0) {
            return;
        }
        double keep = Math.exp(-dt / PREFILL_DECAY_NANOS);
        decayedPrefillTokens = decayedPrefillTokens * keep + prefillTokens;
        decayedBusyNanos = decayedBusyNanos * keep + dt;
        if (decayedBusyNanos >= PREFILL_MIN_BUSY_NANOS) {
            prefillTokensPerNano = decayedPrefillTokens / decayedBusyNanos;
        }
    }

    /**
     * Prompt tokens per nanosecond the engine computed while prompt work waited, decayed exponentially over a few
     * seconds; 0 until a second of such steps has been seen.
     */
    public double prefillTokensPerNano() {
        return prefillTokensPerNano;
    }

    /** Which queue bound refused a reservation. */
    public enum Bound { REQUESTS, TOKENS }
}
