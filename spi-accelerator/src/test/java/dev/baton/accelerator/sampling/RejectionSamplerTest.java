package dev.baton.accelerator.sampling;

import dev.baton.accelerator.sampling.SamplingStream.Purpose;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Conformance cases SPEC-1 .. SPEC-21 of anchors/speculative-and-config.md (vLLM v1's
 * {@code tests/v1/sample/test_rejection_sampler.py}), in the shape vLLM states them: a batch of requests, each with its
 * drafts, and an output matrix of {@code max k + 1} columns padded with {@code -1}.
 */
class RejectionSamplerTest {

    private static final int VOCAB = 100;
    private static final int PAD = -1;

    // ------------------------------------------------------------------ harness

    /** Greedy verification of a batch; {@code targets[r]} are the argmax at the draft positions, then the bonus. */
    static int[][] greedy(int[][] drafts, int[][] targets) {
        int width = Arrays.stream(drafts).mapToInt(d -> d.length).max().orElse(0) + 1;
        int[][] out = new int[drafts.length][width];
        for (int r = 0; r < drafts.length; r++) {
            Arrays.fill(out[r], PAD);
            RejectionSampler.verifyGreedy(drafts[r], 0, drafts[r].length, targets[r], 0, out[r], 0);
        }
        return out;
    }

    /** Stochastic verification of a batch whose target rows are point masses on {@code targets} (no draft rows). */
    static int[][] stochasticOneHot(int[][] drafts, int[][] targets) {
        RejectionSampler sampler = new RejectionSampler(VOCAB);
        int width = Arrays.stream(drafts).mapToInt(d -> d.length).max().orElse(0) + 1;
        int[][] out = new int[drafts.length][width];
        for (int r = 0; r < drafts.length; r++) {
            Arrays.fill(out[r], PAD);
            float[] p = oneHotRows(targets[r]);
            sampler.verify(drafts[r], 0, drafts[r].length, p, 0, null, 0, 1000 + r, 17, out[r], 0);
        }
        return out;
    }

    static float[] oneHotRows(int[] tokens) {
        float[] p = new float[tokens.length * VOCAB];
        for (int j = 0; j < tokens.length; j++) {
            p[j * VOCAB + tokens[j]] = 1f;
        }
        return p;
    }

    static int[] concat(int[] a, int b) {
        int[] c = Arrays.copyOf(a, a.length + 1);
        c[a.length] = b;
        return c;
    }

    private static void assertBothModes(int[][] drafts, int[][] targets, int[][] expected) {
        assertThat(greedy(drafts, targets)).as("greedy").isDeepEqualTo(expected);
        // A point-mass target makes the stochastic rule decide exactly as the greedy one.
        assertThat(stochasticOneHot(drafts, targets)).as("stochastic, one-hot targets").isDeepEqualTo(expected);
    }

    // ------------------------------------------------------------------ 2.1 greedy

    @Nested
    class Greedy {

        @Test
        @DisplayName("SPEC-1: perfect match accepts every draft and adds the bonus token")
        void spec1() {
            assertBothModes(new int[][] {{1, 2, 3}}, new int[][] {{1, 2, 3, 4}}, new int[][] {{1, 2, 3, 4}});
        }

        @Test
        @DisplayName("SPEC-2: an early mismatch emits the target argmax and stops")
        void spec2() {
            assertBothModes(new int[][] {{1, 2, 3}}, new int[][] {{1, 5, 3, 4}}, new int[][] {{1, 5, PAD, PAD}});
        }

        @Test
        @DisplayName("SPEC-3: multiple sequences are verified independently")
        void spec3() {
            assertBothModes(new int[][] {{1, 2}, {3}}, new int[][] {{1, 2, 5}, {3, 4}},
                    new int[][] {{1, 2, 5}, {3, 4, PAD}});
        }

        @Test
        @DisplayName("SPEC-4: a single accepted draft is followed by the bonus token")
        void spec4() {
            assertBothModes(new int[][] {{1}}, new int[][] {{1, 2}}, new int[][] {{1, 2}});
        }

        @Test
        @DisplayName("SPEC-5: no drafts yields just the bonus token")
        void spec5() {
            assertBothModes(new int[][] {{}}, new int[][] {{5}}, new int[][] {{5}});
        }

