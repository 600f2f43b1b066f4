package dev.baton.api.plan;

import dev.baton.api.request.SamplingParams;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The plan is a reusable buffer: whatever the scheduler writes, the device reads back exactly, step after step. */
class StepPlanTest {

    static final SamplingParams GREEDY = SamplingParams.greedy(16);

    /** A block table over a fixed array. */
    record ArrayTable(int... ids) implements BlockTable {
        @Override
        public int size() {
            return ids.length;
        }

        @Override
        public int blockId(int index) {
            return ids[index];
        }
    }

    @Test
    void a_new_plan_is_empty() {
        StepPlan p = new StepPlan();
        assertThat(p.numKvGroups()).isEqualTo(1);
        assertThat(p.numSeqs()).isZero();
        assertThat(p.totalTokens()).isZero();
        assertThat(p.numMoves()).isZero();
        assertThat(p.numReleased()).isZero();
        assertThat(p.numPrefillSeqs()).isZero();
        assertThat(new StepPlan(3).numKvGroups()).isEqualTo(3);
    }

    @Test
    void fewer_than_one_kv_group_is_refused() {
        assertThatThrownBy(() -> new StepPlan(0)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("numKvGroups must be at least 1, got 0");
    }

    @Test
    void sequences_tokens_tables_moves_and_released_slots_grow_past_their_initial_arrays_and_read_back() {
        StepPlan p = new StepPlan(2);
        p.clear(7);
        int seqs = 100; // initial capacity is 16 sequences, 64 tokens, 8 moves, 8 released slots
        for (int i = 0; i < seqs; i++) {
            SamplingParams sp = SamplingParams.greedy(1 + i);
            assertThat(p.addSequence(1000 + i, 5000L + i, sp, i % 3, 10 * i, i % 2,
                    i % 2 == 0 ? StepPlan.FLAG_SAMPLE : StepPlan.FLAG_SAMPLE | StepPlan.FLAG_WANT_PROBS)).isEqualTo(i);
            for (int k = 0; k <= i % 4; k++) {
                p.addToken(i * 10 + k);
            }
            p.setBlockTable(i, 0, new ArrayTable(i, i + 1), 2);
            p.setBlockTable(i, 1, new ArrayTable(0, i), 1);
        }
        for (int m = 0; m < 50; m++) {
            p.addMove(BlockMoveKind.values()[m % 3], m, m + 100);
        }
        for (int r = 0; r < 40; r++) {
            p.addReleased(r * 7);
        }

        assertThat(p.stepId()).isEqualTo(7);
        assertThat(p.numSeqs()).isEqualTo(seqs);
        int total = 0;
        for (int i = 0; i < seqs; i++) {
            assertThat(p.slot(i)).isEqualTo(1000 + i);
            assertThat(p.seed(i)).isEqualTo(5000L + i);
            assertThat(p.sampling(i).maxTokens()).isEqualTo(1 + i);
            assertThat(p.lora(i)).isEqualTo(i % 3);
            assertThat(p.position(i)).isEqualTo(10 * i);
            assertThat(p.numDrafts(i)).isEqualTo(i % 2);
            assertThat(p.samples(i)).isTrue();
            assertThat(p.wantsProbabilities(i)).isEqualTo(i % 2 == 1);
            assertThat(p.numTokens(i)).isEqualTo(1 + i % 4);
            assertThat(p.tokenOffset(i)).isEqualTo(total);
            for (int k = 0; k < p.numTokens(i); k++) {
                assertThat(p.token(i, k)).isEqualTo(i * 10 + k);
                assertThat(p.tokenArray()[p.tokenOffset(i) + k]).isEqualTo(i * 10 + k);
            }
            total += p.numTokens(i);
            assertThat(p.blockTable(i, 0).blockId(1)).isEqualTo(i + 1);
            assertThat(p.blockTableLength(i, 0)).isEqualTo(2);
            assertThat(p.blockTable(i, 1).blockId(1)).isEqualTo(i);
            assertThat(p.blockTableLength(i, 1)).isEqualTo(1);
            assertThat(p.hasDraftProbabilities(i)).isFalse();
        }
        assertThat(p.totalTokens()).isEqualTo(total);
        assertThat(p.numMoves()).isEqualTo(50);
        for (int m = 0; m < 50; m++) {
            assertThat(p.moveKind(m)).isEqualTo(BlockMoveKind.values()[m % 3]);
            assertThat(p.moveSrc(m)).isEqualTo(m);
            assertThat(p.moveDst(m)).isEqualTo(m + 100);
        }
        assertThat(p.numReleased()).isEqualTo(40);
        for (int r = 0; r < 40; r++) {
            assertThat(p.releasedSlot(r)).isEqualTo(r * 7);
        }
    }

    @Test
    void add_tokens_and_reserve_tokens_append_to_the_last_sequence() {
        StepPlan p = new StepPlan();
        p.addSequence(0, 0, GREEDY, 0, 0, 0, StepPlan.FLAG_SAMPLE);
        p.addTokens(new int[] {9, 1, 2, 3, 9}, 1, 3);
        p.addSequence(1, 0, GREEDY, 0, 4, 0, StepPlan.FLAG_SAMPLE);
        int at = p.reserveTokens(100);
        for (int k = 0; k < 100; k++) {
            p.tokenArray()[at + k] = 500 + k;
        }
        p.addToken(StepPlan.PLACEHOLDER_TOKEN);

        assertThat(at).isEqualTo(3);
        assertThat(p.numTokens(0)).isEqualTo(3);
        assertThat(p.token(0, 2)).isEqualTo(3);
        assertThat(p.numTokens(1)).isEqualTo(101);
        assertThat(p.token(1, 99)).isEqualTo(599);
        assertThat(p.token(1, 100)).isEqualTo(StepPlan.PLACEHOLDER_TOKEN);
        assertThat(p.totalTokens()).isEqualTo(104);
    }

    @Test
    void trimming_removes_trailing_drafts_of_the_last_sequence() {
        StepPlan p = new StepPlan();
        p.addSequence(0, 0, GREEDY, 0, 10, 3, StepPlan.FLAG_SAMPLE);
        p.addTokens(new int[] {1, 2, 3, 4}, 0, 4);
        p.trimLastSequenceTokens(2);
        p.setNumDrafts(0, 1);
        assertThat(p.numTokens(0)).isEqualTo(2);
        assertThat(p.numDrafts(0)).isEqualTo(1);
        assertThat(p.totalTokens()).isEqualTo(2);
        p.addToken(7);
        assertThat(p.token(0, 2)).isEqualTo(7);
    }

    @Test
    void flags_decide_sampling_and_probabilities() {
        StepPlan p = new StepPlan();
        p.addSequence(0, 0, GREEDY, 0, 0, 0, 0);
        assertThat(p.samples(0)).isFalse();
        assertThat(p.wantsProbabilities(0)).isFalse();
        p.setFlags(0, StepPlan.FLAG_SAMPLE | StepPlan.FLAG_WANT_PROBS);
        assertThat(p.flags(0)).isEqualTo(3);
        assertThat(p.samples(0)).isTrue();
        assertThat(p.wantsProbabilities(0)).isTrue();
    }

    @Test
    void prefill_sequences_are_those_computing_more_than_one_non_draft_token() {
        StepPlan p = new StepPlan();
        p.addSequence(0, 0, GREEDY, 0, 0, 0, 0);          // prefill chunk of 5
        p.addTokens(new int[5], 0, 5);
        p.addSequence(1, 0, GREEDY, 0, 40, 0, StepPlan.FLAG_SAMPLE); // decode
        p.addToken(1);
        p.addSequence(2, 0, GREEDY, 0, 40, 3, StepPlan.FLAG_SAMPLE); // decode + 3 drafts
        p.addTokens(new int[4], 0, 4);
        assertThat(p.numPrefillSeqs()).isEqualTo(1);
        assertThat(p.toString()).contains("step=0", "0@0+5", "1@40+1", "2@40+4(d3)", "moves=0");
    }

    @Test
    void clear_resets_every_count_and_forgets_references_but_keeps_working() {
        StepPlan p = new StepPlan(2);
        for (int i = 0; i < 20; i++) {
            p.addSequence(i, i, GREEDY, 0, 0, 0, StepPlan.FLAG_SAMPLE);
            p.addToken(i);
            p.setBlockTable(i, 1, new ArrayTable(1, 2), 2);
        }
        p.setDraftProbabilities(0, new float[] {0.5f, 0.5f}, 0, 1, 2);
        p.addMove(BlockMoveKind.COPY, 1, 2);
        p.addReleased(3);

        p.clear(42);
        assertThat(p.stepId()).isEqualTo(42);
        assertThat(p.numSeqs()).isZero();
        assertThat(p.totalTokens()).isZero();
        assertThat(p.numMoves()).isZero();
        assertThat(p.numReleased()).isZero();

        p.addSequence(9, 9, GREEDY, 0, 3, 0, 0);
        assertThat(p.sampling(0)).isSameAs(GREEDY);
        assertThat(p.blockTable(0, 1)).as("a cleared plan holds no stale block table").isNull();
        assertThat(p.hasDraftProbabilities(0)).isFalse();
        // The next step may use another draft vocabulary width.
        p.setDraftProbabilities(0, new float[] {0.1f, 0.2f, 0.7f}, 0, 1, 3);
        assertThat(p.draftProbability(0, 0, 2)).isEqualTo(0.7f);
    }

    @Test
    void draft_probability_rows_are_copied_and_read_per_draft_and_token() {
        StepPlan p = new StepPlan();
        p.addSequence(0, 0, GREEDY, 0, 8, 2, StepPlan.FLAG_SAMPLE);
        p.addTokens(new int[] {1, 2, 3}, 0, 3);
        p.addSequence(1, 0, GREEDY, 0, 8, 1, StepPlan.FLAG_SAMPLE);
        p.addTokens(new int[] {4, 5}, 0, 2);
        float[] rows = {9, 9, 0.1f, 0.2f, 0.3f, 0.4f, 0.6f, 0.0f, 0.2f, 0.2f};
        p.setDraftProbabilities(0, rows, 2, 2, 4);
        p.setDraftProbabilities(1, new float[] {0.25f, 0.25f, 0.25f, 0.25f}, 0, 1, 4);
        rows[2] = 42;

        assertThat(p.hasDraftProbabilities(0)).isTrue();
        assertThat(p.draftProbability(0, 0, 0)).isEqualTo(0.1f);
        assertThat(p.draftProbability(0, 0, 3)).isEqualTo(0.4f);
        assertThat(p.draftProbability(0, 1, 0)).isEqualTo(0.6f);
        assertThat(p.draftProbability(0, 1, 3)).isEqualTo(0.2f);
        assertThat(p.draftProbability(1, 0, 2)).isEqualTo(0.25f);
    }

    @Test
    void draft_rows_of_one_plan_must_share_a_vocabulary_and_be_well_formed() {
        StepPlan p = new StepPlan();
        p.addSequence(0, 0, GREEDY, 0, 8, 1, StepPlan.FLAG_SAMPLE);
        p.addSequence(1, 0, GREEDY, 0, 8, 1, StepPlan.FLAG_SAMPLE);
        p.setDraftProbabilities(0, new float[4], 0, 1, 4);
        assertThatThrownBy(() -> p.setDraftProbabilities(1, new float[5], 0, 1, 5))
                .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("4 vs 5");
        assertThatThrownBy(() -> p.setDraftProbabilities(1, new float[4], 0, 1, 0))
                .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocabSize >= 1");
        assertThatThrownBy(() -> p.setDraftProbabilities(1, new float[4], 0, -1, 4))
                .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("numRows >= 0");
        assertThatThrownBy(() -> p.setDraftProbabilities(1, new float[4], 1, 1, 4))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> p.setDraftProbabilities(2, new float[4], 0, 1, 4))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void tokens_before_any_sequence_are_refused_without_changing_the_plan() {
        StepPlan p = new StepPlan();
        assertThatThrownBy(() -> p.addToken(1)).isExactlyInstanceOf(IllegalStateException.class)
                .hasMessageContaining("addSequence");
        assertThatThrownBy(() -> p.addTokens(new int[] {1}, 0, 1)).isExactlyInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.reserveTokens(1)).isExactlyInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.trimLastSequenceTokens(0)).isExactlyInstanceOf(IllegalStateException.class);
        assertThat(p.totalTokens()).isZero();
    }

    @Test
    void trimming_more_tokens_than_the_sequence_has_or_reserving_a_negative_count_is_refused() {
        StepPlan p = new StepPlan();
        p.addSequence(0, 0, GREEDY, 0, 0, 0, 0);
        p.addTokens(new int[] {1, 2}, 0, 2);
        assertThatThrownBy(() -> p.trimLastSequenceTokens(3)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0..2").hasMessageContaining("not 3");
        assertThatThrownBy(() -> p.trimLastSequenceTokens(-1)).isExactlyInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> p.reserveTokens(-1)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> p.addTokens(new int[] {1, 2}, 1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(p.numTokens(0)).isEqualTo(2);
        assertThat(p.totalTokens()).isEqualTo(2);
    }

    @Test
    void block_tables_copy_their_ids() {
        int[] dst = new int[6];
        new ArrayTable(5, 6, 7, 8).copyTo(1, dst, 2, 3);
        assertThat(dst).containsExactly(0, 0, 6, 7, 8, 0);
    }

    /** One scheduled sequence of a generated plan. */
    record Seq(int slot, long seed, int position, int[] tokens, int drafts, int flags) {
    }

    @Property(tries = 100)
    void whatever_is_written_reads_back_exactly_over_reused_steps(
            @ForAll("steps") List<List<Seq>> steps, @ForAll("moves") List<int[]> moves) {
        StepPlan p = new StepPlan();
        long stepId = 0;
        for (List<Seq> step : steps) {
            p.clear(++stepId);
            for (Seq s : step) {
                p.addSequence(s.slot(), s.seed(), GREEDY, 0, s.position(), s.drafts(), s.flags());
                if (s.tokens().length % 2 == 0) {
                    p.addTokens(s.tokens(), 0, s.tokens().length);
                } else {
                    for (int t : s.tokens()) {
                        p.addToken(t);
                    }
                }
            }
            for (int[] m : moves) {
                p.addMove(BlockMoveKind.values()[m[0]], m[1], m[2]);
            }
            assertThat(p.stepId()).isEqualTo(stepId);
            assertThat(p.numSeqs()).isEqualTo(step.size());
            int total = 0;
            for (int i = 0; i < step.size(); i++) {
                Seq s = step.get(i);
                assertThat(p.slot(i)).isEqualTo(s.slot());
                assertThat(p.seed(i)).isEqualTo(s.seed());
                assertThat(p.position(i)).isEqualTo(s.position());
                assertThat(p.numDrafts(i)).isEqualTo(s.drafts());
                assertThat(p.flags(i)).isEqualTo(s.flags());
                assertThat(p.numTokens(i)).isEqualTo(s.tokens().length);
                for (int k = 0; k < s.tokens().length; k++) {
                    assertThat(p.token(i, k)).isEqualTo(s.tokens()[k]);
                }
                total += s.tokens().length;
            }
            assertThat(p.totalTokens()).isEqualTo(total);
            assertThat(p.numMoves()).isEqualTo(moves.size());
            for (int m = 0; m < moves.size(); m++) {
                assertThat(p.moveKind(m).ordinal()).isEqualTo(moves.get(m)[0]);
                assertThat(p.moveSrc(m)).isEqualTo(moves.get(m)[1]);
                assertThat(p.moveDst(m)).isEqualTo(moves.get(m)[2]);
            }
        }
    }

    @Provide
    Arbitrary<List<List<Seq>>> steps() {
        Arbitrary<int[]> tokens = Arbitraries.integers().between(-1, 1 << 17).array(int[].class).ofMinSize(1)
                .ofMaxSize(40);
        Arbitrary<Seq> seq = Combinators.combine(Arbitraries.integers().between(0, 4096), Arbitraries.longs(),
                        Arbitraries.integers().between(0, 1 << 17), tokens, Arbitraries.integers().between(0, 3))
                .as((slot, seed, pos, t, flags) -> new Seq(slot, seed, pos, t, Math.min(t.length - 1, flags), flags));
        return seq.list().ofMaxSize(40).list().ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<List<int[]>> moves() {
        return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 1 << 20),
                        Arbitraries.integers().between(0, 1 << 20))
                .as((k, s, d) -> new int[] {k, s, d}).list().ofMaxSize(30);
    }
}
