package dev.baton.api.request;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Sampling parameters are refused field by field with a message that says what to change; valid ones round-trip. */
class SamplingParamsTest {

    /** Asserts {@code build} is refused for {@code field} with a message naming the offending value and the fix. */
    static InvalidRequestException refused(String field, Executable build, String... messageParts) {
        InvalidRequestException e = assertThrows(InvalidRequestException.class, build);
        assertThat(e.field()).isEqualTo(field);
        assertThat(e.getMessage()).startsWith(field + ": ").contains(messageParts);
        return e;
    }

    @Test
    void defaults_are_vllms_greedy_sixteen_tokens_stopping_at_eos() {
        SamplingParams p = SamplingParams.builder().build();
        assertThat(p.temperature()).isZero();
        assertThat(p.isGreedy()).isTrue();
        assertThat(p.isDeterministic()).isTrue();
        assertThat(p.topK()).isZero();
        assertThat(p.topP()).isEqualTo(1.0);
        assertThat(p.hasSeed()).isFalse();
        assertThat(p.seed()).isZero();
        assertThat(p.maxTokens()).isEqualTo(16);
        assertThat(p.minTokens()).isZero();
        assertThat(p.stopTokenIds()).isEmpty();
        assertThat(p.ignoreEos()).isFalse();
        assertThat(p.logprobs()).isZero();
        assertThat(SamplingParams.greedy(16)).isEqualTo(p);
    }

    @Test
    void temperature_negative_nan_infinite_or_above_100_is_refused() {
        refused("temperature", () -> SamplingParams.builder().temperature(-0.1).build(), "[0, 100]", "-0.1");
        refused("temperature", () -> SamplingParams.builder().temperature(Double.NaN).build(), "NaN");
        refused("temperature", () -> SamplingParams.builder().temperature(Double.POSITIVE_INFINITY).build(),
                "finite", "Infinity");
        refused("temperature", () -> SamplingParams.builder().temperature(Double.NEGATIVE_INFINITY).build(),
                "-Infinity");
        refused("temperature", () -> SamplingParams.builder().temperature(100.5).build(), "100.5");
    }

    @Test
    void top_k_below_minus_one_is_refused_and_minus_one_zero_and_positive_are_accepted() {
        refused("topK", () -> SamplingParams.builder().topK(-2).build(), "-1 or 0 (disabled)", "-2");
        refused("topK", () -> SamplingParams.builder().topK(Integer.MIN_VALUE).build(),
                String.valueOf(Integer.MIN_VALUE));
        assertThat(SamplingParams.builder().topK(-1).build().topK()).isEqualTo(-1);
        assertThat(SamplingParams.builder().topK(0).build().topK()).isZero();
        assertThat(SamplingParams.builder().topK(50).build().topK()).isEqualTo(50);
    }

    @Test
    void top_p_zero_negative_nan_or_above_one_is_refused_with_the_allowed_interval() {
        refused("topP", () -> SamplingParams.builder().topP(0).build(), "(0, 1]", "got 0.0");
        refused("topP", () -> SamplingParams.builder().topP(-0.5).build(), "(0, 1]", "-0.5");
        refused("topP", () -> SamplingParams.builder().topP(Double.NaN).build(), "(0, 1]", "NaN");
        refused("topP", () -> SamplingParams.builder().topP(1.0001).build(), "(0, 1]", "1.0001");
        assertThat(SamplingParams.builder().topP(1).build().topP()).isEqualTo(1);
        assertThat(SamplingParams.builder().topP(Double.MIN_VALUE).build().topP()).isEqualTo(Double.MIN_VALUE);
    }

    @Property(tries = 300)
    void any_top_p_outside_zero_one_is_refused(@ForAll("outsideUnitInterval") double topP) {
        refused("topP", () -> SamplingParams.builder().topP(topP).build(), "(0, 1]", String.valueOf(topP));
    }

