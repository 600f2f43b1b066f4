package dev.baton.examples.workload;

import java.util.Objects;

/**
 * One request of a workload.
 *
 * @param id           the trace's id, or a generated one
 * @param arrivalNanos arrival time from the start of the workload
 * @param tenant       who sends it
 * @param priority     vLLM priority (lower is served first); 0 unless the tenant has one
 * @param prompt       what its prompt is made of
 * @param outputTokens how many tokens it generates (the trace's figure; generation ignores end-of-sequence)
 * @param measured     timings of a measured run, or {@code null}
 */
public record TraceRequest(String id, long arrivalNanos, String tenant, int priority, PromptShape prompt,
                           int outputTokens, MeasuredTimings measured) {
    public TraceRequest {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(prompt, "prompt");
        if (arrivalNanos < 0) {
            throw new IllegalArgumentException("arrival must not be negative, got " + arrivalNanos);
        }
        if (outputTokens < 1) {
            throw new IllegalArgumentException("a request generates at least one token, got " + outputTokens);
        }
    }

    public int promptTokens() {
        return prompt.length();
    }

    public TraceRequest withArrival(long nanos) {
        return new TraceRequest(id, nanos, tenant, priority, prompt, outputTokens, measured);
    }

    public TraceRequest withTenant(Tenant t) {
        return new TraceRequest(id, arrivalNanos, t.name(), t.priority(), prompt, outputTokens, measured);
    }
}
