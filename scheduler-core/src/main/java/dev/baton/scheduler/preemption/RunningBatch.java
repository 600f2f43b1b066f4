package dev.baton.scheduler.preemption;

import dev.baton.scheduler.core.Sequence;

/** A read-only view of the running batch, in admission order, for {@link VictimSelector}s. */
public interface RunningBatch {

    int size();

    Sequence get(int index);

    /** Fraction of usable device KV blocks in use right now, 0..1 (0 where unknown). */
    default double kvUsage() {
        return 0;
    }

    /** Preemptions since the engine started (composers derive a preemption rate from it; 0 where unknown). */
    default long preemptions() {
        return 0;
    }
}
