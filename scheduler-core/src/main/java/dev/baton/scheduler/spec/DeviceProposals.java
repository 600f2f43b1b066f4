package dev.baton.scheduler.spec;

import dev.baton.api.plan.StepResult;

/**
 * Drafts the target device proposed itself, in the {@link StepResult} of the step just applied
 * ({@link StepResult#proposed}): EAGLE/EAGLE-3/MTP heads or Medusa heads that run inside the target's forward pass
 * (anchors §1.4). The heads write their own KV into the target's blocks, so the scheduler holds {@code k} lookahead
 * slots beyond each decoding step (vLLM's {@code num_lookahead_tokens}). Proposals of the device's argmax drafting
 * carry no probabilities and are verified as one-hot (vLLM's default {@code draft_sample_method="greedy"}).
 *
 * <p>A sequence that was not in the last step, or for which the device proposed nothing, gets no drafts. Stateless.
 */
public final class DeviceProposals implements DraftProposer {

    @Override
    public void attach(SpeculationTarget target) {
        if (target.device().maxProposals() <= 0) {
            throw new IllegalArgumentException("device " + target.device().providerName() + " proposes no drafts "
                    + "(maxProposals() is 0); use an n-gram or draft-model proposer with it");
        }
    }

    @Override
    public int lookaheadSlots(int maxDrafts) {
        return maxDrafts;
    }

    @Override
    public void propose(DraftBatch batch) {
        StepResult result = batch.lastResult();
        if (result == null) {
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            int r = batch.resultIndex(i);
            if (r < 0) {
                continue;
            }
            int n = Math.min(batch.maxDrafts(i), result.numProposed(r));
            for (int j = 0; j < n; j++) {
                batch.addDraft(i, result.proposed(r, j));
            }
        }
    }
}
