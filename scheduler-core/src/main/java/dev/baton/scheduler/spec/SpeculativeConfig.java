package dev.baton.scheduler.spec;

import java.util.Objects;

/**
 * How an engine speculates: who proposes drafts, how many per sequence (the policy, capped at {@code maxDrafts},
 * vLLM's {@code num_speculative_tokens}). Pass it to {@code Engines.builder().speculative(...)}. The proposer and the
 * policy are stateful: a configuration serves one engine.
 *
 * <p>Speculation needs synchronous scheduling: with one-step-ahead scheduling the next step is planned before this
 * step's tokens are known, so there is nothing to draft from (vLLM schedules -1 placeholders there and patches them
 * later; Baton does not). Building an engine with both is refused.
 *
 * @param proposer  who proposes drafts
 * @param policy    how many drafts per decoding sequence each step
 * @param maxDrafts the most drafts per sequence per step, at least 1
 */
public record SpeculativeConfig(DraftProposer proposer, DraftLengthPolicy policy, int maxDrafts) {

    /** Above vLLM's newer MAX_SPEC_LEN (128): verification rows grow with it. */
    public static final int MAX_DRAFTS = 128;

    public SpeculativeConfig {
        Objects.requireNonNull(proposer, "proposer");
        Objects.requireNonNull(policy, "policy");
        if (maxDrafts < 1 || maxDrafts > MAX_DRAFTS) {
            throw new IllegalArgumentException("maxDrafts (num_speculative_tokens) must be in [1, " + MAX_DRAFTS
                    + "], got " + maxDrafts);
        }
    }

    /** {@code k} drafts per sequence every step. */
    public static SpeculativeConfig fixed(DraftProposer proposer, int k) {
        return new SpeculativeConfig(proposer, DraftLengthPolicy.fixed(k), k);
    }
}
