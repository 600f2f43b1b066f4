package dev.baton.accelerator.sampling;

import dev.baton.accelerator.sampling.SamplingStream.Purpose;
import dev.baton.api.request.SamplingParams;

import java.util.Arrays;

/**
 * Turns one row of logits into the target distribution a request samples from, and samples it: greedy, temperature,
 * top-k and top-p, with vLLM's order of operations (temperature, then top-k, then top-p on the renormalised
 * distribution).
 *
 * <h2>The target distribution</h2>
 * For logits {@code l} over a vocabulary of {@code V} tokens:
 * <ul>
 *   <li><b>Greedy</b> ({@code temperature == 0}): a point mass on {@code argmax l}, ties to the lowest token id.</li>
 *   <li>Otherwise order tokens by logit, descending, ties by token id ascending (the <em>rank</em> order).
 *   <b>Top-k</b> ({@code 0 < topK < V}) keeps every token whose logit is at least that of rank {@code topK - 1}
 *   (ties at the threshold stay, as in vLLM).</li>
 *   <li>{@code z(v) = l(v) / T} in float64; over the kept tokens {@code e(v) = exp(z(v) - max z)},
 *   {@code p(v) = e(v) / sum e} (sums in float64, in token-id order).</li>
 *   <li><b>Top-p</b> ({@code topP < 1}): walking kept tokens from the lowest rank upwards, a token is dropped while the
 *   cumulative probability including it is {@code <= 1 - topP}; the top-ranked token always stays. The survivors
 *   are renormalised as above. This is vLLM's {@code apply_top_k_top_p}.</li>
 *   <li>The row stores {@code (float) p(v)}, and 0 for dropped tokens.</li>
 * </ul>
 * Sampling draws from that float row with the exponential race of {@link SamplingStream} on the stream
 * {@code (seed, position, SAMPLE)}, where {@code position} is the position the sampled token will occupy.
 *
 * <p>Not thread-safe (it owns sort scratch); allocation-free once constructed.
 */
public final class TokenSampler {

    private final int vocabSize;
    private final long[] order;
    private final double[] weight;

