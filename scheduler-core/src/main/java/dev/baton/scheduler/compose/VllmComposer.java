package dev.baton.scheduler.compose;

import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.preemption.RunningBatch;

/** vLLM v1: one fixed token budget per step, handed out greedily, running sequences first. */
final class VllmComposer implements BatchComposer {
    static final VllmComposer INSTANCE = new VllmComposer();

    @Override
    public int beginStep(long nowNanos, RunningBatch running, int defaultBudget) {
        return defaultBudget;
    }

    @Override
    public int runningTokens(Sequence seq, int wanted, int budgetLeft) {
        return wanted;
    }

    @Override
    public int admitTokens(Sequence seq, int computed, int wanted, int budgetLeft) {
        return wanted;
    }
}
