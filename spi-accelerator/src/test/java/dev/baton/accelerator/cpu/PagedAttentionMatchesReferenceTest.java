package dev.baton.accelerator.cpu;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.KvBlockAccess.Tier;
import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.api.request.SamplingParams;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 6, must-show 1: attention through block tables in the paged pool gives the logits of the contiguous reference
 * at every position, to a relative error of at most 1e-5 ({@code max |paged - ref| / max |ref|} per position), for
 * random prompts (many ending mid-block), block sizes 1/8/16/32, several sequences batched in one step, chunked
 * prefill at random chunk boundaries, shuffled non-contiguous block ids, and sequences whose blocks are relocated
 * between steps by swap-out/swap-in and by copies (the vacated blocks are then overwritten with garbage, so reading
 * a stale block would show).
 */
class PagedAttentionMatchesReferenceTest {

    static final double TOLERANCE = 1e-5;

    static Stream<Arguments> scenarios() {
        List<Arguments> all = new ArrayList<>();
        for (int bs : new int[] {1, 8, 16, 32}) {
            for (long seed = 1; seed <= 3; seed++) {
                all.add(Arguments.of(bs, seed));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "block size {0}, scenario {1}")
    @MethodSource("scenarios")
    @DisplayName("paged logits equal the contiguous reference at every position")
    void pagedEqualsContiguous(int blockSize, long scenario) {
        SplittableRandom rnd = new SplittableRandom(scenario * 31 + blockSize);
        int maxPrompt = 80;
        int seqs = 1 + rnd.nextInt(4);
        int blocks = seqs * (maxPrompt / blockSize + 2) * 2 + 8;
        CpuAccelerator acc = new CpuAccelerator(AcceleratorConfig.builder().blockSize(blockSize)
                .numGpuBlocksOverride(blocks).option("cpu.host-blocks", String.valueOf(blocks)).seed(7).build());
        int vocab = acc.model().vocabSize();
        byte[] garbage = new byte[(int) acc.kvLayout().bytesPerBlock()];

        List<Integer> shuffled = new ArrayList<>();
        for (int b = 1; b <= blocks; b++) {
            shuffled.add(b);
        }
        Collections.shuffle(shuffled, new java.util.Random(scenario));
        Deque<Integer> free = new ArrayDeque<>(shuffled);
        Deque<Integer> freeHost = new ArrayDeque<>();
        for (int b = 0; b < blocks; b++) {
            freeHost.add(b);
        }

        int[][] prompts = new int[seqs][];
        ArrayBlockTable[] tables = new ArrayBlockTable[seqs];
        int[] computed = new int[seqs];
        float[][][] logits = new float[seqs][][];
        for (int s = 0; s < seqs; s++) {
            // Sequence 0 needs at least three chunks, so that both kinds of relocation happen to it.
            int len = s == 0 ? 50 + rnd.nextInt(maxPrompt - 49) : 1 + rnd.nextInt(maxPrompt);
            prompts[s] = rnd.ints(len, 0, vocab).toArray();
            tables[s] = new ArrayBlockTable();
            logits[s] = new float[prompts[s].length][];
        }
        int[] seqOfIndex = new int[seqs];
        acc.captureLogits((i, position, row, offset) -> {
            float[] copy = new float[vocab];
            System.arraycopy(row, offset, copy, 0, vocab);
            logits[seqOfIndex[i]][position] = copy;
        });

        StepPlan plan = new StepPlan();
        StepResult result = new StepResult(vocab, 0);
        int relocations = 0;
        for (long step = 0; ; step++) {
            plan.clear(step);
            List<Integer> vacated = new ArrayList<>();
            // Relocate some sequences' KV before they continue: swap out and back in, or copy to fresh blocks.
            for (int s = 0; s < seqs; s++) {
                boolean forced = s == 0 && relocations < 2;
                if (computed[s] == 0 || computed[s] == prompts[s].length || (!forced && rnd.nextInt(4) != 0)) {
                    continue;
                }
                ArrayBlockTable moved = new ArrayBlockTable();
                boolean swap = forced ? relocations == 0 : rnd.nextBoolean();
                List<Integer> hostIds = new ArrayList<>();
                for (int b = 0; b < tables[s].size; b++) {
                    int old = tables[s].ids[b];
                    int fresh = free.poll();
                    if (swap) {
                        int h = freeHost.poll();
                        plan.addMove(BlockMoveKind.SWAP_OUT, old, h);
                        hostIds.add(h);
                    } else {
                        plan.addMove(BlockMoveKind.COPY, old, fresh);
                    }
                    moved.add(fresh);
                    vacated.add(old);
                }
                if (swap) {
                    for (int b = 0; b < moved.size; b++) {
                        plan.addMove(BlockMoveKind.SWAP_IN, hostIds.get(b), moved.ids[b]);
                        freeHost.add(hostIds.get(b));
                    }
                }
                tables[s] = moved;
                relocations++;
            }
            int n = 0;
            for (int s = 0; s < seqs; s++) {
                int remaining = prompts[s].length - computed[s];
                if (remaining == 0) {
                    continue;
                }
                int chunk = 1 + rnd.nextInt(Math.min(remaining, 24));
                int end = computed[s] + chunk;
                while (tables[s].size * blockSize < end) {
                    tables[s].add(free.poll());
                }
                boolean last = end == prompts[s].length;
                int i = plan.addSequence(s, 5, SamplingParams.greedy(1), 0, computed[s], 0,
                        last ? StepPlan.FLAG_SAMPLE : 0);
                plan.addTokens(prompts[s], computed[s], chunk);
                plan.setBlockTable(i, 0, tables[s], tables[s].size);
                seqOfIndex[i] = s;
                computed[s] = end;
                n++;
            }
            if (n == 0 && plan.numMoves() == 0) {
                break;
            }
            acc.execute(plan, result);
            for (int old : vacated) {
                // Vacated blocks get garbage and go back to the free list, where others may take them.
                rnd.nextBytes(garbage);
                for (int i = 0; i < garbage.length; i += 4) {
                    garbage[i + 3] &= 0x3F; // keep the floats finite
                }
                acc.writeBlock(Tier.DEVICE, old, garbage, 0);
                free.add(old);
            }
        }

        ContiguousReference reference = new ContiguousReference(acc.cpuModel());
        double worst = 0;
        for (int s = 0; s < seqs; s++) {
            float[][] expected = reference.logits(prompts[s]);
            for (int p = 0; p < prompts[s].length; p++) {
                assertThat(logits[s][p]).as("sequence %d position %d computed", s, p).isNotNull();
                double err = ContiguousReference.relativeError(logits[s][p], 0, expected[p]);
                worst = Math.max(worst, err);
                assertThat(err).as("relative error, sequence %d position %d", s, p).isLessThanOrEqualTo(TOLERANCE);
            }
        }
        assertThat(worst).as("worst relative error").isLessThanOrEqualTo(TOLERANCE);
        assertThat(relocations).as("relocations by swap and by copy").isGreaterThanOrEqualTo(2);
    }
}
