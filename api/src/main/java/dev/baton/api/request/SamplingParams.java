package dev.baton.api.request;

import java.util.Arrays;

import static dev.baton.api.request.InvalidRequestException.check;

/**
 * How tokens are drawn from the model's distribution, and when generation stops. Immutable and validated at
 * construction; build with {@link #builder()} or use {@link #greedy(int)}.
 *
 * <p>Meanings follow vLLM's {@code SamplingParams}: {@code temperature == 0} is greedy; {@code topK <= 0} disables
 * top-k; {@code topP == 1} disables nucleus sampling; {@code minTokens} suppresses EOS and stop tokens until that many
 * tokens are generated; {@code ignoreEos} keeps generating past the end-of-sequence token. A request with a
 * {@link #seed()} is reproducible: the same seed, prompt and parameters give the same tokens however the request is
 * batched, chunked or preempted.
 *
 * @param temperature     0 for greedy, else the softmax temperature (finite, {@code 0 <= t <= 100})
 * @param topK            keep only the {@code topK} most likely tokens; {@code 0} or {@code -1} disables
 * @param topP            keep the smallest set of tokens whose probability mass reaches {@code topP}; in (0, 1]
 * @param seed            the random seed, used only when {@link #hasSeed()}
 * @param hasSeed         whether {@code seed} is set; unseeded requests get a random seed at admission
 * @param maxTokens       the most tokens to generate per sample, {@code >= 1}
 * @param minTokens       stop conditions are ignored until this many tokens exist, {@code 0 <= minTokens <= maxTokens}
 * @param stopTokenIds    generation stops after any of these tokens (the stop token is included in the output)
 * @param ignoreEos       keep generating past the end-of-sequence token
 * @param logprobs        number of most likely alternatives to report per generated token, {@code 0..20}
 */
public record SamplingParams(
        double temperature,
        int topK,
        double topP,
        long seed,
        boolean hasSeed,
        int maxTokens,
        int minTokens,
        int[] stopTokenIds,
        boolean ignoreEos,
        int logprobs) {

    /** The most alternatives per token a request may ask for, as vLLM's default {@code max_logprobs}. */
    public static final int MAX_LOGPROBS = 20;

    public SamplingParams {
        check(Double.isFinite(temperature) && temperature >= 0 && temperature <= 100, "temperature",
                "must be a finite number in [0, 100] (0 means greedy), got " + temperature);
        check(topK >= -1, "topK", "must be -1 or 0 (disabled) or a positive count, got " + topK);
        check(!Double.isNaN(topP) && topP > 0 && topP <= 1, "topP",
                "must be in (0, 1] (1 disables nucleus sampling), got " + topP);
        check(maxTokens >= 1, "maxTokens", "must be at least 1, got " + maxTokens);
        check(minTokens >= 0, "minTokens", "must not be negative, got " + minTokens);
        check(minTokens <= maxTokens, "minTokens",
                "must not exceed maxTokens (" + maxTokens + "), got " + minTokens);
        check(stopTokenIds != null, "stopTokenIds", "must not be null (use an empty array)");
        for (int t : stopTokenIds) {
            check(t >= 0, "stopTokenIds", "token ids must not be negative, got " + t);
        }
        check(logprobs >= 0 && logprobs <= MAX_LOGPROBS, "logprobs",
                "must be in [0, " + MAX_LOGPROBS + "], got " + logprobs);
        stopTokenIds = stopTokenIds.clone();
        if (!hasSeed) {
            seed = 0;
        }
    }

    /** Greedy decoding of at most {@code maxTokens} tokens, stopping at EOS. */
    public static SamplingParams greedy(int maxTokens) {
        return builder().maxTokens(maxTokens).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these parameters. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.seed = seed;
        b.hasSeed = hasSeed;
        b.maxTokens = maxTokens;
        b.minTokens = minTokens;
        b.stopTokenIds = stopTokenIds;
        b.ignoreEos = ignoreEos;
        b.logprobs = logprobs;
        return b;
    }

    /** Whether decoding is greedy (temperature 0): the output is then a pure function of the prompt. */
    public boolean isGreedy() {
        return temperature == 0;
    }

    /** Whether the output is reproducible run to run: greedy, or sampled with a fixed seed. */
    public boolean isDeterministic() {
        return isGreedy() || hasSeed;
    }

    /** A copy of the stop token ids. */
    @Override
    public int[] stopTokenIds() {
        return stopTokenIds.clone();
    }

    /** Whether {@code token} is one of the stop tokens; allocation-free. */
    public boolean isStopToken(int token) {
        for (int t : stopTokenIds) {
            if (t == token) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SamplingParams p
                && Double.compare(temperature, p.temperature) == 0
                && topK == p.topK
                && Double.compare(topP, p.topP) == 0
                && seed == p.seed
                && hasSeed == p.hasSeed
                && maxTokens == p.maxTokens
                && minTokens == p.minTokens
                && Arrays.equals(stopTokenIds, p.stopTokenIds)
                && ignoreEos == p.ignoreEos
                && logprobs == p.logprobs;
    }

    @Override
    public int hashCode() {
        int h = Double.hashCode(temperature);
        h = 31 * h + topK;
        h = 31 * h + Double.hashCode(topP);
        h = 31 * h + Long.hashCode(seed);
        h = 31 * h + Boolean.hashCode(hasSeed);
        h = 31 * h + maxTokens;
        h = 31 * h + minTokens;
        h = 31 * h + Arrays.hashCode(stopTokenIds);
        h = 31 * h + Boolean.hashCode(ignoreEos);
        return 31 * h + logprobs;
    }

    @Override
    public String toString() {
        return "SamplingParams[temperature=" + temperature + ", topK=" + topK + ", topP=" + topP
                + (hasSeed ? ", seed=" + seed : "") + ", maxTokens=" + maxTokens + ", minTokens=" + minTokens
                + ", stopTokenIds=" + Arrays.toString(stopTokenIds) + ", ignoreEos=" + ignoreEos
                + ", logprobs=" + logprobs + "]";
    }

    /** Builder with vLLM's defaults: greedy, no top-k/top-p, 16 tokens, stop at EOS. */
    public static final class Builder {
        private double temperature = 0;
        private int topK = 0;
        private double topP = 1;
        private long seed;
        private boolean hasSeed;
        private int maxTokens = 16;
        private int minTokens = 0;
        private int[] stopTokenIds = new int[0];
        private boolean ignoreEos;
        private int logprobs;

        private Builder() {
        }

        public Builder temperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        public Builder topK(int topK) {
            this.topK = topK;
            return this;
        }

        public Builder topP(double topP) {
            this.topP = topP;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            this.hasSeed = true;
            return this;
        }

        public Builder noSeed() {
            this.seed = 0;
            this.hasSeed = false;
            return this;
        }

        public Builder maxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        public Builder minTokens(int minTokens) {
            this.minTokens = minTokens;
            return this;
        }

        public Builder stopTokenIds(int... stopTokenIds) {
            this.stopTokenIds = InvalidRequestException.notNull(stopTokenIds, "stopTokenIds");
            return this;
        }

        public Builder ignoreEos(boolean ignoreEos) {
            this.ignoreEos = ignoreEos;
            return this;
        }

        public Builder logprobs(int logprobs) {
            this.logprobs = logprobs;
            return this;
        }

        /** @throws InvalidRequestException if a parameter is out of range; the message says what to change */
        public SamplingParams build() {
            return new SamplingParams(temperature, topK, topP, seed, hasSeed, maxTokens, minTokens, stopTokenIds,
                    ignoreEos, logprobs);
        }
    }
}