        @Test
        @DisplayName("SPEC-6: multiple mismatches stop each sequence at its first one")
        void spec6() {
            assertBothModes(new int[][] {{1, 2, 3}, {4, 5, 6}}, new int[][] {{1, 2, 7, 6}, {4, 8, 6, 9}},
                    new int[][] {{1, 2, 7, PAD}, {4, 8, PAD, PAD}});
        }

        @Test
        @DisplayName("SPEC-7: all accepted with k = 2")
        void spec7() {
            assertBothModes(new int[][] {{1, 2}}, new int[][] {{1, 2, 3}}, new int[][] {{1, 2, 3}});
        }

        @Test
        @DisplayName("SPEC-8: first draft rejected with k = 1")
        void spec8() {
            assertBothModes(new int[][] {{1}}, new int[][] {{2, 3}}, new int[][] {{2, PAD}});
        }

        @Test
        @DisplayName("SPEC-9: a mixed batch of a rejection and a full acceptance")
        void spec9() {
            assertBothModes(new int[][] {{1, 2}, {3, 4}}, new int[][] {{1, 5, 6}, {3, 4, 7}},
                    new int[][] {{1, 5, PAD}, {3, 4, 7}});
        }
    }

    // ------------------------------------------------------------------ 2.1 logits processors at draft positions

    /**
     * Logits processors run on the target logits of every draft position before verification, with an output history
     * that includes the earlier drafts (vLLM applies penalties, bad words, allowed-token masks and min_tokens this way).
     * Rows are vLLM's test rows: 100 for the target token, 99 for the runner-up 15, -100 elsewhere. As in vLLM's tests
     * the bonus token is given (its row goes through the ordinary sampler), so processors act on draft positions only.
     */
    @Nested
    class LogitsProcessors {

        interface Processor {
            void apply(int request, int[] history, float[] logits);
        }

        private int[][] verifyProcessed(int[][] drafts, int[][] targets, int[] bonus, int[][] histories,
                                        Processor processor) {
            int width = Arrays.stream(drafts).mapToInt(d -> d.length).max().orElse(0) + 1;
            int[][] out = new int[drafts.length][width];
            for (int r = 0; r < drafts.length; r++) {
                int k = drafts[r].length;
                int[] argmax = new int[k + 1];
                for (int j = 0; j < k; j++) {
                    float[] logits = new float[VOCAB];
                    Arrays.fill(logits, -100f);
                    logits[targets[r][j]] = 100f;
                    logits[15] = 99f;
                    int[] history = Arrays.copyOf(histories[r], histories[r].length + j);
                    System.arraycopy(drafts[r], 0, history, histories[r].length, j);
                    processor.apply(r, history, logits);
                    argmax[j] = TokenSampler.argmax(logits, 0, VOCAB);
                }
                argmax[k] = bonus[r];
                Arrays.fill(out[r], PAD);
                RejectionSampler.verifyGreedy(drafts[r], 0, k, argmax, 0, out[r], 0);
            }
            return out;
        }

        @Test
        @DisplayName("SPEC-10: frequency penalties count earlier drafts as output")
        void spec10() {
            double[] penalty = {1.5, 1.5, 0.7};
            int[][] out = verifyProcessed(new int[][] {{1, 1, 1}, {}, {1, 1, 1}},
                    new int[][] {{1, 1, 1}, {}, {1, 1, 1}}, new int[] {1, 7, 1}, new int[][] {{2}, {3}, {4}},
                    (r, history, logits) -> {
                        for (int t : history) {
                            logits[t] -= (float) penalty[r];
                        }
                    });
            assertThat(out).isDeepEqualTo(new int[][] {{1, 15, PAD, PAD}, {7, PAD, PAD, PAD}, {1, 1, 15, PAD}});
        }

