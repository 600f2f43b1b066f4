package dev.baton.api.request;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.baton.api.request.SamplingParamsTest.refused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A request that builds is well formed: every invalid field is refused at {@code build()} with the field's name and
 * what to change, and nothing of an invalid request survives.
 */
class InferenceRequestTest {

    private static InferenceRequest.Builder ok() {
        return InferenceRequest.withPrompt(1, 2, 3, 4, 5, 6, 7, 8);
    }

    @Test
    void defaults_are_one_greedy_sample_of_sixteen_tokens_for_the_default_tenant() {
        InferenceRequest r = InferenceRequest.withPrompt(5, 6).build();
        assertThat(r.requestId()).isNull();
        assertThat(r.promptTokens()).containsExactly(5, 6);
        assertThat(r.promptLength()).isEqualTo(2);
        assertThat(r.sampling()).isEqualTo(SamplingParams.greedy(16));
        assertThat(r.tenant()).isEqualTo(InferenceRequest.DEFAULT_TENANT);
        assertThat(r.priority()).isZero();
        assertThat(r.slo()).isSameAs(SloTargets.NONE);
        assertThat(r.deadline()).isNull();
        assertThat(r.queueTimeout()).isNull();
        assertThat(r.loraAdapter()).isNull();
        assertThat(r.cacheSalt()).isNull();
        assertThat(r.parallelSamples()).isEqualTo(1);
        assertThat(r.multimodal()).isEmpty();
        assertThat(r.skipPrefixCacheRead()).isFalse();
    }

    @Test
    void null_or_empty_prompt_is_refused() {
        refused("promptTokens", () -> InferenceRequest.builder().build(), "must not be null");
        refused("promptTokens", () -> InferenceRequest.withPrompt((int[]) null).build(), "must not be null");
        refused("promptTokens", () -> InferenceRequest.withPrompt().build(), "at least one token");
    }

    @Test
    void negative_token_ids_are_refused_with_their_position() {
        refused("promptTokens", () -> InferenceRequest.withPrompt(3, 4, -2, 5).build(), "-2", "position 2");
        refused("promptTokens", () -> InferenceRequest.withPrompt(Integer.MIN_VALUE).build(),
                String.valueOf(Integer.MIN_VALUE), "position 0");
    }

    @Test
    void null_sampling_or_slo_is_refused() {
        refused("sampling", () -> ok().sampling(null).build(), "must not be null");
        refused("slo", () -> ok().slo(null).build(), "must not be null");
    }

    @Test
    void max_tokens_shorthand_refuses_zero_at_once() {
        refused("maxTokens", () -> ok().maxTokens(0), "at least 1", "got 0");
        refused("maxTokens", () -> ok().maxTokens(-3), "-3");
        // Keeps the other sampling parameters, and works even after sampling(null).
        InferenceRequest r = ok().sampling(SamplingParams.builder().temperature(0.5).seed(1).build()).maxTokens(99)
                .build();
        assertThat(r.sampling().maxTokens()).isEqualTo(99);
        assertThat(r.sampling().temperature()).isEqualTo(0.5);
        assertThat(ok().sampling(null).maxTokens(7).build().sampling().maxTokens()).isEqualTo(7);
    }

    @Test
    void null_blank_or_empty_tenant_is_refused_naming_the_default() {
        refused("tenant", () -> ok().tenant(null).build(), "non-blank", "\"default\"");
        refused("tenant", () -> ok().tenant("").build(), "non-blank");
        refused("tenant", () -> ok().tenant(" \t").build(), "non-blank");
    }

    @Test
    void blank_or_empty_request_id_is_refused_but_null_lets_the_engine_assign_one() {
        refused("requestId", () -> ok().requestId("").build(), "non-blank", "leave it unset");
        refused("requestId", () -> ok().requestId("   ").build(), "non-blank");
        assertThat(ok().requestId(null).build().requestId()).isNull();
        assertThat(ok().requestId("r-1").build().requestId()).isEqualTo("r-1");
    }

