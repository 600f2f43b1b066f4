package dev.baton.accelerator.runner;

import dev.baton.accelerator.KvCacheLayout;
import dev.baton.accelerator.sampling.RejectionSampler;
import dev.baton.accelerator.sampling.TokenSampler;
import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.BlockTable;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.api.request.SamplingParams;

import java.util.Arrays;

/**
 * The device-independent half of executing a {@link StepPlan} on a model whose logits come back to the host: the
 * checks a device makes before it touches anything, the rows of the forward pass, and sampling and draft verification
 * from the logits. The CPU reference device and the CUDA binding share it, so they accept the same plans, resolve
 * placeholders the same way and draw the same random numbers.
 *
 * <h2>One step</h2>
 * <ol>
 *   <li>{@link #prepare} checks the whole plan (a malformed plan is a scheduler bug and fails with an
 *   {@link IllegalArgumentException} naming the step and sequence, before any state changes), resolves
 *   {@link StepPlan#PLACEHOLDER_TOKEN} inputs to the token this device last returned for the slot, hands the forward
 *   pass its rows through a {@link Batch}, and copies everything sampling will need, so that the plan may change once
 *   the device's {@code launch} returns.</li>
 *   <li>{@link #forgetReleased} drops the last tokens of the plan's released slots.</li>
 *   <li>The device runs the block moves and the forward pass and gets the logits of the rows marked for them.</li>
 *   <li>{@link #sample} samples, or verifies drafts ({@link RejectionSampler}), for the sequences that sample.</li>
 *   <li>{@link #deliver} writes tokens and probability rows into the {@link StepResult}.</li>
 * </ol>
 *
 * <h2>Randomness</h2>
 * With {@code n} inputs of which {@code k} are drafts starting at position {@code c}, the first produced token is at
 * {@code P = c + n - k}; a plain sample uses {@code (seed, P, SAMPLE)}; draft {@code j} uses
 * {@code (seed, P + j, ACCEPT)} and, if rejected, {@code (seed, P + j, RECOVER)}; the bonus token
 * {@code (seed, P + k, SAMPLE)}. Greedy requests draw nothing. A draft input that is not a token id ({@code -1}) is
 * computed as token 0 and always rejected.
 *
 * <h2>Results</h2>
 * Per sequence: nothing for a prefill chunk that does not sample; 1 token for a decode; {@code 1 .. k + 1} after
 * verifying {@code k} drafts. With {@link StepPlan#FLAG_WANT_PROBS}, probability row {@code j} is the target
 * distribution (after temperature, top-k, top-p; a point mass on the argmax for greedy requests) of the token at the
 * {@code j}-th returned position.
 *
 * <p>Confined to the device's thread; not thread-safe. Arrays grow to the largest step seen and are then reused: a
 * steady stream of steps allocates nothing.
 */
public final class StepRunner {

    /** Where {@link #prepare} puts the forward pass's rows: the device's batch. */
    public interface Batch {

        /** Copies {@code length} ids of {@code table} into the batch and returns their offset. */
        int addTable(BlockTable table, int length);

        /** Block id {@code index} of the table at {@code tableOffset}. */
        int tableBlock(int tableOffset, int index);

        /**
         * Appends a row (token {@code token} at {@code position} of the sequence whose table is at
         * {@code tableOffset}) and returns its logits row index, counting from 0 in the order rows are added, or
         * {@code -1} when {@code wantLogits} is false.
         */
        int addRow(int token, int position, int tableOffset, boolean wantLogits);
    }

    private static final int UNKNOWN = Integer.MIN_VALUE;
    private static final int MAX_SLOTS = 1 << 24;

    private final String device;
    private final String hostTierHint;
    private final KvCacheLayout layout;
    private final int vocab;
    private final int maxModelLen;
    private final TokenSampler sampler;
    private final RejectionSampler verifier;

    private int[] lastSampled = new int[64];
    private int[] slotStamp = new int[64];
    private int stamp;