        @Test
        @DisplayName("SPEC-11: a bad word is masked at draft positions of the requests that have it")
        void spec11() {
            int[][][] badWords = {{{2}}, {{2}}, {}};
            int[][] out = verifyProcessed(new int[][] {{1, 2, 3}, {1, 15, 3}, {1, 2, 3}},
                    new int[][] {{1, 2, 3}, {1, 15, 3}, {1, 2, 3}}, new int[] {4, 4, 4}, new int[][] {{}, {}, {}},
                    (r, history, logits) -> {
                        for (int[] word : badWords[r]) {
                            int prefix = word.length - 1;
                            if (endsWith(history, word, prefix)) {
                                logits[word[prefix]] = Float.NEGATIVE_INFINITY;
                            }
                        }
                    });
            assertThat(out).isDeepEqualTo(new int[][] {{1, 15, PAD, PAD}, {1, 15, 3, 4}, {1, 2, 3, 4}});
        }

        /**
         * The anchor's prose says tokens 0-4, 1-5 and 2-6 are disallowed for requests 0, 1 and 2; its expected output
         * (and vLLM's {@code create_allowed_token_ids}) masks only even requests: [0, 5) for request 0, [2, 7) for
         * request 2. This test follows the expected output.
         */
        @Test
        @DisplayName("SPEC-12: an allowed-token mask replaces a disallowed target by the runner-up")
        void spec12() {
            IntPredicate[] disallowed = {t -> t >= 0 && t < 5, t -> false, t -> t >= 2 && t < 7};
            int[][] out = verifyProcessed(new int[][] {{1, 2, 10}, {10, 5, 3}, {7, 10, 12}},
                    new int[][] {{1, 2, 10}, {10, 5, 10}, {7, 10, 12}}, new int[] {5, 5, 5}, new int[][] {{}, {}, {}},
                    (r, history, logits) -> {
                        for (int t = 0; t < VOCAB; t++) {
                            if (disallowed[r].test(t)) {
                                logits[t] = Float.NEGATIVE_INFINITY;
                            }
                        }
                    });
            assertThat(out).isDeepEqualTo(new int[][] {{15, PAD, PAD, PAD}, {10, 5, 10, PAD}, {7, 10, 12, 5}});
        }

        @Test
        @DisplayName("SPEC-13: min_tokens masks the stop token at a draft position below the minimum")
        void spec13() {
            int stop = 9;
            int minTokens = 2;
            int[] drafts = {1, 2};
            int[] argmax = new int[3];
            float[][] rows = new float[2][VOCAB];
            Arrays.fill(rows[0], -100f);
            rows[0][1] = 100f;
            Arrays.fill(rows[1], -100f);
            rows[1][stop] = 100f;
            rows[1][5] = 99f;
            for (int j = 0; j < 2; j++) {
                int generated = j; // output so far: the accepted drafts before position j
                if (generated < minTokens) {
                    rows[j][stop] = Float.NEGATIVE_INFINITY;
                }
                argmax[j] = TokenSampler.argmax(rows[j], 0, VOCAB);
            }
            argmax[2] = 3;
            int[] out = {PAD, PAD, PAD};
            RejectionSampler.verifyGreedy(drafts, 0, 2, argmax, 0, out, 0);
            assertThat(out).containsExactly(1, 5, PAD);
        }