    @Test
    void blank_or_empty_lora_adapter_is_refused_but_null_means_the_base_model() {
        refused("loraAdapter", () -> ok().loraAdapter("").build(), "non-blank", "base model");
        refused("loraAdapter", () -> ok().loraAdapter("  ").build(), "non-blank");
        assertThat(ok().loraAdapter(null).build().loraAdapter()).isNull();
    }

    @Test
    void empty_cache_salt_is_refused_but_null_means_no_salt() {
        refused("cacheSalt", () -> ok().cacheSalt("").build(), "non-empty", "leave it unset");
        assertThat(ok().cacheSalt(null).build().cacheSalt()).isNull();
        // A salt is opaque (vLLM only refuses empty ones): any non-empty string, whitespace included, is a salt.
        assertThat(ok().cacheSalt(" ").build().cacheSalt()).isEqualTo(" ");
    }

    @Test
    void parallel_samples_outside_one_to_max_is_refused_with_the_range() {
        refused("parallelSamples", () -> ok().parallelSamples(0).build(), "[1, 256]", "got 0");
        refused("parallelSamples", () -> ok().parallelSamples(-1).build(), "[1, 256]", "-1");
        refused("parallelSamples", () -> ok().parallelSamples(InferenceRequest.MAX_PARALLEL_SAMPLES + 1).build(),
                "[1, 256]", "257");
        assertThat(ok().parallelSamples(InferenceRequest.MAX_PARALLEL_SAMPLES).build().parallelSamples())
                .isEqualTo(256);
    }

