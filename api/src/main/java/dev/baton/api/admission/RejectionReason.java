package dev.baton.api.admission;

/**
 * Why a request was refused at the door. Each reason says whose move it is: a {@linkplain #isClientError() client
 * error} will fail anywhere until the request changes (HTTP 400/413/429); a {@linkplain #isRetryableElsewhere()
 * capacity refusal} may succeed on another replica or later (HTTP 503), so an upstream load balancer should retry it
 * elsewhere.
 */
public enum RejectionReason {
    /** The request is malformed for this engine (token id outside the vocabulary, unknown LoRA adapter, ...). */
    INVALID_REQUEST(400),
    /** Prompt plus {@code maxTokens} exceeds the engine's maximum model length, or the prompt alone does. */
    PROMPT_TOO_LONG(400),
    /** A request with the same id is still in flight. */
    DUPLICATE_REQUEST_ID(409),
    /** The request could never fit in this engine's KV cache, even alone. */
    EXCEEDS_KV_CAPACITY(413),
    /** The tenant exceeded its request or token rate; retry after the indicated delay. */
    TENANT_RATE_LIMITED(429),
    /** The tenant has too many requests in flight. */
    TENANT_QUOTA(429),
    /** The engine's waiting queue is at its request bound ({@code max-num-queued-reqs}). */
    QUEUE_FULL(503),
    /** The engine's waiting queue is at its prefill-token bound ({@code max-num-queued-tokens}). */
    QUEUED_TOKENS_FULL(503),
    /** The request's TTFT target or deadline cannot be met given the work ahead of it (early rejection). */
    DEADLINE_UNMEETABLE(503),
    /** The engine is saturated and sheds requests of this priority. */
    SHED_LOW_PRIORITY(503),
    /** KV-cache usage is above the admission watermark. */
    KV_PRESSURE(503),
    /** The engine's device is stalled or failed; the engine accepts work again once it recovers. */
    DEVICE_UNAVAILABLE(503),
    /** The engine is shutting down or closed. */
    SHUTTING_DOWN(503);

    private final int httpStatus;

    RejectionReason(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    /** The HTTP status an OpenAI-compatible server returns for this refusal. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The request itself (or its tenant's behaviour) must change before it can succeed. */
    public boolean isClientError() {
        return httpStatus < 500;
    }

    /** Capacity refusal: the same request may succeed on another replica or a little later. */
    public boolean isRetryableElsewhere() {
        return httpStatus == 503;
    }
}
