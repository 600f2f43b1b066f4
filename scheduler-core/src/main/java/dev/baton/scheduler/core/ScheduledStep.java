package dev.baton.scheduler.core;

import dev.baton.api.plan.StepPlan;

import java.util.Arrays;

/**
 * One planned step: the {@link StepPlan} handed to the device, plus what the scheduler needs to apply its result --
 * which sequence each plan entry is, how many tokens and drafts it was given, and how far its KV is valid once the
 * step succeeds. Reusable: the engine keeps two (one in flight, one being planned). Engine thread only.
 */
public final class ScheduledStep {
    private final StepPlan plan;
    private long stepId;
    private int numSeqs;
    private Sequence[] seqs = new Sequence[64];
    private int[] numTokens = new int[64];
    private int[] numDrafts = new int[64];
    private int[] validAfter = new int[64];
    private int[] placeholders = new int[64];
    private int[] epoch = new int[64];
    private int numPrefillTokens;
    private long prefillLeftTokens;
    private int numDecodeTokens;
    private int numNewSeqs;
    private int numPreemptions;
    private Sequence[] swappedOut = new Sequence[8];
    private int numSwappedOut;

    public ScheduledStep(int numKvGroups) {
        this.plan = new StepPlan(numKvGroups);
    }

    public StepPlan plan() {
        return plan;
    }

    public long stepId() {
        return stepId;
    }

    public int numSeqs() {
        return numSeqs;
    }

    public Sequence seq(int i) {
        return seqs[i];
    }

    /** Tokens sequence {@code i} computes in this step (including drafts). */
    public int numTokens(int i) {
        return numTokens[i];
    }

    public int numDrafts(int i) {
        return numDrafts[i];
    }

    /** Prompt/recompute tokens of the step. */
    public int numPrefillTokens() {
        return numPrefillTokens;
    }

    /** Decode tokens (including drafts) of the step. */
    public int numDecodeTokens() {
        return numDecodeTokens;
    }

    public int totalTokens() {
        return numPrefillTokens + numDecodeTokens;
    }

    /**
     * Prompt (or recompute) tokens still to compute after this step, waiting and running together: more than 0 means
     * the step did not hold all the prefill work there was.
     */
    public long prefillLeftTokens() {
        return prefillLeftTokens;
    }

    /** Sequences scheduled for the first time (or resumed) in this step. */
    public int numNewSeqs() {
        return numNewSeqs;
    }

    /** Preemptions decided while planning this step. */
    public int numPreemptions() {
        return numPreemptions;
    }

    /** Whether the step does anything on the device (sequences or block moves). */
    public boolean isEmpty() {
        return numSeqs == 0 && plan.numMoves() == 0 && plan.numReleased() == 0;
    }

    // ------------------------------------------------------------------ package-private

    void begin(long stepId) {
        this.stepId = stepId;
        Arrays.fill(seqs, 0, numSeqs, null);
        Arrays.fill(swappedOut, 0, numSwappedOut, null);
        numSeqs = 0;
        numPrefillTokens = numDecodeTokens = numNewSeqs = numPreemptions = numSwappedOut = 0;
        prefillLeftTokens = 0;
        plan.clear(stepId);
    }

    int add(Sequence seq, int tokens, int drafts, int validAfter, int placeholders, boolean prefill) {
        int i = numSeqs;
        if (i == seqs.length) {
            int n = i * 2;
            seqs = Arrays.copyOf(seqs, n);
            numTokens = Arrays.copyOf(numTokens, n);
            numDrafts = Arrays.copyOf(numDrafts, n);
            this.validAfter = Arrays.copyOf(this.validAfter, n);
            this.placeholders = Arrays.copyOf(this.placeholders, n);
            epoch = Arrays.copyOf(epoch, n);
        }
        seqs[i] = seq;
        numTokens[i] = tokens;
        numDrafts[i] = drafts;
        this.validAfter[i] = validAfter;
        this.placeholders[i] = placeholders;
        epoch[i] = seq.epoch();
        if (prefill) {
            numPrefillTokens += tokens;
        } else {
            numDecodeTokens += tokens;
        }
        numSeqs = i + 1;
        return i;
    }

    void setPrefillLeftTokens(long tokens) {
        prefillLeftTokens = tokens;
    }

    int validAfter(int i) {
        return validAfter[i];
    }

    int placeholders(int i) {
        return placeholders[i];
    }

    int epoch(int i) {
        return epoch[i];
    }

    void countNew() {
        numNewSeqs++;
    }

    void countPreemption() {
        numPreemptions++;
    }

    void addSwappedOut(Sequence seq) {
        if (numSwappedOut == swappedOut.length) {
            swappedOut = Arrays.copyOf(swappedOut, numSwappedOut * 2);
        }
        swappedOut[numSwappedOut++] = seq;
    }

    int numSwappedOut() {
        return numSwappedOut;
    }

    Sequence swappedOut(int i) {
        return swappedOut[i];
    }
}
