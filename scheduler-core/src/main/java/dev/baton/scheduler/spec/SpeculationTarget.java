package dev.baton.scheduler.spec;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.CostModel;

/**
 * What a proposer or a draft-length policy learns about the engine it serves when the engine is built: the target
 * device (its model, cost model and the draft lengths it verifies cheaply), the proposer, and the limits drafts live
 * under.
 *
 * @param device              the target device
 * @param proposer            the engine's proposer (its draft cost enters goodput estimates)
 * @param maxDrafts           the most draft tokens per sequence per step ({@code num_speculative_tokens})
 * @param maxNumBatchedTokens the step's token budget
 * @param maxModelLen         the longest sequence served
 */
public record SpeculationTarget(Accelerator device, DraftProposer proposer, int maxDrafts, int maxNumBatchedTokens,
                                int maxModelLen) {

    public SpeculationTarget {
        if (maxDrafts < 0) {
            throw new IllegalArgumentException("maxDrafts must not be negative, got " + maxDrafts);
        }
    }

    public CostModel costModel() {
        return device.costModel();
    }

    /** Whether the device verifies {@code k} drafts cheaply ({@link Accelerator#supportsDraftLength}). */
    public boolean supports(int k) {
        return k == 0 || device.supportsDraftLength(k);
    }

    /** The largest supported draft length in {@code [0, k]}. */
    public int supportedAtMost(int k) {
        for (int j = Math.min(k, maxDrafts); j > 0; j--) {
            if (supports(j)) {
                return j;
            }
        }
        return 0;
    }
}
