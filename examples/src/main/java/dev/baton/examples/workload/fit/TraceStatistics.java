package dev.baton.examples.workload.fit;

import dev.baton.examples.workload.Normal;
import dev.baton.examples.workload.TraceSummary;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

/** Descriptive statistics of traces and samples: the figures fits are judged by. */
public final class TraceStatistics {
    private TraceStatistics() {
    }

    /** The summary of a trace: arrival times in seconds from the first, and the two length columns. */
    public static TraceSummary summarize(double[] arrivals, int[] prompt, int[] output) {
        int n = arrivals.length;
        double span = arrivals[n - 1] - arrivals[0];
        double[] gaps = gaps(arrivals);
        double[] p = sortedCopy(prompt);
        double[] o = sortedCopy(output);
        return new TraceSummary(n, span, (n - 1) / span, cv(gaps), idc(arrivals, 1), idc(arrivals, 10),
                idc(arrivals, 60), mean(p), quantile(p, 0.5), quantile(p, 0.9), quantile(p, 0.99), mean(o),
                quantile(o, 0.5), quantile(o, 0.9), quantile(o, 0.99), spearman(prompt, output));
    }

    public static double[] gaps(double[] arrivals) {
        double[] g = new double[arrivals.length - 1];
        for (int i = 1; i < arrivals.length; i++) {
            g[i - 1] = arrivals[i] - arrivals[i - 1];
        }
        return g;
    }

    /**
     * Index of dispersion of counts: variance over mean of the number of arrivals in consecutive windows of
     * {@code window} seconds (complete windows only). 1 for a Poisson process; larger means burstier.
     */
    public static double idc(double[] arrivals, double window) {
        double t0 = arrivals[0];
        int windows = (int) Math.floor((arrivals[arrivals.length - 1] - t0) / window);
        if (windows < 2) {
            return Double.NaN;
        }
        long[] counts = new long[windows];
        for (double a : arrivals) {
            int w = (int) ((a - t0) / window);
            if (w < windows) {
                counts[w]++;
            }
        }
        double m = 0;
        for (long c : counts) {
            m += c;
        }
        m /= windows;
        double v = 0;
        for (long c : counts) {
            v += (c - m) * (c - m);
        }
        v /= windows;
        return v / m;
    }

    public static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    /** Coefficient of variation (population standard deviation over mean). */
    public static double cv(double[] x) {
        double m = mean(x);
        double v = 0;
        for (double d : x) {
            v += (d - m) * (d - m);
        }
        return Math.sqrt(v / x.length) / m;
    }

    /** The {@code p} quantile of sorted data, linearly interpolated between order statistics. */
    public static double quantile(double[] sorted, double p) {
        double pos = p * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    public static double[] sortedCopy(int[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        Arrays.sort(d);
        return d;
    }

    /** Ranks 1..n, ties given their average rank. */
    static double[] ranks(int[] x) {
        int n = x.length;
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (a, b) -> Integer.compare(x[a], x[b]));
        double[] r = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && x[idx[j + 1]] == x[idx[i]]) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[idx[k]] = avg;
            }
            i = j + 1;
        }
        return r;
    }

    public static double spearman(int[] a, int[] b) {
        return pearson(ranks(a), ranks(b));
    }

    /**
     * Correlation of the normal scores {@code Φ⁻¹(rank / (n + 1))}: the maximum-likelihood-like estimate of a Gaussian
     * copula's parameter that is robust to the marginals.
     */
    public static double normalScoreCorrelation(int[] a, int[] b) {
        double[] ra = ranks(a);
        double[] rb = ranks(b);
        int n = a.length;
        for (int i = 0; i < n; i++) {
            ra[i] = Normal.inverseCdf(ra[i] / (n + 1));
            rb[i] = Normal.inverseCdf(rb[i] / (n + 1));
        }
        return pearson(ra, rb);
    }

    public static double pearson(double[] a, double[] b) {
        double ma = mean(a);
        double mb = mean(b);
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

    /** Two-sample Kolmogorov-Smirnov distance (sup of the difference of the empirical distribution functions). */
    public static double ks(double[] a, double[] b) {
        double[] x = a.clone();
        double[] y = b.clone();
        Arrays.sort(x);
        Arrays.sort(y);
        int i = 0;
        int j = 0;
        double d = 0;
        while (i < x.length && j < y.length) {
            double v = Math.min(x[i], y[j]);
            while (i < x.length && x[i] <= v) {
                i++;
            }
            while (j < y.length && y[j] <= v) {
                j++;
            }
            d = Math.max(d, Math.abs((double) i / x.length - (double) j / y.length));
        }
        return d;
    }

    /** One-sample Kolmogorov-Smirnov distance of data from a continuous distribution function. */
    public static double ks(double[] data, DoubleUnaryOperator cdf) {
        double[] x = data.clone();
        Arrays.sort(x);
        int n = x.length;
        double d = 0;
        for (int i = 0; i < n; i++) {
            double f = cdf.applyAsDouble(x[i]);
            d = Math.max(d, Math.max(Math.abs((i + 1.0) / n - f), Math.abs(f - (double) i / n)));
        }
        return d;
    }
}
