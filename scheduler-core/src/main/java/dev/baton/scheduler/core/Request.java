package dev.baton.scheduler.core;

import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SloTargets;

/**
 * The engine thread's record of one accepted request: its parallel samples ({@link Sequence}s), when it arrived, and
 * when it must end. Confined to the engine thread after construction.
 */
public final class Request {
    private final String id;
    private final InferenceRequest request;
    private final long arrivalNanos;
    private final long arrivalSeq;
    private final long seed;
    private final int loraSlot;
    private final long deadlineNanos;
    private final long queueDeadlineNanos;
    private final Sequence[] samples;
    private final SequenceListener listener;
    private int numFinished;
    private long firstScheduledNanos = -1;
    private long firstTokenNanos = -1;
    private long finishedNanos = -1;
    private int cachedPromptTokens;
    private int deviceFailures;
    private Object attachment;

    /**
     * @param arrivalSeq         a monotonic sequence number: the FCFS order and the tie-break of every policy
     * @param seed               the effective random seed (the request's own, or one drawn at admission)
     * @param loraSlot           the adapter's slot, 0 for the base model
     * @param deadlineNanos      absolute end-to-end deadline on the engine clock, or {@link Long#MAX_VALUE}
     * @param queueDeadlineNanos absolute time by which it must first be scheduled, or {@link Long#MAX_VALUE}
     */
    public Request(String id, InferenceRequest request, long arrivalNanos, long arrivalSeq, long seed, int loraSlot,
                   long deadlineNanos, long queueDeadlineNanos, SequenceListener listener) {
        this.id = id;
        this.request = request;
        this.arrivalNanos = arrivalNanos;
        this.arrivalSeq = arrivalSeq;
        this.seed = seed;
        this.loraSlot = loraSlot;
        this.deadlineNanos = deadlineNanos;
        this.queueDeadlineNanos = queueDeadlineNanos;
        this.listener = listener;
        int n = request.parallelSamples();
        this.samples = new Sequence[n];
        for (int i = 0; i < n; i++) {
            samples[i] = new Sequence(this, i, i == 0 ? seed : mix(seed + i));
        }
    }

    public String id() {
        return id;
    }

    public InferenceRequest request() {
        return request;
    }

    public long arrivalNanos() {
        return arrivalNanos;
    }

    public long arrivalSeq() {
        return arrivalSeq;
    }

    public long seed() {
        return seed;
    }

    public int loraSlot() {
        return loraSlot;
    }

    public int priority() {
        return request.priority();
    }

    public String tenant() {
        return request.tenant();
    }

    public SloTargets slo() {
        return request.slo();
    }

    public long deadlineNanos() {
        return deadlineNanos;
    }

    public long queueDeadlineNanos() {
        return queueDeadlineNanos;
    }

    /** Absolute time by which the first token should exist to meet the TTFT target, or {@link Long#MAX_VALUE}. */
    public long ttftDeadlineNanos() {
        long t = request.slo().ttftNanos();
        return t == Long.MAX_VALUE ? Long.MAX_VALUE : arrivalNanos + t;
    }

    public int numSamples() {
        return samples.length;
    }

    public Sequence sample(int i) {
        return samples[i];
    }

    public SequenceListener listener() {
        return listener;
    }

    public boolean isFinished() {
        return numFinished == samples.length;
    }

    public int numFinished() {
        return numFinished;
    }

    public long firstScheduledNanos() {
        return firstScheduledNanos;
    }

    public long firstTokenNanos() {
        return firstTokenNanos;
    }

    public long finishedNanos() {
        return finishedNanos;
    }

    public int cachedPromptTokens() {
        return cachedPromptTokens;
    }

    /** Total preemptions over all samples. */
    public int numPreemptions() {
        int n = 0;
        for (Sequence s : samples) {
            n += s.numPreemptions();
        }
        return n;
    }

    /** Total generated tokens over all samples. */
    public int numOutputTokens() {
        int n = 0;
        for (Sequence s : samples) {
            n += s.numOutput();
        }
        return n;
    }

    /** An object the embedding layer attaches (the engine's submission handle). */
    public Object attachment() {
        return attachment;
    }

    public void attach(Object attachment) {
        this.attachment = attachment;
    }

    int deviceFailures() {
        return deviceFailures;
    }

    void recordDeviceFailure() {
        deviceFailures++;
    }

    /** Returns true the first time. */
    boolean markScheduled(long now) {
        if (firstScheduledNanos < 0) {
            firstScheduledNanos = now;
            return true;
        }
        return false;
    }

    void markFirstToken(long now) {
        if (firstTokenNanos < 0) {
            firstTokenNanos = now;
        }
    }

    void recordCachedPromptTokens(int tokens) {
        cachedPromptTokens = Math.max(cachedPromptTokens, tokens);
    }

    /** Returns whether this was the last sample to finish. */
    boolean sampleFinished(long now) {
        numFinished++;
        if (numFinished == samples.length) {
            finishedNanos = now;
            return true;
        }
        return false;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return "Request[" + id + ", n=" + samples.length + ", prompt=" + request.promptLength() + "]";
    }
}
