package dev.baton.scheduler.spec;

import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.StepShape;
import dev.baton.api.Clock;
import dev.baton.api.VirtualClock;

/**
 * A stand-in proposer for a device that models speculation by acceptance rates ({@code sim.acceptance}, vLLM's
 * synthetic rejection sampling): it proposes {@code k} copies of one valid token id, whose value does not matter to
 * such a device. It models the drafter's time as {@code k} draft steps of {@code costRatio} times the target's
 * one-token decode step at the batch's shape (Leviathan et al.'s cost coefficient {@code c}: about 0.05 for an EAGLE
 * head, 0 for n-gram lookup), reports it to the goodput policy ({@link #draftNanos}), and charges it by advancing the
 * engine's clock when that is a {@link VirtualClock}, so simulated goodput pays for drafting.
 *
 * <p>For benchmarks and simulations only: on a device that verifies drafts exactly, these drafts are almost always
 * rejected. Engine thread only; allocation-free.
 */
public final class SyntheticProposer implements DraftProposer {

    private final int token;
    private final double costRatio;
    private final Clock clock;
    private final StepShape shape = new StepShape();
    private CostModel cost;

    /**
     * @param token     the token proposed (any valid id)
     * @param costRatio draft-step cost as a fraction of a target decode step, at least 0
     * @param clock     the engine clock, advanced by the draft time if it is a {@link VirtualClock}; may be null
     */
    public SyntheticProposer(int token, double costRatio, Clock clock) {
        if (token < 0 || !(costRatio >= 0)) {
            throw new IllegalArgumentException("the synthetic draft token must be a token id and the cost ratio not "
                    + "negative, got " + token + " and " + costRatio);
        }
        this.token = token;
        this.costRatio = costRatio;
        this.clock = clock;
    }

    @Override
    public void attach(SpeculationTarget target) {
        this.cost = target.costModel();
    }

    @Override
    public long draftNanos(DraftBatch batch, int k) {
        if (costRatio == 0 || k == 0 || batch.size() == 0 || cost == null) {
            return 0;
        }
        shape.clear();
        for (int i = 0; i < batch.size(); i++) {
            shape.addDecode(batch.context(i));
        }
        return (long) (k * costRatio * cost.stepNanos(shape));
    }

    @Override
    public void propose(DraftBatch batch) {
        int most = 0;
        for (int i = 0; i < batch.size(); i++) {
            int k = batch.maxDrafts(i);
            most = Math.max(most, k);
            for (int j = 0; j < k; j++) {
                batch.addDraft(i, token);
            }
        }
        if (clock instanceof VirtualClock vc && most > 0) {
            vc.advance(draftNanos(batch, most));
        }
    }
}
