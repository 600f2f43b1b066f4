package dev.baton.scheduler.compose;

import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.preemption.RunningBatch;

import java.util.Objects;

/** A composer that hands every call to another: tests extend it to watch or check what a composer decides. */
abstract class ForwardingComposer<C extends BatchComposer> implements BatchComposer {
    protected final C inner;

    ForwardingComposer(C inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    @Override
    public int beginStep(long nowNanos, RunningBatch running, int defaultBudget) {
        return inner.beginStep(nowNanos, running, defaultBudget);
    }

    @Override
    public int runningTokens(Sequence seq, int wanted, int budgetLeft) {
        return inner.runningTokens(seq, wanted, budgetLeft);
    }

    @Override
    public int admitTokens(Sequence seq, int computed, int wanted, int budgetLeft) {
        return inner.admitTokens(seq, computed, wanted, budgetLeft);
    }

    @Override
    public void scheduled(Sequence seq, int context, int tokens, int drafts) {
        inner.scheduled(seq, context, tokens, drafts);
    }
}
