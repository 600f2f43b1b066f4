package dev.baton.scheduler.spec;

import dev.baton.api.plan.StepResult;
import dev.baton.scheduler.core.Sequence;

import java.util.Arrays;

/**
 * The decoding sequences that may speculate in the next step, handed first to the {@link DraftLengthPolicy} (which
 * reads the batch size and contexts) and then to the {@link DraftProposer} (which writes each entry's drafts and,
 * optionally, their draft distributions). Entry {@code i} also knows where its sequence sat in the step just applied
 * ({@link #resultIndex}), so that a proposer can read tokens the device proposed there.
 *
 * <p>A reusable buffer owned by the {@link SpeculativeDecoder}: steady-state rounds allocate nothing once its arrays
 * have grown to the working batch (probability rows are allocated only for a proposer that writes them). Engine thread
 * only.
 */
public final class DraftBatch {

    private final int maxK;
    private final int vocab;
    private int size;
    private Sequence[] seqs = new Sequence[16];
    private int[] resultIndex = new int[16];
    private int[] maxDrafts = new int[16];
    private int[] counts = new int[16];
    private boolean[] hasRows = new boolean[16];
    private int[] tokens;
    private float[] rows = new float[0];
    private StepResult result;
    private long round;

    /**
     * @param maxK      the most drafts per entry
     * @param vocabSize the width of a draft probability row
     */
    public DraftBatch(int maxK, int vocabSize) {
        this.maxK = Math.max(1, maxK);
        this.vocab = vocabSize;
        this.tokens = new int[16 * this.maxK];
    }

    // ---------------------------------------------------------------- filled by the decoder

    void begin(StepResult lastResult) {
        Arrays.fill(seqs, 0, size, null);
        size = 0;
        result = lastResult;
        round++;
    }

    void add(Sequence seq, int resultIdx) {
        if (size == seqs.length) {
            int n = size * 2;
            seqs = Arrays.copyOf(seqs, n);
            resultIndex = Arrays.copyOf(resultIndex, n);
            maxDrafts = Arrays.copyOf(maxDrafts, n);
            counts = Arrays.copyOf(counts, n);
            hasRows = Arrays.copyOf(hasRows, n);
            tokens = Arrays.copyOf(tokens, n * maxK);
        }
        seqs[size] = seq;
        resultIndex[size] = resultIdx;
        maxDrafts[size] = 0;
        counts[size] = 0;
        hasRows[size] = false;
        size++;
    }

    void setMaxDrafts(int i, int k) {
        maxDrafts[i] = Math.min(k, maxK);
    }

    void truncate(int i, int count) {
        counts[i] = Math.min(counts[i], count);
    }

    long round() {
        return round;
    }

    /** Offset of entry {@code i}'s first probability row (without marking it). */
    int rowOffset(int i) {
        return i * maxK * vocab;
    }

    /** Offset of entry {@code i}'s first draft in {@link #tokenArray()}. */
    int tokenOffset(int i) {
        return i * maxK;
    }

    int[] tokenArray() {
        return tokens;
    }

    float[] rowArray() {
        return rows;
    }

    // ---------------------------------------------------------------- read by policies and proposers

    /** Entries (decoding sequences). */
    public int size() {
        return size;
    }

    public Sequence sequence(int i) {
        return seqs[i];
    }

    /** Tokens already in entry {@code i}'s KV on the target: the context its next verification attends over. */
    public int context(int i) {
        return seqs[i].numComputed();
    }

    /** The most drafts entry {@code i} may receive (0 until the policy has decided, and for entries out of room). */
    public int maxDrafts(int i) {
        return maxDrafts[i];
    }

    /** The result of the step just applied (device proposals), or null before the first step. */
    public StepResult lastResult() {
        return result;
    }

    /** Entry {@code i}'s index in {@link #lastResult()}, or -1 if it was not in that step. */
    public int resultIndex(int i) {
        return resultIndex[i];
    }

    /** The vocabulary size, the width of a probability row. */
    public int vocabSize() {
        return vocab;
    }

    // ---------------------------------------------------------------- written by proposers

    /** Appends a draft token to entry {@code i} (at most {@link #maxDrafts(int) maxDrafts(i)}). */
    public void addDraft(int i, int token) {
        if (counts[i] >= maxDrafts[i]) {
            throw new IllegalStateException("entry " + i + " already has its " + maxDrafts[i] + " drafts");
        }
        tokens[i * maxK + counts[i]++] = token;
    }

    /** Entry {@code i}'s drafts so far. */
    public int numDrafts(int i) {
        return counts[i];
    }

    public int draft(int i, int j) {
        return tokens[i * maxK + j];
    }

    /**
     * The writable probability row of draft {@code j} of entry {@code i} (offset into {@link #probabilityArray()}), for
     * a proposer that samples its drafts: the distribution draft {@code j} was drawn from. Marks the entry as carrying
     * rows; a proposer that writes rows writes one per draft it adds.
     */
    public int probabilityRowOffset(int i, int j) {
        if (j < 0 || j >= maxK) {
            throw new IndexOutOfBoundsException("draft " + j + " of at most " + maxK);
        }
        int need = seqs.length * maxK * vocab;
        if (rows.length < need) {
            rows = Arrays.copyOf(rows, need);
        }
        hasRows[i] = true;
        return (i * maxK + j) * vocab;
    }

    public float[] probabilityArray() {
        return rows;
    }

    /** Whether entry {@code i}'s drafts carry probability rows. */
    public boolean hasProbabilities(int i) {
        return hasRows[i];
    }
}
