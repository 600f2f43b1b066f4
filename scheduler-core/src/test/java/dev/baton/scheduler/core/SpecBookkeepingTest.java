package dev.baton.scheduler.core;

import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.metrics.CountingSink;
import dev.baton.scheduler.metrics.VllmMetrics;
import dev.baton.scheduler.spec.SpecDecodeMetrics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.baton.scheduler.core.SchedulerHarness.prompt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/** Scheduler bookkeeping of speculative tokens (anchors §2.4, vLLM v1 scheduler accounting). */
class SpecBookkeepingTest {

    private static int[] range(int from, int toInclusive) {
        int[] t = new int[toInclusive - from + 1];
        for (int i = 0; i < t.length; i++) {
            t[i] = from + i;
        }
        return t;
    }

    @Test
    @DisplayName("SPEC-22: 3 drafts, 3 tokens generated: computed rewinds by 1, 2 accepted of 3 drafted")
    void spec22() {
        SchedulerHarness h = SchedulerHarness.fcfs(b -> { });
        h.add("0", prompt(10, 1), SamplingParams.greedy(32));
        h.output(h.schedule(), Map.of("0", new int[] {9}));
        h.scheduler.proposeDrafts(h.seq("0"), new int[] {1, 2, 3}, 3);
        ScheduledStep s = h.schedule();
        assertThat(s.numTokens(0)).isEqualTo(4);
        assertThat(s.numDrafts(0)).isEqualTo(3);
        int computed = h.seq("0").numComputed();
        h.output(s, Map.of("0", new int[] {1, 2, 7}));
        assertThat(h.seq("0").numComputed()).isEqualTo(computed - 1);
        assertThat(h.seq("0").outputTokens()).containsExactly(9, 1, 2, 7);
        SpecDecodeStats st = h.scheduler.specDecodeStats();
        assertThat(st.draftTokens()).isEqualTo(3);
        assertThat(st.acceptedTokens()).isEqualTo(2);
        // vLLM's other two examples: all accepted rewinds 0, the first rejected rewinds 3.
        h.scheduler.proposeDrafts(h.seq("0"), new int[] {4, 5, 6}, 3);
        ScheduledStep all = h.schedule();
        computed = h.seq("0").numComputed();
        h.output(all, Map.of("0", new int[] {4, 5, 6, 8}));
        assertThat(h.seq("0").numComputed()).isEqualTo(computed);
        h.scheduler.proposeDrafts(h.seq("0"), new int[] {4, 5, 6}, 3);
        ScheduledStep none = h.schedule();
        computed = h.seq("0").numComputed();
        h.output(none, Map.of("0", new int[] {3}));
        assertThat(h.seq("0").numComputed()).isEqualTo(computed - 3);
    }

    @Test
    @DisplayName("SPEC-23: a k-draft step costs 1 + k of the budget (trimmed to it); KV covers computed + 1 + k + "
            + "lookahead, capped at max-model-len")
    void spec23() {
        // Budget 6, two sequences in decode asking for 1 + 3 each: the first gets 4, the second the 2 left (1 draft).
        SchedulerHarness h = SchedulerHarness.fcfs(b -> b.maxNumSeqs(2).maxNumBatchedTokens(6), 100, 4, false);
        h.add("a", prompt(3, 1), SamplingParams.greedy(32));
        h.add("b", prompt(3, 2), SamplingParams.greedy(32));
        h.output(h.schedule(), Map.of("a", new int[] {5}, "b", new int[] {5}));
        h.scheduler.proposeDrafts(h.seq("a"), new int[] {1, 2, 3}, 3);
        h.scheduler.proposeDrafts(h.seq("b"), new int[] {1, 2, 3}, 3);
        ScheduledStep s = h.schedule();
        assertThat(SchedulerHarness.tokens(s)).containsExactly(Map.entry("a", 4), Map.entry("b", 2));
        assertThat(s.numDrafts(0)).isEqualTo(3);
        assertThat(s.numDrafts(1)).isEqualTo(1);
        // No lookahead (n-gram): computed 3 + 1 + 3 = 7 tokens -> 2 blocks of 4.
        assertThat(h.seq("a").kv().blockTable(0).size()).isEqualTo(2);

        // Lookahead k = 3 (EAGLE heads / a drafter writing into the target's blocks): 3 + 1 + 3 + 3 = 10 -> 3 blocks.
        SchedulerHarness e = SchedulerHarness.fcfs(b -> b.maxNumSeqs(2).maxNumBatchedTokens(64), 100, 4, false);
        e.scheduler.setDraftLookahead(3);
        e.add("a", prompt(3, 1), SamplingParams.greedy(32));
        e.output(e.schedule(), Map.of("a", new int[] {5}));
        assertThat(e.seq("a").kv().blockTable(0).size()).as("no lookahead during the prefill").isEqualTo(1);
        e.scheduler.proposeDrafts(e.seq("a"), new int[] {1, 2, 3}, 3);
        e.schedule();
        assertThat(e.seq("a").kv().blockTable(0).size()).isEqualTo(3);

        // Capped at max-model-len 8: 3 + 1 + 3 + min(3, 8 - 7) = 8 -> 2 blocks.
        SchedulerHarness c = SchedulerHarness.fcfs(b -> b.maxNumSeqs(2).maxNumBatchedTokens(64).maxModelLen(8), 100,
                4, false);
        c.scheduler.setDraftLookahead(3);
        c.add("a", prompt(3, 1), SamplingParams.greedy(32));
        c.output(c.schedule(), Map.of("a", new int[] {5}));
        c.scheduler.proposeDrafts(c.seq("a"), new int[] {1, 2, 3}, 3);
        ScheduledStep capped = c.schedule();
        assertThat(capped.numDrafts(0)).isEqualTo(3);
        assertThat(c.seq("a").kv().blockTable(0).size()).isEqualTo(2);
    }

