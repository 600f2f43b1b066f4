package dev.baton.scheduler.compose;

import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.preemption.RunningBatch;

/**
 * Memory-pressure controls around any composer: stop starting work from the waiting queue before memory runs out, and
 * while it thrashes.
 * <ul>
 *   <li><b>KV watermarks</b>: from the step where KV usage reaches {@code high}, nothing new is admitted until usage
 *       falls to {@code low}. Running sequences keep growing into the headroom above {@code high} instead of
 *       preempting each other (hysteresis between the marks keeps the gate from flapping).</li>
 *   <li><b>Preemption-rate guard</b>: while more than {@code maxPreemptions} preemptions happened in the last
 *       {@code windowSteps} steps, nothing is admitted (resumptions included): admitting into a batch that is
 *       evicting itself only feeds the preempt/resume thrash of vLLM #25538.</li>
 * </ul>
 * Running sequences are never held back, and with nothing running the gate is open (there is nothing to protect, and
 * the queue must not deadlock).
 *
 * <p>Engine thread only; allocation-free.
 */
public final class MemoryGuard implements BatchComposer {
    private final BatchComposer inner;
    private final double high;
    private final double low;
    private final long[] preemptionsAt;
    private final int maxPreemptions;
    private int slot;
    private boolean overWatermark;
    private boolean thrashing;
    private boolean closed;

    /**
     * @param inner          the composer that sizes the steps
     * @param high           KV usage that closes the gate, in (0, 1] (1: never by usage)
     * @param low            KV usage that opens it again, in [0, high]
     * @param windowSteps    steps over which preemptions are counted (0: no preemption guard)
     * @param maxPreemptions preemptions in the window above which the batch counts as thrashing
     */
    public MemoryGuard(BatchComposer inner, double high, double low, int windowSteps, int maxPreemptions) {
        if (!(high > 0 && high <= 1)) {
            throw new IllegalArgumentException("the high KV watermark must be in (0, 1], got " + high);
        }
        if (!(low >= 0 && low <= high)) {
            throw new IllegalArgumentException("the low KV watermark must be in [0, high=" + high + "], got " + low);
        }
        if (windowSteps < 0 || maxPreemptions < 0) {
            throw new IllegalArgumentException("the preemption window (" + windowSteps + " steps) and limit ("
                    + maxPreemptions + ") must not be negative");
        }
        this.inner = inner;
        this.high = high;
        this.low = low;
        this.preemptionsAt = new long[windowSteps];
        this.maxPreemptions = maxPreemptions;
    }

    @Override
    public int beginStep(long nowNanos, RunningBatch running, int defaultBudget) {
        double usage = running.kvUsage();
        if (usage >= high && high < 1) {
            overWatermark = true;
        } else if (usage <= low) {
            overWatermark = false;
        }
        if (preemptionsAt.length > 0) {
            long now = running.preemptions();
            thrashing = now - preemptionsAt[slot] > maxPreemptions;
            preemptionsAt[slot] = now;
            slot = (slot + 1) % preemptionsAt.length;
        }
        closed = (overWatermark || thrashing) && running.size() > 0;
        return inner.beginStep(nowNanos, running, defaultBudget);
    }

    @Override
    public int runningTokens(Sequence seq, int wanted, int budgetLeft) {
        return inner.runningTokens(seq, wanted, budgetLeft);
    }

    @Override
    public int admitTokens(Sequence seq, int computed, int wanted, int budgetLeft) {
        return closed ? 0 : inner.admitTokens(seq, computed, wanted, budgetLeft);
    }

    @Override
    public void scheduled(Sequence seq, int context, int tokens, int drafts) {
        inner.scheduled(seq, context, tokens, drafts);
    }

    /** Whether KV usage has closed the gate (between the watermarks, the last crossing decides). */
    public boolean isOverWatermark() {
        return overWatermark;
    }

    /** Whether the preemption rate has closed the gate. */
    public boolean isThrashing() {
        return thrashing;
    }
}