    // The prepared step, copied from the plan.
    private long stepId;
    private int numSeqs;
    private boolean allLogits;
    private int[] slot = new int[16];
    private int[] position = new int[16];
    private int[] numTokens = new int[16];
    private int[] numDrafts = new int[16];
    private int[] flags = new int[16];
    private long[] seed = new long[16];
    private SamplingParams[] sampling = new SamplingParams[16];
    private int[] draftOffset = new int[16];
    private int[] draftTokens = new int[64];
    private int[] draftRowOffset = new int[16];
    private float[] draftRows = new float[0];
    private int[] firstLogit = new int[16];
    private int numReleased;
    private int[] released = new int[8];

    // The pending result.
    private int[] count = new int[16];
    private int[] tokenOffset = new int[16];
    private int[] tokens = new int[64];
    private int[] probOffset = new int[16];
    private float[] probs = new float[0];

    // Verification scratch.
    private int[] argmax = new int[8];
    private float[] p = new float[0];

    /**
     * @param device       the provider name, for messages ({@code "cpu"}, {@code "cuda"})
     * @param layout       the device's KV tiers (block moves and block tables are checked against them)
     * @param vocab        the model's vocabulary size
     * @param maxModelLen  the longest sequence the model serves
     * @param hostTierHint how to give the device a host tier, for the message when a plan swaps without one
     */
    public StepRunner(String device, KvCacheLayout layout, int vocab, int maxModelLen, String hostTierHint) {
        this.device = device;
        this.hostTierHint = hostTierHint;
        this.layout = layout;
        this.vocab = vocab;
        this.maxModelLen = maxModelLen;
        this.sampler = new TokenSampler(vocab);
        this.verifier = new RejectionSampler(vocab);
        Arrays.fill(lastSampled, UNKNOWN);
    }

    // ---------------------------------------------------------------- before the forward pass

    /**
     * Checks {@code plan}, gives {@code batch} its rows and copies what sampling needs.
     *
     * @param allLogits whether every row wants logits (logits capture), not only the rows that sample
     * @throws IllegalArgumentException if the plan is malformed; nothing has changed then (the batch may hold rows)
     */
    public void prepare(StepPlan plan, Batch batch, boolean allLogits) {
        checkMovesAndReleases(plan);
        int n = plan.numSeqs();
        ensureSeqs(n);
        this.stepId = plan.stepId();
        this.allLogits = allLogits;
        int drafts = 0;
        int rows = 0;
        for (int i = 0; i < n; i++) {
            buildSequence(plan, i, batch);
            int k = plan.numDrafts(i);
            draftOffset[i] = drafts;
            ensureDrafts(drafts + k);
            for (int j = 0; j < k; j++) {
                draftTokens[drafts + j] = plan.token(i, plan.numTokens(i) - k + j);
            }
            drafts += k;
            draftRowOffset[i] = -1;
            if (k > 0 && plan.samples(i) && plan.hasDraftProbabilities(i)) {
                draftRowOffset[i] = rows;
                rows += k * vocab;
                if (draftRows.length < rows) {
                    draftRows = Arrays.copyOf(draftRows, Math.max(rows, 2 * draftRows.length));
                }
                for (int j = 0; j < k; j++) {
                    for (int t = 0; t < vocab; t++) {
                        draftRows[draftRowOffset[i] + j * vocab + t] = plan.draftProbability(i, j, t);
                    }
                }
            }
            slot[i] = plan.slot(i);
            position[i] = plan.position(i);
            numTokens[i] = plan.numTokens(i);
            numDrafts[i] = k;
            flags[i] = plan.flags(i);
            seed[i] = plan.seed(i);
            sampling[i] = plan.sampling(i);
        }
        for (int i = n; i < numSeqs; i++) {
            sampling[i] = null;
        }
        numSeqs = n;
        numReleased = plan.numReleased();
        if (released.length < numReleased) {
            released = new int[Math.max(numReleased, 2 * released.length)];
        }
        for (int r = 0; r < numReleased; r++) {
            released[r] = plan.releasedSlot(r);
        }
    }