        private static boolean endsWith(int[] history, int[] word, int prefix) {
            if (history.length < prefix) {
                return false;
            }
            for (int i = 0; i < prefix; i++) {
                if (history[history.length - prefix + i] != word[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    // ------------------------------------------------------------------ 2.2 random sampling

    @Nested
    class Random {

        @Test
        @DisplayName("SPEC-14: seeded verification is bit-identical across repetitions and batch compositions")
        void spec14() {
            int vocab = 1000;
            SplittableRandom rnd = new SplittableRandom(14);
            for (int k : new int[] {1, 3, 5}) {
                for (int batch : new int[] {1, 4, 8}) {
                    float[][] p = new float[batch][];
                    float[][] q = new float[batch][];
                    int[][] drafts = new int[batch][k];
                    for (int r = 0; r < batch; r++) {
                        p[r] = randomRows(rnd, k + 1, vocab);
                        q[r] = randomRows(rnd, k, vocab);
                        for (int j = 0; j < k; j++) {
                            drafts[r][j] = rnd.nextInt(vocab);
                        }
                    }
                    int[][] first = null;
                    for (int rep = 0; rep < 20; rep++) {
                        RejectionSampler sampler = new RejectionSampler(vocab);
                        int[][] out = new int[batch][k + 1];
                        // Alternate the visiting order: the outcome must not depend on it.
                        for (int i = 0; i < batch; i++) {
                            int r = rep % 2 == 0 ? i : batch - 1 - i;
                            Arrays.fill(out[r], PAD);
                            sampler.verify(drafts[r], 0, k, p[r], 0, rep % 3 == 0 ? null : q[r], 0, r, 40, out[r], 0);
                        }
                        if (rep % 3 == 0) {
                            continue;
                        }
                        if (first == null) {
                            first = out;
                        } else {
                            assertThat(out).as("k=%d batch=%d rep=%d", k, batch, rep).isDeepEqualTo(first);
                        }
                    }
                }
            }
        }

        @Test
        @DisplayName("SPEC-14: a request with no drafts draws exactly its ordinary sample")
        void spec14NoDrafts() {
            SplittableRandom rnd = new SplittableRandom(3);
            RejectionSampler sampler = new RejectionSampler(VOCAB);
            for (int trial = 0; trial < 200; trial++) {
                float[] p = randomRows(rnd, 1, VOCAB);
                int[] out = new int[1];
                assertThat(sampler.verify(new int[0], 0, 0, p, 0, null, 0, trial, 9, out, 0)).isEqualTo(1);
                assertThat(out[0]).isEqualTo(TokenSampler.sampleFrom(p, 0, VOCAB, trial, 9));
            }
        }

        @Test
        @DisplayName("SPEC-15: q == p accepts every draft; one-hot q accepts with probability p(x)")
        void spec15Acceptance() {
            SplittableRandom rnd = new SplittableRandom(15);
            RejectionSampler sampler = new RejectionSampler(10);
            float[] p = randomRows(rnd, 2, 10);
            float[] q = Arrays.copyOf(p, 10);
            int accepted = 0;
            int trials = 20_000;
            int draft = TokenSampler.argmax(p, 0, 10);
            for (int t = 0; t < trials; t++) {
                int[] out = new int[2];
                int x = TokenSampler.sampleFrom(q, 0, 10, ~t, 0);
                assertThat(sampler.verify(new int[] {x}, 0, 1, p, 0, q, 0, t, 5, out, 0)).isEqualTo(2);
                if (sampler.verify(new int[] {draft}, 0, 1, p, 0, null, 0, t, 5, out, 0) == 2) {
                    accepted++;
                }
            }
            // Binomial(20000, p(x)): 5 standard deviations is a false-alarm rate below 1e-6.
            double px = p[draft];
            double sd = Math.sqrt(trials * px * (1 - px));
            assertThat((double) accepted).isCloseTo(trials * px, org.assertj.core.data.Offset.offset(5 * sd));
        }

        @Test
        @DisplayName("SPEC-16: emitted tokens always lie inside the target's top-k / top-p set")
        void spec16() {
            int vocab = 100;
            int batch = 100;
            int k = 3;
            SplittableRandom rnd = new SplittableRandom(16);
            TokenSampler ts = new TokenSampler(vocab);
            RejectionSampler sampler = new RejectionSampler(vocab);
            int[][] settings = {{1, 100}, {5, 100}, {99, 100}, {0, 50}, {0, 90}, {0, 99}};
            for (int[] s : settings) {
                int topK = s[0];
                double topP = s[1] / 100.0;
                for (int r = 0; r < batch; r++) {
                    float[] logits = new float[(k + 1) * vocab];
                    for (int i = 0; i < logits.length; i++) {
                        logits[i] = (float) rnd.nextGaussian();
                    }
                    float[] p = new float[(k + 1) * vocab];
                    for (int j = 0; j <= k; j++) {
                        ts.distribution(logits, j * vocab, 1.0, topK, topP, p, j * vocab);
                    }
                    float[] q = randomRows(rnd, k, vocab);
                    int[] drafts = new int[k];
                    for (int j = 0; j < k; j++) {
                        drafts[j] = TokenSampler.sampleFrom(q, j * vocab, vocab, rnd.nextLong(), 0);
                    }
                    int[] out = new int[k + 1];
                    int n = sampler.verify(drafts, 0, k, p, 0, q, 0, rnd.nextLong(), 3, out, 0);
                    for (int j = 0; j < n; j++) {
                        boolean[] allowed = TokenSamplerTest.referenceKeptSet(logits, j * vocab, vocab, 1.0, topK, topP);
                        assertThat(allowed[out[j]]).as("topK=%d topP=%s position %d token %d", topK, topP, j, out[j])
                                .isTrue();
                    }
                }
            }
        }

        @Test
        @DisplayName("SPEC-17: without draft rows a -1 draft is rejected and the target token recovered")
        void spec17() {
            RejectionSampler sampler = new RejectionSampler(VOCAB);
            int[] out = {PAD, PAD, PAD};
            int n = sampler.verify(new int[] {5, -1}, 0, 2, oneHotRows(new int[] {5, 9, 8}), 0, null, 0, 77, 3, out, 0);
            assertThat(n).isEqualTo(2);
            assertThat(out).containsExactly(5, 9, PAD);
        }

        @Test
        @DisplayName("SPEC-17: a -1 draft is rejected in random mode with draft rows, and the recovered token is valid")
        void spec17WithDraftRows() {
            SplittableRandom rnd = new SplittableRandom(17);
            RejectionSampler sampler = new RejectionSampler(VOCAB);
            for (int t = 0; t < 100; t++) {
                float[] p = randomRows(rnd, 3, VOCAB);
                float[] q = randomRows(rnd, 2, VOCAB);
                int[] out = {PAD, PAD, PAD};
                int n = sampler.verify(new int[] {-1, 4}, 0, 2, p, 0, q, 0, t, 3, out, 0);
                assertThat(n).isEqualTo(1);
                assertThat(out[0]).isBetween(0, VOCAB - 1);
            }
        }
    }

    // ------------------------------------------------------------------ 2.3 synthetic

    @Nested
    class Synthetic {

        private int[] synthetic(boolean greedyMode, double[] unconditional, int[] drafts, int[] targets) {
            double[] c = SyntheticAcceptance.ofUnconditionalRates(unconditional).conditionalRates();
            int[] out = new int[drafts.length + 1];
            Arrays.fill(out, PAD);
            if (greedyMode) {
                RejectionSampler.verifySyntheticGreedy(drafts, 0, drafts.length, c, targets, 0, 5, 11, out, 0);
            } else {
                new RejectionSampler(VOCAB).verifySynthetic(drafts, 0, drafts.length, c, oneHotRows(targets), 0,
                        null, 0, 5, 11, out, 0);
            }
            return out;
        }

        @Test
        @DisplayName("SPEC-18: synthetic rates of 1 accept every draft")
        void spec18() {
            for (boolean greedyMode : new boolean[] {true, false}) {
                assertThat(synthetic(greedyMode, new double[] {1, 1, 1}, new int[] {1, 2, 3}, new int[] {1, 2, 3, 4}))
                        .containsExactly(1, 2, 3, 4);
            }
        }

        @Test
        @DisplayName("SPEC-19: a rate of 0 rejects at its position and emits the target argmax")
        void spec19() {
            // Unconditional [1, 0, 0] is the conditional schedule [1, 0, 0]: position 1 is always rejected.
            assertThat(synthetic(true, new double[] {1, 0, 0}, new int[] {1, 2, 3}, new int[] {1, 2, 3, 4}))
                    .containsExactly(1, 2, PAD, PAD);
            double[] conditional = {1, 0, 1};
            int[] out = {PAD, PAD, PAD, PAD};
            RejectionSampler.verifySyntheticGreedy(new int[] {1, 2, 3}, 0, 3, conditional, new int[] {1, 2, 3, 4}, 0,
                    5, 11, out, 0);
            assertThat(out).containsExactly(1, 2, PAD, PAD);
        }

        @Test
        @DisplayName("SPEC-20: a -1 draft is rejected even at rate 1, in greedy and random modes")
        void spec20() {
            for (boolean greedyMode : new boolean[] {true, false}) {
                assertThat(synthetic(greedyMode, new double[] {1, 1, 1}, new int[] {5, -1, 7}, new int[] {5, 9, 7, 8}))
                        .as(greedyMode ? "greedy" : "random").containsExactly(5, 9, PAD, PAD);
            }
        }

        @Test
        @DisplayName("SPEC-21: rate conversions and validation")
        void spec21() {
            double[] c = SyntheticAcceptance.conditionalRates(new double[] {0.7, 0.4, 0.1});
            assertThat(c[0]).isCloseTo(0.7, org.assertj.core.data.Offset.offset(1e-12));
            assertThat(c[1]).isCloseTo(0.5714, org.assertj.core.data.Offset.offset(1e-4));
            assertThat(c[2]).isCloseTo(0.25, org.assertj.core.data.Offset.offset(1e-12));
            assertThat(SyntheticAcceptance.conditionalRates(new double[] {0.5, 0, 0})).containsExactly(0.5, 0, 0);
            double[] a = SyntheticAcceptance.ofMeanLength(3.4, 5).unconditionalRates();
            assertThat(a).hasSize(5);
            assertThat(a[0]).isEqualTo(1);
            assertThat(a[1]).isEqualTo(1);
            assertThat(a[2]).isCloseTo(0.4, org.assertj.core.data.Offset.offset(1e-12));
            assertThat(a[3]).isZero();
            assertThat(a[4]).isZero();
            assertThat(SyntheticAcceptance.ofMeanLength(3.4, 5).meanLength(5))
                    .isCloseTo(3.4, org.assertj.core.data.Offset.offset(1e-12));
            assertThatThrownBy(() -> SyntheticAcceptance.ofUnconditionalRates(0.5, 0.7))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not increase");
            assertThatThrownBy(() -> SyntheticAcceptance.ofUnconditionalRates(1.2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1]");
            assertThatThrownBy(() -> SyntheticAcceptance.ofMeanLength(0.9, 5))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 6]");
            assertThatThrownBy(() -> SyntheticAcceptance.ofMeanLength(6.1, 5))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 6]");
        }

        @Test
        @DisplayName("SPEC-18: synthetic acceptance frequency matches the conditional rate")
        void syntheticFrequency() {
            double[] c = {0.6};
            int accepted = 0;
            int trials = 20_000;
            for (int t = 0; t < trials; t++) {
                int[] out = new int[2];
                if (RejectionSampler.verifySyntheticGreedy(new int[] {3}, 0, 1, c, new int[] {4, 5}, 0, t, 8, out,
                        0) == 2) {
                    accepted++;
                }
            }
            double sd = Math.sqrt(trials * 0.6 * 0.4);
            assertThat((double) accepted).isCloseTo(trials * 0.6, org.assertj.core.data.Offset.offset(5 * sd));
        }
    }

    @Test
    @DisplayName("the acceptance uniform of draft j is uniform(seed, firstPosition + j, ACCEPT, 0)")
    void acceptanceUsesThePositionStream() {
        // p(x) = 0.5 for the draft: accepted exactly when the stream's uniform is below 0.5.
        float[] p = new float[2 * VOCAB];
        p[3] = 0.5f;
        p[4] = 0.5f;
        p[VOCAB + 7] = 1f;
        RejectionSampler sampler = new RejectionSampler(VOCAB);
        for (long seed = 0; seed < 200; seed++) {
            int[] out = new int[2];
            int n = sampler.verify(new int[] {3}, 0, 1, p, 0, null, 0, seed, 21, out, 0);
            boolean expectAccept = SamplingStream.uniform(seed, 21, Purpose.ACCEPT, 0) < 0.5;
            assertThat(n == 2).isEqualTo(expectAccept);
            assertThat(out[0]).isEqualTo(expectAccept ? 3 : 4);
        }
    }

    static float[] randomRows(SplittableRandom rnd, int rows, int vocab) {
        float[] p = new float[rows * vocab];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            double[] e = new double[vocab];
            for (int v = 0; v < vocab; v++) {
                e[v] = Math.exp(rnd.nextDouble() * 3);
                sum += e[v];
            }
            for (int v = 0; v < vocab; v++) {
                p[r * vocab + v] = (float) (e[v] / sum);
            }
        }
        return p;
    }
}
