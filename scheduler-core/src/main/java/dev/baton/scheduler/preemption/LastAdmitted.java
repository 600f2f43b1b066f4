package dev.baton.scheduler.preemption;

import dev.baton.scheduler.core.Sequence;

/** vLLM v1's FCFS victim: the last sequence of the running batch. */
final class LastAdmitted implements VictimSelector {
    static final LastAdmitted INSTANCE = new LastAdmitted();

    @Override
    public int selectVictim(RunningBatch running, Sequence needing) {
        return running.size() - 1;
    }
}