    @Test
    @DisplayName("SPEC-24: the prefix-cache commit point never covers draft tokens")
    void spec24() {
        SchedulerHarness h = SchedulerHarness.fcfs(b -> { }, 100, 4, true);
        h.add("0", range(1, 7), SamplingParams.greedy(32));
        h.output(h.schedule(), Map.of("0", new int[] {8}));
        h.scheduler.proposeDrafts(h.seq("0"), range(9, 13), 5);
        ScheduledStep s = h.schedule();
        assertThat(s.numDrafts(0)).isEqualTo(5);
        // Draft 9 accepted, 10 rejected (99 recovered): KV is valid for positions 0..8 only.
        h.output(s, Map.of("0", new int[] {9, 99}));
        // A prompt equal to the known tokens followed by the rejected drafts hits only the two full blocks of
        // accepted tokens [1..4], [5..8]; the block holding drafts 10..12 was never cached.
        h.add("probe", range(1, 13), SamplingParams.greedy(4));
        ScheduledStep next = h.schedule();
        int probe = SchedulerHarness.tokens(next).keySet().stream().toList().indexOf("probe");
        assertThat(next.plan().position(probe)).isEqualTo(8);
    }

    @Test
    @DisplayName("SPEC-25: metrics of drafts (3 drafted, 2 accepted), (3, 0), (3, 3), under vLLM's names")
    void spec25() {
        SpecDecodeStats st = new SpecDecodeStats();
        st.record(3, 2);
        st.record(3, 0);
        st.record(3, 3);
        assertThat(st.acceptanceRate()).isCloseTo(5.0 / 9, offset(1e-12));
        assertThat(st.meanAcceptanceLength()).isCloseTo(1 + 5.0 / 3, offset(1e-12));
        assertThat(new double[] {st.acceptanceRateAt(0), st.acceptanceRateAt(1), st.acceptanceRateAt(2)})
                .containsExactly(new double[] {2.0 / 3, 2.0 / 3, 1.0 / 3}, offset(1e-12));
        assertThat(new SpecDecodeStats().meanAcceptanceLength()).as("no drafts reports 1, as vLLM").isEqualTo(1.0);

        CountingSink sink = new CountingSink();
        Map<String, Long> counters = sink.counters;
        SpecDecodeMetrics metrics = new SpecDecodeMetrics();
        metrics.publish(st, sink);
        metrics.publish(st, sink); // nothing new: no double counting
        assertThat(counters).containsExactlyInAnyOrderEntriesOf(Map.of(
                VllmMetrics.SPEC_DECODE_NUM_DRAFTS, 3L,
                VllmMetrics.SPEC_DECODE_NUM_DRAFT_TOKENS, 9L,
                VllmMetrics.SPEC_DECODE_NUM_ACCEPTED_TOKENS, 5L,
                VllmMetrics.SPEC_DECODE_NUM_ACCEPTED_TOKENS_PER_POS + "{0}", 2L,
                VllmMetrics.SPEC_DECODE_NUM_ACCEPTED_TOKENS_PER_POS + "{1}", 2L,
                VllmMetrics.SPEC_DECODE_NUM_ACCEPTED_TOKENS_PER_POS + "{2}", 1L));
        st.record(2, 1);
        metrics.publish(st, sink);
        assertThat(counters.get(VllmMetrics.SPEC_DECODE_NUM_DRAFTS)).isEqualTo(4L);
        assertThat(counters.get(VllmMetrics.SPEC_DECODE_NUM_ACCEPTED_TOKENS_PER_POS + "{0}")).isEqualTo(3L);
    }
}
