package dev.baton.scheduler.core;

import dev.baton.api.FinishReason;
import dev.baton.api.request.SamplingParams;
import dev.baton.kv.KvSequence;
import dev.baton.kv.TokenSequence;

import java.util.Arrays;

/**
 * One sequence the scheduler runs: sample {@code sampleIndex} of a {@link Request}. It carries the vLLM v1 counters
 * that a step is built from: the tokens known so far (prompt plus accepted output), {@link #numComputed()} (tokens
 * whose KV is computed or scheduled to be computed; advanced when a step is planned), and output placeholders for
 * tokens sampled by steps still in flight (one-step-ahead scheduling).
 *
 * <p>Public getters are the view that queue policies and victim selectors read; every mutation happens in this package,
 * on the engine thread.
 */
public final class Sequence implements TokenSequence {
    private final Request request;
    private final int sampleIndex;
    private final long seed;
    private final int[] prompt;
    private final int promptLength;
    // Copied from the request so that a step touches only this object (each hop is a cache miss at 4096 sequences).
    private final SamplingParams sampling;
    private final int maxTokens;
    private final int minTokens;
    private final boolean ignoreEos;
    private final boolean hasStopTokens;
    private final int loraSlot;
    private final SequenceListener listener;
    private int[] output = new int[4];
    private int numOutput;
    private int numComputed;
    private int numPlaceholders;
    private SequenceStatus status;
    private KvSequence kv;
    private int slot = -1;
    private int numPreemptions;
    private boolean swapped;
    private boolean lookedUp;
    private long skippedSinceNanos = -1;
    private FinishReason finishReason;
    private int stopToken = -1;
    private int queueIndex = -1;
    private long lastTokenNanos = -1;
    private long previousTokenNanos = -1;
    private int[] drafts = new int[0];
    private int numDrafts;
    private int epoch;
    private int queuedTokens;

    Sequence(Request request, int sampleIndex, long seed) {
        this.request = request;
        this.sampleIndex = sampleIndex;
        this.seed = seed;
        this.prompt = request.request().promptTokens();
        this.promptLength = prompt.length;
        this.sampling = request.request().sampling();
        this.maxTokens = sampling.maxTokens();
        this.minTokens = sampling.minTokens();
        this.ignoreEos = sampling.ignoreEos();
        this.hasStopTokens = sampling.stopTokenIds().length > 0;
        this.loraSlot = request.loraSlot();
        this.listener = request.listener();
        this.status = sampleIndex == 0 ? SequenceStatus.WAITING : SequenceStatus.AWAITING_FORK;
    }

    // ------------------------------------------------------------------ view (policies, selectors, listeners)

    public Request request() {
        return request;
    }

    public int sampleIndex() {
        return sampleIndex;
    }

    public long seed() {
        return seed;
    }

    public SamplingParams sampling() {
        return sampling;
    }

    /** The most tokens this sequence may generate. */
    public int maxTokens() {
        return maxTokens;
    }

    int minTokens() {
        return minTokens;
    }

    boolean ignoreEos() {
        return ignoreEos;
    }

    /** Whether {@code token} is one of the request's stop tokens (no memory touched when it has none). */
    boolean isStopToken(int token) {
        return hasStopTokens && sampling.isStopToken(token);
    }

    /** The LoRA adapter slot of its request, 0 for the base model. */
    public int loraSlot() {
        return loraSlot;
    }

    SequenceListener listener() {
        return listener;
    }

    public int priority() {
        return request.priority();
    }

    public long arrivalSeq() {
        return request.arrivalSeq();
    }

    public String tenant() {
        return request.tenant();
    }

    public int promptLength() {
        return promptLength;
    }

    /** Generated tokens accepted so far. */
    public int numOutput() {
        return numOutput;
    }

    public int output(int i) {
        return output[i];
    }

    /** A copy of the output tokens. */
    public int[] outputTokens() {
        return Arrays.copyOf(output, numOutput);
    }

    /** Tokens known: prompt plus accepted output. */
    @Override
    public int length() {
        return promptLength + numOutput;
    }

    @Override
    public int tokenAt(int index) {
        return index < promptLength ? prompt[index] : output[index - promptLength];
    }

    @Override
    public void copyTo(int from, int[] dst, int off, int len) {
        int fromPrompt = Math.max(0, Math.min(len, prompt.length - from));
        if (fromPrompt > 0) {
            System.arraycopy(prompt, from, dst, off, fromPrompt);
        }
        if (fromPrompt < len) {
            System.arraycopy(output, from + fromPrompt - prompt.length, dst, off + fromPrompt, len - fromPrompt);
        }
    }

