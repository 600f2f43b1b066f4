package dev.baton.accelerator.sampling;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stochastic verifier is lossless: whatever the draft distribution {@code q}, the emitted tokens are distributed as
 * the target {@code p} (Leviathan et al., Theorem 1). Pearson chi-square tests at a fixed seed set, each with a
 * false-alarm rate of {@value #ALPHA} (the chance that a correct verifier fails one check); with the 16 checks below
 * the suite's false-alarm rate is under 2e-5. A verifier that keeps drafts it should reject, or resamples from
 * {@code p} instead of the residual, fails them by a wide margin (p-values far below 1e-20 at these sample sizes).
 * Targets truncated by top-k/top-p have zero cells, where a single emitted token fails the check outright.
 */
class RejectionSamplerDistributionTest {

    static final double ALPHA = 1e-6;
    private static final int VOCAB = 10;
    private static final int TRIALS = 40_000;

    static Stream<Arguments> pairs() {
        SplittableRandom rnd = new SplittableRandom(2024);
        float[] p1 = RejectionSamplerTest.randomRows(rnd, 1, VOCAB);
        float[] q1 = RejectionSamplerTest.randomRows(rnd, 1, VOCAB);
        float[] skewed = new float[VOCAB];
        skewed[0] = 0.9f;
        for (int v = 1; v < VOCAB; v++) {
            skewed[v] = 0.1f / (VOCAB - 1);
        }
        float[] lowHalf = new float[VOCAB];
        float[] highHalf = new float[VOCAB];
        for (int v = 0; v < VOCAB / 2; v++) {
            lowHalf[v] = 1f / (VOCAB / 2);
            highHalf[VOCAB / 2 + v] = 1f / (VOCAB / 2);
        }
        float[] overlap = new float[VOCAB];
        overlap[3] = 0.5f;
        overlap[7] = 0.5f;
        // A target truncated by top-k 4 then top-p 0.8 (zeros outside its kept set; a zero cell with any count fails
        // the chi-square check outright, so this also checks that no token outside the set is ever emitted).
        float[] logits = new float[VOCAB];
        for (int v = 0; v < VOCAB; v++) {
            logits[v] = (float) rnd.nextGaussian();
        }
        float[] truncated = new float[VOCAB];
        new TokenSampler(VOCAB).distribution(logits, 0, 1.0, 4, 0.8, truncated, 0);
        return Stream.of(
                Arguments.of("random p, random q", p1, q1),
                Arguments.of("p uniform-ish, q concentrated on one token", p1, skewed),
                Arguments.of("q = p", p1, p1.clone()),
                Arguments.of("disjoint supports", lowHalf, highHalf),
                Arguments.of("q supported on two tokens of p's support", p1, overlap),
                Arguments.of("one-hot drafts (no q rows), random p", p1, null),
                Arguments.of("p truncated by top-k/top-p, q over the whole vocabulary", truncated, q1),
                Arguments.of("p truncated by top-k/top-p, one-hot drafts", truncated, null));
    }

    @ParameterizedTest(name = "SPEC-15: {0}")
    @MethodSource("pairs")
    @DisplayName("SPEC-15: the verifier's output is distributed as the target")
    void outputFollowsTarget(String name, float[] p, float[] q) {
        int k = 2;
        float[] target = new float[(k + 1) * VOCAB];
        float[] draftRows = q == null ? null : new float[k * VOCAB];
        for (int j = 0; j <= k; j++) {
            System.arraycopy(p, 0, target, j * VOCAB, VOCAB);
            if (draftRows != null && j < k) {
                System.arraycopy(q, 0, draftRows, j * VOCAB, VOCAB);
            }
        }
        // Drafts come from q (or, for one-hot proposals, from a fixed proposer distribution).
        float[] proposer = q == null ? RejectionSamplerTest.randomRows(new SplittableRandom(9), 1, VOCAB) : q;
        RejectionSampler sampler = new RejectionSampler(VOCAB);
        SplittableRandom drafting = new SplittableRandom(name.hashCode());
        long[] first = new long[VOCAB];
        long[] secondGivenFirstAccepted = new long[VOCAB];
        int[] drafts = new int[k];
        int[] out = new int[k + 1];
        for (int t = 0; t < TRIALS; t++) {
            for (int j = 0; j < k; j++) {
                drafts[j] = draw(proposer, drafting.nextDouble());
            }
            int n = sampler.verify(drafts, 0, k, target, 0, draftRows, 0, t, 50, out, 0);
            first[out[0]]++;
            if (n >= 2) {
                secondGivenFirstAccepted[out[1]]++;
            }
        }
        double[] expected = new double[VOCAB];
        for (int v = 0; v < VOCAB; v++) {
            expected[v] = p[v];
        }
        assertThat(ChiSquare.pValue(first, expected)).as("first emitted token").isGreaterThan(ALPHA);
        long accepted = java.util.Arrays.stream(secondGivenFirstAccepted).sum();
        if (accepted > 1000) {
            assertThat(ChiSquare.pValue(secondGivenFirstAccepted, expected)).as("second token after an acceptance")
                    .isGreaterThan(ALPHA);
        }
    }

    @org.junit.jupiter.api.Test
    @DisplayName("the chi-square check rejects a verifier that resamples from p instead of the residual")
    void checkHasPower() {
        SplittableRandom rnd = new SplittableRandom(2024);
        float[] p = RejectionSamplerTest.randomRows(rnd, 1, VOCAB);
        float[] q = new float[VOCAB];
        q[0] = 0.9f;
        for (int v = 1; v < VOCAB; v++) {
            q[v] = 0.1f / (VOCAB - 1);
        }
        long[] counts = new long[VOCAB];
        SplittableRandom drafting = new SplittableRandom(1);
        for (int t = 0; t < TRIALS; t++) {
            int x = draw(q, drafting.nextDouble());
            double u = drafting.nextDouble();
            // Wrong: on rejection, draw from p itself.
            counts[u < Math.min(1, p[x] / q[x]) ? x : draw(p, drafting.nextDouble())]++;
        }
        double[] expected = new double[VOCAB];
        for (int v = 0; v < VOCAB; v++) {
            expected[v] = p[v];
        }
        assertThat(ChiSquare.pValue(counts, expected)).isLessThan(1e-20);
    }

    private static int draw(float[] dist, double u) {
        double c = 0;
        for (int v = 0; v < dist.length; v++) {
            c += dist[v];
            if (u < c) {
                return v;
            }
        }
        return dist.length - 1;
    }
}
