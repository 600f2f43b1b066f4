package dev.baton.scheduler.policy;

import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Each tenant's decayed demand and who exceeds its weighted share of it: {@code f_t > s_t + margin x (1 - s_t)}, with
 * {@code s_t} the tenant's weight over the weights of the tenants holding at least 1% of the demand (all tenants with a
 * demand when a single one holds 99% or more).
 */
class TenantDemandTest {
    private static final long WINDOW = 1_000_000_000L; // 1 s

    private static TenantDemand equalWeights() {
        return new TenantDemand(t -> 1.0, WINDOW, 0.5, 1, 1);
    }

    @Test
    @DisplayName("a tenant's fraction is its recorded work (w_in x prompt + w_out x maxTokens) over everyone's")
    void fractionsFollowTheRecordedDemand() {
        TenantDemand d = new TenantDemand(t -> 1.0, WINDOW, 0.5, 1, 3);
        d.record("a", 100, 0, 0);     // 100
        d.record("b", 100, 100, 0);   // 100 + 300 = 400
        d.record("c", 0, 0, 0);       // nothing
        assertThat(d.fraction("a", 0)).isCloseTo(0.2, within(1e-12));
        assertThat(d.fraction("b", 0)).isCloseTo(0.8, within(1e-12));
        assertThat(d.fraction("c", 0)).isZero();
        assertThat(d.fraction("never-seen", 0)).isZero();
        d.record("a", 500, 0, 0);     // a: 600 of 1000
        assertThat(d.fraction("a", 0)).isCloseTo(0.6, within(1e-12));
        assertThat(d.fraction("b", 0)).isCloseTo(0.4, within(1e-12));
        // Between arrivals every tenant's demand decays at the same rate: the fractions stay put.
        assertThat(d.fraction("a", 3 * WINDOW)).isCloseTo(0.6, within(1e-9));
    }

    @Test
    @DisplayName("an empty demand: every fraction is 0 and nobody exceeds")
    void empty() {
        TenantDemand d = equalWeights();
        assertThat(d.fraction("a", 5)).isZero();
        assertThat(d.exceedsShare("a", 5)).isFalse();
    }

