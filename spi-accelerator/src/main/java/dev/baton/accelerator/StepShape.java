package dev.baton.accelerator;

import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.StepPlan;

/**
 * The aggregate shape of one step, which is all a {@link CostModel} looks at: how many sequences and tokens, how much
 * KV they read, how much attention work they do, and how many blocks move. A mutable accumulator, reused across
 * steps, so that schedulers can ask "what would this batch cost?" while composing it, without building a plan.
 *
 * <p>A sequence that computes {@code n} tokens on top of {@code c} cached ones is a <em>decode</em> when it computes
 * at most {@code 1 + drafts} tokens with {@code c > 0}, otherwise a <em>prefill</em> chunk. Its attention work is the
 * number of (query, key) pairs under the causal mask: {@code n x c + n x (n + 1) / 2}.
 *
 * <p>Not thread-safe; allocation-free.
 */
public final class StepShape {
    private int numSeqs;
    private int numTokens;
    private int numDecodeSeqs;
    private int decodeTokens;
    private long decodeContext;
    private int maxDecodeContext;
    private int numPrefillSeqs;
    private int prefillTokens;
    private long prefillContext;
    private double prefillAttentionPairs;
    private double decodeAttentionPairs;
    private int sampledSeqs;
    private int sampledPositions;
    private int multiQuerySeqs;
    private int multiQueryTokens;
    private double multiQueryPairs;
    private int maxPrefillLength;
    private int maxSequenceLength;
    private int swapOutBlocks;
    private int swapInBlocks;
    private int copyBlocks;

    /** An empty shape. */
    public StepShape() {
    }

    /** Empties the shape. */
    public StepShape clear() {
        numSeqs = numTokens = numDecodeSeqs = decodeTokens = maxDecodeContext = 0;
        numPrefillSeqs = prefillTokens = sampledSeqs = sampledPositions = 0;
        maxPrefillLength = maxSequenceLength = multiQuerySeqs = multiQueryTokens = 0;
        multiQueryPairs = 0;
        decodeContext = prefillContext = 0;
        prefillAttentionPairs = decodeAttentionPairs = 0;
        swapOutBlocks = swapInBlocks = copyBlocks = 0;
        return this;
    }

    /**
     * Makes this shape a copy of {@code other}, so that a scheduler can try a candidate on top of a committed batch
     * ("what would this step cost with that chunk added?") without rebuilding it.
     */
    public StepShape set(StepShape other) {
        numSeqs = other.numSeqs;
        numTokens = other.numTokens;
        numDecodeSeqs = other.numDecodeSeqs;
        decodeTokens = other.decodeTokens;
        decodeContext = other.decodeContext;
        maxDecodeContext = other.maxDecodeContext;
        numPrefillSeqs = other.numPrefillSeqs;
        prefillTokens = other.prefillTokens;
        prefillContext = other.prefillContext;
        prefillAttentionPairs = other.prefillAttentionPairs;
        decodeAttentionPairs = other.decodeAttentionPairs;
        sampledSeqs = other.sampledSeqs;
        sampledPositions = other.sampledPositions;
        multiQuerySeqs = other.multiQuerySeqs;
        multiQueryTokens = other.multiQueryTokens;
        multiQueryPairs = other.multiQueryPairs;
        maxPrefillLength = other.maxPrefillLength;
        maxSequenceLength = other.maxSequenceLength;
        swapOutBlocks = other.swapOutBlocks;
        swapInBlocks = other.swapInBlocks;
        copyBlocks = other.copyBlocks;
        return this;
    }

    /**
     * Adds a sequence computing {@code newTokens} tokens (of which {@code drafts} are drafts to verify) on top of
     * {@code context} tokens already in its KV.
     */
    public StepShape addSequence(int newTokens, int context, int drafts, boolean samples) {
        if (newTokens <= 0) {
            return this;
        }
        numSeqs++;
        numTokens += newTokens;
        int length = context + newTokens;
        maxSequenceLength = Math.max(maxSequenceLength, length);
        double pairs = (double) newTokens * context + (double) newTokens * (newTokens + 1) / 2.0;
        if (newTokens > Math.max(0, drafts) + 1) {
            multiQuerySeqs++;
            multiQueryTokens += newTokens;
            multiQueryPairs += pairs;
        }
        if (context > 0 && newTokens <= drafts + 1) {
            numDecodeSeqs++;
            decodeTokens += newTokens;
            decodeContext += context;
            maxDecodeContext = Math.max(maxDecodeContext, context);
            decodeAttentionPairs += pairs;
        } else {
            numPrefillSeqs++;
            prefillTokens += newTokens;
            prefillContext += context;
            prefillAttentionPairs += pairs;
            maxPrefillLength = Math.max(maxPrefillLength, length);
        }
        if (samples) {
            sampledSeqs++;
            // Logits are computed at the last position and at every draft position being verified.
            sampledPositions += Math.min(newTokens, drafts + 1);
        }
        return this;
    }

    /** Adds a decode of one token at context {@code context}. */
    public StepShape addDecode(int context) {
        return addSequence(1, context, 0, true);
    }

