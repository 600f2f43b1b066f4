package dev.baton.scheduler;

import java.time.Duration;
import java.util.Objects;

/**
 * Scheduler and engine knobs. Names, meanings and defaults follow vLLM's engine arguments where one exists
 * ({@code max-num-seqs}, {@code max-num-batched-tokens}, {@code long-prefill-token-threshold},
 * {@code max-num-partial-prefills}, {@code max-loras}, {@code enable-prefix-caching}, {@code async-scheduling},
 * {@code max-num-queued-reqs}, {@code max-num-queued-tokens}); the rest are Baton's.
 *
 * @param maxNumSeqs                 most sequences in the running batch
 * @param maxNumBatchedTokens        token budget of one step
 * @param maxModelLen                longest sequence (prompt + output); 0 takes the model's
 * @param enableChunkedPrefill       whether a prompt may be computed over several steps
 * @param longPrefillTokenThreshold  most tokens one request computes in one step (0: no cap)
 * @param maxNumPartialPrefills      most requests in an unfinished prefill at once (0: no limit, as vLLM v1)
 * @param maxLoras                   most distinct LoRA adapters in one batch (0: no limit); requests over the limit
 *                                   are skipped, not blocking the queue
 * @param enablePrefixCaching        share KV of common prefixes
 * @param asyncScheduling            plan step N+1 while the device runs step N
 * @param preemptionMode             recompute or swap
 * @param admitOnlyIfPromptFits      start a waiting request only when KV for its whole remaining prompt is free
 * @param skipAhead                  let a waiting request that does not fit be passed by later ones
 * @param skipAheadMaxWait           how long a request may be passed before it blocks the queue (aging bound)
 * @param resumeWatermark            fraction of device blocks that must stay free after resuming a preempted request
 *                                   (hysteresis against preempt/resume thrash)
 * @param maxPreemptions             preemptions after which a request ends with KV_EXHAUSTED (0: unlimited)
 * @param maxQueuedRequests          admission bound on waiting requests ({@code max-num-queued-reqs})
 * @param maxQueuedTokens            admission bound on waiting prompt tokens (0: unlimited)
 * @param failurePolicy              what a failed device step does to its requests
 * @param maxDeviceRetries           requeues per request under {@link FailurePolicy#REQUEUE}
 * @param deviceStallTimeout         a step that runs longer is declared stalled by the watchdog
 * @param defaultQueueTimeout        how long a request may wait before its first step (null: forever)
 * @param seed                       seed of the random seeds given to unseeded requests
 */
