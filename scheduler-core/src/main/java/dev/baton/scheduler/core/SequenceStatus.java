package dev.baton.scheduler.core;

/**
 * Where a sequence is in its life. Moves only forward through WAITING -> RUNNING (<-> PREEMPTED) -> FINISHED; a
 * forked child starts in {@link #AWAITING_FORK} until its parent's prompt is computed.
 */
public enum SequenceStatus {
    /** A parallel sample waiting for sample 0 to finish the shared prompt. */
    AWAITING_FORK,
    /** In the waiting queue, never scheduled. */
    WAITING,
    /** In the running batch. */
    RUNNING,
    /** Taken out of the running batch to free KV; back in the waiting queue. */
    PREEMPTED,
    /** Ended; holds no blocks. */
    FINISHED
}
