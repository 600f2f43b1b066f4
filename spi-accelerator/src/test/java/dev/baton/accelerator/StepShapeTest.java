package dev.baton.accelerator;

import dev.baton.api.plan.BlockMoveKind;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The aggregates a cost model reads, as schedulers feed them. */
class StepShapeTest {

    @Test
    void decodes_and_prefill_chunks_are_told_apart_by_query_count_and_context() {
        StepShape s = new StepShape()
                .addSequence(512, 1000, 0, false)     // a prompt chunk
                .addSequence(1, 2000, 0, true)        // a decode
                .addSequence(4, 3000, 3, true)        // a decode verifying 3 drafts
                .addSequence(1, 0, 0, true);          // a one-token prompt
        assertThat(s.numSeqs()).isEqualTo(4);
        assertThat(s.numTokens()).isEqualTo(518);
        assertThat(s.numDecodeSeqs()).isEqualTo(2);
        assertThat(s.numPrefillSeqs()).isEqualTo(2);
        assertThat(s.decodeContext()).isEqualTo(5000);
        assertThat(s.maxDecodeContext()).isEqualTo(3000);
        assertThat(s.multiQuerySeqs()).isEqualTo(1);
        assertThat(s.multiQueryTokens()).isEqualTo(512);
        assertThat(s.multiQueryPairs()).isEqualTo(512.0 * 1000 + 512.0 * 513 / 2);
        assertThat(s.maxPrefillLength()).isEqualTo(1512);
        assertThat(s.maxSequenceLength()).isEqualTo(3004);
        assertThat(s.sampledSeqs()).isEqualTo(3);
        // One logit row per sampling sequence, plus one per draft being verified.
        assertThat(s.sampledPositions()).isEqualTo(1 + 4 + 1);
        assertThat(s.kvTokensRead()).isEqualTo(1000 + 2000 + 3000 + 518);
    }

    @Test
    void clear_empties_every_aggregate() {
        StepShape s = new StepShape().addSequence(512, 1000, 0, true).addMoves(BlockMoveKind.COPY, 3);
        s.clear();
        assertThat(s.numSeqs()).isZero();
        assertThat(s.sampledPositions()).isZero();
        assertThat(s.multiQuerySeqs()).isZero();
        assertThat(s.multiQueryPairs()).isZero();
        assertThat(s.maxSequenceLength()).isZero();
        assertThat(s.maxPrefillLength()).isZero();
        assertThat(s.copyBlocks()).isZero();
    }

    @Test
    void set_copies_every_aggregate_so_a_candidate_can_be_tried_on_top_of_a_committed_batch() throws Exception {
        StepShape committed = new StepShape()
                .addSequence(512, 1000, 0, false)
                .addSequence(1, 2000, 0, true)
                .addSequence(4, 3000, 3, true)
                .addMoves(BlockMoveKind.SWAP_IN, 2).addMoves(BlockMoveKind.SWAP_OUT, 1).addMoves(BlockMoveKind.COPY, 3);
        StepShape trial = new StepShape().addSequence(7, 7, 0, true).set(committed).addSequence(256, 64, 0, true);
        StepShape expected = new StepShape()
                .addSequence(512, 1000, 0, false)
                .addSequence(1, 2000, 0, true)
                .addSequence(4, 3000, 3, true)
                .addMoves(BlockMoveKind.SWAP_IN, 2).addMoves(BlockMoveKind.SWAP_OUT, 1).addMoves(BlockMoveKind.COPY, 3)
                .addSequence(256, 64, 0, true);
        // Every aggregate getter, so that a field added later without being copied fails here.
        for (java.lang.reflect.Method m : StepShape.class.getMethods()) {
            if (m.getParameterCount() == 0 && m.getDeclaringClass() == StepShape.class
                    && m.getReturnType().isPrimitive()) {
                assertThat(m.invoke(trial)).as(m.getName()).isEqualTo(m.invoke(expected));
            }
        }
        assertThat(committed.numSeqs()).as("the committed shape is untouched").isEqualTo(3);
    }

    @Test
    void sequences_without_new_tokens_are_ignored() {
        assertThat(new StepShape().addSequence(0, 100, 0, true).numSeqs()).isZero();
    }

    @net.jqwik.api.Property(tries = 200)
    void adding_decodes_in_bulk_is_adding_them_one_by_one(
            @net.jqwik.api.ForAll java.util.List<@net.jqwik.api.constraints.IntRange(min = 1, max = 100_000) Integer> contexts,
            @net.jqwik.api.ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 4000) int prefill) {
        StepShape one = new StepShape().addSequence(prefill, 10, 0, true);
        StepShape bulk = new StepShape().set(one);
        long sum = 0;
        int max = 0;
        for (int c : contexts) {
            one.addDecode(c);
            sum += c;
            max = Math.max(max, c);
        }
        bulk.addDecodes(contexts.size(), sum, max);
        assertThat(bulk).usingRecursiveComparison().isEqualTo(one);
    }

    @Test
    void bulk_decodes_reject_contexts_that_cannot_exist() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new StepShape().addDecodes(3, 2, 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between 1 and the maximum");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new StepShape().addDecodes(2, 30, 10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new StepShape().addDecodes(0, 0, 0).numSeqs()).isZero();
    }
}
