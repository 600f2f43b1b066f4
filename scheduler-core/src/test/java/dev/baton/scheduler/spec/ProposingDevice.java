package dev.baton.scheduler.spec;

import dev.baton.accelerator.Accelerator;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;

import java.util.Arrays;
import java.util.Map;

/**
 * Stands in for a device with EAGLE/Medusa-style heads (the CPU reference device has none): after each step it
 * proposes, in the {@link StepResult}, the next {@code k} tokens of each sequence's known continuation, with every
 * fourth position deliberately wrong, so that verification accepts some drafts and rejects others.
 */
final class ProposingDevice extends ForwardingDevice {
    private final int k;
    private final Map<Long, int[]> continuations;
    private long[] seeds = new long[16];
    private int[] known = new int[16];
    private boolean[] sampling = new boolean[16];
    private int numSeqs;

    /** @param continuations full token lists (prompt + greedy output) by request seed */
    ProposingDevice(Accelerator inner, int k, Map<Long, int[]> continuations) {
        super(inner);
        this.k = k;
        this.continuations = continuations;
    }

    @Override
    public int maxProposals() {
        return k;
    }

    @Override
    public void launch(StepPlan plan) {
        numSeqs = plan.numSeqs();
        if (seeds.length < numSeqs) {
            seeds = Arrays.copyOf(seeds, numSeqs * 2);
            known = Arrays.copyOf(known, numSeqs * 2);
            sampling = Arrays.copyOf(sampling, numSeqs * 2);
        }
        for (int i = 0; i < numSeqs; i++) {
            seeds[i] = plan.seed(i);
            known[i] = plan.position(i) + plan.numTokens(i) - plan.numDrafts(i);
            sampling[i] = plan.samples(i);
        }
        super.launch(plan);
    }

    @Override
    public void await(StepResult result) {
        super.await(result);
        int vocab = model().vocabSize();
        for (int i = 0; i < numSeqs; i++) {
            int[] ref = continuations.get(seeds[i]);
            if (!sampling[i] || ref == null) {
                continue;
            }
            int next = known[i] + result.numSampled(i);
            for (int j = 0; j < k && next + j < ref.length; j++) {
                int pos = next + j;
                result.addProposal(i, pos % 4 == 3 ? (ref[pos] + 1) % vocab : ref[pos]);
            }
        }
    }
}
