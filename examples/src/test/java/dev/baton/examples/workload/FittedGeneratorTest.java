package dev.baton.examples.workload;

import dev.baton.examples.workload.fit.TraceFitter;
import dev.baton.examples.workload.fit.TraceStatistics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The committed generators reproduce the figures of the traces they were fitted to (the {@link TraceSummary} committed
 * beside them), within stated tolerances.
 *
 * <p>Tolerances: lengths (200,000 draws) mean and median within 2%, p90 within 3%, Spearman within 0.02; arrivals
 * (twenty trace-lengths simulated) mean rate within 3%, gap coefficient of variation within 10%, index of dispersion
 * of counts at 1 s and 10 s within 15% for conv and 30% for code (the fit is looser on code's sub-second bursts, as
 * {@link AzureTraces} states).
 */
class FittedGeneratorTest {

    static Stream<Arguments> fits() {
        return Stream.of(Arguments.of(AzureTraces.CONV, 0.15), Arguments.of(AzureTraces.CODE, 0.30));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fits")
    @DisplayName("prompt and output length samples match the trace's mean, median, p90 and rank correlation")
    void lengths(FittedTrace f, double ignored) {
        SplittableRandom r = new SplittableRandom(42);
        int n = 200_000;
        int[] p = new int[n];
        int[] o = new int[n];
        int[] pair = new int[2];
        for (int i = 0; i < n; i++) {
            f.sampleLengths(r, pair);
            p[i] = pair[0];
            o[i] = pair[1];
        }
        TraceSummary s = f.summary();
        double[] ps = TraceStatistics.sortedCopy(p);
        double[] os = TraceStatistics.sortedCopy(o);
        assertThat(TraceStatistics.mean(ps)).isCloseTo(s.promptMean(), within(0.02 * s.promptMean()));
        assertThat(TraceStatistics.quantile(ps, 0.5)).isCloseTo(s.promptMedian(), within(0.02 * s.promptMedian()));
        assertThat(TraceStatistics.quantile(ps, 0.9)).isCloseTo(s.promptP90(), within(0.03 * s.promptP90()));
        assertThat(TraceStatistics.mean(os)).isCloseTo(s.outputMean(), within(0.02 * s.outputMean()));
        assertThat(TraceStatistics.quantile(os, 0.5)).isCloseTo(s.outputMedian(), within(0.02 * s.outputMedian()));
        assertThat(TraceStatistics.quantile(os, 0.9)).isCloseTo(s.outputP90(), within(0.03 * s.outputP90()));
        assertThat(TraceStatistics.spearman(p, o)).isCloseTo(s.spearman(), within(0.02));
        assertThat(f.prompt().mean()).isCloseTo(s.promptMean(), within(0.02 * s.promptMean()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fits")
    @DisplayName("simulated arrivals match the trace's rate, gap variability and burstiness")
    void arrivals(FittedTrace f, double idcTolerance) {
        TraceSummary s = f.summary();
        double[] t = TraceFitter.simulateArrivals(f.arrivals(), 20 * s.spanSeconds(), new SplittableRandom(7));
        double rate = (t.length - 1) / t[t.length - 1];
        assertThat(rate).isCloseTo(s.meanRate(), within(0.03 * s.meanRate()));
        assertThat(f.arrivals().meanRate()).isCloseTo(s.meanRate(), within(0.01 * s.meanRate()));
        double cv = TraceStatistics.cv(TraceStatistics.gaps(t));
        assertThat(cv).isCloseTo(s.gapCv(), within(0.10 * s.gapCv()));
        assertThat(TraceStatistics.idc(t, 1)).isCloseTo(s.idc1s(), within(idcTolerance * s.idc1s()));
        assertThat(TraceStatistics.idc(t, 10)).isCloseTo(s.idc10s(), within(idcTolerance * s.idc10s()));
        // Bursty, as the trace is: far from a Poisson process's dispersion of 1.
        assertThat(TraceStatistics.idc(t, 10)).isGreaterThan(2);
    }
}
