package dev.baton.examples.workload;

/**
 * What a measured serving run recorded for one request (a {@code vllm-bench-jsonl} file), in seconds on one monotonic
 * clock. Absent figures are {@code NaN}.
 *
 * @param queuedTs     when the server queued the request
 * @param scheduledTs  when it was first scheduled
 * @param firstTokenTs when its first token was produced
 * @param lastTokenTs  when its last token was produced
 */
public record MeasuredTimings(double queuedTs, double scheduledTs, double firstTokenTs, double lastTokenTs) {

    /** Whether TTFT and end-to-end latency can be measured from {@code queued_ts}. */
    public boolean hasLatencies() {
        return !Double.isNaN(queuedTs) && !Double.isNaN(firstTokenTs) && !Double.isNaN(lastTokenTs);
    }

    /** Time to first token measured from {@code queued_ts}, seconds. */
    public double ttft() {
        return firstTokenTs - queuedTs;
    }

    /** End-to-end latency measured from {@code queued_ts}, seconds. */
    public double e2e() {
        return lastTokenTs - queuedTs;
    }
}
