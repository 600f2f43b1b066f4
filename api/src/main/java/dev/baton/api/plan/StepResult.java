package dev.baton.api.plan;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the device returns for one {@link StepPlan}: per scheduled sequence, in plan order, the tokens it sampled
 * (none for a prefill chunk that does not reach the end of the prompt; one for a decode; 1 .. numDrafts + 1 after
 * verifying drafts), optionally the target probability rows of those positions, and optionally draft tokens the
 * device itself proposes for the next step (EAGLE/Medusa-style heads).
 *
 * <p>A reusable buffer: {@link #reset(StepPlan)} sizes it for a plan, allocation-free once grown. Filled by the
 * device, read by the engine thread.
 */
public final class StepResult {

    private final int vocabSize;
    private long stepId;
    private int numSeqs;
    private int[] numSampled = new int[16];
    private int[] sampledOffset = new int[16];
    private int[] sampledCapacity = new int[16];
    private int[] sampled = new int[64];
    private int[] probOffset = new int[16];
    private float[] probs = new float[0];
    private int[] numProposed = new int[16];
    private int[] proposedOffset = new int[16];
    private int[] proposed = new int[64];
    private int maxProposals;
    private long deviceNanos;

    /**
     * @param vocabSize     the model's vocabulary size (the width of a probability row)
     * @param maxProposals  the most draft tokens the device proposes per sequence per step (0 if it proposes none)
     */
    public StepResult(int vocabSize, int maxProposals) {
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabSize must be positive, got " + vocabSize);
        }
        if (maxProposals < 0) {
            throw new IllegalArgumentException("maxProposals must not be negative, got " + maxProposals);
        }
        this.vocabSize = vocabSize;
        this.maxProposals = maxProposals;
    }

    /** Sizes this result for {@code plan}: every sequence starts with no sampled token and no proposal. */
    public void reset(StepPlan plan) {
        stepId = plan.stepId();
        numSeqs = plan.numSeqs();
        if (numSampled.length < numSeqs) {
            int n = Math.max(numSeqs, numSampled.length * 2);
            numSampled = new int[n];
            sampledOffset = new int[n];
            sampledCapacity = new int[n];
            probOffset = new int[n];
            numProposed = new int[n];
            proposedOffset = new int[n];
        }
        int off = 0;
        int probRows = 0;
        for (int i = 0; i < numSeqs; i++) {
            numSampled[i] = 0;
            numProposed[i] = 0;
            sampledOffset[i] = off;
            proposedOffset[i] = i * maxProposals;
            int capacity = plan.numDrafts(i) + 1;
            sampledCapacity[i] = capacity;
            if (plan.wantsProbabilities(i)) {
                probOffset[i] = probRows * vocabSize;
                probRows += capacity;
            } else {
                probOffset[i] = -1;
            }
            off += capacity;
        }
        if (sampled.length < off) {
            sampled = new int[Math.max(off, sampled.length * 2)];
        }
        if (probs.length < probRows * vocabSize) {
            probs = new float[Math.max(probRows * vocabSize, probs.length * 2)];
        }
        if (proposed.length < numSeqs * maxProposals) {
            proposed = new int[Math.max(numSeqs * maxProposals, proposed.length * 2)];
        }
        deviceNanos = 0;
    }

    // ---------------------------------------------------------------- writing (device)

    /**
     * Appends a sampled token to sequence {@code i}: at most {@code numDrafts(i) + 1} per step (the accepted drafts
     * plus one), since the slots of the next sequence follow.
     */
    public void addSampled(int i, int token) {
        Objects.checkIndex(i, numSeqs);
        if (numSampled[i] == sampledCapacity[i]) {
            throw new IllegalStateException("sequence " + i + " already has its " + sampledCapacity[i]
                    + " sampled tokens (numDrafts + 1)");
        }
        sampled[sampledOffset[i] + numSampled[i]++] = token;
    }

    /** Writable probability row for sampled position {@code k} of sequence {@code i} starts at this offset. */
    public int probabilityRowOffset(int i, int k) {
        Objects.checkIndex(i, numSeqs);
        if (probOffset[i] < 0) {
            throw new IllegalStateException("sequence " + i + " did not ask for probabilities");
        }
        Objects.checkIndex(k, sampledCapacity[i]);
        return probOffset[i] + k * vocabSize;
    }

    /** The probability buffer the device writes rows into (see {@link #probabilityRowOffset}). */
    public float[] probabilityArray() {
        return probs;
    }

    /** Records a device-side draft proposal for sequence {@code i}'s next step. */
    public void addProposal(int i, int token) {
        Objects.checkIndex(i, numSeqs);
        if (numProposed[i] == maxProposals) {
            throw new IllegalStateException("more than " + maxProposals + " proposals for sequence " + i);
        }
        proposed[proposedOffset[i] + numProposed[i]++] = token;
    }

    /** How long the step took on the device (measured, or predicted by a simulated device). */
    public void setDeviceNanos(long nanos) {
        this.deviceNanos = nanos;
    }

    // ---------------------------------------------------------------- reading (engine thread)

    public long stepId() {
        return stepId;
    }

    public int numSeqs() {
        return numSeqs;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int numSampled(int i) {
        return numSampled[i];
    }

    public int sampled(int i, int k) {
        return sampled[sampledOffset[i] + k];
    }

    public boolean hasProbabilities(int i) {
        return probOffset[i] >= 0;
    }

    /** Target probability of {@code token} at sampled position {@code k} of sequence {@code i}. */
    public float probability(int i, int k, int token) {
        return probs[probabilityRowOffset(i, k) + Objects.checkIndex(token, vocabSize)];
    }

    public int numProposed(int i) {
        return numProposed[i];
    }

    public int proposed(int i, int k) {
        return proposed[proposedOffset[i] + k];
    }

    public long deviceNanos() {
        return deviceNanos;
    }

    /** Sequence {@code i}'s sampled tokens as a new array (for tests and diagnostics, not the hot path). */
    public int[] sampledTokens(int i) {
        return Arrays.copyOfRange(sampled, sampledOffset[i], sampledOffset[i] + numSampled[i]);
    }
}
