package dev.baton.scheduler.spec;

import dev.baton.scheduler.core.Sequence;

/**
 * Proposes draft tokens for the next step of decoding sequences, to be verified by the target device in one forward
 * pass (speculative decoding, Leviathan et al. arXiv 2211.17192). Implementations: {@link NgramProposer} (prompt
 * lookup, no device), {@link DraftModelProposer} (a smaller model run through the accelerator SPI),
 * {@link DeviceProposals} (tokens the target device's own heads proposed, EAGLE/Medusa-style) and
 * {@link SyntheticProposer} (for a device that models acceptance by rates).
 *
 * <p>A proposal is a list of token ids per sequence and, optionally, the draft distribution each token was sampled
 * from (rows {@code q}); without rows the verifier treats each draft as a one-hot proposal (vLLM's
 * {@code draft_sample_method="greedy"}), which is exact for greedy drafting.
 *
 * <p>Called on the engine thread only, once per step, after the previous step's result was applied.
 */
public interface DraftProposer {

    /**
     * Binds the proposer to the engine it serves, once, before the first step.
     *
     * @throws IllegalArgumentException if the proposer cannot serve this target (e.g. a draft model with another
     *                                  vocabulary)
     */
    default void attach(SpeculationTarget target) {
    }

    /**
     * KV slots the target must hold beyond each decoding step because the drafter writes its own KV into the target's
     * blocks (vLLM's {@code num_lookahead_tokens}: {@code k} for EAGLE/MTP heads; 0 for n-gram lookup and for a draft
     * model with its own cache).
     */
    default int lookaheadSlots(int maxDrafts) {
        return 0;
    }

    /**
     * Predicted time to propose {@code k} drafts for every sequence of {@code batch}, in nanoseconds: the
     * {@code T_draft(k)} of the goodput model (0 for proposers that cost nothing next to a target step).
     */
    default long draftNanos(DraftBatch batch, int k) {
        return 0;
    }

    /** Writes up to {@link DraftBatch#maxDrafts(int) maxDrafts(i)} draft tokens for each entry of {@code batch}. */
    void propose(DraftBatch batch);

    /** {@code seq} finished: drop whatever the proposer keeps for it. */
    default void release(Sequence seq) {
    }
}
