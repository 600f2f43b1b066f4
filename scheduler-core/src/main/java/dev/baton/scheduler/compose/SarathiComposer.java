package dev.baton.scheduler.compose;

import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.preemption.RunningBatch;

/**
 * Sarathi-Serve's stall-free batching (Agrawal et al., OSDI'24) with a fixed token budget: every step first gives each
 * running decode its token(s), then spends what is left of a fixed budget on prefill chunks -- running partial prefills
 * first, then new requests. A decode never waits behind a prefill (no "generation stall"), and every step is about as
 * long as the budget makes it, which bounds the time between tokens. The paper profiles the budget offline so that a
 * step meets the TBT target (512 tokens for strict targets, 2048 for relaxed ones on its A100 setups); here it is a
 * fixed knob, for comparison with {@link SloComposer}, which sizes each step from the cost model and the SLOs instead.
 *
 * <p>Unlike vLLM's running loop, which hands the budget out in admission order (a partial prefill admitted before a
 * decode can take the tokens the decode needed), decodes are reserved up front. If the decodes alone exceed the fixed
 * budget, the step grows to hold them (up to {@code max-num-batched-tokens}): stalling them would defeat the point.
 *
 * <p>Engine thread only; allocation-free.
 */
public final class SarathiComposer implements BatchComposer {
    private final int tokenBudget;
    private int prefillLeft;

    /** @param tokenBudget tokens per step, decodes included */
    public SarathiComposer(int tokenBudget) {
        if (tokenBudget < 1) {
            throw new IllegalArgumentException("the Sarathi token budget must be positive, got " + tokenBudget);
        }
        this.tokenBudget = tokenBudget;
    }

    public int tokenBudget() {
        return tokenBudget;
    }

    @Override
    public int beginStep(long nowNanos, RunningBatch running, int defaultBudget) {
        int decodeTokens = 0;
        for (int i = 0; i < running.size(); i++) {
            Sequence seq = running.get(i);
            if (isDecode(seq)) {
                decodeTokens += decodeTokens(seq);
            }
        }
        prefillLeft = Math.max(0, tokenBudget - decodeTokens);
        return Math.min(defaultBudget, Math.max(tokenBudget, decodeTokens));
    }

    @Override
    public int runningTokens(Sequence seq, int wanted, int budgetLeft) {
        return isDecode(seq) ? wanted : Math.min(wanted, prefillLeft);
    }

    @Override
    public int admitTokens(Sequence seq, int computed, int wanted, int budgetLeft) {
        return Math.min(wanted, prefillLeft);
    }

    @Override
    public void scheduled(Sequence seq, int context, int tokens, int drafts) {
        if (!isDecode(seq, context)) {
            prefillLeft = Math.max(0, prefillLeft - tokens);
        }
    }

    /** A running sequence with at most its newest token left to compute: it decodes this step. */
    static boolean isDecode(Sequence seq) {
        return seq.numComputed() >= seq.length() - 1;
    }

    private static boolean isDecode(Sequence seq, int context) {
        return context >= seq.length() - 1;
    }

    /** Tokens a decode computes: its newest token plus the drafts it verifies (none while output is in flight). */
    static int decodeTokens(Sequence seq) {
        return 1 + (seq.numPlaceholders() == 0 ? seq.numDrafts() : 0);
    }
}
