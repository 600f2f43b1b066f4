package dev.baton.examples.workload.fit;

import dev.baton.examples.workload.ArrivalProcess;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fits a {@link ArrivalProcess Markovian arrival process} to the gaps between arrivals of a trace by expectation
 * maximisation: the process is a hidden Markov model whose state emits an exponential gap and moves on at each arrival,
 * so Baum-Welch applies (forward-backward with per-step scaling; emissions normalised in the log domain so that gaps
 * of minutes next to rates of thousands per second do not underflow). Each fit starts from rates at the gaps' quantiles
 * and three stickinesses of the transition matrix, and keeps the most likely; the number of states is chosen by the
 * Bayesian information criterion. Deterministic: the same gaps give the same figures.
 */
public final class ArrivalFitter {

    /** Gaps shorter than this (timestamps 100 ns apart, or equal) are taken as this long. */
    public static final double MIN_GAP_SECONDS = 1e-6;

    private static final int MAX_ITERATIONS = 2000;
    private static final double TOLERANCE = 1e-9;
    private static final double[] STICKINESS = {0.5, 0.9, 0.99};

    /**
     * One fitted model.
     *
     * @param process       the fitted process
     * @param logLikelihood of the gaps under it
     * @param bic           Bayesian information criterion (lower is better)
     * @param iterations    EM iterations of the kept start
     */
    public record Fit(ArrivalProcess process, double logLikelihood, double bic, int iterations) {
    }

    private ArrivalFitter() {
    }

    /** Fits 1 to {@code maxStates} states and returns every fit, the BIC-best first. */
    public static List<Fit> fitAll(double[] gaps, int maxStates) {
        if (maxStates < 1) {
            throw new IllegalArgumentException("need at least one state, got " + maxStates);
        }
        List<Fit> fits = new ArrayList<>();
        for (int k = 1; k <= maxStates; k++) {
            fits.add(fit(gaps, k));
        }
        fits.sort((a, b) -> Double.compare(a.bic, b.bic));
        return fits;
    }

    /** The most likely {@code states}-state process over several starts. */
    public static Fit fit(double[] gaps, int states) {
        double[] x = clean(gaps);
        if (x.length < 10 * states * states) {
            throw new IllegalArgumentException("too few gaps (" + x.length + ") to fit " + states + " states");
        }
        double[] sorted = x.clone();
        Arrays.sort(sorted);
        Fit best = null;
        for (double stick : states == 1 ? new double[] {1} : STICKINESS) {
            double[] rates = new double[states];
            for (int k = 0; k < states; k++) {
                rates[k] = 1 / quantile(sorted, (k + 0.5) / states);
            }
            double[][] p = new double[states][states];
            for (int i = 0; i < states; i++) {
                for (int j = 0; j < states; j++) {
                    p[i][j] = states == 1 ? 1 : i == j ? stick : (1 - stick) / (states - 1);
                }
            }
            Fit f = em(x, rates, p);
            if (best == null || f.logLikelihood > best.logLikelihood) {
                best = f;
            }
        }
        return best;
    }

