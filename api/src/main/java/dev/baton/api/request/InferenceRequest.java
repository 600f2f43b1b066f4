package dev.baton.api.request;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import static dev.baton.api.request.InvalidRequestException.check;
import static dev.baton.api.request.InvalidRequestException.notNull;

/**
 * One generation request: a tokenized prompt, how to sample, who asks (tenant, priority), how fast it must be (SLO
 * targets, deadline, queue timeout) and what KV it may share (LoRA adapter, cache salt, multimodal spans).
 *
 * <p>Immutable and fully validated at {@link Builder#build()}: a request that builds is well formed. Limits that
 * depend on the engine (maximum model length, vocabulary size, known adapters) are checked at
 * {@code Engine.submit}, which refuses with a typed reason rather than throwing.
 *
 * <p>Priority follows vLLM: a <em>lower</em> value is served first; the default is 0.
 */
public final class InferenceRequest {

    /** The tenant of requests that name none. */
    public static final String DEFAULT_TENANT = "default";

    /** The most parallel samples a request may ask for. */
    public static final int MAX_PARALLEL_SAMPLES = 256;

    private final String requestId;
    private final int[] promptTokens;
    private final SamplingParams sampling;
    private final String tenant;
    private final int priority;
    private final SloTargets slo;
    private final Duration deadline;
    private final Duration queueTimeout;
    private final String loraAdapter;
    private final String cacheSalt;
    private final int parallelSamples;
    private final List<MultimodalSpan> multimodal;
    private final boolean skipPrefixCacheRead;