    @Test
    @DisplayName("tenants that ask for equal work never exceed their share, however many there are")
    void equalTenantsNeverExceed() {
        for (int n = 2; n <= 12; n++) {
            TenantDemand d = equalWeights();
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < n; i++) {
                    d.record("t" + i, 300, 100, round * WINDOW / 3);
                }
            }
            for (int i = 0; i < n; i++) {
                assertThat(d.exceedsShare("t" + i, 2 * WINDOW)).as("%s tenants, t%s", n, i).isFalse();
                assertThat(d.fraction("t" + i, 2 * WINDOW)).isCloseTo(1.0 / n, within(1e-9));
            }
        }
    }

    @Test
    @DisplayName("among 4 tenants, one asking 10x each of the others exceeds its share; the others do not")
    void tenTimesAmongFourExceeds() {
        TenantDemand d = equalWeights();
        for (int i = 0; i < 3; i++) {
            d.record("light" + i, 100, 100, 0);
        }
        for (int i = 0; i < 10; i++) {
            d.record("heavy", 100, 100, 0);
        }
        // f = 10/13 = 0.77 > 1/4 + 0.5 x 3/4 = 0.625
        assertThat(d.fraction("heavy", 0)).isCloseTo(10.0 / 13, within(1e-12));
        assertThat(d.exceedsShare("heavy", 0)).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(d.exceedsShare("light" + i, 0)).isFalse();
        }
        // 4x is 4/7 = 0.57 < 0.625: a heavier tenant is not yet one that exceeds its share by the margin.
        TenantDemand four = equalWeights();
        for (int i = 0; i < 3; i++) {
            four.record("light" + i, 100, 100, 0);
        }
        four.record("heavy", 400, 400, 0);
        assertThat(four.exceedsShare("heavy", 0)).isFalse();
    }

    @Test
    @DisplayName("weights move the share: a heavy tenant of weight 7 among 4 may ask 10x; a light tenant's weight lowers the others' share")
    void weightsShiftTheShare() {
        Map<String, Double> w = Map.of("heavy", 7.0);
        TenantDemand d = new TenantDemand(t -> w.getOrDefault(t, 1.0), WINDOW, 0.5, 1, 1);
        for (int i = 0; i < 3; i++) {
            d.record("light" + i, 100, 0, 0);
        }
        d.record("heavy", 1000, 0, 0);
        // s = 7/10, threshold 0.7 + 0.5 x 0.3 = 0.85 > 10/13
        assertThat(d.exceedsShare("heavy", 0)).isFalse();

        // 60/40 between equal tenants: within the share (threshold 0.75) ...
        TenantDemand equal = equalWeights();
        equal.record("a", 600, 0, 0);
        equal.record("b", 400, 0, 0);
        assertThat(equal.exceedsShare("a", 0)).isFalse();
        // ... but with b at weight 9, a's share is 0.1 and its threshold 0.1 + 0.5 x 0.9 = 0.55 < 0.6.
        TenantDemand weighted = new TenantDemand(t -> t.equals("b") ? 9.0 : 1.0, WINDOW, 0.5, 1, 1);
        weighted.record("a", 600, 0, 0);
        weighted.record("b", 400, 0, 0);
        assertThat(weighted.exceedsShare("a", 0)).isTrue();
        assertThat(weighted.exceedsShare("b", 0)).isFalse();
    }

    @Test
    @DisplayName("the margin decides how far past its share a tenant may go")
    void marginMoves() {
        TenantDemand tight = new TenantDemand(t -> 1.0, WINDOW, 0.1, 1, 1);
        TenantDemand loose = new TenantDemand(t -> 1.0, WINDOW, 0.9, 1, 1);
        for (TenantDemand d : new TenantDemand[] {tight, loose}) {
            d.record("a", 700, 0, 0);
            d.record("b", 300, 0, 0);
        }
        // f = 0.7; thresholds 0.5 + 0.1 x 0.5 = 0.55 and 0.5 + 0.9 x 0.5 = 0.95.
        assertThat(tight.exceedsShare("a", 0)).isTrue();
        assertThat(loose.exceedsShare("a", 0)).isFalse();
    }

    @Test
    @DisplayName("a single tenant never exceeds its share, however much it asks")
    void singleTenantNeverExceeds() {
        TenantDemand d = equalWeights();
        for (int i = 0; i < 100; i++) {
            d.record("only", 4000, 4000, i * 1_000_000L);
            assertThat(d.exceedsShare("only", i * 1_000_000L)).isFalse();
        }
        assertThat(d.fraction("only", 0)).isEqualTo(1.0);
    }

    @Test
    @DisplayName("tenants under 1% of the demand are not counted in the shares of the others")
    void tinyTenantsDoNotDiluteShares() {
        TenantDemand d = equalWeights();
        d.record("a", 7000, 0, 0);
        d.record("b", 2950, 0, 0);
        d.record("tiny", 50, 0, 0); // 0.5%
        // Counting "tiny", a's share would be 1/3 and its threshold 0.667 < 0.70; without it, 0.5 and 0.75.
        assertThat(d.exceedsShare("a", 0)).isFalse();
        d.record("tiny", 60, 0, 0); // now 110 of 10060: 1.09%, counted
        assertThat(d.fraction("tiny", 0)).isGreaterThan(0.01);
        assertThat(d.exceedsShare("a", 0)).isTrue();
        assertThat(d.exceedsShare("tiny", 0)).isFalse();
    }

    @Test
    @DisplayName("old demand fades: a tenant that stopped asking drops below its share after a few windows")
    void oldDemandDecays() {
        TenantDemand d = equalWeights();
        d.record("a", 1000, 0, 0);
        d.record("b", 100, 0, 0);
        assertThat(d.exceedsShare("a", 0)).isTrue(); // 0.91 > 0.75
        // b keeps asking 100 per 0.1 s for 5 windows; a asks nothing more.
        long t = 0;
        for (int i = 1; i <= 50; i++) {
            t = i * WINDOW / 10;
            d.record("b", 100, 0, t);
        }
        double aLeft = 1000 * Math.exp(-5.0);
        assertThat(d.fraction("a", t)).isLessThan(0.01);
        // The decay is exponential with the window as its time constant.
        double bLeft = 0;
        for (int i = 0; i <= 50; i++) {
            bLeft += 100 * Math.exp(-(t - i * WINDOW / 10) / (double) WINDOW);
        }
        assertThat(d.fraction("a", t)).isCloseTo(aLeft / (aLeft + bLeft), within(1e-9));
        assertThat(d.exceedsShare("a", t)).isFalse();
        // a fell under 1% but is remembered: b holds all the rest, so a counts in the shares and b exceeds its own
        // (isolation throttles b only while a has work again).
        assertThat(d.exceedsShare("b", t)).as("b holds over 99%% while a is remembered").isTrue();
    }

    @Test
    @DisplayName("a tenant whose demand fell below 1e-9 of the total is forgotten: its fraction is exactly 0 again")
    void quietTenantsAreForgotten() {
        TenantDemand d = equalWeights();
        d.record("gone", 1000, 0, 0);
        d.record("stays", 1000, 0, 25 * WINDOW);
        long now = 25 * WINDOW;
        double tiny = d.fraction("gone", now);
        assertThat(tiny).isGreaterThan(0).isLessThan(1e-9); // e^-25 ~ 1.4e-11
        assertThat(d.exceedsShare("stays", now)).isFalse(); // recomputes the shares, and forgets "gone"
        assertThat(d.fraction("gone", now)).isZero();
        // Coming back starts from nothing: its fraction is just its new work over the (decayed) total.
        d.record("gone", 1000, 0, now);
        assertThat(d.fraction("gone", now)).isCloseTo(1000 / (2000 + 1000 * Math.exp(-25)), within(1e-9));

        // 20 windows (e^-20 ~ 2e-9) is not yet forgotten.
        TenantDemand recent = equalWeights();
        recent.record("quiet", 1000, 0, 0);
        recent.record("busy", 1000, 0, 20 * WINDOW);
        recent.exceedsShare("busy", 20 * WINDOW);
        assertThat(recent.fraction("quiet", 20 * WINDOW)).isGreaterThan(1e-9);
    }

    @Test
    @DisplayName("the constructor refuses a window that is not positive and a margin outside (0, 1)")
    void validation() {
        assertThatThrownBy(() -> new TenantDemand(t -> 1.0, 0, 0.5, 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window");
        assertThatThrownBy(() -> new TenantDemand(t -> 1.0, -5, 0.5, 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window");
        assertThatThrownBy(() -> new TenantDemand(t -> 1.0, Double.NaN, 0.5, 1, 1))
                .isInstanceOf(IllegalArgumentException.class);
        for (double margin : new double[] {0, 1, -0.1, 1.5, Double.NaN}) {
            assertThatThrownBy(() -> new TenantDemand(t -> 1.0, WINDOW, margin, 1, 1))
                    .as("margin %s", margin).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("margin");
        }
        assertThatThrownBy(() -> new TenantDemand(null, WINDOW, 0.5, 1, 1))
                .isInstanceOf(NullPointerException.class);
        assertThat(new TenantDemand(t -> 1.0, 1, 0.001, 1, 1).exceedsShare("x", 0)).isFalse();
    }

    /**
     * Random arrivals of up to 6 weighted tenants, checked against the definition computed independently: each
     * tenant's fraction is its decayed work over everyone's, and it exceeds its share exactly when the fraction is past
     * the margin above its weight over the weights of the tenants with at least 1% (over all tenants with a demand when
     * only one has 1%; never when it is the only tenant).
     */
    @Property(tries = 200)
    void exceeds_its_share_exactly_as_defined(
            @ForAll @IntRange(min = 1, max = 6) int tenants,
            @ForAll @IntRange(min = 1, max = 60) int arrivals,
            @ForAll @IntRange(min = 1, max = 9) int marginTenths,
            @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double margin = marginTenths / 10.0;
        Map<String, Double> weights = new HashMap<>();
        for (int i = 0; i < tenants; i++) {
            weights.put("t" + i, (double) rnd.nextInt(1, 5));
        }
        TenantDemand d = new TenantDemand(weights::get, WINDOW, margin, 1, 2);
        Map<String, Double> work = new HashMap<>();
        Map<String, Long> at = new HashMap<>();
        long now = 0;
        for (int k = 0; k < arrivals; k++) {
            now += rnd.nextLong(0, WINDOW / 2);
            // Skewed: low-numbered tenants ask much more.
            String t = "t" + Math.min(tenants - 1, (int) Math.floor(-Math.log(1 - rnd.nextDouble()) * 1.5));
            int prompt = rnd.nextInt(0, 2000);
            int out = rnd.nextInt(0, 500);
            d.record(t, prompt, out, now);
            double old = work.getOrDefault(t, 0.0) * Math.exp(-(now - at.getOrDefault(t, now)) / (double) WINDOW);
            work.put(t, old + prompt + 2.0 * out);
            at.put(t, now);
        }
        long probe = now + rnd.nextLong(0, 2 * WINDOW);
        Map<String, Double> decayed = new HashMap<>();
        double total = 0;
        for (var e : work.entrySet()) {
            double v = e.getValue() * Math.exp(-(probe - at.get(e.getKey())) / (double) WINDOW);
            decayed.put(e.getKey(), v);
            total += v;
        }
        Assume.that(total > 0);
        double activeWeight = 0;
        int active = 0;
        double smallWeight = 0;
        int small = 0;
        for (var e : decayed.entrySet()) {
            double f = e.getValue() / total;
            Assume.that(Math.abs(f - TenantDemand.ACTIVE_FRACTION) > 1e-9);
            Assume.that(Math.abs(f - TenantDemand.FORGOTTEN_FRACTION) > 1e-15);
            if (f >= TenantDemand.ACTIVE_FRACTION) {
                activeWeight += weights.get(e.getKey());
                active++;
            } else if (f >= TenantDemand.FORGOTTEN_FRACTION) {
                smallWeight += weights.get(e.getKey());
                small++;
            }
        }
        if (active == 1) {
            activeWeight += smallWeight;
            active += small;
        }
        for (var e : decayed.entrySet()) {
            String t = e.getKey();
            double f = e.getValue() / total;
            assertThat(d.fraction(t, probe)).as("fraction of %s", t).isCloseTo(f, within(1e-9));
            double share = weights.get(t) / activeWeight;
            double threshold = share + margin * (1 - share);
            Assume.that(Math.abs(f - threshold) > 1e-9);
            assertThat(d.exceedsShare(t, probe)).as("%s: f=%s, threshold=%s, active=%s", t, f, threshold, active)
                    .isEqualTo(active > 1 && f > threshold);
        }
    }
}
