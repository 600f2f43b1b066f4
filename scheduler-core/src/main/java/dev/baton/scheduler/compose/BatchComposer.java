package dev.baton.scheduler.compose;

import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.preemption.RunningBatch;

/**
 * Decides how big a step is and how its token budget is shared: the seam where SLO-aware batching plugs into the
 * step scheduler. The scheduler keeps the mechanics (running first, then waiting; KV allocation; preemption) and asks
 * the composer three questions per step:
 * <ol>
 *   <li>{@link #beginStep}: the step's token budget;</li>
 *   <li>{@link #runningTokens}: how many of the tokens a running sequence wants it gets now (0 defers it);</li>
 *   <li>{@link #admitTokens}: how many tokens a waiting sequence starts with, or 0 to stop admitting in this step.</li>
 * </ol>
 * and tells it what was scheduled ({@link #scheduled}) so that it can track the step's shape (for example its
 * predicted duration).
 *
 * <p>Called on the engine thread, many times per step: implementations must be cheap and allocation-free.
 */
public interface BatchComposer {

    /**
     * A new step begins.
     *
     * @param nowNanos       engine time
     * @param running        the running batch (sequences that may get tokens this step)
     * @param defaultBudget  the configured {@code max-num-batched-tokens}
     * @return the token budget of this step, at most {@code defaultBudget}
     */
    int beginStep(long nowNanos, RunningBatch running, int defaultBudget);

    /**
     * Tokens running sequence {@code seq} computes this step.
     *
     * @param wanted     what it wants after the engine's caps (threshold, budget, model length)
     * @param budgetLeft budget not yet handed out
     * @return between 0 (defer it) and {@code wanted}
     */
    int runningTokens(Sequence seq, int wanted, int budgetLeft);

    /**
     * Tokens waiting sequence {@code seq} starts with.
     *
     * @param computed   tokens it already has (prefix-cache hit, swapped or forked KV)
     * @param wanted     what it wants after the engine's caps
     * @param budgetLeft budget not yet handed out
     * @return between 1 and {@code wanted} to admit it, or 0 to stop admitting in this step
     */
    int admitTokens(Sequence seq, int computed, int wanted, int budgetLeft);

    /** {@code seq} was given {@code tokens} tokens (of which {@code drafts} are drafts) on top of {@code context}. */
    default void scheduled(Sequence seq, int context, int tokens, int drafts) {
    }

    /** vLLM v1's behaviour: the configured budget, first come first served, no SLO awareness. */
    static BatchComposer vllm() {
        return VllmComposer.INSTANCE;
    }
}
