package dev.baton.accelerator.conformance;

/**
 * How a {@link PlanDriver} turns a workload into step plans: the knobs a real scheduler turns, chosen at random by
 * property tests.
 *
 * @param tokenBudget     tokens per step over all sequences (drafts included), {@code >= 1}
 * @param chunkCap        the most prompt tokens one sequence computes per step (chunked prefill), {@code >= 1}
 * @param maxDrafts       the most draft tokens per decode, {@code >= 0}
 * @param drafts          where drafts come from
 * @param placeholderRate how often a just-sampled input token is sent as {@code PLACEHOLDER_TOKEN} (one-step-ahead
 *                        scheduling)
 * @param preemptRate     per running sequence and step, the chance of preemption (by swap to host or by recompute,
 *                        half each; at most 3 recomputes per sequence, so that every schedule finishes)
 * @param cancelRate      per running sequence and step, the chance that it is cancelled
 * @param seed            seeds every choice the driver makes (block ids, events, drafts)
 */
public record Schedule(int tokenBudget, int chunkCap, int maxDrafts, DraftSource drafts, double placeholderRate,
                       double preemptRate, double cancelRate, long seed) {

    /** Where draft tokens come from. */
    public enum DraftSource {
        /** Random token ids, some of them the placeholder {@code -1}; with random draft probability rows half the time. */
        RANDOM,
        /** The sequence's expected continuation (its solo run), with some tokens corrupted. */
        ORACLE
    }

    public Schedule {
        if (tokenBudget < 1 || chunkCap < 1 || maxDrafts < 0) {
            throw new IllegalArgumentException("tokenBudget and chunkCap must be >= 1 and maxDrafts >= 0");
        }
    }

    /** One sequence at a time: whole prompt in one step, no drafts, no events. */
    public static final Schedule SOLO = new Schedule(Integer.MAX_VALUE, Integer.MAX_VALUE, 0, DraftSource.RANDOM, 0, 0,
            0, 0);

    /** Whether speculative drafts are used. */
    public boolean speculates() {
        return maxDrafts > 0;
    }
}