    /** Drops the last sampled tokens of the prepared plan's released slots (before its sequences run). */
    public void forgetReleased() {
        for (int r = 0; r < numReleased; r++) {
            if (released[r] < lastSampled.length) {
                lastSampled[released[r]] = UNKNOWN;
            }
        }
    }

    /** Sequences of the prepared plan. */
    public int numSeqs() {
        return numSeqs;
    }

    /** The first position sequence {@code i} computes. */
    public int position(int i) {
        return position[i];
    }

    /** Input tokens of sequence {@code i}. */
    public int numTokens(int i) {
        return numTokens[i];
    }

    /** The logits row of sequence {@code i}'s first row that wants logits, or {@code -1} if none does. */
    public int firstLogitRow(int i) {
        return firstLogit[i];
    }

    // ---------------------------------------------------------------- after the forward pass

    /**
     * Samples, or verifies drafts, for every sequence of the prepared plan that samples.
     *
     * @param logits the logits rows of the batch, {@code [logitsRow][vocab]} row-major from index 0
     */
    public void sample(float[] logits) {
        int tokenOff = 0;
        int probOff = 0;
        for (int i = 0; i < numSeqs; i++) {
            tokenOffset[i] = tokenOff;
            count[i] = 0;
            probOffset[i] = -1;
            if ((flags[i] & StepPlan.FLAG_SAMPLE) == 0) {
                continue;
            }
            int k = numDrafts[i];
            boolean wantsProbs = (flags[i] & StepPlan.FLAG_WANT_PROBS) != 0;
            ensureVerify(k, tokenOff, probOff, wantsProbs);
            // Logits rows of the last k + 1 inputs: the draft positions and the bonus position.
            int firstRow = firstLogit[i] + (allLogits ? numTokens[i] - 1 - k : 0);
            int firstPosition = position[i] + numTokens[i] - k;
            SamplingParams params = sampling[i];
            int n;
            if (params.isGreedy()) {
                for (int j = 0; j <= k; j++) {
                    argmax[j] = TokenSampler.argmax(logits, (firstRow + j) * vocab, vocab);
                }
                n = RejectionSampler.verifyGreedy(draftTokens, draftOffset[i], k, argmax, 0, tokens, tokenOff);
                if (wantsProbs) {
                    Arrays.fill(probs, probOff, probOff + n * vocab, 0f);
                    for (int j = 0; j < n; j++) {
                        probs[probOff + j * vocab + argmax[j]] = 1f;
                    }
                }
            } else {
                for (int j = 0; j <= k; j++) {
                    sampler.distribution(logits, (firstRow + j) * vocab, params, p, j * vocab);
                }
                boolean rows = draftRowOffset[i] >= 0;
                n = verifier.verify(draftTokens, draftOffset[i], k, p, 0, rows ? draftRows : null,
                        rows ? draftRowOffset[i] : 0, seed[i], firstPosition, tokens, tokenOff);
                if (wantsProbs) {
                    System.arraycopy(p, 0, probs, probOff, n * vocab);
                }
            }
            count[i] = n;
            if (wantsProbs) {
                probOffset[i] = probOff;
                probOff += n * vocab;
            }
            lastSampled[slot[i]] = tokens[tokenOff + n - 1];
            tokenOff += n;
        }
    }

    /** Writes the sampled tokens (and probability rows where asked for) into {@code result}. */
    public void deliver(StepResult result) {
        float[] rows = result.probabilityArray();
        for (int i = 0; i < numSeqs; i++) {
            int off = tokenOffset[i];
            for (int k = 0; k < count[i]; k++) {
                result.addSampled(i, tokens[off + k]);
            }
            if (probOffset[i] >= 0 && result.hasProbabilities(i)) {
                for (int k = 0; k < count[i]; k++) {
                    System.arraycopy(probs, probOffset[i] + k * vocab, rows, result.probabilityRowOffset(i, k), vocab);
                }
            }
        }
    }

    /** The step id of the prepared plan. */
    public long stepId() {
        return stepId;
    }

    // ---------------------------------------------------------------- checks

