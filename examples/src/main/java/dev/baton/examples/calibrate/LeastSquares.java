package dev.baton.examples.calibrate;

import java.util.Arrays;

/**
 * Robust non-linear least squares: Levenberg-Marquardt (Moré 1978) on residuals, with the soft-L1 loss
 * {@code rho(r) = 2 f^2 (sqrt(1 + (r/f)^2) - 1)} applied by iteratively reweighting (each step solves the weighted
 * normal equations with weights {@code 1 / sqrt(1 + (r/f)^2)}), as SciPy's {@code least_squares(loss='soft_l1')} does.
 * The cost-model fits use log-ratio residuals {@code log(predicted / measured)}, so the loss is on relative error and
 * a few outliers (a noisy profile row) cannot pull the fit.
 *
 * <p>Deterministic: forward-difference Jacobians, no randomness. Not thread-safe.
 */
public final class LeastSquares {

    /** Residuals of a parameter vector. */
    @FunctionalInterface
    public interface Residuals {
        /** Writes one residual per row into {@code out}. */
        void compute(double[] params, double[] out);
    }

    private final double scale;
    private final int maxIterations;

    /**
     * @param scale         soft-L1 scale {@code f} (0.1: residuals beyond ~10% count linearly, not quadratically)
     * @param maxIterations upper bound on accepted and rejected steps
     */
    public LeastSquares(double scale, int maxIterations) {
        this.scale = scale;
        this.maxIterations = maxIterations;
    }

    /** The robust cost of a residual vector. */
    public double cost(double[] r) {
        double c = 0;
        for (double v : r) {
            double z = v / scale;
            c += Double.isFinite(v) ? 2 * scale * scale * (Math.sqrt(1 + z * z) - 1) : 1e30;
        }
        return c;
    }

    /** Minimises the robust cost from {@code start}; returns the best parameters found. */
    public double[] minimize(Residuals f, double[] start, int rows) {
        int n = start.length;
        double[] x = start.clone();
        double[] r = new double[rows];
        double[] rt = new double[rows];
        double[][] jac = new double[n][rows];
        f.compute(x, r);
        double cost = cost(r);
        double lambda = 1e-3;
        for (int it = 0; it < maxIterations; it++) {
            // Jacobian by forward differences.
            for (int j = 0; j < n; j++) {
                double h = 1e-6 * Math.max(1, Math.abs(x[j]));
                double keep = x[j];
                x[j] = keep + h;
                f.compute(x, rt);
                x[j] = keep;
                for (int i = 0; i < rows; i++) {
                    double d = (rt[i] - r[i]) / h;
                    jac[j][i] = Double.isFinite(d) ? d : 0;
                }
            }
            double[][] a = new double[n][n];
            double[] g = new double[n];
            for (int i = 0; i < rows; i++) {
                if (!Double.isFinite(r[i])) {
                    continue;
                }
                double z = r[i] / scale;
                double w = 1 / Math.sqrt(1 + z * z);
                for (int p = 0; p < n; p++) {
                    double jp = jac[p][i] * w;
                    g[p] += jp * r[i];
                    for (int q = p; q < n; q++) {
                        a[p][q] += jp * jac[q][i];
                    }
                }
            }
            for (int p = 0; p < n; p++) {
                for (int q = 0; q < p; q++) {
                    a[p][q] = a[q][p];
                }
            }
            boolean improved = false;
            while (lambda < 1e12) {
                double[][] m = new double[n][];
                for (int p = 0; p < n; p++) {
                    m[p] = a[p].clone();
                    m[p][p] += lambda * (a[p][p] + 1e-12);
                }
                double[] step = solve(m, negate(g));
                if (step == null) {
                    lambda *= 4;
                    continue;
                }
                double[] xt = x.clone();
                for (int p = 0; p < n; p++) {
                    xt[p] += step[p];
                }
                f.compute(xt, rt);
                double ct = cost(rt);
                if (ct < cost) {
                    double gain = (cost - ct) / Math.max(cost, 1e-300);
                    x = xt;
                    System.arraycopy(rt, 0, r, 0, rows);
                    cost = ct;
                    lambda = Math.max(lambda / 3, 1e-12);
                    improved = gain > 1e-10;
                    break;
                }
                lambda *= 4;
            }
            if (!improved) {
                break;
            }
        }
        return x;
    }

    /** Runs {@link #minimize} from each start and keeps the lowest cost. */
    public double[] minimizeFrom(Residuals f, double[][] starts, int rows) {
        double[] best = null;
        double bestCost = Double.POSITIVE_INFINITY;
        double[] r = new double[rows];
        for (double[] s : starts) {
            double[] x = minimize(f, s, rows);
            f.compute(x, r);
            double c = cost(r);
            if (c < bestCost) {
                bestCost = c;
                best = x;
            }
        }
        return best;
    }

    private static double[] negate(double[] v) {
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            o[i] = -v[i];
        }
        return o;
    }

    /** Gaussian elimination with partial pivoting; null when singular. */
    static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            m[i] = Arrays.copyOf(a[i], n + 1);
            m[i][n] = b[i];
        }
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int i = c + 1; i < n; i++) {
                if (Math.abs(m[i][c]) > Math.abs(m[piv][c])) {
                    piv = i;
                }
            }
            if (!(Math.abs(m[piv][c]) > 1e-300)) {
                return null;
            }
            double[] t = m[c];
            m[c] = m[piv];
            m[piv] = t;
            for (int i = c + 1; i < n; i++) {
                double k = m[i][c] / m[c][c];
                for (int j = c; j <= n; j++) {
                    m[i][j] -= k * m[c][j];
                }
            }
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = m[i][n];
            for (int j = i + 1; j < n; j++) {
                s -= m[i][j] * x[j];
            }
            x[i] = s / m[i][i];
            if (!Double.isFinite(x[i])) {
                return null;
            }
        }
        return x;
    }
}