    /**
     * Adds {@code count} one-token decodes whose contexts (each at least 1) sum to {@code contextSum} and reach at most
     * {@code maxContext}: the same shape as {@code count} calls of {@link #addDecode}, in O(1).
     *
     * @throws IllegalArgumentException if a context below 1 is implied ({@code contextSum < count}) or the maximum is
     *                                  below the mean
     */
    public StepShape addDecodes(int count, long contextSum, int maxContext) {
        if (count <= 0) {
            return this;
        }
        if (contextSum < count || (long) maxContext * count < contextSum) {
            throw new IllegalArgumentException(count + " decodes cannot have contexts summing to " + contextSum
                    + " with a maximum of " + maxContext + " (each context is between 1 and the maximum)");
        }
        numSeqs += count;
        numTokens += count;
        maxSequenceLength = Math.max(maxSequenceLength, maxContext + 1);
        numDecodeSeqs += count;
        decodeTokens += count;
        decodeContext += contextSum;
        maxDecodeContext = Math.max(maxDecodeContext, maxContext);
        decodeAttentionPairs += (double) contextSum + count; // one query over its context and itself
        sampledSeqs += count;
        sampledPositions += count;
        return this;
    }

    /** Adds {@code n} block moves of a kind. */
    public StepShape addMoves(BlockMoveKind kind, int n) {
        switch (kind) {
            case SWAP_OUT -> swapOutBlocks += n;
            case SWAP_IN -> swapInBlocks += n;
            case COPY -> copyBlocks += n;
        }
        return this;
    }

    /** Replaces this shape with that of {@code plan}. */
    public StepShape of(StepPlan plan) {
        clear();
        for (int i = 0; i < plan.numSeqs(); i++) {
            addSequence(plan.numTokens(i), plan.position(i), plan.numDrafts(i), plan.samples(i));
        }
        for (int m = 0; m < plan.numMoves(); m++) {
            addMoves(plan.moveKind(m), 1);
        }
        return this;
    }

    public int numSeqs() {
        return numSeqs;
    }

    public int numTokens() {
        return numTokens;
    }

    public int numDecodeSeqs() {
        return numDecodeSeqs;
    }

    public int decodeTokens() {
        return decodeTokens;
    }

    /** Sum over decode sequences of their context length (KV tokens read). */
    public long decodeContext() {
        return decodeContext;
    }

    public int maxDecodeContext() {
        return maxDecodeContext;
    }

    public int numPrefillSeqs() {
        return numPrefillSeqs;
    }

    public int prefillTokens() {
        return prefillTokens;
    }

    /** Sum over prefill chunks of the context already cached before the chunk. */
    public long prefillContext() {
        return prefillContext;
    }

    /** Causal (query, key) pairs of the prefill chunks. */
    public double prefillAttentionPairs() {
        return prefillAttentionPairs;
    }

    /** Causal (query, key) pairs of the decodes. */
    public double decodeAttentionPairs() {
        return decodeAttentionPairs;
    }

    /** KV tokens read by the step's attention (context plus new tokens of every sequence). */
    public long kvTokensRead() {
        return decodeContext + prefillContext + numTokens;
    }

    public int sampledSeqs() {
        return sampledSeqs;
    }

    /**
     * Positions whose logits the step computes: one per sampling sequence plus one per draft token it verifies (the
     * rows of the LM head and the sampler).
     */
    public int sampledPositions() {
        return sampledPositions;
    }

    /**
     * Sequences computing more tokens than one plus their drafts: prompt chunks of two or more tokens. A batch
     * without any (decodes, draft verification, one-token prompt tails) can run a decode attention kernel; unlike
     * {@link #numPrefillSeqs()} this count does not depend on context, so adding context never changes it.
     */
    public int multiQuerySeqs() {
        return multiQuerySeqs;
    }

    /** New tokens of the {@link #multiQuerySeqs()}. */
    public int multiQueryTokens() {
        return multiQueryTokens;
    }

    /** Causal (query, key) pairs of the {@link #multiQuerySeqs()}. */
    public double multiQueryPairs() {
        return multiQueryPairs;
    }

    /** Longest prefill sequence after this step: max over prefill chunks of context plus new tokens. */
    public int maxPrefillLength() {
        return maxPrefillLength;
    }

    /** Longest sequence after this step (context plus new tokens), prefill or decode. */
    public int maxSequenceLength() {
        return maxSequenceLength;
    }

    public int swapOutBlocks() {
        return swapOutBlocks;
    }

    public int swapInBlocks() {
        return swapInBlocks;
    }

    public int copyBlocks() {
        return copyBlocks;
    }

    @Override
    public String toString() {
        return "StepShape[seqs=" + numSeqs + ", tokens=" + numTokens + ", decodes=" + numDecodeSeqs + " (ctx "
                + decodeContext + "), prefills=" + numPrefillSeqs + " (" + prefillTokens + " tok, ctx "
                + prefillContext + "), moves out/in/copy=" + swapOutBlocks + "/" + swapInBlocks + "/" + copyBlocks
                + "]";
    }
}