    private void checkMovesAndReleases(StepPlan plan) {
        if (plan.numKvGroups() != 1) {
            throw invalid(plan, "the " + device + " model has one KV-cache group (full attention in every layer),"
                    + " the plan has " + plan.numKvGroups());
        }
        int dev = layout.numDeviceBlocks();
        int host = layout.numHostBlocks();
        for (int m = 0; m < plan.numMoves(); m++) {
            BlockMoveKind kind = plan.moveKind(m);
            int src = plan.moveSrc(m);
            int dst = plan.moveDst(m);
            boolean ok = switch (kind) {
                case SWAP_OUT -> src >= 1 && src < dev && dst >= 0 && dst < host;
                case SWAP_IN -> src >= 0 && src < host && dst >= 1 && dst < dev;
                case COPY -> src >= 1 && src < dev && dst >= 1 && dst < dev && src != dst;
            };
            if (!ok) {
                throw invalid(plan, "move " + m + " " + kind + " " + src + " -> " + dst + " is out of range (device"
                        + " blocks 1.." + (dev - 1) + ", block 0 is the null block; host blocks 0.." + (host - 1)
                        + (host == 0 ? ": this device has no host tier, " + hostTierHint : "") + ")");
            }
        }
        stamp++;
        for (int r = 0; r < plan.numReleased(); r++) {
            int s = plan.releasedSlot(r);
            if (s < 0) {
                throw invalid(plan, "released slot " + s + " is negative");
            }
            if (s < slotStamp.length) {
                // Mark released slots with the negated stamp: a placeholder for them cannot be resolved.
                slotStamp[s] = -stamp;
            }
        }
    }

    private void buildSequence(StepPlan plan, int i, Batch batch) {
        int bs = layout.blockSize();
        int s = plan.slot(i);
        int n = plan.numTokens(i);
        int k = plan.numDrafts(i);
        int pos = plan.position(i);
        if (s < 0 || s >= MAX_SLOTS) {
            throw invalid(plan, i, "slot must be in [0, " + MAX_SLOTS + ")");
        }
        ensureSlot(s);
        if (slotStamp[s] == stamp) {
            throw invalid(plan, i, "the slot appears twice in one plan");
        }
        boolean isReleased = slotStamp[s] == -stamp;
        slotStamp[s] = stamp;
        if (n < 1) {
            throw invalid(plan, i, "computes no token; leave it out of the plan");
        }
        if (k < 0 || k >= n) {
            throw invalid(plan, i, "numDrafts " + k + " must be in [0, numTokens - 1 = " + (n - 1) + "]");
        }
        if (k > 0 && !plan.samples(i)) {
            throw invalid(plan, i, "carries " + k + " drafts but does not sample; set FLAG_SAMPLE to verify them");
        }
        if (pos < 0 || (long) pos + n > maxModelLen) {
            throw invalid(plan, i, "positions " + pos + " .. " + (pos + n - 1) + " exceed max-model-len " + maxModelLen);
        }
        if (plan.samples(i) && plan.sampling(i) == null) {
            throw invalid(plan, i, "samples but has no sampling parameters");
        }
        if (plan.hasDraftProbabilities(i) && plan.draftProbabilityVocabSize() != vocab) {
            throw invalid(plan, i, "draft probability rows have " + plan.draftProbabilityVocabSize()
                    + " entries; the model's vocabulary is " + vocab);
        }
        BlockTable table = plan.blockTable(i, 0);
        int needed = (pos + n + bs - 1) / bs;
        if (table == null || plan.blockTableLength(i, 0) < needed || table.size() < needed) {
            throw invalid(plan, i, "needs " + needed + " blocks of " + bs + " tokens for positions up to "
                    + (pos + n - 1) + ", its block table has "
                    + (table == null ? "none" : Math.min(table.size(), plan.blockTableLength(i, 0))));
        }
        int tableOff = batch.addTable(table, needed);
        for (int b = 0; b < needed; b++) {
            int id = batch.tableBlock(tableOff, b);
            if (id < 1 || id >= layout.numDeviceBlocks()) {
                throw invalid(plan, i, "block table entry " + b + " is " + id + "; entries must be device blocks"
                        + " 1.." + (layout.numDeviceBlocks() - 1) + " (block 0, the null block, holds no KV)");
            }
        }
        int first = -1;
        int firstSampledRow = plan.samples(i) ? n - 1 - k : n;
        for (int j = 0; j < n; j++) {
            int t = plan.token(i, j);
            boolean draft = j >= n - k;
            if (draft) {
                if (t < -1 || t >= vocab) {
                    throw invalid(plan, i, "draft token " + t + " is neither a token id in [0, " + vocab
                            + ") nor the placeholder -1");
                }
                t = Math.max(t, 0);
            } else if (t == StepPlan.PLACEHOLDER_TOKEN) {
                if (isReleased || lastSampled[s] == UNKNOWN) {
                    throw invalid(plan, i, "input " + j + " is a placeholder, but this device has not sampled a"
                            + " token for the slot" + (isReleased ? " (it is released in this plan)" : ""));
                }
                t = lastSampled[s];
            } else if (t < 0 || t >= vocab) {
                throw invalid(plan, i, "input token " + t + " is outside the vocabulary [0, " + vocab + ")");
            }
            int row = batch.addRow(t, pos + j, tableOff, allLogits || j >= firstSampledRow);
            if (first < 0) {
                first = row;
            }
        }
        firstLogit[i] = first;
    }

