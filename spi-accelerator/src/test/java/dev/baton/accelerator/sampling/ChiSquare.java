package dev.baton.accelerator.sampling;

/** Pearson's chi-square goodness of fit with an exact upper-tail p-value (regularised incomplete gamma). */
final class ChiSquare {

    private ChiSquare() {
    }

    /**
     * The p-value of observed counts against expected probabilities; cells with zero expected probability must have
     * zero counts (otherwise the p-value is 0).
     */
    static double pValue(long[] observed, double[] expected) {
        long n = 0;
        for (long o : observed) {
            n += o;
        }
        double stat = 0;
        int cells = 0;
        for (int i = 0; i < observed.length; i++) {
            if (expected[i] == 0) {
                if (observed[i] != 0) {
                    return 0;
                }
                continue;
            }
            double e = expected[i] * n;
            stat += (observed[i] - e) * (observed[i] - e) / e;
            cells++;
        }
        int df = cells - 1;
        return df <= 0 ? 1 : upperGamma(df / 2.0, stat / 2.0);
    }

    /** Q(a, x) = Gamma(a, x) / Gamma(a). */
    static double upperGamma(double a, double x) {
        if (x <= 0) {
            return 1;
        }
        if (x < a + 1) {
            double sum = 1 / a;
            double term = sum;
            for (int k = 1; k < 1000; k++) {
                term *= x / (a + k);
                sum += term;
                if (term < sum * 1e-15) {
                    break;
                }
            }
            return 1 - sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
        }
        // Continued fraction (Lentz).
        double b = x + 1 - a;
        double c = 1 / 1e-300;
        double d = 1 / b;
        double h = d;
        for (int i = 1; i < 1000; i++) {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.abs(d) < 1e-300) {
                d = 1e-300;
            }
            c = b + an / c;
            if (Math.abs(c) < 1e-300) {
                c = 1e-300;
            }
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-15) {
                break;
            }
        }
        return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
    }

    /** Lanczos approximation of ln Gamma(a), a > 0. */
    static double logGamma(double a) {
        double[] g = {76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155,
                0.1208650973866179e-2, -0.5395239384953e-5};
        double y = a;
        double tmp = a + 5.5;
        tmp -= (a + 0.5) * Math.log(tmp);
        double ser = 1.000000000190015;
        for (double c : g) {
            ser += c / ++y;
        }
        return -tmp + Math.log(2.5066282746310005 * ser / a);
    }
}
