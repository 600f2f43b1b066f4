package dev.baton.scheduler.preemption;

import dev.baton.scheduler.core.Sequence;

/**
 * Chooses which running sequence gives up its KV when another one cannot get blocks. Called on the engine thread,
 * allocation-free.
 */
public interface VictimSelector {

    /**
     * The index in {@code running} of the sequence to preempt so that {@code needing} (itself running) can allocate.
     * Returning the index of {@code needing} itself means "preempt the requester": it stops for this step.
     */
    int selectVictim(RunningBatch running, Sequence needing);

    /**
     * Whether the waiting {@code candidate} may take the place of the running {@code victim} when the batch is full
     * (sequence limit or KV). Only a strictly more important candidate may, so that equals never preempt each other
     * back and forth. The default never preempts for a waiting request (vLLM v1's FCFS).
     */
    default boolean mayDisplace(Sequence candidate, Sequence victim) {
        return false;
    }

    /** The victim among running for a waiting candidate: the least important one, or -1 if none may be displaced. */
    default int selectDisplaced(RunningBatch running, Sequence candidate) {
        return -1;
    }

    /** vLLM v1 FCFS: the most recently admitted running sequence (the last of the batch). */
    static VictimSelector lastAdmitted() {
        return LastAdmitted.INSTANCE;
    }

    /**
     * vLLM v1 priority: the running sequence with the largest (priority, arrival), i.e. the least important and then
     * the latest. Waiting sequences of strictly higher importance may displace it.
     */
    static VictimSelector lowestPriority() {
        return LowestPriority.INSTANCE;
    }
}
