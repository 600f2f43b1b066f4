package dev.baton.scheduler.metrics;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * The engine's own latency percentiles (TTFT, inter-token latency, end-to-end, queue time, TPOT, scheduler CPU time
 * per step), in HdrHistograms with three significant digits from 1 µs to one hour.
 *
 * <p>One writer, the engine thread, records wait-free through {@link SingleWriterRecorder}s (no lock, no allocation on
 * the hot path). Readers on any thread fold the recorders' interval histograms into cumulative ones under this
 * object's monitor, so the engine thread never waits for a reader.
 */
public final class LatencyStats {

    /** The latencies tracked. */
    public enum Kind { TTFT, ITL, E2E, QUEUE, TPOT, STEP_CPU }

    private static final long MIN_NANOS = 1_000;
    private static final long MAX_NANOS = 3_600_000_000_000L;

    private final SingleWriterRecorder[] recorders = new SingleWriterRecorder[Kind.values().length];
    private final Histogram[] cumulative = new Histogram[Kind.values().length];
    private final Histogram[] interval = new Histogram[Kind.values().length];

    public LatencyStats() {
        for (int i = 0; i < recorders.length; i++) {
            recorders[i] = new SingleWriterRecorder(MIN_NANOS, MAX_NANOS, 3);
            cumulative[i] = new Histogram(MIN_NANOS, MAX_NANOS, 3);
        }
    }

    /** Records {@code nanos} (clamped to the tracked range). Engine thread only; wait-free and allocation-free. */
    public void record(Kind kind, long nanos) {
        recorders[kind.ordinal()].recordValue(Math.max(MIN_NANOS, Math.min(MAX_NANOS, nanos)));
    }

    /** The {@code percentile} (0..100) of {@code kind} in nanoseconds, or 0 with no data. */
    public synchronized long percentileNanos(Kind kind, double percentile) {
        Histogram h = fold(kind);
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile);
    }

    public synchronized long count(Kind kind) {
        return fold(kind).getTotalCount();
    }

    public synchronized double meanNanos(Kind kind) {
        Histogram h = fold(kind);
        return h.getTotalCount() == 0 ? 0 : h.getMean();
    }

    /** A copy of everything recorded for {@code kind}. */
    public synchronized Histogram snapshot(Kind kind) {
        return fold(kind).copy();
    }

    private Histogram fold(Kind kind) {
        int k = kind.ordinal();
        interval[k] = recorders[k].getIntervalHistogram(interval[k]);
        cumulative[k].add(interval[k]);
        return cumulative[k];
    }
}
