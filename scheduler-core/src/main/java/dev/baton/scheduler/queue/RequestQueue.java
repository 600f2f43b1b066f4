package dev.baton.scheduler.queue;

import dev.baton.scheduler.core.Sequence;

import java.util.Iterator;

/**
 * The waiting queue of a scheduler: which waiting sequence is considered next. A policy seam: FCFS and strict priority
 * ship with the engine; SLO-aware, fair and shortest-job policies plug in here.
 *
 * <p>Called only on the engine thread. {@link #peek()}, {@link #pop()}, {@link #add} and {@link #prepend} run every step
 * and must be cheap and allocation-free; {@link #iterator()} is for inspection and may allocate.
 *
 * <p>Policies that depend on time must not hide it in a comparator (a heap whose keys drift goes stale, as vLLM's
 * aging SJF does): re-score in {@link #beforeStep}.
 */
public interface RequestQueue extends Iterable<Sequence> {

    /** Adds a newly arrived (or newly forked) sequence. */
    void add(Sequence seq);

    /**
     * Returns a preempted or skipped sequence to the queue. FCFS puts it at the front; key-ordered policies re-insert
     * it by its key (its original arrival keeps its place).
     */
    void prepend(Sequence seq);

    /** The sequence to consider next, or {@code null} if empty. */
    Sequence peek();

    /** Removes and returns {@link #peek()}, or {@code null} if empty. */
    Sequence pop();

    /** Removes {@code seq} if present (cancellation, timeout). */
    boolean remove(Sequence seq);

    int size();

    default boolean isEmpty() {
        return size() == 0;
    }

    /** The sequences in policy order (a snapshot or a weakly consistent view; not for the hot path). */
    @Override
    Iterator<Sequence> iterator();

    /**
     * Triton's {@code DELAY} timeout action: {@code seq} waited past its queue timeout without ever being scheduled. A
     * queue that supports the action keeps it, but serves it only after every sequence of its priority level that
     * has not expired, and returns {@code true}. The default returns {@code false}, and the engine ends the request
     * with {@code QUEUE_TIMEOUT} (Triton's {@code REJECT}).
     */
    default boolean delayExpired(Sequence seq) {
        return false;
    }

    /** Called once at the start of every step; time-dependent policies re-score here. */
    default void beforeStep(long nowNanos) {
    }

    /** A sequence got {@code tokens} tokens of compute in a step (running or newly admitted); fair policies charge it. */
    default void onScheduled(Sequence seq, int tokens) {
    }

    /** A sequence produced {@code tokens} output tokens. */
    default void onOutput(Sequence seq, int tokens) {
    }

    /** A sequence finished (it is no longer queued or running). */
    default void onFinished(Sequence seq) {
    }
}
