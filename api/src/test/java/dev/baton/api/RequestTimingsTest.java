package dev.baton.api;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** vLLM's interval definitions over recorded timestamps, and the value types a finished request is reported in. */
class RequestTimingsTest {

    @Test
    void intervals_follow_vllms_definitions() {
        // Arrived at 100, scheduled at 130, first token at 180, finished at 480 after 7 tokens.
        RequestTimings t = new RequestTimings(100, 130, 180, 480, 7);
        assertThat(t.queueNanos()).isEqualTo(30);
        assertThat(t.ttftNanos()).isEqualTo(80);
        assertThat(t.e2eNanos()).isEqualTo(380);
        assertThat(t.tpotNanos()).isEqualTo((480 - 180) / 6);
    }

    @Test
    void times_not_reached_report_minus_one() {
        RequestTimings waiting = new RequestTimings(100, -1, -1, -1, 0);
        assertThat(waiting.queueNanos()).isEqualTo(-1);
        assertThat(waiting.ttftNanos()).isEqualTo(-1);
        assertThat(waiting.e2eNanos()).isEqualTo(-1);
        assertThat(waiting.tpotNanos()).isEqualTo(-1);

        RequestTimings cancelledBeforeFirstToken = new RequestTimings(100, 120, -1, 150, 0);
        assertThat(cancelledBeforeFirstToken.queueNanos()).isEqualTo(20);
        assertThat(cancelledBeforeFirstToken.e2eNanos()).isEqualTo(50);
        assertThat(cancelledBeforeFirstToken.tpotNanos()).isEqualTo(-1);
    }

    @Test
    void tpot_is_zero_with_a_single_token() {
        assertThat(new RequestTimings(0, 1, 5, 5, 1).tpotNanos()).isZero();
        assertThat(new RequestTimings(0, 1, 5, 9, 0).tpotNanos()).isZero();
        assertThat(new RequestTimings(0, 1, 5, 9, 2).tpotNanos()).isEqualTo(4);
    }

    @Test
    void a_sample_output_copies_its_tokens_in_and_out() {
        int[] tokens = {4, 5, 6};
        SampleOutput s = new SampleOutput(0, tokens, FinishReason.STOP, 6);
        tokens[0] = 99;
        assertThat(s.tokens()).containsExactly(4, 5, 6);
        s.tokens()[0] = 99;
        assertThat(s.tokens()).containsExactly(4, 5, 6);
        assertThat(s.numTokens()).isEqualTo(3);
        assertThat(s).isEqualTo(new SampleOutput(0, new int[] {4, 5, 6}, FinishReason.STOP, 6))
                .hasSameHashCodeAs(new SampleOutput(0, new int[] {4, 5, 6}, FinishReason.STOP, 6))
                .isNotEqualTo(new SampleOutput(0, new int[] {4, 5, 7}, FinishReason.STOP, 6));
        assertThat(s.toString()).contains("[4, 5, 6]", "STOP", "stopToken=6");
        assertThat(new SampleOutput(1, new int[0], FinishReason.LENGTH, -1).toString()).doesNotContain("stopToken");
        assertThatThrownBy(() -> new SampleOutput(0, null, FinishReason.STOP, -1))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("tokens");
        assertThatThrownBy(() -> new SampleOutput(0, new int[0], null, -1))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("finishReason");
    }

    @Test
    void a_completion_reports_sample_zero_and_owns_its_sample_list() {
        SampleOutput s0 = new SampleOutput(0, new int[] {1, 2}, FinishReason.LENGTH, -1);
        SampleOutput s1 = new SampleOutput(1, new int[] {3}, FinishReason.STOP, 3);
        List<SampleOutput> samples = new java.util.ArrayList<>(List.of(s0, s1));
        Completion c = new Completion("r", samples, new RequestTimings(0, 1, 2, 3, 3), 16, 0);
        samples.clear();
        assertThat(c.samples()).containsExactly(s0, s1);
        assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(c.tokens()).containsExactly(1, 2);
        assertThatThrownBy(() -> new Completion(null, List.of(s0), c.timings(), 0, 0))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("requestId");
        assertThatThrownBy(() -> new Completion("r", List.of(s0), null, 0, 0))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("timings");
    }

    @Test
    void only_stop_and_length_are_natural_ends_and_each_reason_has_an_openai_name() {
        for (FinishReason r : FinishReason.values()) {
            assertThat(r.isNatural()).as(r.name()).isEqualTo(r == FinishReason.STOP || r == FinishReason.LENGTH);
            assertThat(r.openAiName()).isIn("stop", "length", "abort", "error");
        }
        assertThat(FinishReason.STOP.openAiName()).isEqualTo("stop");
        assertThat(FinishReason.LENGTH.openAiName()).isEqualTo("length");
        assertThat(FinishReason.CANCELLED.openAiName()).isEqualTo("abort");
        assertThat(FinishReason.DEVICE_ERROR.openAiName()).isEqualTo("error");
    }
}
