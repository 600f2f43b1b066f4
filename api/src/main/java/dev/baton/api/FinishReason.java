package dev.baton.api;

/**
 * Why a request (or one of its parallel samples) ended. Every accepted request ends exactly once with one of these.
 */
public enum FinishReason {
    /** An end-of-sequence or stop token was generated (the OpenAI {@code "stop"}). */
    STOP("stop"),
    /** {@code maxTokens} or the engine's maximum model length was reached (the OpenAI {@code "length"}). */
    LENGTH("length"),
    /** The caller cancelled the request. */
    CANCELLED("abort"),
    /** The request's end-to-end deadline passed before it finished. */
    DEADLINE_EXCEEDED("abort"),
    /** The request waited in the queue longer than its queue timeout (Triton's REJECT action). */
    QUEUE_TIMEOUT("abort"),
    /** The device failed while executing a step that contained this request. */
    DEVICE_ERROR("error"),
    /** The engine was shut down with {@code ABORT} (or closed) before the request finished. */
    SHUTDOWN("abort"),
    /** The request could not keep its KV blocks (it was preempted more often than the engine allows). */
    KV_EXHAUSTED("error");

    private final String openAiName;

    FinishReason(String openAiName) {
        this.openAiName = openAiName;
    }

    /** The {@code finish_reason} string an OpenAI-compatible server reports. */
    public String openAiName() {
        return openAiName;
    }

    /** Whether the request ran to a natural end (stop or length) rather than being cut short. */
    public boolean isNatural() {
        return this == STOP || this == LENGTH;
    }
}
