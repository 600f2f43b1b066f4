package dev.baton.api.plan;

import dev.baton.api.request.SamplingParams;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the device computes in one step: the contract between the scheduler and the accelerator.
 *
 * <h2>Contents</h2>
 * <ul>
 *   <li><b>Block moves</b> ({@link #numMoves()}): swap-outs, swap-ins and copies, executed first, in order.</li>
 *   <li><b>Sequences</b> ({@link #numSeqs()}): for each scheduled sequence {@code i}, the device computes
 *   {@link #numTokens(int) numTokens(i)} consecutive tokens starting at position {@link #position(int) position(i)}
 *   (the number of tokens whose KV is already in the sequence's blocks), writes their K/V into the sequence's
 *   {@link #blockTable(int, int) block table} and attends over positions {@code [0, position + numTokens)}. The
 *   input token ids are {@link #token(int, int) token(i, k)}; a {@link #PLACEHOLDER_TOKEN} stands for the token the
 *   device itself sampled for the same sequence in the previous step (one-step-ahead scheduling).</li>
 *   <li><b>Sampling</b>: when {@link #samples(int)} is set (the step reaches the end of the sequence's known tokens)
 *   the device samples the next token from the logits of the last input position, with the sequence's
 *   {@link #sampling(int) parameters} and {@link #seed(int) seed}. When the last {@link #numDrafts(int) numDrafts}
 *   input tokens are speculative drafts, the device verifies them and returns the accepted prefix plus one more token
 *   (1 .. numDrafts + 1 tokens). A draft token of {@link #PLACEHOLDER_TOKEN} is a draft not known yet: it is always
 *   rejected (the placeholder meaning above applies to the non-draft inputs only).</li>
 *   <li><b>Released slots</b>: sequences that ended; the device may drop any per-sequence state it keeps. Releases
 *   take effect before the step's sequences run, so a slot released in a plan may be reused by a new sequence in the
 *   same plan.</li>
 * </ul>
 *
 * <h2>Ownership and threads</h2>
 * A plan is a reusable buffer owned by the engine thread; filling and reading it allocates nothing once its arrays
 * have grown to the working size. The device must read everything it needs during {@code launch}: after that
 * returns, the plan and the block tables it references may change for the next step.
 *
 * <h2>Randomness</h2>
 * A sequence's random stream is a function of its seed and the position of the token being sampled, never of the
 * step or the batch, so seeded sampling is reproducible however the request is scheduled.
 */
public final class StepPlan {

    /** Input token id meaning "the token this device sampled for this sequence in the previous step". */
    public static final int PLACEHOLDER_TOKEN = -1;

    /** Flag: the device samples after this sequence's last input token. */
    public static final int FLAG_SAMPLE = 1;
    /** Flag: return the target probability rows for the sampled positions. */
    public static final int FLAG_WANT_PROBS = 1 << 1;

    private final int numKvGroups;

    private long stepId;
    private int numSeqs;
    private int[] slot = new int[16];
    private long[] seed = new long[16];
    private SamplingParams[] sampling = new SamplingParams[16];
    private int[] lora = new int[16];
    private int[] position = new int[16];
    private int[] numTokens = new int[16];
    private int[] numDrafts = new int[16];
    private int[] tokenOffset = new int[16];
    private int[] flags = new int[16];
    private int[] draftProbOffset = new int[16];
    private final BlockTable[][] tables;
    private final int[][] tableLength;

    private int[] tokens = new int[64];
    private int tokensSize;
    private float[] draftProbs = new float[0];
    private int draftProbsSize;
    private int draftProbStride;

    private int numMoves;
    private byte[] moveKind = new byte[8];
    private int[] moveSrc = new int[8];
    private int[] moveDst = new int[8];

    private int numReleased;
    private int[] released = new int[8];

    /** A plan for a model with one KV-cache group (every layer uses full attention). */
    public StepPlan() {
        this(1);
    }

    /**
     * A plan for a model whose layers form {@code numKvGroups} KV-cache groups (for example full attention and
     * sliding-window attention), each with its own block table per sequence.
     */
    public StepPlan(int numKvGroups) {
        if (numKvGroups < 1) {
            throw new IllegalArgumentException("numKvGroups must be at least 1, got " + numKvGroups);
        }
        this.numKvGroups = numKvGroups;
        this.tables = new BlockTable[numKvGroups][16];
        this.tableLength = new int[numKvGroups][16];
    }

    // ---------------------------------------------------------------- writing (engine thread)

    /** Empties the plan for step {@code stepId}; keeps the arrays. */
    public void clear(long stepId) {
        this.stepId = stepId;
        for (int g = 0; g < numKvGroups; g++) {
            Arrays.fill(tables[g], 0, numSeqs, null);
        }
        Arrays.fill(sampling, 0, numSeqs, null);
        numSeqs = 0;
        tokensSize = 0;
        draftProbsSize = 0;
        draftProbStride = 0;
        numMoves = 0;
        numReleased = 0;
    }

    /**
     * Appends a sequence and returns its index. Input tokens are added next with {@link #addToken}; block tables with
     * {@link #setBlockTable}.
     *
     * @param slot      the sequence's device-state slot (dense, stable while the sequence lives)
     * @param seed      the sequence's random seed
     * @param sampling  its sampling parameters
     * @param lora      its LoRA adapter slot, or {@code 0} for the base model
     * @param position  tokens already in its KV (the position of the first token computed now)
     * @param numDrafts trailing draft tokens among the inputs, to verify
     * @param flags     {@link #FLAG_SAMPLE}, {@link #FLAG_WANT_PROBS}
     */
    public int addSequence(int slot, long seed, SamplingParams sampling, int lora, int position, int numDrafts,
                           int flags) {
        int i = numSeqs;
        if (i == this.slot.length) {
            growSeqs(i * 2);
        }
        this.slot[i] = slot;
        this.seed[i] = seed;
        this.sampling[i] = sampling;
        this.lora[i] = lora;
        this.position[i] = position;
        this.numTokens[i] = 0;
        this.numDrafts[i] = numDrafts;
        this.tokenOffset[i] = tokensSize;
        this.flags[i] = flags;
        this.draftProbOffset[i] = -1;
        numSeqs = i + 1;
        return i;
    }

    /** Appends one input token to the most recently added sequence. */
    public void addToken(int token) {
        requireSequence();
        if (tokensSize == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokensSize * 2);
        }
        tokens[tokensSize++] = token;
        numTokens[numSeqs - 1]++;
    }

    /** Appends {@code len} input tokens from {@code src} to the most recently added sequence. */
    public void addTokens(int[] src, int from, int len) {
        requireSequence();
        Objects.checkFromIndexSize(from, len, src.length);
        ensureTokens(len);
        System.arraycopy(src, from, tokens, tokensSize, len);
        tokensSize += len;
        numTokens[numSeqs - 1] += len;
    }

    /**
     * Reserves {@code len} input token slots for the most recently added sequence and returns the offset in
     * {@link #tokenArray()} at which the caller writes them.
     */
    public int reserveTokens(int len) {
        requireSequence();
        if (len < 0) {
            throw new IllegalArgumentException("cannot reserve a negative number of tokens: " + len);
        }
        ensureTokens(len);
        int at = tokensSize;
        tokensSize += len;
        numTokens[numSeqs - 1] += len;
        return at;
    }

    /** The writable token array (valid up to the last {@link #reserveTokens} call). */
    public int[] tokenArray() {
        return tokens;
    }

    /** Sets sequence {@code i}'s block table of KV group {@code group}, of which the first {@code length} blocks apply. */
    public void setBlockTable(int i, int group, BlockTable table, int length) {
        tables[group][i] = table;
        tableLength[group][i] = length;
    }

    /** Removes the last {@code n} input tokens of the most recently added sequence (trims drafts). */
    public void trimLastSequenceTokens(int n) {
        requireSequence();
        int i = numSeqs - 1;
        if (n < 0 || n > numTokens[i]) {
            throw new IllegalArgumentException("can trim 0.." + numTokens[i] + " tokens of sequence " + i + ", not "
                    + n);
        }
        numTokens[i] -= n;
        tokensSize -= n;
    }

    /** Sets the number of trailing draft tokens of sequence {@code i}. */
    public void setNumDrafts(int i, int n) {
        numDrafts[i] = n;
    }

    /** Sets flags of sequence {@code i}. */
    public void setFlags(int i, int flags) {
        this.flags[i] = flags;
    }

    /**
     * Attaches the draft distribution rows (one row of {@code vocabSize} probabilities per draft token, in order) for
     * stochastic verification of sequence {@code i}'s drafts. Without rows, drafts are treated as one-hot proposals.
     */
    public void setDraftProbabilities(int i, float[] rows, int from, int numRows, int vocabSize) {
        Objects.checkIndex(i, numSeqs);
        if (vocabSize < 1 || numRows < 0) {
            throw new IllegalArgumentException("draft rows need vocabSize >= 1 and numRows >= 0, got vocabSize "
                    + vocabSize + " and numRows " + numRows);
        }
        if (draftProbStride != 0 && draftProbStride != vocabSize) {
            throw new IllegalArgumentException("draft rows of one plan must share a vocabulary size: "
                    + draftProbStride + " vs " + vocabSize);
        }
        draftProbStride = vocabSize;
        int len = Math.multiplyExact(numRows, vocabSize);
        Objects.checkFromIndexSize(from, len, rows.length);
        if (draftProbsSize + len > draftProbs.length) {
            draftProbs = Arrays.copyOf(draftProbs, Math.max(draftProbs.length * 2, draftProbsSize + len));
        }
        System.arraycopy(rows, from, draftProbs, draftProbsSize, len);
        draftProbOffset[i] = draftProbsSize;
        draftProbsSize += len;
    }

    /** Appends a block move. */
    public void addMove(BlockMoveKind kind, int src, int dst) {
        if (numMoves == moveKind.length) {
            int n = numMoves * 2;
            moveKind = Arrays.copyOf(moveKind, n);
            moveSrc = Arrays.copyOf(moveSrc, n);
            moveDst = Arrays.copyOf(moveDst, n);
        }
        moveKind[numMoves] = (byte) kind.ordinal();
        moveSrc[numMoves] = src;
        moveDst[numMoves] = dst;
        numMoves++;
    }

    /** Tells the device that the sequence in {@code slot} ended. */
    public void addReleased(int slot) {
        if (numReleased == released.length) {
            released = Arrays.copyOf(released, numReleased * 2);
        }
        released[numReleased++] = slot;
    }

    // ---------------------------------------------------------------- reading (device)

    public long stepId() {
        return stepId;
    }

    public int numKvGroups() {
        return numKvGroups;
    }

    public int numSeqs() {
        return numSeqs;
    }

    public int slot(int i) {
        return slot[i];
    }

    public long seed(int i) {
        return seed[i];
    }

    public SamplingParams sampling(int i) {
        return sampling[i];
    }

    public int lora(int i) {
        return lora[i];
    }

    public int position(int i) {
        return position[i];
    }

    public int numTokens(int i) {
        return numTokens[i];
    }

    public int numDrafts(int i) {
        return numDrafts[i];
    }

    public int flags(int i) {
        return flags[i];
    }

    public boolean samples(int i) {
        return (flags[i] & FLAG_SAMPLE) != 0;
    }

    public boolean wantsProbabilities(int i) {
        return (flags[i] & FLAG_WANT_PROBS) != 0;
    }

    /** Input token {@code k} ({@code 0 <= k < numTokens(i)}) of sequence {@code i}, at position {@code position(i) + k}. */
    public int token(int i, int k) {
        return tokens[tokenOffset[i] + k];
    }

    /** Offset of sequence {@code i}'s first input token in {@link #tokenArray()}. */
    public int tokenOffset(int i) {
        return tokenOffset[i];
    }

    /** Total input tokens over all sequences (the step's batch size in tokens). */
    public int totalTokens() {
        return tokensSize;
    }

    public BlockTable blockTable(int i, int group) {
        return tables[group][i];
    }

    /** How many blocks of {@link #blockTable} this step uses (the table may be longer). */
    public int blockTableLength(int i, int group) {
        return tableLength[group][i];
    }

    /** Whether sequence {@code i} carries draft probability rows. */
    public boolean hasDraftProbabilities(int i) {
        return draftProbOffset[i] >= 0;
    }

    /** The vocabulary size (row width) of this plan's draft probability rows, or 0 when it carries none. */
    public int draftProbabilityVocabSize() {
        return draftProbStride;
    }

    /** Draft probability of {@code token} for draft {@code d} of sequence {@code i}. */
    public float draftProbability(int i, int d, int token) {
        return draftProbs[draftProbOffset[i] + d * draftProbStride + token];
    }

    public int numMoves() {
        return numMoves;
    }

    public BlockMoveKind moveKind(int m) {
        return BlockMoveKind.of(moveKind[m]);
    }

    public int moveSrc(int m) {
        return moveSrc[m];
    }

    public int moveDst(int m) {
        return moveDst[m];
    }

    public int numReleased() {
        return numReleased;
    }

    public int releasedSlot(int r) {
        return released[r];
    }

    /** Number of sequences that compute more than one non-draft token (prefill chunks). */
    public int numPrefillSeqs() {
        int n = 0;
        for (int i = 0; i < numSeqs; i++) {
            if (numTokens[i] - numDrafts[i] > 1) {
                n++;
            }
        }
        return n;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("StepPlan[step=").append(stepId).append(", seqs=[");
        for (int i = 0; i < numSeqs; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(slot[i]).append('@').append(position[i]).append('+').append(numTokens[i]);
            if (numDrafts[i] > 0) {
                sb.append("(d").append(numDrafts[i]).append(')');
            }
        }
        sb.append("], moves=").append(numMoves).append(']');
        return sb.toString();
    }

    private void requireSequence() {
        if (numSeqs == 0) {
            throw new IllegalStateException("add a sequence with addSequence before adding or trimming its tokens");
        }
    }

    private void ensureTokens(int len) {
        if (tokensSize + len > tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.max(tokens.length * 2, tokensSize + len));
        }
    }

    private void growSeqs(int n) {
        slot = Arrays.copyOf(slot, n);
        seed = Arrays.copyOf(seed, n);
        sampling = Arrays.copyOf(sampling, n);
        lora = Arrays.copyOf(lora, n);
        position = Arrays.copyOf(position, n);
        numTokens = Arrays.copyOf(numTokens, n);
        numDrafts = Arrays.copyOf(numDrafts, n);
        tokenOffset = Arrays.copyOf(tokenOffset, n);
        flags = Arrays.copyOf(flags, n);
        draftProbOffset = Arrays.copyOf(draftProbOffset, n);
        for (int g = 0; g < numKvGroups; g++) {
            tables[g] = Arrays.copyOf(tables[g], n);
            tableLength[g] = Arrays.copyOf(tableLength[g], n);
        }
    }
}
