package dev.baton.scheduler.metrics;

/**
 * Where the engine reports its metrics: a small seam so that the core depends on no metrics library. An adapter maps
 * these calls to Micrometer, Prometheus or OpenTelemetry, with the names in {@link VllmMetrics} (vLLM's, so existing
 * dashboards and the Gateway API Inference Extension's endpoint picker read a Baton server unchanged).
 *
 * <p>Called on the engine thread, often (per step, per request, per token for inter-token latency): implementations
 * must be cheap, non-blocking and allocation-free, and must tolerate any name they do not know.
 */
public interface MetricsSink {

    /** Sets a gauge. */
    void gauge(String name, double value);

    /**
     * Adds to a counter.
     *
     * @param label the value of the metric's one label ({@code finished_reason}, {@code reason}, {@code position}),
     *              or {@code null} for unlabelled counters
     */
    void count(String name, String label, long delta);

    /** Records one observation of a histogram (seconds for times, plain counts for sizes). */
    void observe(String name, double value);

    /** Discards everything. */
    MetricsSink NONE = new MetricsSink() {
        @Override
        public void gauge(String name, double value) {
        }

        @Override
        public void count(String name, String label, long delta) {
        }

        @Override
        public void observe(String name, double value) {
        }
    };
}