    /** Tokens whose KV is computed, or scheduled to be computed by a step in flight. */
    public int numComputed() {
        return numComputed;
    }

    /** Prompt tokens not yet computed (0 once the prefill is done). */
    public int remainingPrefill() {
        return Math.max(0, promptLength - numComputed);
    }

    /** Tokens sampled by steps in flight whose values are not known yet. */
    public int numPlaceholders() {
        return numPlaceholders;
    }

    public SequenceStatus status() {
        return status;
    }

    public boolean isFinished() {
        return status == SequenceStatus.FINISHED;
    }

    public int numPreemptions() {
        return numPreemptions;
    }

    /** Whether its KV sits in the host tier (preempted by swapping). */
    public boolean isSwapped() {
        return swapped;
    }

    public FinishReason finishReason() {
        return finishReason;
    }

    /** The stop token that ended the sequence, or -1. */
    public int stopToken() {
        return stopToken;
    }

    public int slot() {
        return slot;
    }

    public KvSequence kv() {
        return kv;
    }

    /** When the latest output (one step's tokens) was produced, or -1. */
    public long lastTokenNanos() {
        return lastTokenNanos;
    }

    /** When the output before the latest one was produced, or -1 (inter-token latency is the difference). */
    public long previousTokenNanos() {
        return previousTokenNanos;
    }

    /** Most output tokens this sequence may still produce. */
    public int remainingOutput() {
        return maxTokens - numOutput;
    }

    /** Draft tokens proposed for the next step. */
    public int numDrafts() {
        return numDrafts;
    }

    public int draft(int i) {
        return drafts[i];
    }

    /** Index slot reserved for the {@link dev.baton.scheduler.queue.RequestQueue} holding this sequence. */
    public int queueIndex() {
        return queueIndex;
    }

    /** For {@link dev.baton.scheduler.queue.RequestQueue} implementations only: remembers a position. */
    public void setQueueIndex(int queueIndex) {
        this.queueIndex = queueIndex;
    }

    // ------------------------------------------------------------------ engine-thread mutations

    void setKv(KvSequence kv) {
        this.kv = kv;
    }

    void setSlot(int slot) {
        this.slot = slot;
    }

    void setStatus(SequenceStatus status) {
        this.status = status;
    }

    void setNumComputed(int n) {
        this.numComputed = n;
    }

    void addComputed(int n) {
        this.numComputed += n;
    }

    void addPlaceholders(int n) {
        this.numPlaceholders += n;
    }

    void setSwapped(boolean swapped) {
        this.swapped = swapped;
    }

    boolean lookedUp() {
        return lookedUp;
    }

    void setLookedUp(boolean lookedUp) {
        this.lookedUp = lookedUp;
    }

    long skippedSinceNanos() {
        return skippedSinceNanos;
    }

    void setSkippedSinceNanos(long t) {
        this.skippedSinceNanos = t;
    }

    void countPreemption() {
        numPreemptions++;
    }

    /** Bumped whenever the sequence loses its KV, so that results of older steps never commit KV to new blocks. */
    int epoch() {
        return epoch;
    }

    void bumpEpoch() {
        epoch++;
    }

    int queuedTokens() {
        return queuedTokens;
    }

    void setQueuedTokens(int tokens) {
        this.queuedTokens = tokens;
    }

    /**
     * Sizes the output array for the tokens this sequence may still produce (up to 16K tokens), so that decoding does
     * not reallocate it on the engine thread step after step. Called once, when the sequence first runs.
     */
    void reserveOutput() {
        int want = Math.min(numOutput + Math.max(0, remainingOutput()), 1 << 14);
        if (output.length < want) {
            output = Arrays.copyOf(output, want);
        }
    }

    void appendOutput(int token) {
        if (numOutput == output.length) {
            output = Arrays.copyOf(output, numOutput * 2);
        }
        output[numOutput++] = token;
    }

    void markOutputTime(long now) {
        previousTokenNanos = lastTokenNanos;
        lastTokenNanos = now;
    }

    void setFinished(FinishReason reason, int stopToken) {
        this.finishReason = reason;
        this.stopToken = stopToken;
        this.status = SequenceStatus.FINISHED;
    }

    void setDrafts(int[] src, int count) {
        if (drafts.length < count) {
            drafts = new int[Math.max(count, 4)];
        }
        System.arraycopy(src, 0, drafts, 0, count);
        numDrafts = count;
    }

    void clearDrafts() {
        numDrafts = 0;
    }

    @Override
    public String toString() {
        return "Sequence[" + request.id() + "#" + sampleIndex + ", " + status + ", computed=" + numComputed + "/"
                + length() + (numPlaceholders > 0 ? ", placeholders=" + numPlaceholders : "") + "]";
    }
}
