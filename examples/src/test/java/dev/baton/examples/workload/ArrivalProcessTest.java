package dev.baton.examples.workload;

import dev.baton.examples.workload.fit.ArrivalFitter;
import dev.baton.examples.workload.fit.TraceFitter;
import dev.baton.examples.workload.fit.TraceStatistics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The Markovian arrival process, and the EM fit that recovers one from its gaps. */
class ArrivalProcessTest {

    private static final ArrivalProcess TWO_STATE = new ArrivalProcess(new double[] {20, 2},
            new double[][] {{0.98, 0.02}, {0.05, 0.95}});

    @Test
    @DisplayName("steady state: stationary share, mean rate and gap CV agree with a long simulation")
    void steadyState() {
        double[] st = TWO_STATE.stationary();
        assertThat(st[0]).isCloseTo(0.05 / 0.07, within(1e-9));
        double[] t = TraceFitter.simulateArrivals(TWO_STATE, 50_000, new SplittableRandom(3));
        double[] gaps = TraceStatistics.gaps(t);
        assertThat((t.length - 1) / t[t.length - 1]).isCloseTo(TWO_STATE.meanRate(), within(0.03 * TWO_STATE.meanRate()));
        assertThat(TraceStatistics.cv(gaps)).isCloseTo(TWO_STATE.gapCv(), within(0.05 * TWO_STATE.gapCv()));
        assertThat(TraceStatistics.ks(gaps, TWO_STATE::gapCdf)).isLessThan(0.02);
    }

    @Test
    @DisplayName("a rate scale compresses time and keeps the draws: gaps scale by exactly 1/scale")
    void rateScale() {
        ArrivalProcess.Sampler a = TWO_STATE.sampler(new SplittableRandom(5), 1);
        ArrivalProcess.Sampler b = TWO_STATE.sampler(new SplittableRandom(5), 4);
        for (int i = 0; i < 1000; i++) {
            assertThat(b.nextGap()).isCloseTo(a.nextGap() / 4, within(1e-12));
        }
    }

    @Test
    @DisplayName("EM recovers a two-state process from its gaps, and BIC prefers two states to one")
    void emRecoversParameters() {
        double[] t = TraceFitter.simulateArrivals(TWO_STATE, 6_000, new SplittableRandom(11));
        double[] gaps = TraceStatistics.gaps(t);
        List<ArrivalFitter.Fit> fits = ArrivalFitter.fitAll(gaps, 2);
        ArrivalProcess p = fits.get(0).process();
        assertThat(p.states()).isEqualTo(2);
        int fast = p.rate(0) > p.rate(1) ? 0 : 1;
        int slow = 1 - fast;
        assertThat(p.rate(fast)).isCloseTo(20, within(2.0));
        assertThat(p.rate(slow)).isCloseTo(2, within(0.3));
        assertThat(p.transition(fast, fast)).isCloseTo(0.98, within(0.015));
        assertThat(p.transition(slow, slow)).isCloseTo(0.95, within(0.03));
        assertThat(p.meanRate()).isCloseTo((gaps.length) / t[t.length - 1], within(0.01 * p.meanRate()));
    }

    @Test
    @DisplayName("bad parameters are refused with what is wrong")
    void validation() {
        assertThatThrownBy(() -> new ArrivalProcess(new double[] {1, 2}, new double[][] {{0.5, 0.4}, {0, 1}}))
                .hasMessageContaining("sums to");
        assertThatThrownBy(() -> new ArrivalProcess(new double[] {0}, new double[][] {{1}}))
                .hasMessageContaining("rate must be positive");
        assertThatThrownBy(() -> TWO_STATE.sampler(new SplittableRandom(1), 0)).hasMessageContaining("rate scale");
    }

    @Test
    @DisplayName("quantile tables interpolate log-linearly between their points and invert with cdf")
    void quantileTable() {
        QuantileTable q = new QuantileTable(new double[] {0, 0.5, 1}, new double[] {10, 40, 160});
        assertThat(q.quantile(0.25)).isCloseTo(20, within(1e-9));
        assertThat(q.quantile(0.75)).isCloseTo(80, within(1e-9));
        assertThat(q.cdf(80)).isCloseTo(0.75, within(1e-12));
        assertThat(q.cdf(5)).isZero();
        assertThat(q.cdf(160)).isEqualTo(1);
        double sampled = 0;
        int n = 1_000_000;
        for (int i = 0; i < n; i++) {
            sampled += q.quantile((i + 0.5) / n);
        }
        assertThat(q.mean()).isCloseTo(sampled / n, within(1e-3));
        assertThat(q.sample(0.999999)).isEqualTo(160);
        assertThatThrownBy(() -> new QuantileTable(new double[] {0, 1}, new double[] {5, 4}))
                .hasMessageContaining("must not decrease");
    }

    @Test
    @DisplayName("normal distribution function and its inverse agree")
    void normal() {
        for (double p : new double[] {1e-6, 0.01, 0.3, 0.5, 0.9, 0.999}) {
            assertThat(Normal.cdf(Normal.inverseCdf(p))).isCloseTo(p, within(1e-7 + 1e-6 * p));
        }
        assertThat(Normal.cdf(1.959963984540054)).isCloseTo(0.975, within(1e-7));
    }
}
