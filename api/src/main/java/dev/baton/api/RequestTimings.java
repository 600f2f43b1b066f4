package dev.baton.api;

/**
 * When things happened to one request, on the engine's {@link Clock}, with vLLM's interval definitions: queue time
 * runs from arrival to first scheduling; TTFT from arrival to the first generated token; end-to-end from arrival to
 * the last token; TPOT is {@code (e2e - ttft) / (outputTokens - 1)}. Times not reached are {@code -1}.
 *
 * @param arrivalNanos        when the engine accepted the request
 * @param firstScheduledNanos when a step first included it
 * @param firstTokenNanos     when its first token was produced
 * @param finishedNanos       when it finished
 * @param outputTokens        tokens generated (over all parallel samples)
 */
public record RequestTimings(long arrivalNanos, long firstScheduledNanos, long firstTokenNanos, long finishedNanos,
                             int outputTokens) {

    public long queueNanos() {
        return firstScheduledNanos < 0 ? -1 : firstScheduledNanos - arrivalNanos;
    }

    public long ttftNanos() {
        return firstTokenNanos < 0 ? -1 : firstTokenNanos - arrivalNanos;
    }

    public long e2eNanos() {
        return finishedNanos < 0 ? -1 : finishedNanos - arrivalNanos;
    }

    /** Mean time per output token after the first; 0 with fewer than two tokens, -1 if no token was produced. */
    public long tpotNanos() {
        if (firstTokenNanos < 0 || finishedNanos < 0) {
            return -1;
        }
        return outputTokens < 2 ? 0 : (finishedNanos - firstTokenNanos) / (outputTokens - 1);
    }
}