    private static Fit em(double[] x, double[] rates, double[][] p) {
        int n = x.length;
        int k = rates.length;
        double[] pi = new double[k];
        Arrays.fill(pi, 1.0 / k);
        double[][] b = new double[n][k];
        double[] shift = new double[n];
        double[][] alpha = new double[n][k];
        double[] c = new double[n];
        double[] beta = new double[k];
        double[] nextBeta = new double[k];
        double[] gammaSum = new double[k];
        double[] gammaX = new double[k];
        double[][] xi = new double[k][k];
        double[] tmp = new double[k];
        double previous = Double.NEGATIVE_INFINITY;
        double ll = Double.NEGATIVE_INFINITY;
        int it = 0;
        for (; it < MAX_ITERATIONS; it++) {
            // Emissions, scaled per gap: b[i][s] = exp(log f_s(x_i) - max_s log f_s(x_i)).
            double[] logRate = new double[k];
            for (int s = 0; s < k; s++) {
                logRate[s] = Math.log(rates[s]);
            }
            for (int i = 0; i < n; i++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int s = 0; s < k; s++) {
                    double lb = logRate[s] - rates[s] * x[i];
                    b[i][s] = lb;
                    m = Math.max(m, lb);
                }
                shift[i] = m;
                for (int s = 0; s < k; s++) {
                    b[i][s] = Math.exp(b[i][s] - m);
                }
            }
            // Forward.
            double sum = 0;
            for (int s = 0; s < k; s++) {
                alpha[0][s] = pi[s] * b[0][s];
                sum += alpha[0][s];
            }
            c[0] = sum;
            for (int s = 0; s < k; s++) {
                alpha[0][s] /= sum;
            }
            for (int i = 1; i < n; i++) {
                sum = 0;
                for (int s = 0; s < k; s++) {
                    double a = 0;
                    for (int r = 0; r < k; r++) {
                        a += alpha[i - 1][r] * p[r][s];
                    }
                    a *= b[i][s];
                    alpha[i][s] = a;
                    sum += a;
                }
                c[i] = sum;
                for (int s = 0; s < k; s++) {
                    alpha[i][s] /= sum;
                }
            }
            ll = 0;
            for (int i = 0; i < n; i++) {
                ll += Math.log(c[i]) + shift[i];
            }
            // Backward, accumulating state occupancies and transitions.
            Arrays.fill(gammaSum, 0);
            Arrays.fill(gammaX, 0);
            for (double[] row : xi) {
                Arrays.fill(row, 0);
            }
            Arrays.fill(beta, 1);
            double[] firstGamma = new double[k];
            for (int i = n - 1; i >= 0; i--) {
                for (int s = 0; s < k; s++) {
                    double g = alpha[i][s] * beta[s];
                    gammaSum[s] += g;
                    gammaX[s] += g * x[i];
                    if (i == 0) {
                        firstGamma[s] = g;
                    }
                }
                if (i == 0) {
                    break;
                }
                for (int s = 0; s < k; s++) {
                    tmp[s] = b[i][s] * beta[s] / c[i];
                }
                for (int r = 0; r < k; r++) {
                    double nb = 0;
                    for (int s = 0; s < k; s++) {
                        double t = p[r][s] * tmp[s];
                        xi[r][s] += alpha[i - 1][r] * t;
                        nb += t;
                    }
                    nextBeta[r] = nb;
                }
                System.arraycopy(nextBeta, 0, beta, 0, k);
            }
            // Maximisation.
            pi = normalise(firstGamma);
            for (int r = 0; r < k; r++) {
                double rowSum = 0;
                for (int s = 0; s < k; s++) {
                    rowSum += xi[r][s];
                }
                for (int s = 0; s < k; s++) {
                    p[r][s] = rowSum > 0 ? xi[r][s] / rowSum : (r == s ? 1 : 0);
                }
                if (gammaX[r] > 0) {
                    rates[r] = gammaSum[r] / gammaX[r];
                }
            }
            if (ll - previous < TOLERANCE * Math.abs(ll)) {
                break;
            }
            previous = ll;
        }
        int params = k + k * (k - 1);
        double bic = params * Math.log(n) - 2 * ll;
        return new Fit(new ArrivalProcess(rates, p), ll, bic, it + 1);
    }

    private static double[] normalise(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d;
        }
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            o[i] = v[i] / s;
        }
        return o;
    }

    private static double[] clean(double[] gaps) {
        double[] x = new double[gaps.length];
        for (int i = 0; i < gaps.length; i++) {
            if (!(gaps[i] >= 0) || Double.isInfinite(gaps[i])) {
                throw new IllegalArgumentException("gap " + i + " is " + gaps[i] + "; gaps must be finite and >= 0");
            }
            x[i] = Math.max(MIN_GAP_SECONDS, gaps[i]);
        }
        return x;
    }

    static double quantile(double[] sorted, double p) {
        double pos = p * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