    @Test
    void zero_or_negative_deadline_and_queue_timeout_are_refused() {
        refused("deadline", () -> ok().deadline(Duration.ZERO).build(), "positive", "PT0S");
        refused("deadline", () -> ok().deadline(Duration.ofMillis(-5)).build(), "positive", "PT-0.005S");
        refused("queueTimeout", () -> ok().queueTimeout(Duration.ZERO).build(), "positive", "PT0S");
        refused("queueTimeout", () -> ok().queueTimeout(Duration.ofSeconds(-1)).build(), "positive", "PT-1S");
        InferenceRequest r = ok().deadline(Duration.ofNanos(1)).queueTimeout(Duration.ofSeconds(2)).build();
        assertThat(r.deadline()).isEqualTo(Duration.ofNanos(1));
        assertThat(r.queueTimeout()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void slo_targets_zero_or_negative_are_refused() {
        refused("slo.ttft", () -> SloTargets.of(Duration.ZERO, null), "positive", "PT0S");
        refused("slo.ttft", () -> SloTargets.of(Duration.ofMillis(-1), null), "positive");
        refused("slo.tpot", () -> SloTargets.of(null, Duration.ZERO), "positive", "PT0S");
        refused("slo.tpot", () -> new SloTargets(Duration.ofMillis(100), Duration.ofNanos(-1)), "positive");
    }

    @Test
    void slo_targets_report_absence_as_no_limit_and_judge_attainment_inclusively() {
        assertThat(SloTargets.NONE.hasTargets()).isFalse();
        assertThat(SloTargets.NONE.ttftNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(SloTargets.NONE.tpotNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(SloTargets.NONE.met(Long.MAX_VALUE, Long.MAX_VALUE)).isTrue();

        SloTargets slo = SloTargets.of(Duration.ofMillis(200), Duration.ofMillis(50));
        assertThat(slo.hasTargets()).isTrue();
        assertThat(slo.met(200_000_000, 50_000_000)).isTrue();
        assertThat(slo.met(200_000_001, 50_000_000)).isFalse();
        assertThat(slo.met(200_000_000, 50_000_001)).isFalse();
        assertThat(SloTargets.of(null, Duration.ofMillis(1)).met(Long.MAX_VALUE, 1_000_000)).isTrue();
    }

    @Test
    void multimodal_span_fields_are_checked_on_their_own() {
        refused("multimodal.identifier", () -> new MultimodalSpan(null, 0, 1), "non-empty");
        refused("multimodal.identifier", () -> new MultimodalSpan("", 0, 1), "non-empty");
        refused("multimodal.offset", () -> new MultimodalSpan("img", -1, 1), "negative", "-1");
        refused("multimodal.length", () -> new MultimodalSpan("img", 0, 0), "at least 1", "got 0");
        refused("multimodal.length", () -> new MultimodalSpan("img", Integer.MAX_VALUE, 1),
                "must not exceed", String.valueOf(Integer.MAX_VALUE));
        assertThat(new MultimodalSpan("img", 3, 4).end()).isEqualTo(7);
    }

    @Test
    void multimodal_spans_past_the_prompt_are_refused() {
        refused("multimodal", () -> ok().multimodal(List.of(new MultimodalSpan("img", 6, 3))).build(),
                "ends past the prompt (8 tokens)");
        refused("multimodal", () -> ok().multimodal(List.of(new MultimodalSpan("img", 8, 1))).build(),
                "ends past the prompt");
        // Exactly filling the prompt is fine.
        assertThat(ok().multimodal(List.of(new MultimodalSpan("img", 0, 8))).build().multimodal()).hasSize(1);
    }

    @Test
    void overlapping_multimodal_spans_are_refused() {
        refused("multimodal", () -> ok().multimodal(List.of(new MultimodalSpan("a", 0, 4),
                new MultimodalSpan("b", 3, 2))).build(), "overlap");
        refused("multimodal", () -> ok().multimodal(List.of(new MultimodalSpan("a", 4, 2),
                new MultimodalSpan("b", 1, 4))).build(), "overlap");
        assertThat(ok().multimodal(List.of(new MultimodalSpan("a", 4, 2), new MultimodalSpan("b", 0, 4))).build()
                .multimodal()).hasSize(2);
    }

    @Test
    void null_multimodal_list_or_element_is_refused() {
        refused("multimodal", () -> ok().multimodal(null).build(), "must not be null");
        List<MultimodalSpan> withNull = new ArrayList<>();
        withNull.add(null);
        refused("multimodal", () -> ok().multimodal(withNull).build(), "must not be null");
    }

    @Test
    void the_prompt_and_span_list_are_copied_so_later_mutation_changes_nothing() {
        int[] prompt = {10, 11, 12};
        List<MultimodalSpan> spans = new ArrayList<>(List.of(new MultimodalSpan("img", 0, 2)));
        InferenceRequest.Builder builder = InferenceRequest.withPrompt(prompt).multimodal(spans);
        InferenceRequest r = builder.build();
        prompt[0] = 99;
        spans.add(new MultimodalSpan("other", 2, 1));
        assertThat(r.promptTokens()).containsExactly(10, 11, 12);
        assertThat(r.multimodal()).containsExactly(new MultimodalSpan("img", 0, 2));
        assertThatThrownBy(() -> r.multimodal().add(new MultimodalSpan("x", 0, 1)))
                .isInstanceOf(UnsupportedOperationException.class);

        r.promptTokens()[1] = 99;
        assertThat(r.promptToken(1)).isEqualTo(11);
        int[] dst = new int[5];
        r.copyPromptTokens(1, dst, 2, 2);
        assertThat(dst).containsExactly(0, 0, 11, 12, 0);
    }

    @Test
    void a_request_built_from_to_builder_is_unaffected_by_changes_to_the_new_builder() {
        InferenceRequest r = ok().requestId("a").tenant("t").build();
        InferenceRequest other = r.toBuilder().promptTokens(1).requestId("b").build();
        assertThat(r.promptLength()).isEqualTo(8);
        assertThat(r.requestId()).isEqualTo("a");
        assertThat(other.tenant()).isEqualTo("t");
    }

    @Property(tries = 200)
    void any_valid_request_round_trips_through_to_builder(@ForAll("validRequests") InferenceRequest r) {
        InferenceRequest again = r.toBuilder().build();
        assertThat(again.requestId()).isEqualTo(r.requestId());
        assertThat(again.promptTokens()).isEqualTo(r.promptTokens());
        assertThat(again.sampling()).isEqualTo(r.sampling());
        assertThat(again.tenant()).isEqualTo(r.tenant());
        assertThat(again.priority()).isEqualTo(r.priority());
        assertThat(again.slo()).isEqualTo(r.slo());
        assertThat(again.deadline()).isEqualTo(r.deadline());
        assertThat(again.queueTimeout()).isEqualTo(r.queueTimeout());
        assertThat(again.loraAdapter()).isEqualTo(r.loraAdapter());
        assertThat(again.cacheSalt()).isEqualTo(r.cacheSalt());
        assertThat(again.parallelSamples()).isEqualTo(r.parallelSamples());
        assertThat(again.multimodal()).isEqualTo(r.multimodal());
        assertThat(again.skipPrefixCacheRead()).isEqualTo(r.skipPrefixCacheRead());
        assertThat(again.sameInputs(r)).isTrue();
        assertThat(again.toString()).isEqualTo(r.toString());
    }

    @Property(tries = 200)
    void same_inputs_ignores_who_asks_but_not_what_is_asked(@ForAll("validRequests") InferenceRequest r) {
        InferenceRequest otherCaller = r.toBuilder().requestId("someone-else").tenant("another-tenant")
                .priority(r.priority() + 1).deadline(Duration.ofHours(1)).build();
        assertThat(otherCaller.sameInputs(r)).isTrue();

        int[] prompt = r.promptTokens();
        prompt[prompt.length - 1]++;
        assertThat(r.toBuilder().promptTokens(prompt).build().sameInputs(r)).isFalse();
        assertThat(r.toBuilder().cacheSalt(r.cacheSalt() == null ? "s" : r.cacheSalt() + "x").build().sameInputs(r))
                .isFalse();
        assertThat(r.toBuilder().loraAdapter(r.loraAdapter() == null ? "l" : r.loraAdapter() + "x").build()
                .sameInputs(r)).isFalse();
        int n = r.parallelSamples() == InferenceRequest.MAX_PARALLEL_SAMPLES ? 1 : r.parallelSamples() + 1;
        assertThat(r.toBuilder().parallelSamples(n).build().sameInputs(r)).isFalse();
    }

    @Provide
    Arbitrary<InferenceRequest> validRequests() {
        Arbitrary<int[]> prompt = Arbitraries.integers().between(0, 200_000).array(int[].class).ofMinSize(1)
                .ofMaxSize(64);
        Arbitrary<String> name = Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(12);
        Arbitrary<Duration> positive = Arbitraries.longs().between(1, 3_600_000_000_000L).map(Duration::ofNanos);
        Arbitrary<SloTargets> slo = Combinators.combine(positive.injectNull(0.5), positive.injectNull(0.5))
                .as(SloTargets::new);
        Arbitrary<Integer> n = Arbitraries.integers().between(1, InferenceRequest.MAX_PARALLEL_SAMPLES);
        Arbitrary<int[]> scalars = Arbitraries.integers().array(int[].class).ofSize(2);
        return Combinators.combine(prompt, name.injectNull(0.3), name, slo, positive.injectNull(0.5),
                        name.injectNull(0.5), n, scalars)
                .as((p, id, tenant, s, deadline, lora, samples, sc) -> {
                    // Spans: a single image over the first half of the prompt when the flag bit is set.
                    List<MultimodalSpan> spans = (sc[1] & 1) == 1 && p.length >= 2
                            ? List.of(new MultimodalSpan("img-" + Arrays.hashCode(p), 0, p.length / 2))
                            : List.of();
                    return InferenceRequest.withPrompt(p).requestId(id).tenant(tenant).slo(s).deadline(deadline)
                            .queueTimeout(deadline == null ? null : deadline.plusNanos(1)).loraAdapter(lora)
                            .cacheSalt(lora == null ? null : lora + "-salt").parallelSamples(samples)
                            .priority(sc[0]).multimodal(spans).skipPrefixCacheRead((sc[1] & 2) == 2)
                            .maxTokens(1 + Math.floorMod(sc[0], 4096))
                            .build();
                });
    }

    @Test
    void invalid_request_exception_names_the_field_and_is_an_illegal_argument() {
        InvalidRequestException e = new InvalidRequestException("topP", "must be in (0, 1], got 2.0");
        assertThat(e).isInstanceOf(IllegalArgumentException.class);
        assertThat(e.field()).isEqualTo("topP");
        assertThat(e.getMessage()).isEqualTo("topP: must be in (0, 1], got 2.0");
    }
}