public record EngineConfig(int maxNumSeqs, int maxNumBatchedTokens, int maxModelLen, boolean enableChunkedPrefill,
                           int longPrefillTokenThreshold, int maxNumPartialPrefills, int maxLoras,
                           boolean enablePrefixCaching, boolean asyncScheduling, PreemptionMode preemptionMode,
                           boolean admitOnlyIfPromptFits, boolean skipAhead, Duration skipAheadMaxWait,
                           double resumeWatermark, int maxPreemptions, int maxQueuedRequests, long maxQueuedTokens,
                           FailurePolicy failurePolicy, int maxDeviceRetries, Duration deviceStallTimeout,
                           Duration defaultQueueTimeout, long seed) {

    public EngineConfig {
        positive(maxNumSeqs, "max-num-seqs");
        positive(maxNumBatchedTokens, "max-num-batched-tokens");
        if (maxNumBatchedTokens < maxNumSeqs) {
            throw new IllegalArgumentException("max-num-batched-tokens (" + maxNumBatchedTokens
                    + ") must be at least max-num-seqs (" + maxNumSeqs + "): every running sequence needs a token");
        }
        nonNegative(maxModelLen, "max-model-len");
        nonNegative(longPrefillTokenThreshold, "long-prefill-token-threshold");
        nonNegative(maxNumPartialPrefills, "max-num-partial-prefills");
        nonNegative(maxLoras, "max-loras");
        Objects.requireNonNull(preemptionMode, "preemptionMode");
        Objects.requireNonNull(skipAheadMaxWait, "skipAheadMaxWait");
        if (!(resumeWatermark >= 0 && resumeWatermark < 1)) {
            throw new IllegalArgumentException("resume watermark must be in [0, 1), got " + resumeWatermark);
        }
        nonNegative(maxPreemptions, "max-preemptions");
        positive(maxQueuedRequests, "max-num-queued-reqs");
        if (maxQueuedTokens < 0) {
            throw new IllegalArgumentException("max-num-queued-tokens must not be negative, got " + maxQueuedTokens);
        }
        Objects.requireNonNull(failurePolicy, "failurePolicy");
        nonNegative(maxDeviceRetries, "max-device-retries");
        Objects.requireNonNull(deviceStallTimeout, "deviceStallTimeout");
        if (deviceStallTimeout.isNegative() || deviceStallTimeout.isZero()) {
            throw new IllegalArgumentException("device stall timeout must be positive, got " + deviceStallTimeout);
        }
        if (defaultQueueTimeout != null && (defaultQueueTimeout.isNegative() || defaultQueueTimeout.isZero())) {
            throw new IllegalArgumentException("default queue timeout must be positive, got " + defaultQueueTimeout);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Whether sequences may be preempted by swapping to the host tier. */
    public boolean swapPreemption() {
        return preemptionMode == PreemptionMode.SWAP;
    }

    private static void positive(long v, String name) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }

    private static void nonNegative(long v, String name) {
        if (v < 0) {
            throw new IllegalArgumentException(name + " must not be negative, got " + v);
        }
    }

    /** Builder with vLLM v1's defaults for a GPU server. */
    public static final class Builder {
        private int maxNumSeqs = 256;
        private int maxNumBatchedTokens = 8192;
        private int maxModelLen;
        private boolean enableChunkedPrefill = true;
        private int longPrefillTokenThreshold;
        private int maxNumPartialPrefills;
        private int maxLoras;
        private boolean enablePrefixCaching = true;
        private boolean asyncScheduling;
        private PreemptionMode preemptionMode = PreemptionMode.RECOMPUTE;
        private boolean admitOnlyIfPromptFits;
        private boolean skipAhead;
        private Duration skipAheadMaxWait = Duration.ofSeconds(5);
        private double resumeWatermark = 0.01;
        private int maxPreemptions;
        private int maxQueuedRequests = 100_000;
        private long maxQueuedTokens;
        private FailurePolicy failurePolicy = FailurePolicy.FAIL;
        private int maxDeviceRetries = 2;
        private Duration deviceStallTimeout = Duration.ofSeconds(60);
        private Duration defaultQueueTimeout;
        private long seed;

        private Builder() {
        }

        private Builder(EngineConfig c) {
            maxNumSeqs = c.maxNumSeqs;
            maxNumBatchedTokens = c.maxNumBatchedTokens;
            maxModelLen = c.maxModelLen;
            enableChunkedPrefill = c.enableChunkedPrefill;
            longPrefillTokenThreshold = c.longPrefillTokenThreshold;
            maxNumPartialPrefills = c.maxNumPartialPrefills;
            maxLoras = c.maxLoras;
            enablePrefixCaching = c.enablePrefixCaching;
            asyncScheduling = c.asyncScheduling;
            preemptionMode = c.preemptionMode;
            admitOnlyIfPromptFits = c.admitOnlyIfPromptFits;
            skipAhead = c.skipAhead;
            skipAheadMaxWait = c.skipAheadMaxWait;
            resumeWatermark = c.resumeWatermark;
            maxPreemptions = c.maxPreemptions;
            maxQueuedRequests = c.maxQueuedRequests;
            maxQueuedTokens = c.maxQueuedTokens;
            failurePolicy = c.failurePolicy;
            maxDeviceRetries = c.maxDeviceRetries;
            deviceStallTimeout = c.deviceStallTimeout;
            defaultQueueTimeout = c.defaultQueueTimeout;
            seed = c.seed;
        }

        public Builder maxNumSeqs(int v) {
            maxNumSeqs = v;
            return this;
        }

        public Builder maxNumBatchedTokens(int v) {
            maxNumBatchedTokens = v;
            return this;
        }

        public Builder maxModelLen(int v) {
            maxModelLen = v;
            return this;
        }

        public Builder enableChunkedPrefill(boolean v) {
            enableChunkedPrefill = v;
            return this;
        }

        public Builder longPrefillTokenThreshold(int v) {
            longPrefillTokenThreshold = v;
            return this;
        }

        public Builder maxNumPartialPrefills(int v) {
            maxNumPartialPrefills = v;
            return this;
        }

        public Builder maxLoras(int v) {
            maxLoras = v;
            return this;
        }

        public Builder enablePrefixCaching(boolean v) {
            enablePrefixCaching = v;
            return this;
        }

        public Builder asyncScheduling(boolean v) {
            asyncScheduling = v;
            return this;
        }

        public Builder preemptionMode(PreemptionMode v) {
            preemptionMode = v;
            return this;
        }

        public Builder admitOnlyIfPromptFits(boolean v) {
            admitOnlyIfPromptFits = v;
            return this;
        }

        public Builder skipAhead(boolean v) {
            skipAhead = v;
            return this;
        }

        public Builder skipAheadMaxWait(Duration v) {
            skipAheadMaxWait = v;
            return this;
        }

        public Builder resumeWatermark(double v) {
            resumeWatermark = v;
            return this;
        }

        public Builder maxPreemptions(int v) {
            maxPreemptions = v;
            return this;
        }

        public Builder maxQueuedRequests(int v) {
            maxQueuedRequests = v;
            return this;
        }

        public Builder maxQueuedTokens(long v) {
            maxQueuedTokens = v;
            return this;
        }

        public Builder failurePolicy(FailurePolicy v) {
            failurePolicy = v;
            return this;
        }

        public Builder maxDeviceRetries(int v) {
            maxDeviceRetries = v;
            return this;
        }

        public Builder deviceStallTimeout(Duration v) {
            deviceStallTimeout = v;
            return this;
        }

        public Builder defaultQueueTimeout(Duration v) {
            defaultQueueTimeout = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public EngineConfig build() {
            return new EngineConfig(maxNumSeqs, maxNumBatchedTokens, maxModelLen, enableChunkedPrefill,
                    longPrefillTokenThreshold, maxNumPartialPrefills, maxLoras, enablePrefixCaching, asyncScheduling,
                    preemptionMode, admitOnlyIfPromptFits, skipAhead, skipAheadMaxWait, resumeWatermark,
                    maxPreemptions, maxQueuedRequests, maxQueuedTokens, failurePolicy, maxDeviceRetries,
                    deviceStallTimeout, defaultQueueTimeout, seed);
        }
    }
}