    @Provide
    Arbitrary<Double> outsideUnitInterval() {
        return Arbitraries.oneOf(
                Arbitraries.doubles().lessOrEqual(0),
                Arbitraries.doubles().greaterThan(1),
                Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0,
                        Math.nextUp(1.0), -Double.MIN_VALUE));
    }

    @Property(tries = 200)
    void any_temperature_outside_zero_to_hundred_is_refused(@ForAll("badTemperature") double t) {
        refused("temperature", () -> SamplingParams.builder().temperature(t).build(), "[0, 100]");
    }

    @Provide
    Arbitrary<Double> badTemperature() {
        return Arbitraries.oneOf(
                Arbitraries.doubles().lessThan(0),
                Arbitraries.doubles().greaterThan(100),
                Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
    }

    @Test
    void max_tokens_zero_or_negative_is_refused() {
        refused("maxTokens", () -> SamplingParams.builder().maxTokens(0).build(), "at least 1", "got 0");
        refused("maxTokens", () -> SamplingParams.builder().maxTokens(-5).build(), "at least 1", "-5");
        refused("maxTokens", () -> SamplingParams.greedy(0), "at least 1");
    }

    @Test
    void min_tokens_negative_or_above_max_tokens_is_refused() {
        refused("minTokens", () -> SamplingParams.builder().minTokens(-1).build(), "must not be negative", "-1");
        refused("minTokens", () -> SamplingParams.builder().maxTokens(10).minTokens(11).build(),
                "must not exceed maxTokens (10)", "got 11");
        assertThat(SamplingParams.builder().maxTokens(10).minTokens(10).build().minTokens()).isEqualTo(10);
    }

    @Test
    void stop_token_ids_null_or_negative_are_refused() {
        refused("stopTokenIds", () -> SamplingParams.builder().stopTokenIds((int[]) null), "must not be null");
        refused("stopTokenIds", () -> SamplingParams.builder().stopTokenIds(2, -7).build(), "negative", "-7");
        refused("stopTokenIds", () -> new SamplingParams(0, 0, 1, 0, false, 16, 0, null, false, 0),
                "must not be null", "empty array");
    }

    @Test
    void logprobs_outside_zero_to_twenty_is_refused() {
        refused("logprobs", () -> SamplingParams.builder().logprobs(-1).build(), "[0, 20]", "-1");
        refused("logprobs", () -> SamplingParams.builder().logprobs(SamplingParams.MAX_LOGPROBS + 1).build(),
                "[0, 20]", "21");
        assertThat(SamplingParams.builder().logprobs(SamplingParams.MAX_LOGPROBS).build().logprobs()).isEqualTo(20);
    }

    @Test
    void stop_tokens_are_copied_in_and_out() {
        int[] stops = {7, 9};
        SamplingParams p = SamplingParams.builder().stopTokenIds(stops).build();
        stops[0] = 1000;
        assertThat(p.stopTokenIds()).containsExactly(7, 9);
        assertThat(p.isStopToken(7)).isTrue();
        assertThat(p.isStopToken(1000)).isFalse();

        p.stopTokenIds()[1] = 1000;
        assertThat(p.stopTokenIds()).containsExactly(7, 9);
        assertThat(p.isStopToken(1000)).isFalse();

        int[] direct = {3};
        SamplingParams q = new SamplingParams(0, 0, 1, 0, false, 16, 0, direct, false, 0);
        direct[0] = 4;
        assertThat(q.isStopToken(3)).isTrue();
    }

    @Test
    void equal_parameters_are_equal_with_equal_hash_codes_and_any_difference_breaks_equality() {
        SamplingParams a = SamplingParams.builder().temperature(0.7).topK(40).topP(0.9).seed(42).maxTokens(64)
                .minTokens(2).stopTokenIds(5, 6).ignoreEos(true).logprobs(3).build();
        SamplingParams b = SamplingParams.builder().temperature(0.7).topK(40).topP(0.9).seed(42).maxTokens(64)
                .minTokens(2).stopTokenIds(5, 6).ignoreEos(true).logprobs(3).build();
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(a.toBuilder().temperature(0.8).build())
                .isNotEqualTo(a.toBuilder().topK(41).build())
                .isNotEqualTo(a.toBuilder().topP(0.95).build())
                .isNotEqualTo(a.toBuilder().seed(43).build())
                .isNotEqualTo(a.toBuilder().noSeed().build())
                .isNotEqualTo(a.toBuilder().maxTokens(65).build())
                .isNotEqualTo(a.toBuilder().minTokens(3).build())
                .isNotEqualTo(a.toBuilder().stopTokenIds(6, 5).build())
                .isNotEqualTo(a.toBuilder().ignoreEos(false).build())
                .isNotEqualTo(a.toBuilder().logprobs(4).build())
                .isNotEqualTo(null)
                .isNotEqualTo("SamplingParams");
    }

    @Test
    void an_unseeded_request_forgets_any_seed_so_equal_behaviour_means_equal_values() {
        SamplingParams unseeded = new SamplingParams(0.5, 0, 1, 99, false, 16, 0, new int[0], false, 0);
        assertThat(unseeded.seed()).isZero();
        assertThat(unseeded).isEqualTo(SamplingParams.builder().temperature(0.5).seed(99).noSeed().build());
        assertThat(unseeded.isDeterministic()).isFalse();
        assertThat(unseeded.toBuilder().seed(99).build().isDeterministic()).isTrue();
    }

    @Property(tries = 300)
    void any_valid_combination_builds_reads_back_and_round_trips_through_to_builder(
            @ForAll("validParams") SamplingParams.Builder builder) {
        SamplingParams p = builder.build();
        SamplingParams again = p.toBuilder().build();
        assertThat(again).isEqualTo(p).hasSameHashCodeAs(p);
        assertThat(again.toString()).isEqualTo(p.toString());
        assertThat(p.minTokens()).isBetween(0, p.maxTokens());
    }

    @Provide
    Arbitrary<SamplingParams.Builder> validParams() {
        Arbitrary<Double> temperature = Arbitraries.oneOf(Arbitraries.just(0.0),
                Arbitraries.doubles().between(0, 100));
        Arbitrary<Integer> topK = Arbitraries.integers().between(-1, 5000);
        Arbitrary<Double> topP = Arbitraries.doubles().between(0, false, 1, true);
        Arbitrary<Long> seed = Arbitraries.longs().injectNull(0.3);
        Arbitrary<int[]> maxMin = Arbitraries.integers().between(1, 1 << 20)
                .flatMap(max -> Arbitraries.integers().between(0, max).map(min -> new int[] {max, min}));
        Arbitrary<int[]> stops = Arbitraries.integers().between(0, 200_000).array(int[].class).ofMaxSize(8);
        Arbitrary<Boolean> ignoreEos = Arbitraries.of(true, false);
        Arbitrary<Integer> logprobs = Arbitraries.integers().between(0, SamplingParams.MAX_LOGPROBS);
        return Combinators.combine(temperature, topK, topP, seed, maxMin, stops, ignoreEos, logprobs)
                .as((t, k, p, s, mm, st, ie, lp) -> {
                    SamplingParams.Builder b = SamplingParams.builder().temperature(t).topK(k).topP(p)
                            .maxTokens(mm[0]).minTokens(mm[1]).stopTokenIds(st).ignoreEos(ie).logprobs(lp);
                    return s == null ? b.noSeed() : b.seed(s);
                });
    }
}
