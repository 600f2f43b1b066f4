package dev.baton.scheduler.spec;

/**
 * Turns speculation off while it does not pay: when the rolling acceptance rate (accepted / drafted tokens) over the
 * last {@code window} speculative steps falls below {@code threshold}, K is 0 (TensorRT-LLM's
 * {@code acceptance_rate_threshold} / {@code acceptance_rate_window_size}, anchors §1.7 P5). TensorRT-LLM disables
 * speculation for good; here, after {@code probeAfter} steps off, the switch re-probes: it lets the inner policy
 * speculate again with a fresh window and stays on if acceptance has recovered ({@code probeAfter = 0} keeps
 * TensorRT-LLM's permanent behaviour).
 *
 * <p>Wraps any other policy, which sees every observation. Engine thread only; allocation-free.
 */
public final class AcceptanceKillSwitch implements DraftLengthPolicy {

    private final DraftLengthPolicy inner;
    private final double threshold;
    private final int probeAfter;
    private final long[] drafted;
    private final long[] accepted;
    private int filled;
    private int next;
    private long stepDrafted;
    private long stepAccepted;
    private boolean off;
    private int offSteps;
    private long disables;

    /**
     * @param inner      the policy that decides K while speculation is on
     * @param threshold  the lowest rolling acceptance rate that keeps speculation on, in [0, 1]
     * @param window     speculative steps in the rolling window
     * @param probeAfter steps off before re-probing (0: never, as TensorRT-LLM)
     */
    public AcceptanceKillSwitch(DraftLengthPolicy inner, double threshold, int window, int probeAfter) {
        if (!(threshold >= 0 && threshold <= 1) || window < 1 || probeAfter < 0) {
            throw new IllegalArgumentException("threshold must be in [0, 1], window positive and probeAfter not "
                    + "negative; got " + threshold + ", " + window + ", " + probeAfter);
        }
        this.inner = inner;
        this.threshold = threshold;
        this.probeAfter = probeAfter;
        this.drafted = new long[window];
        this.accepted = new long[window];
    }

    @Override
    public void attach(SpeculationTarget target) {
        inner.attach(target);
    }

    @Override
    public void observe(int numDrafted, int numAccepted) {
        inner.observe(numDrafted, numAccepted);
        stepDrafted += numDrafted;
        stepAccepted += numAccepted;
    }

    @Override
    public void endStep() {
        inner.endStep();
        if (stepDrafted > 0) {
            drafted[next] = stepDrafted;
            accepted[next] = stepAccepted;
            next = (next + 1) % drafted.length;
            filled = Math.min(filled + 1, drafted.length);
            if (filled == drafted.length && rollingRate() < threshold) {
                off = true;
                offSteps = 0;
                disables++;
            }
        }
        stepDrafted = 0;
        stepAccepted = 0;
    }

    @Override
    public int draftLength(DraftBatch batch) {
        if (off) {
            if (probeAfter == 0 || ++offSteps < probeAfter) {
                return 0;
            }
            off = false;
            filled = 0;
            next = 0;
        }
        return inner.draftLength(batch);
    }

    /** Accepted / drafted tokens over the window (1 before anything was drafted). */
    public double rollingRate() {
        long d = 0;
        long a = 0;
        for (int i = 0; i < filled; i++) {
            d += drafted[i];
            a += accepted[i];
        }
        return d == 0 ? 1 : (double) a / d;
    }

    /** Whether speculation is switched off now. */
    public boolean isOff() {
        return off;
    }

    /** How often the switch turned speculation off. */
    public long disables() {
        return disables;
    }
}