    private InferenceRequest(Builder b) {
        this.requestId = b.requestId;
        this.promptTokens = b.promptTokens.clone();
        this.sampling = b.sampling;
        this.tenant = b.tenant;
        this.priority = b.priority;
        this.slo = b.slo;
        this.deadline = b.deadline;
        this.queueTimeout = b.queueTimeout;
        this.loraAdapter = b.loraAdapter;
        this.cacheSalt = b.cacheSalt;
        this.parallelSamples = b.parallelSamples;
        this.multimodal = List.copyOf(b.multimodal);
        this.skipPrefixCacheRead = b.skipPrefixCacheRead;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder for a request with these prompt tokens and default everything else. */
    public static Builder withPrompt(int... promptTokens) {
        return new Builder().promptTokens(promptTokens);
    }

    /** A builder starting from this request. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.requestId = requestId;
        b.promptTokens = promptTokens;
        b.sampling = sampling;
        b.tenant = tenant;
        b.priority = priority;
        b.slo = slo;
        b.deadline = deadline;
        b.queueTimeout = queueTimeout;
        b.loraAdapter = loraAdapter;
        b.cacheSalt = cacheSalt;
        b.parallelSamples = parallelSamples;
        b.multimodal = multimodal;
        b.skipPrefixCacheRead = skipPrefixCacheRead;
        return b;
    }

    /** The caller's id for this request, or {@code null} to let the engine assign one. */
    public String requestId() {
        return requestId;
    }

    /** A copy of the prompt's token ids. */
    public int[] promptTokens() {
        return promptTokens.clone();
    }

    /** Prompt token at {@code index}, without copying. */
    public int promptToken(int index) {
        return promptTokens[index];
    }

    public int promptLength() {
        return promptTokens.length;
    }

    /** Copies prompt tokens {@code [from, from + len)} into {@code dst} at {@code dstOffset}; allocation-free. */
    public void copyPromptTokens(int from, int[] dst, int dstOffset, int len) {
        System.arraycopy(promptTokens, from, dst, dstOffset, len);
    }

    public SamplingParams sampling() {
        return sampling;
    }

    public String tenant() {
        return tenant;
    }

    /** Lower is served first (vLLM semantics). */
    public int priority() {
        return priority;
    }

    public SloTargets slo() {
        return slo;
    }

    /** End-to-end deadline measured from arrival, or {@code null}: past it the request ends with DEADLINE_EXCEEDED. */
    public Duration deadline() {
        return deadline;
    }

    /**
     * How long the request may wait in the queue before its first scheduling, or {@code null} for the engine's
     * default. As in Triton, a per-request value can only shorten the engine's default, never extend it.
     */
    public Duration queueTimeout() {
        return queueTimeout;
    }

    /** The LoRA adapter to apply, or {@code null} for the base model. */
    public String loraAdapter() {
        return loraAdapter;
    }

    /** The prefix-cache salt, or {@code null}. Requests with different salts never share KV. */
    public String cacheSalt() {
        return cacheSalt;
    }

    /** Number of independent samples to generate from this prompt ({@code n} in the OpenAI API). */
    public int parallelSamples() {
        return parallelSamples;
    }

    public List<MultimodalSpan> multimodal() {
        return multimodal;
    }

    /** Whether this request must not read the prefix cache (it still fills it), as for prompt-logprob requests. */
    public boolean skipPrefixCacheRead() {
        return skipPrefixCacheRead;
    }

    /** Whether two requests would produce the same completion if both are deterministic: same inputs everywhere. */
    public boolean sameInputs(InferenceRequest o) {
        return Arrays.equals(promptTokens, o.promptTokens)
                && sampling.equals(o.sampling)
                && Objects.equals(loraAdapter, o.loraAdapter)
                && Objects.equals(cacheSalt, o.cacheSalt)
                && parallelSamples == o.parallelSamples
                && multimodal.equals(o.multimodal);
    }

    @Override
    public String toString() {
        return "InferenceRequest[id=" + requestId + ", prompt=" + promptTokens.length + " tokens, tenant=" + tenant
                + ", priority=" + priority + ", n=" + parallelSamples + ", " + sampling + "]";
    }

    /** Builder; every setter's value is checked when {@link #build()} runs. */
    public static final class Builder {
        private String requestId;
        private int[] promptTokens;
        private SamplingParams sampling = SamplingParams.greedy(16);
        private String tenant = DEFAULT_TENANT;
        private int priority;
        private SloTargets slo = SloTargets.NONE;
        private Duration deadline;
        private Duration queueTimeout;
        private String loraAdapter;
        private String cacheSalt;
        private int parallelSamples = 1;
        private List<MultimodalSpan> multimodal = List.of();
        private boolean skipPrefixCacheRead;

        private Builder() {
        }

        public Builder requestId(String requestId) {
            this.requestId = requestId;
            return this;
        }

        public Builder promptTokens(int... promptTokens) {
            this.promptTokens = promptTokens;
            return this;
        }

        public Builder sampling(SamplingParams sampling) {
            this.sampling = sampling;
            return this;
        }

        /** Shorthand for greedy sampling of at most {@code maxTokens} tokens. */
        public Builder maxTokens(int maxTokens) {
            this.sampling = (sampling == null ? SamplingParams.builder() : sampling.toBuilder())
                    .maxTokens(maxTokens).build();
            return this;
        }

        public Builder tenant(String tenant) {
            this.tenant = tenant;
            return this;
        }

        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        public Builder slo(SloTargets slo) {
            this.slo = slo;
            return this;
        }

        public Builder deadline(Duration deadline) {
            this.deadline = deadline;
            return this;
        }

        public Builder queueTimeout(Duration queueTimeout) {
            this.queueTimeout = queueTimeout;
            return this;
        }

        public Builder loraAdapter(String loraAdapter) {
            this.loraAdapter = loraAdapter;
            return this;
        }

        public Builder cacheSalt(String cacheSalt) {
            this.cacheSalt = cacheSalt;
            return this;
        }

        public Builder parallelSamples(int n) {
            this.parallelSamples = n;
            return this;
        }

        public Builder multimodal(List<MultimodalSpan> spans) {
            this.multimodal = spans;
            return this;
        }

        public Builder skipPrefixCacheRead(boolean skip) {
            this.skipPrefixCacheRead = skip;
            return this;
        }

        /** @throws InvalidRequestException naming the first invalid field and what to change */
        public InferenceRequest build() {
            check(requestId == null || !requestId.isBlank(), "requestId",
                    "must be non-blank when given (leave it unset to let the engine assign one)");
            notNull(promptTokens, "promptTokens");
            check(promptTokens.length > 0, "promptTokens",
                    "must contain at least one token (an empty prompt has nothing to condition on)");
            for (int i = 0; i < promptTokens.length; i++) {
                if (promptTokens[i] < 0) {
                    throw new InvalidRequestException("promptTokens",
                            "token ids must not be negative, got " + promptTokens[i] + " at position " + i);
                }
            }
            notNull(sampling, "sampling");
            check(tenant != null && !tenant.isBlank(), "tenant",
                    "must be a non-blank tenant name (the default is \"" + DEFAULT_TENANT + "\")");
            notNull(slo, "slo");
            check(deadline == null || (!deadline.isNegative() && !deadline.isZero()), "deadline",
                    "must be positive when given, got " + deadline);
            check(queueTimeout == null || (!queueTimeout.isNegative() && !queueTimeout.isZero()), "queueTimeout",
                    "must be positive when given, got " + queueTimeout);
            check(loraAdapter == null || !loraAdapter.isBlank(), "loraAdapter",
                    "must be non-blank when given (leave it unset for the base model)");
            check(cacheSalt == null || !cacheSalt.isEmpty(), "cacheSalt",
                    "must be non-empty when given (leave it unset for no salt)");
            check(parallelSamples >= 1 && parallelSamples <= MAX_PARALLEL_SAMPLES, "parallelSamples",
                    "must be in [1, " + MAX_PARALLEL_SAMPLES + "], got " + parallelSamples);
            notNull(multimodal, "multimodal");
            checkSpans(multimodal, promptTokens.length);
            return new InferenceRequest(this);
        }

        /** Every span lies inside the prompt, and no two spans claim the same placeholder position. */
        private static void checkSpans(List<MultimodalSpan> spans, int promptLength) {
            for (int i = 0; i < spans.size(); i++) {
                MultimodalSpan span = notNull(spans.get(i), "multimodal");
                check(span.end() <= promptLength, "multimodal",
                        "span " + span + " ends past the prompt (" + promptLength + " tokens): give spans inside"
                                + " [0, " + promptLength + ")");
                for (int j = 0; j < i; j++) {
                    MultimodalSpan other = spans.get(j);
                    check(span.end() <= other.offset() || other.end() <= span.offset(), "multimodal",
                            "spans " + other + " and " + span + " overlap: each prompt position belongs to at most"
                                    + " one multimodal item");
                }
            }
        }
    }
}
