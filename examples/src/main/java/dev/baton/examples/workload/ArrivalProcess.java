package dev.baton.examples.workload;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A Markovian arrival process (Neuts' MAP) with {@code K} hidden states: in state {@code k} the time to the next
 * arrival is exponential with rate {@code rates[k]}; at each arrival the state moves to {@code j} with probability
 * {@code transitions[k][j]}. In MAP notation {@code D0 = -diag(rates)} and {@code D1 = diag(rates) * transitions}. With
 * sticky states this is a Markov-modulated Poisson process (regimes of different intensity); with K = 1 it is Poisson.
 * Fitted by EM to the inter-arrival times of a trace ({@code baton fit-workload}); it reproduces the trace's
 * burstiness (coefficient of variation, index of dispersion of counts) that a Poisson process misses.
 *
 * <p>Immutable; {@link #sampler} returns a single-threaded generator.
 */
public final class ArrivalProcess {
    private final double[] rates;
    private final double[][] transitions;
    private final double[] stationary;
    private final double[][] cumulative;

    /**
     * @param rates       arrival rate of each state, per second
     * @param transitions row-stochastic state transitions at arrivals
     */
    public ArrivalProcess(double[] rates, double[][] transitions) {
        int k = rates.length;
        if (k == 0 || transitions.length != k) {
            throw new IllegalArgumentException("need one transition row per state");
        }
        this.rates = rates.clone();
        this.transitions = new double[k][];
        this.cumulative = new double[k][];
        for (int i = 0; i < k; i++) {
            if (!(rates[i] > 0 && rates[i] < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("state " + i + ": rate must be positive, got " + rates[i]);
            }
            if (transitions[i].length != k) {
                throw new IllegalArgumentException("transition row " + i + " has " + transitions[i].length
                        + " entries, expected " + k);
            }
            double sum = 0;
            for (double p : transitions[i]) {
                if (!(p >= 0)) {
                    throw new IllegalArgumentException("transition probabilities must be >= 0, row " + i);
                }
                sum += p;
            }
            if (Math.abs(sum - 1) > 1e-6) {
                throw new IllegalArgumentException("transition row " + i + " sums to " + sum + ", not 1");
            }
            this.transitions[i] = new double[k];
            this.cumulative[i] = new double[k];
            double c = 0;
            for (int j = 0; j < k; j++) {
                this.transitions[i][j] = transitions[i][j] / sum;
                c += this.transitions[i][j];
                cumulative[i][j] = c;
            }
            cumulative[i][k - 1] = 1;
        }
        this.stationary = stationary(this.transitions);
    }

    /** A Poisson process of {@code rate} per second. */
    public static ArrivalProcess poisson(double rate) {
        return new ArrivalProcess(new double[] {rate}, new double[][] {{1}});
    }

    public int states() {
        return rates.length;
    }

    public double rate(int state) {
        return rates[state];
    }

    public double transition(int from, int to) {
        return transitions[from][to];
    }

    /** The stationary distribution of the state seen at arrivals. */
    public double[] stationary() {
        return stationary.clone();
    }

    /** Mean time between arrivals in steady state, seconds. */
    public double meanGap() {
        double m = 0;
        for (int k = 0; k < rates.length; k++) {
            m += stationary[k] / rates[k];
        }
        return m;
    }

    /** Long-run arrival rate, per second. */
    public double meanRate() {
        return 1 / meanGap();
    }

    /** Coefficient of variation of the steady-state gap (a mixture of exponentials). */
    public double gapCv() {
        double m1 = 0;
        double m2 = 0;
        for (int k = 0; k < rates.length; k++) {
            m1 += stationary[k] / rates[k];
            m2 += 2 * stationary[k] / (rates[k] * rates[k]);
        }
        return Math.sqrt(m2 - m1 * m1) / m1;
    }

    /** The steady-state distribution function of the gap between arrivals at {@code seconds}. */
    public double gapCdf(double seconds) {
        double f = 0;
        for (int k = 0; k < rates.length; k++) {
            f += stationary[k] * -Math.expm1(-rates[k] * seconds);
        }
        return f;
    }

    /** A generator of successive gaps, with every rate multiplied by {@code rateScale}. */
    public Sampler sampler(SplittableRandom random, double rateScale) {
        if (!(rateScale > 0 && rateScale < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("rate scale must be positive, got " + rateScale);
        }
        return new Sampler(random, rateScale);
    }

    /** Successive gaps of one realisation. Single-threaded. */
    public final class Sampler {
        private final SplittableRandom random;
        private final double scale;
        private int state;

        private Sampler(SplittableRandom random, double scale) {
            this.random = random;
            this.scale = scale;
            this.state = pick(stationary, random.nextDouble());
        }

        /** Seconds until the next arrival; the hidden state then moves on. */
        public double nextGap() {
            double gap = -Math.log1p(-random.nextDouble()) / (rates[state] * scale);
            state = pickCumulative(cumulative[state], random.nextDouble());
            return gap;
        }
    }

    private static int pick(double[] p, double u) {
        double c = 0;
        for (int i = 0; i < p.length - 1; i++) {
            c += p[i];
            if (u < c) {
                return i;
            }
        }
        return p.length - 1;
    }

    private static int pickCumulative(double[] c, double u) {
        for (int i = 0; i < c.length - 1; i++) {
            if (u < c[i]) {
                return i;
            }
        }
        return c.length - 1;
    }

    /** Stationary distribution of a row-stochastic matrix by power iteration (the chains here are small). */
    static double[] stationary(double[][] p) {
        int k = p.length;
        double[] pi = new double[k];
        Arrays.fill(pi, 1.0 / k);
        double[] next = new double[k];
        for (int it = 0; it < 1_000_000; it++) {
            Arrays.fill(next, 0);
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    next[j] += pi[i] * p[i][j];
                }
            }
            double diff = 0;
            for (int j = 0; j < k; j++) {
                diff += Math.abs(next[j] - pi[j]);
            }
            System.arraycopy(next, 0, pi, 0, k);
            if (diff < 1e-15) {
                break;
            }
        }
        return pi;
    }
}
