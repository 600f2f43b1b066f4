package dev.baton.scheduler.preemption;

import dev.baton.scheduler.core.Sequence;

/** A read-only view of the running batch, in admission order, for {@link VictimSelector}s. */
public interface RunningBatch {

    int size();

    Sequence get(int index);
}
