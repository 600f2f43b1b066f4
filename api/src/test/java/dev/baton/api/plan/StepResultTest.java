package dev.baton.api.plan;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.baton.api.plan.StepPlanTest.GREEDY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The result buffer is sized by its plan; each sequence's tokens, rows and proposals stay in their own slots. */
class StepResultTest {

    /** A plan: sequence {@code i} verifies {@code drafts[i]} drafts, wants probabilities if {@code probs[i]}. */
    private static StepPlan plan(long stepId, int[] drafts, boolean[] probs) {
        StepPlan p = new StepPlan();
        p.clear(stepId);
        for (int i = 0; i < drafts.length; i++) {
            int flags = StepPlan.FLAG_SAMPLE | (probs[i] ? StepPlan.FLAG_WANT_PROBS : 0);
            p.addSequence(i, i, GREEDY, 0, 100, drafts[i], flags);
            p.addTokens(new int[drafts[i] + 1], 0, drafts[i] + 1);
        }
        return p;
    }

    @Test
    void out_of_range_construction_is_refused() {
        assertThatThrownBy(() -> new StepResult(0, 0)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocabSize must be positive, got 0");
        assertThatThrownBy(() -> new StepResult(10, -1)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxProposals must not be negative, got -1");
    }

    @Test
    void reset_sizes_the_result_for_the_plan_with_nothing_sampled() {
        StepResult r = new StepResult(8, 2);
        r.reset(plan(5, new int[] {0, 2, 1}, new boolean[] {false, true, false}));
        assertThat(r.stepId()).isEqualTo(5);
        assertThat(r.numSeqs()).isEqualTo(3);
        assertThat(r.vocabSize()).isEqualTo(8);
        assertThat(r.deviceNanos()).isZero();
        for (int i = 0; i < 3; i++) {
            assertThat(r.numSampled(i)).isZero();
            assertThat(r.numProposed(i)).isZero();
            assertThat(r.sampledTokens(i)).isEmpty();
        }
        assertThat(r.hasProbabilities(0)).isFalse();
        assertThat(r.hasProbabilities(1)).isTrue();
    }

    @Test
    void sampled_tokens_stay_with_their_sequence() {
        StepResult r = new StepResult(100, 0);
        r.reset(plan(1, new int[] {0, 3, 0}, new boolean[3]));
        r.addSampled(1, 11);
        r.addSampled(0, 5);
        r.addSampled(1, 12);
        r.addSampled(2, 7);
        r.addSampled(1, 13);
        r.addSampled(1, 14);
        assertThat(r.sampledTokens(0)).containsExactly(5);
        assertThat(r.sampledTokens(1)).containsExactly(11, 12, 13, 14);
        assertThat(r.sampledTokens(2)).containsExactly(7);
        assertThat(r.numSampled(1)).isEqualTo(4);
        assertThat(r.sampled(1, 3)).isEqualTo(14);
    }

    @Test
    void more_than_drafts_plus_one_sampled_tokens_are_refused_instead_of_overwriting_the_next_sequence() {
        StepResult r = new StepResult(100, 0);
        r.reset(plan(1, new int[] {1, 0}, new boolean[2]));
        r.addSampled(1, 77);
        r.addSampled(0, 1);
        r.addSampled(0, 2);
        assertThatThrownBy(() -> r.addSampled(0, 3)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageContaining("sequence 0").hasMessageContaining("2 sampled tokens");
        assertThat(r.sampledTokens(1)).containsExactly(77);
        assertThatThrownBy(() -> r.addSampled(2, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> r.addSampled(-1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void probability_rows_are_written_through_their_offsets_and_read_per_position_and_token() {
        int vocab = 4;
        StepResult r = new StepResult(vocab, 0);
        r.reset(plan(1, new int[] {1, 0, 2}, new boolean[] {true, false, true}));
        for (int i : new int[] {0, 2}) {
            for (int k = 0; k <= (i == 0 ? 1 : 2); k++) {
                int off = r.probabilityRowOffset(i, k);
                for (int t = 0; t < vocab; t++) {
                    r.probabilityArray()[off + t] = i * 100 + k * 10 + t;
                }
            }
        }
        assertThat(r.probability(0, 1, 3)).isEqualTo(13f);
        assertThat(r.probability(2, 0, 0)).isEqualTo(200f);
        assertThat(r.probability(2, 2, 1)).isEqualTo(221f);
        assertThat(r.probability(0, 0, 2)).isEqualTo(2f);

        assertThatThrownBy(() -> r.probabilityRowOffset(1, 0)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageContaining("did not ask for probabilities");
        assertThatThrownBy(() -> r.probabilityRowOffset(0, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> r.probability(0, 0, vocab)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void proposals_are_kept_per_sequence_up_to_the_device_limit() {
        StepResult r = new StepResult(100, 2);
        r.reset(plan(1, new int[] {0, 0}, new boolean[2]));
        r.addProposal(1, 40);
        r.addProposal(0, 30);
        r.addProposal(1, 41);
        assertThat(r.numProposed(0)).isEqualTo(1);
        assertThat(r.numProposed(1)).isEqualTo(2);
        assertThat(r.proposed(0, 0)).isEqualTo(30);
        assertThat(r.proposed(1, 1)).isEqualTo(41);
        assertThatThrownBy(() -> r.addProposal(1, 42)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageContaining("more than 2 proposals for sequence 1");

        StepResult none = new StepResult(10, 0);
        none.reset(plan(0, new int[] {0}, new boolean[1]));
        assertThatThrownBy(() -> none.addProposal(0, 1)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageContaining("more than 0 proposals");
    }

    @Test
    void reset_for_a_larger_plan_grows_and_forgets_the_previous_step() {
        StepResult r = new StepResult(16, 1);
        r.reset(plan(1, new int[] {0}, new boolean[] {true}));
        r.addSampled(0, 3);
        r.addProposal(0, 4);
        r.setDeviceNanos(1234);
        assertThat(r.deviceNanos()).isEqualTo(1234);

        int n = 70; // past the initial 16 sequences and 64 sampled slots
        int[] drafts = new int[n];
        boolean[] probs = new boolean[n];
        for (int i = 0; i < n; i++) {
            drafts[i] = i % 3;
            probs[i] = i % 2 == 0;
        }
        r.reset(plan(2, drafts, probs));
        assertThat(r.stepId()).isEqualTo(2);
        assertThat(r.numSeqs()).isEqualTo(n);
        assertThat(r.deviceNanos()).isZero();
        for (int i = 0; i < n; i++) {
            assertThat(r.numSampled(i)).isZero();
            assertThat(r.numProposed(i)).isZero();
            for (int k = 0; k <= drafts[i]; k++) {
                r.addSampled(i, i * 10 + k);
            }
            r.addProposal(i, -i);
            if (probs[i]) {
                r.probabilityArray()[r.probabilityRowOffset(i, drafts[i]) + 15] = i;
            }
        }
        for (int i = 0; i < n; i++) {
            assertThat(r.numSampled(i)).isEqualTo(drafts[i] + 1);
            assertThat(r.sampled(i, drafts[i])).isEqualTo(i * 10 + drafts[i]);
            assertThat(r.proposed(i, 0)).isEqualTo(-i);
            assertThat(r.hasProbabilities(i)).isEqualTo(probs[i]);
            if (probs[i]) {
                assertThat(r.probability(i, drafts[i], 15)).isEqualTo(i);
            }
        }
    }

    @Property(tries = 100)
    void any_fill_within_capacity_reads_back_exactly(@ForAll("draftCounts") List<Integer> drafts,
                                                    @ForAll("fills") List<Integer> fills) {
        int n = drafts.size();
        int[] d = drafts.stream().mapToInt(Integer::intValue).toArray();
        StepResult r = new StepResult(32, 0);
        r.reset(plan(9, d, new boolean[n]));
        int[][] expected = new int[n][];
        for (int i = 0; i < n; i++) {
            int count = fills.isEmpty() ? 0 : Math.floorMod(fills.get(i % fills.size()), d[i] + 2);
            expected[i] = new int[count];
            for (int k = 0; k < count; k++) {
                expected[i][k] = 31 * i + k;
            }
        }
        // Interleave writes across sequences, as a device finishing sequences out of order would.
        for (int k = 0; k <= 8; k++) {
            for (int i = n - 1; i >= 0; i--) {
                if (k < expected[i].length) {
                    r.addSampled(i, expected[i][k]);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            assertThat(r.sampledTokens(i)).containsExactly(expected[i]);
        }
    }

    @Provide
    Arbitrary<List<Integer>> draftCounts() {
        return Arbitraries.integers().between(0, 7).list().ofMinSize(1).ofMaxSize(50);
    }

    @Provide
    Arbitrary<List<Integer>> fills() {
        return Arbitraries.integers().list().ofMaxSize(50);
    }
}
