package dev.baton.api;

import java.util.List;
import java.util.Objects;

/**
 * The final result of one request: one {@link SampleOutput} per parallel sample, its timings, and how the engine
 * served it.
 *
 * @param requestId          the request's id
 * @param samples            outputs in sample-index order
 * @param timings            arrival, first-token and finish times
 * @param cachedPromptTokens prompt tokens served from the prefix cache instead of computed
 * @param preemptions        how many times the request was preempted
 */
public record Completion(String requestId, List<SampleOutput> samples, RequestTimings timings,
                         int cachedPromptTokens, int preemptions) {
    public Completion {
        Objects.requireNonNull(requestId, "requestId");
        samples = List.copyOf(samples);
        Objects.requireNonNull(timings, "timings");
    }

    /** The finish reason of sample 0 (of the only sample, for {@code n = 1}). */
    public FinishReason finishReason() {
        return samples.get(0).finishReason();
    }

    /** The tokens of sample 0. */
    public int[] tokens() {
        return samples.get(0).tokens();
    }
}