    public TokenSampler(int vocabSize) {
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabSize must be positive, got " + vocabSize);
        }
        this.vocabSize = vocabSize;
        this.order = new long[vocabSize];
        this.weight = new double[vocabSize];
    }

    public int vocabSize() {
        return vocabSize;
    }

    /** The index of the largest of {@code x[off .. off + n)}, ties to the lowest index. */
    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        float bestValue = x[off];
        for (int v = 1; v < n; v++) {
            if (x[off + v] > bestValue) {
                bestValue = x[off + v];
                best = v;
            }
        }
        return best;
    }

    /**
     * Writes the target distribution of {@code logits[lOff .. lOff + V)} under {@code params} into
     * {@code probs[pOff .. pOff + V)}.
     */
    public void distribution(float[] logits, int lOff, SamplingParams params, float[] probs, int pOff) {
        distribution(logits, lOff, params.temperature(), params.topK(), params.topP(), probs, pOff);
    }

    /** As {@link #distribution(float[], int, SamplingParams, float[], int)} with the parameters spelled out. */
    public void distribution(float[] logits, int lOff, double temperature, int topK, double topP, float[] probs,
                             int pOff) {
        int n = vocabSize;
        if (temperature == 0) {
            Arrays.fill(probs, pOff, pOff + n, 0f);
            probs[pOff + argmax(logits, lOff, n)] = 1f;
            return;
        }
        boolean useTopK = topK > 0 && topK < n;
        boolean useTopP = topP < 1;
        int kept = n;
        if (useTopK || useTopP) {
            for (int v = 0; v < n; v++) {
                order[v] = ((long) ~sortable(logits[lOff + v]) << 32) | v;
            }
            heapSort(order, n);
            if (useTopK) {
                float threshold = logits[lOff + (int) order[topK - 1]];
                kept = topK;
                while (kept < n && logits[lOff + (int) order[kept]] >= threshold) {
                    kept++;
                }
            }
        }
        // Softmax over the kept tokens: the first `kept` in rank order (or all, when nothing is ranked).
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < n; v++) {
            weight[v] = 0;
        }
        if (kept == n) {
            for (int v = 0; v < n; v++) {
                max = Math.max(max, logits[lOff + v] / temperature);
            }
            for (int v = 0; v < n; v++) {
                weight[v] = Math.exp(logits[lOff + v] / temperature - max);
            }
        } else {
            max = logits[lOff + (int) order[0]] / temperature;
            for (int r = 0; r < kept; r++) {
                int v = (int) order[r];
                weight[v] = Math.exp(logits[lOff + v] / temperature - max);
            }
        }
        double sum = sumInTokenOrder();
        if (useTopP) {
            // Drop from the lowest rank up while the cumulative probability (including the token) <= 1 - topP.
            double cumulative = 0;
            double limit = 1 - topP;
            for (int r = kept - 1; r > 0; r--) {
                int v = (int) order[r];
                cumulative += weight[v] / sum;
                if (cumulative > limit) {
                    break;
                }
                weight[v] = 0;
            }
            sum = sumInTokenOrder();
        }
        for (int v = 0; v < n; v++) {
            probs[pOff + v] = (float) (weight[v] / sum);
        }
    }

    /**
     * Samples the next token from {@code logits} under {@code params} for the token at {@code position}; when
     * {@code probs} is not {@code null} the target distribution is left there. Greedy requests draw nothing.
     *
     * @param probs a row of {@code V} floats that receives the target distribution; may be {@code null} only for greedy
     *              requests
     */
    public int sample(float[] logits, int lOff, SamplingParams params, long seed, int position, float[] probs,
                      int pOff) {
        if (probs == null && !params.isGreedy()) {
            throw new IllegalArgumentException("sampling at temperature " + params.temperature()
                    + " needs a probability row to work in; pass a float[" + vocabSize + "]");
        }
        if (params.isGreedy()) {
            int token = argmax(logits, lOff, vocabSize);
            if (probs != null) {
                Arrays.fill(probs, pOff, pOff + vocabSize, 0f);
                probs[pOff + token] = 1f;
            }
            return token;
        }
        distribution(logits, lOff, params, probs, pOff);
        return sampleFrom(probs, pOff, vocabSize, seed, position);
    }

    /** Draws from the probability row {@code probs[off .. off + n)} on the stream {@code (seed, position, SAMPLE)}. */
    public static int sampleFrom(float[] probs, int off, int n, long seed, int position) {
        int token = SamplingStream.race(probs, off, n, SamplingStream.key(seed, position, Purpose.SAMPLE));
        if (token < 0) {
            throw new IllegalArgumentException("probability row at " + off + " has no positive entry");
        }
        return token;
    }

    private double sumInTokenOrder() {
        double s = 0;
        for (int v = 0; v < vocabSize; v++) {
            s += weight[v];
        }
        return s;
    }

    /** Sorts {@code a[0 .. n)} ascending in place; unlike {@code Arrays.sort} it never allocates. */
    static void heapSort(long[] a, int n) {
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(a, i, n);
        }
        for (int end = n - 1; end > 0; end--) {
            long t = a[0];
            a[0] = a[end];
            a[end] = t;
            siftDown(a, 0, end);
        }
    }

    private static void siftDown(long[] a, int i, int n) {
        long v = a[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) {
                break;
            }
            if (c + 1 < n && a[c + 1] > a[c]) {
                c++;
            }
            if (a[c] <= v) {
                break;
            }
            a[i] = a[c];
            i = c;
        }
        a[i] = v;
    }

    /** A signed int whose natural order is that of the float (-0.0 before 0.0; NaN does not occur in logits). */
    private static int sortable(float f) {
        int bits = Float.floatToIntBits(f);
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }
}
