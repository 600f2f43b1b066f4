package dev.baton.examples.workload.fit;

import dev.baton.examples.workload.ArrivalProcess;
import dev.baton.examples.workload.FittedTrace;
import dev.baton.examples.workload.QuantileTable;
import dev.baton.examples.workload.TraceFile;
import dev.baton.examples.workload.TraceRequest;
import dev.baton.examples.workload.TraceSummary;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fits a {@link FittedTrace} to a trace with arrival times and token counts: the arrival process by EM
 * ({@link ArrivalFitter}), each length column as a {@link QuantileTable} on the standard grid, and the copula
 * parameter from the rank correlation (the Gaussian copula with the trace's Spearman correlation). Then judges the fit: the generator is sampled and its statistics
 * are compared with the trace's.
 */
public final class TraceFitter {

    /** How much longer than the trace the fitted arrival process is simulated for its dispersion figures. */
    private static final int SIMULATED_SPANS = 20;
    private static final int LENGTH_SAMPLES = 200_000;

    /**
     * How well the generator reproduces the trace.
     *
     * @param gapKs        KS distance of the trace's gaps from the fitted process's steady-state gap distribution
     * @param gapCv        the fitted process's gap coefficient of variation
     * @param idc1s        index of dispersion of counts of the fitted process, 1 s windows (simulated)
     * @param idc10s       the same, 10 s windows
     * @param idc60s       the same, 60 s windows
     * @param promptKs     two-sample KS distance, generated prompt lengths vs the trace
     * @param outputKs     the same for output lengths
     * @param generated    the summary statistics of a generated sample (lengths) and process (arrivals)
     */
    public record GoodnessOfFit(double gapKs, double gapCv, double idc1s, double idc10s, double idc60s,
                                double promptKs, double outputKs, TraceSummary generated) {
    }

    /**
     * @param fitted   the generator
     * @param fits     every arrival-process fit tried, BIC-best first
     * @param goodness how well the generator reproduces the trace
     */
    public record Result(FittedTrace fitted, List<ArrivalFitter.Fit> fits, GoodnessOfFit goodness) {
    }

    private TraceFitter() {
    }

    public static Result fit(TraceFile trace, String name, String attribution, int maxStates, long seed) {
        List<TraceRequest> rs = trace.requests();
        int n = rs.size();
        double[] arrivals = new double[n];
        int[] prompt = new int[n];
        int[] output = new int[n];
        for (int i = 0; i < n; i++) {
            TraceRequest r = rs.get(i);
            arrivals[i] = r.arrivalNanos() * 1e-9;
            prompt[i] = r.promptTokens();
            output[i] = r.outputTokens();
        }
        TraceSummary summary = TraceStatistics.summarize(arrivals, prompt, output);
        List<ArrivalFitter.Fit> fits = ArrivalFitter.fitAll(TraceStatistics.gaps(arrivals), maxStates);
        ArrivalProcess process = fits.get(0).process();
        QuantileTable promptTable = table(prompt);
        QuantileTable outputTable = table(output);
        // The Gaussian copula whose Spearman correlation is the trace's: rho_S = (6 / pi) asin(rho / 2).
        double rho = 2 * Math.sin(Math.PI / 6 * summary.spearman());
        FittedTrace fitted = new FittedTrace(name, attribution, process, promptTable, outputTable, round(rho, 4),
                summary);
        return new Result(fitted, fits, judge(fitted, arrivals, prompt, output, seed));
    }

    /** Samples the generator and compares it with the trace. */
    public static GoodnessOfFit judge(FittedTrace f, double[] arrivals, int[] prompt, int[] output, long seed) {
        double[] gaps = TraceStatistics.gaps(arrivals);
        double gapKs = TraceStatistics.ks(gaps, f.arrivals()::gapCdf);
        double span = arrivals[arrivals.length - 1] - arrivals[0];
        double[] sim = simulateArrivals(f.arrivals(), span * SIMULATED_SPANS, new SplittableRandom(seed));
        SplittableRandom r = new SplittableRandom(seed + 1);
        int[] gp = new int[LENGTH_SAMPLES];
        int[] go = new int[LENGTH_SAMPLES];
        int[] pair = new int[2];
        for (int i = 0; i < LENGTH_SAMPLES; i++) {
            f.sampleLengths(r, pair);
            gp[i] = pair[0];
            go[i] = pair[1];
        }
        TraceSummary generated = TraceStatistics.summarize(sim, gp, go);
        return new GoodnessOfFit(gapKs, f.arrivals().gapCv(), generated.idc1s(), generated.idc10s(),
                generated.idc60s(), TraceStatistics.ks(toDouble(gp), toDouble(prompt)),
                TraceStatistics.ks(toDouble(go), toDouble(output)), generated);
    }

    /** Arrival times of one realisation over {@code seconds}, starting at 0 (at least two arrivals). */
    public static double[] simulateArrivals(ArrivalProcess p, double seconds, SplittableRandom random) {
        ArrivalProcess.Sampler s = p.sampler(random, 1);
        double[] t = new double[1024];
        int n = 1;
        double now = 0;
        while (true) {
            now += s.nextGap();
            if (now > seconds && n >= 2) {
                break;
            }
            if (n == t.length) {
                t = Arrays.copyOf(t, n * 2);
            }
            t[n++] = now;
        }
        return Arrays.copyOf(t, n);
    }

    static QuantileTable table(int[] column) {
        double[] sorted = TraceStatistics.sortedCopy(column);
        double[] grid = QuantileTable.standardGrid();
        double[] v = new double[grid.length];
        for (int i = 0; i < grid.length; i++) {
            v[i] = round(TraceStatistics.quantile(sorted, grid[i]), 2);
        }
        return new QuantileTable(grid, v);
    }

    private static double[] toDouble(int[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    static double round(double v, int digits) {
        double s = Math.pow(10, digits);
        return Math.round(v * s) / s;
    }
}
