package dev.baton.accelerator.sampling;

import dev.baton.api.request.SamplingParams;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TokenSamplerTest {

    /**
     * The kept set of vLLM's {@code apply_top_k_top_p}, written the way vLLM writes it: sort ascending, mask logits
     * below the k-th largest, softmax, cumulative sum ascending, mask where the cumulative sum is {@code <= 1 - p},
     * keep the largest. Ties in the sort are broken by token id (larger id first in ascending order), as Baton does.
     */
    static boolean[] referenceKeptSet(float[] logits, int off, int vocab, double temperature, int topK, double topP) {
        Integer[] ascending = IntStream.range(0, vocab).boxed().toArray(Integer[]::new);
        Arrays.sort(ascending, Comparator.<Integer>comparingDouble(v -> logits[off + v])
                .thenComparing(Comparator.<Integer>reverseOrder()));
        boolean[] kept = new boolean[vocab];
        Arrays.fill(kept, true);
        if (topK > 0 && topK < vocab) {
            float kth = logits[off + ascending[vocab - topK]];
            for (int v = 0; v < vocab; v++) {
                kept[v] = logits[off + v] >= kth;
            }
        }
        if (topP < 1) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                if (kept[v]) {
                    max = Math.max(max, logits[off + v] / temperature);
                }
            }
            double sum = 0;
            double[] e = new double[vocab];
            for (int v = 0; v < vocab; v++) {
                e[v] = kept[v] ? Math.exp(logits[off + v] / temperature - max) : 0;
                sum += e[v];
            }
            double cumulative = 0;
            for (int i = 0; i < vocab - 1; i++) {
                int v = ascending[i];
                cumulative += e[v] / sum;
                if (cumulative <= 1 - topP) {
                    kept[v] = false;
                }
            }
        }
        return kept;
    }

    @Test
    @DisplayName("argmax breaks ties towards the lowest token id")
    void argmaxTies() {
        assertThat(TokenSampler.argmax(new float[] {1, 3, 3, 2}, 0, 4)).isEqualTo(1);
        assertThat(TokenSampler.argmax(new float[] {9, 5, 5, 5}, 1, 3)).isZero();
    }

    @Test
    @DisplayName("greedy distribution is a point mass on the argmax and draws no randomness")
    void greedyPointMass() {
        TokenSampler s = new TokenSampler(4);
        float[] p = new float[4];
        int t = s.sample(new float[] {0.1f, 2, 2, -1}, 0, SamplingParams.greedy(4), 123, 9, p, 0);
        assertThat(t).isEqualTo(1);
        assertThat(p).containsExactly(0, 1, 0, 0);
    }

    @Test
    @DisplayName("temperature scales logits before the softmax")
    void temperatureSoftmax() {
        TokenSampler s = new TokenSampler(3);
        float[] logits = {1, 2, 4};
        float[] p = new float[3];
        s.distribution(logits, 0, 0.5, 0, 1, p, 0);
        double z = Math.exp(2) + Math.exp(4) + Math.exp(8);
        assertThat(p[0]).isCloseTo((float) (Math.exp(2) / z), within(1e-7f));
        assertThat(p[2]).isCloseTo((float) (Math.exp(8) / z), within(1e-7f));
    }

    @Test
    @DisplayName("top-k keeps tokens tied with the k-th largest logit")
    void topKKeepsTies() {
        TokenSampler s = new TokenSampler(5);
        float[] p = new float[5];
        s.distribution(new float[] {3, 1, 2, 2, 0}, 0, 1, 2, 1, p, 0);
        assertThat(p[0]).isPositive();
        assertThat(p[2]).isPositive();
        assertThat(p[3]).isPositive();
        assertThat(p[1]).isZero();
        assertThat(p[4]).isZero();
    }

    @Test
    @DisplayName("top-k then top-p keep exactly vLLM's set, renormalised, for random logits")
    void keptSetMatchesVllmFormulation() {
        SplittableRandom rnd = new SplittableRandom(5);
        int vocab = 64;
        TokenSampler s = new TokenSampler(vocab);
        float[] p = new float[vocab];
        for (int trial = 0; trial < 2000; trial++) {
            float[] logits = new float[vocab];
            for (int v = 0; v < vocab; v++) {
                // Coarse values make ties common.
                logits[v] = rnd.nextInt(4) == 0 ? rnd.nextInt(6) : (float) (rnd.nextGaussian() * 2);
            }
            double temperature = 0.3 + rnd.nextDouble() * 1.5;
            int topK = rnd.nextInt(3) == 0 ? 0 : 1 + rnd.nextInt(vocab);
            double topP = rnd.nextInt(3) == 0 ? 1 : 0.05 + rnd.nextDouble() * 0.94;
            s.distribution(logits, 0, temperature, topK, topP, p, 0);
            boolean[] kept = referenceKeptSet(logits, 0, vocab, temperature, topK, topP);
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                assertThat(p[v] > 0).as("trial %d token %d (topK %d topP %s)", trial, v, topK, topP).isEqualTo(kept[v]);
                sum += p[v];
            }
            assertThat(sum).isCloseTo(1, within(1e-5));
        }
    }

    @Test
    @DisplayName("sampling follows the target distribution (chi-square, false-alarm rate 1e-6)")
    void samplingMatchesDistribution() {
        int vocab = 12;
        TokenSampler s = new TokenSampler(vocab);
        float[] logits = new float[vocab];
        SplittableRandom rnd = new SplittableRandom(8);
        for (int v = 0; v < vocab; v++) {
            logits[v] = (float) rnd.nextGaussian();
        }
        SamplingParams params = SamplingParams.builder().temperature(0.8).topK(9).topP(0.95).seed(1).build();
        float[] p = new float[vocab];
        long[] counts = new long[vocab];
        for (int seed = 0; seed < 40_000; seed++) {
            counts[s.sample(logits, 0, params, seed, 100, p, 0)]++;
        }
        double[] expected = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            expected[v] = p[v];
        }
        assertThat(ChiSquare.pValue(counts, expected)).isGreaterThan(1e-6);
    }

    @Test
    @DisplayName("a sample is a pure function of (seed, position): positions and seeds give independent draws")
    void samplesArePureFunctionsOfSeedAndPosition() {
        int vocab = 50;
        float[] p = new float[vocab];
        Arrays.fill(p, 1f / vocab);
        int a = TokenSampler.sampleFrom(p, 0, vocab, 42, 7);
        assertThat(TokenSampler.sampleFrom(p, 0, vocab, 42, 7)).isEqualTo(a);
        long differentPositions = IntStream.range(0, 200)
                .filter(pos -> TokenSampler.sampleFrom(p, 0, vocab, 42, pos) != TokenSampler.sampleFrom(p, 0, vocab, 43,
                        pos)).count();
        assertThat(differentPositions).isGreaterThan(150);
    }
}
