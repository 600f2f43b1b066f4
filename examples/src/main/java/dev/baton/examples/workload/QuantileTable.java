package dev.baton.examples.workload;

import java.util.Arrays;

/**
 * An empirical distribution of positive values stored as quantiles: {@code values[i]} is the {@code probs[i]} quantile,
 * interpolated log-linearly in between (token counts spread over decades, and a linear interpolation across a
 * heavy tail's sparse top quantiles would put too much mass at their upper end and inflate the mean). Fitted from a trace column by {@code baton fit-workload}; the
 * table's resolution (every percentile, and finer in the tail) bounds its Kolmogorov-Smirnov distance from the data at
 * about 0.01.
 *
 * <p>Immutable and thread-safe.
 */
public final class QuantileTable {

    /**
     * The probability grid the fitter uses: every percentile, then 0.995, 0.999, 0.9995, 0.9999 and 1, so that the
     * few longest requests of a trace do not stretch the interpolated tail (and its mean).
     */
    public static double[] standardGrid() {
        double[] p = new double[105];
        for (int i = 0; i <= 99; i++) {
            p[i] = i / 100.0;
        }
        p[100] = 0.995;
        p[101] = 0.999;
        p[102] = 0.9995;
        p[103] = 0.9999;
        p[104] = 1;
        return p;
    }

    private final double[] probs;
    private final double[] values;

    public QuantileTable(double[] probs, double[] values) {
        if (probs.length != values.length || probs.length < 2) {
            throw new IllegalArgumentException("need at least two (probability, value) points of equal count");
        }
        if (values[0] <= 0) {
            throw new IllegalArgumentException("values must be positive (log-linear interpolation), got " + values[0]);
        }
        if (probs[0] != 0 || probs[probs.length - 1] != 1) {
            throw new IllegalArgumentException("the probability grid must run from 0 to 1");
        }
        for (int i = 1; i < probs.length; i++) {
            if (!(probs[i] > probs[i - 1]) || values[i] < values[i - 1]) {
                throw new IllegalArgumentException("probabilities must increase and values must not decrease (at "
                        + i + ")");
            }
        }
        this.probs = probs.clone();
        this.values = values.clone();
    }

    /** The standard grid with these values. */
    public static QuantileTable onStandardGrid(double... values) {
        return new QuantileTable(standardGrid(), values);
    }

    /** The {@code p} quantile, interpolated. */
    public double quantile(double p) {
        if (p <= 0) {
            return values[0];
        }
        if (p >= 1) {
            return values[values.length - 1];
        }
        int i = Arrays.binarySearch(probs, p);
        if (i >= 0) {
            return values[i];
        }
        int hi = -i - 1;
        int lo = hi - 1;
        double f = (p - probs[lo]) / (probs[hi] - probs[lo]);
        return values[lo] * Math.pow(values[hi] / values[lo], f);
    }

    /** The distribution function at {@code x} (inverse of {@link #quantile}). */
    public double cdf(double x) {
        if (x < values[0]) {
            return 0;
        }
        if (x >= values[values.length - 1]) {
            return 1;
        }
        int hi = 1;
        while (values[hi] <= x) {
            hi++;
        }
        int lo = hi - 1;
        double f = Math.log(x / values[lo]) / Math.log(values[hi] / values[lo]);
        return probs[lo] + f * (probs[hi] - probs[lo]);
    }

    /** A token count drawn with uniform variate {@code u}: the quantile, rounded, at least 1. */
    public int sample(double u) {
        return (int) Math.max(1, Math.round(quantile(u)));
    }

    /** The mean of the interpolated distribution (each segment contributes its values' logarithmic mean). */
    public double mean() {
        double m = 0;
        for (int i = 1; i < probs.length; i++) {
            double a = values[i - 1];
            double b = values[i];
            double segment = b == a ? a : (b - a) / Math.log(b / a);
            m += (probs[i] - probs[i - 1]) * segment;
        }
        return m;
    }

    public double[] probs() {
        return probs.clone();
    }

    public double[] values() {
        return values.clone();
    }
}
