package dev.baton.accelerator.conformance;

import dev.baton.api.request.SamplingParams;

import java.util.Arrays;

/**
 * One sequence of a conformance {@link Workload}: its prompt, how many tokens to generate and how, when it arrives,
 * and optionally a prefix it shares with an earlier sequence (a prefix-cache hit with copy-on-write of the partial
 * block).
 *
 * @param prompt      prompt token ids; the {@link PlanDriver} reduces them modulo the device's vocabulary
 * @param maxTokens   tokens to generate ({@code >= 1}); end-of-sequence tokens do not stop it
 * @param sampling    sampling parameters
 * @param seed        the sequence's random seed
 * @param arrivalStep the first step at which the sequence may be scheduled
 * @param shareFrom   index of an earlier sequence whose first {@code shareTokens} prompt tokens equal this one's, or
 *                    {@code -1}; when that sequence has computed them, this one starts from its KV blocks
 * @param shareTokens tokens shared ({@code 1 <= shareTokens < prompt.length} when {@code shareFrom >= 0})
 */
public record SequenceSpec(int[] prompt, int maxTokens, SamplingParams sampling, long seed, int arrivalStep,
                           int shareFrom, int shareTokens) {

    public SequenceSpec {
        if (prompt.length < 1) {
            throw new IllegalArgumentException("a prompt needs at least one token");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        }
        if (shareFrom >= 0 && (shareTokens < 1 || shareTokens >= prompt.length)) {
            throw new IllegalArgumentException("shareTokens must be in [1, prompt length - 1], got " + shareTokens);
        }
        prompt = prompt.clone();
    }

    /** A sequence that arrives at step 0 and shares nothing. */
    public static SequenceSpec of(int[] prompt, int maxTokens, SamplingParams sampling, long seed) {
        return new SequenceSpec(prompt, maxTokens, sampling, seed, 0, -1, 0);
    }

    /** This sequence alone: arriving at once, sharing nothing. */
    public SequenceSpec solo() {
        return new SequenceSpec(prompt, maxTokens, sampling, seed, 0, -1, 0);
    }

    @Override
    public int[] prompt() {
        return prompt.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SequenceSpec s && Arrays.equals(prompt, s.prompt) && maxTokens == s.maxTokens
                && sampling.equals(s.sampling) && seed == s.seed && arrivalStep == s.arrivalStep
                && shareFrom == s.shareFrom && shareTokens == s.shareTokens;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(prompt) * 31 + Long.hashCode(seed);
    }

    @Override
    public String toString() {
        return "Seq[prompt=" + Arrays.toString(prompt) + ", max=" + maxTokens + ", " + (sampling.isGreedy() ? "greedy"
                : "T=" + sampling.temperature() + " k=" + sampling.topK() + " p=" + sampling.topP()) + ", seed=" + seed
                + ", arrive@" + arrivalStep + (shareFrom >= 0 ? ", shares " + shareTokens + " of #" + shareFrom : "")
                + "]";
    }
}
