package dev.baton.scheduler.spec;

import java.util.Arrays;

/**
 * A live estimate of per-position draft acceptance: for each draft position {@code i} (1-based) the conditional rate
 * {@code c_i = P(accept i | accepted 1..i-1)}, as an exponential moving average, over the verifications that reached
 * position {@code i}, of whether it was accepted there. The unconditional rates are {@code a_i = c_1 ... c_i} and the
 * expected tokens per verification {@code E[L(k)] = 1 + a_1 + ... + a_k} (anchors §1.1).
 *
 * <p>The average weighs every verification alike (a step of {@code n} verifications moves it as {@code n} single
 * updates with the step's mean would), so a batch of 256 settles it in a step and a single sequence over tens of
 * steps; it starts from the prior, so that one unlucky first verification does not zero a position. Positions never
 * reached (K stayed below them) take the estimate of the deepest position observed, or the prior before anything was
 * observed: a geometric extrapolation, which is exact for i.i.d. acceptance.
 *
 * <p>Engine thread only; allocation-free after construction.
 */
public final class AcceptanceEstimate {

    private final double weight;
    private final double[] conditional;
    private final boolean[] observed;
    private final long[] reached;
    private final long[] accepted;

    /**
     * @param maxPositions draft positions tracked
     * @param prior        conditional rate assumed before anything is observed, in [0, 1]
     * @param weight       EMA weight of one verification, in (0, 1]
     */
    public AcceptanceEstimate(int maxPositions, double prior, double weight) {
        if (!(prior >= 0 && prior <= 1) || !(weight > 0 && weight <= 1)) {
            throw new IllegalArgumentException("prior must be in [0, 1] and weight in (0, 1], got " + prior + " and "
                    + weight);
        }
        int n = Math.max(1, maxPositions);
        this.weight = weight;
        this.conditional = new double[n];
        this.observed = new boolean[n];
        this.reached = new long[n];
        this.accepted = new long[n];
        Arrays.fill(conditional, prior);
    }

    /** One verification: {@code drafted} drafts, the first {@code numAccepted} accepted. */
    public void observe(int drafted, int numAccepted) {
        int n = Math.min(drafted, conditional.length);
        for (int j = 0; j < n && j <= numAccepted; j++) {
            reached[j]++;
            if (j < numAccepted) {
                accepted[j]++;
            }
        }
    }

    /** Folds the step's observations into the averages. */
    public void endStep() {
        for (int j = 0; j < conditional.length; j++) {
            if (reached[j] > 0) {
                double rate = (double) accepted[j] / reached[j];
                double keep = Math.pow(1 - weight, reached[j]);
                conditional[j] = keep * conditional[j] + (1 - keep) * rate;
                observed[j] = true;
                reached[j] = 0;
                accepted[j] = 0;
            }
        }
    }

    /** Estimated conditional acceptance of draft position {@code position} (0-based). */
    public double conditional(int position) {
        int j = Math.min(position, conditional.length - 1);
        while (j > 0 && !observed[j] && anyObservedBelow(j)) {
            j--;
        }
        return conditional[j];
    }

    /** Estimated {@code E[L(k)]}: tokens one verification of {@code k} drafts produces. */
    public double expectedLength(int k) {
        double reach = 1;
        double tokens = 1;
        for (int j = 0; j < k; j++) {
            reach *= conditional(j);
            tokens += reach;
        }
        return tokens;
    }

    private boolean anyObservedBelow(int j) {
        for (int i = j - 1; i >= 0; i--) {
            if (observed[i]) {
                return true;
            }
        }
        return false;
    }
}
