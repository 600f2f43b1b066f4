package dev.baton.accelerator.sampling;

import java.util.Arrays;

/**
 * Acceptance rates for synthetic verification, which models a proposer by how often its drafts are accepted
 * instead of by what it proposes (vLLM's {@code rejection_sample_method="synthetic"}; for benchmarks and the simulated
 * device, never lossless).
 *
 * <p>The rates are <em>unconditional</em>: {@code a_i = P(positions 1..i all accepted)}, non-increasing, in [0, 1].
 * Verification uses the <em>conditional</em> rates {@code c_i = a_i / a_{i-1}} ({@code a_0 = 1}; {@code c_i = 0} when
 * {@code a_{i-1} = 0}). A target mean acceptance length {@code L} maps to the minimum-variance schedule with
 * {@code m = L - 1}: {@code floor(m)} ones, then the fractional part of {@code m}, then zeros.
 *
 * <p>Immutable and thread-safe.
 */
public final class SyntheticAcceptance {

    private final double[] unconditional;
    private final double[] conditional;

    private SyntheticAcceptance(double[] unconditional) {
        this.unconditional = unconditional;
        this.conditional = conditionalRates(unconditional);
    }

    /**
     * From unconditional rates {@code a_1 .. a_n}.
     *
     * @throws IllegalArgumentException if a rate is outside [0, 1] or the rates increase somewhere
     */
    public static SyntheticAcceptance ofUnconditionalRates(double... rates) {
        double[] a = rates.clone();
        for (int i = 0; i < a.length; i++) {
            if (!(a[i] >= 0 && a[i] <= 1)) {
                throw new IllegalArgumentException("synthetic acceptance rate " + i + " must be in [0, 1], got " + a[i]);
            }
            if (i > 0 && a[i] > a[i - 1]) {
                throw new IllegalArgumentException("synthetic acceptance rates are unconditional (the probability that "
                        + "every position up to i is accepted) and must not increase, got " + Arrays.toString(a));
            }
        }
        return new SyntheticAcceptance(a);
    }

    /**
     * The minimum-variance schedule over {@code n} draft positions whose mean acceptance length (accepted drafts + 1)
     * is {@code meanLength}.
     *
     * @throws IllegalArgumentException if {@code meanLength} is outside [1, n + 1]
     */
    public static SyntheticAcceptance ofMeanLength(double meanLength, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("the number of draft positions must not be negative, got " + n);
        }
        if (!(meanLength >= 1 && meanLength <= n + 1)) {
            throw new IllegalArgumentException("synthetic mean acceptance length must be in [1, " + (n + 1)
                    + "] for " + n + " draft positions, got " + meanLength);
        }
        double m = meanLength - 1;
        int whole = (int) Math.floor(m);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = i < whole ? 1 : i == whole ? m - whole : 0;
        }
        return new SyntheticAcceptance(a);
    }

    /** Conditional rates {@code c_i = a_i / a_{i-1}} of unconditional rates {@code a}. */
    public static double[] conditionalRates(double[] unconditional) {
        double[] c = new double[unconditional.length];
        double previous = 1;
        for (int i = 0; i < c.length; i++) {
            c[i] = previous == 0 ? 0 : unconditional[i] / previous;
            previous = unconditional[i];
        }
        return c;
    }

    /** Draft positions covered. */
    public int positions() {
        return unconditional.length;
    }

    /** A copy of the unconditional rates. */
    public double[] unconditionalRates() {
        return unconditional.clone();
    }

    /** A copy of the conditional rates, as {@link RejectionSampler#verifySynthetic} takes them. */
    public double[] conditionalRates() {
        return conditional.clone();
    }

    /** Expected tokens per verification with {@code k} drafts: {@code 1 + a_1 + ... + a_k}. */
    public double meanLength(int k) {
        double l = 1;
        for (int i = 0; i < Math.min(k, unconditional.length); i++) {
            l += unconditional[i];
        }
        return l;
    }

    @Override
    public String toString() {
        return "SyntheticAcceptance" + Arrays.toString(unconditional);
    }
}