    // ---------------------------------------------------------------- capacity

    private void ensureVerify(int k, int tokenOff, int probOff, boolean wantsProbs) {
        if (argmax.length < k + 1) {
            argmax = new int[2 * (k + 1)];
        }
        if (p.length < (k + 1) * vocab) {
            p = new float[2 * (k + 1) * vocab];
        }
        if (tokens.length < tokenOff + k + 1) {
            tokens = Arrays.copyOf(tokens, Math.max(2 * tokens.length, tokenOff + k + 1));
        }
        if (wantsProbs && probs.length < probOff + (k + 1) * vocab) {
            probs = Arrays.copyOf(probs, Math.max(2 * probs.length, probOff + (k + 1) * vocab));
        }
    }

    private void ensureDrafts(int n) {
        if (draftTokens.length < n) {
            draftTokens = Arrays.copyOf(draftTokens, Math.max(n, 2 * draftTokens.length));
        }
    }

    private void ensureSeqs(int n) {
        if (slot.length < n) {
            int c = Math.max(n, 2 * slot.length);
            slot = Arrays.copyOf(slot, c);
            position = Arrays.copyOf(position, c);
            numTokens = Arrays.copyOf(numTokens, c);
            numDrafts = Arrays.copyOf(numDrafts, c);
            flags = Arrays.copyOf(flags, c);
            seed = Arrays.copyOf(seed, c);
            sampling = Arrays.copyOf(sampling, c);
            draftOffset = Arrays.copyOf(draftOffset, c);
            draftRowOffset = Arrays.copyOf(draftRowOffset, c);
            firstLogit = Arrays.copyOf(firstLogit, c);
            count = Arrays.copyOf(count, c);
            tokenOffset = Arrays.copyOf(tokenOffset, c);
            probOffset = Arrays.copyOf(probOffset, c);
        }
    }

    private void ensureSlot(int s) {
        if (s >= lastSampled.length) {
            int n = Math.max(s + 1, 2 * lastSampled.length);
            int old = lastSampled.length;
            lastSampled = Arrays.copyOf(lastSampled, n);
            Arrays.fill(lastSampled, old, n, UNKNOWN);
            slotStamp = Arrays.copyOf(slotStamp, n);
        }
    }

    private static IllegalArgumentException invalid(StepPlan plan, String what) {
        return new IllegalArgumentException("invalid step plan (step " + plan.stepId() + "): " + what);
    }

    private static IllegalArgumentException invalid(StepPlan plan, int i, String what) {
        return invalid(plan, "sequence " + i + " (slot " + plan.slot(i) + "): " + what);
    }
}
