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

    /** Which queue bound refused a reservation. */
    public enum Bound { REQUESTS, TOKENS }
}
