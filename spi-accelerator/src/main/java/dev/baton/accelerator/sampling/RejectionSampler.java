package dev.baton.accelerator.sampling;

import dev.baton.accelerator.sampling.SamplingStream.Purpose;

/**
 * Verifies speculative draft tokens against the target model, exactly (the output is distributed as the target's),
 * following Leviathan et al. (arXiv 2211.17192) and Chen et al. (arXiv 2302.01318) with vLLM v1's conventions
 * ({@code vllm/v1/sample/rejection_sampler.py}). The CPU reference device runs it; a GPU kernel implements the same
 * rule, draw for draw.
 *
 * <h2>Inputs</h2>
 * A request with {@code k} drafts {@code x_0 .. x_{k-1}} has {@code k + 1} target rows: row {@code j < k} is the
 * target distribution {@code p_j} of the token at draft position {@code j}, row {@code k} that of the bonus
 * position. The draft at index {@code j} occupies sequence position {@code firstPosition + j}; the bonus token
 * {@code firstPosition + k}. Draft rows {@code q_j} are the distributions the drafts were sampled from; a proposer
 * without probabilities (n-gram, greedy drafting) passes none and each draft counts as a one-hot proposal.
 *
 * <h2>Greedy requests</h2>
 * With {@code t_j = argmax} of target row {@code j}: for {@code j = 0 .. k-1}, emit {@code t_j}; stop after it if
 * {@code x_j != t_j}. If all drafts match, also emit the bonus {@code t_k}. So a mismatch emits the target's token
 * (the "recovered" token) and a draft id {@code -1} is always rejected.
 *
 * <h2>Stochastic requests</h2>
 * For {@code j = 0 .. k-1} with {@code u_j = uniform(seed, firstPosition + j, ACCEPT, 0)} (float64, see
 * {@link SamplingStream}):
 * <ul>
 *   <li>accept iff {@code x_j} is a token id ({@code 0 <= x_j < V}), {@code q_j(x_j) > 0} and
 *   {@code u_j < p_j(x_j) / q_j(x_j)} (float64); with one-hot drafts {@code q_j(x_j) = 1}, so acceptance has
 *   probability {@code p_j(x_j)};</li>
 *   <li>on acceptance emit {@code x_j}; on rejection emit a <em>recovered</em> token drawn from
 *   {@code r(v) = max(0, p_j(v) - q_j(v))} (a float32 subtraction; for one-hot drafts: {@code p_j} with {@code x_j}'s mass removed; for a
 *   draft id that is not a token, nothing is removed) by the exponential race on
 *   {@code (seed, firstPosition + j, RECOVER)}, and stop. If {@code r} has no mass (only possible for an invalid draft
 *   against {@code q_j = p_j}), the race runs on {@code p_j} instead;</li>
 *   <li>if all {@code k} are accepted, emit a bonus token drawn from {@code p_k} on
 *   {@code (seed, firstPosition + k, SAMPLE)} — exactly the draw a request without drafts makes at that position,
 *   so a request with 0 drafts consumes nothing beyond its ordinary sample.</li>
 * </ul>
 * <b>Deliberate difference from vLLM:</b> vLLM accepts when {@code p/q >= u}, which accepts a token of target
 * probability 0 when {@code u} is exactly 0 (probability 2<sup>-53</sup>); the strict {@code u < p/q} here never
 * emits a token outside the target's support, so top-k/top-p constraints hold without exception.
 *
 * <h2>Synthetic acceptance</h2>
 * For benchmarking (not lossless): accept draft {@code j} iff it is a token id and {@code u_j < c_j}, with
 * {@code c_j} the conditional acceptance rate of position {@code j} (see {@link SyntheticAcceptance}); rejection and
 * the bonus token are handled as above (the target argmax for greedy requests, the residual/target draws
 * otherwise).
 *
 * <p>Each method writes the emitted tokens into {@code out} and returns how many ({@code 1 .. k + 1}). Not
 * thread-safe: an instance owns a residual scratch row; allocation-free.
 */
public final class RejectionSampler {

    private final int vocabSize;
    private final float[] residual;

    public RejectionSampler(int vocabSize) {
        if (vocabSize < 1) {
            throw new IllegalArgumentException("vocabSize must be positive, got " + vocabSize);
        }
        this.vocabSize = vocabSize;
        this.residual = new float[vocabSize];
    }

    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The greedy rule.
     *
     * @param drafts       draft token ids at {@code drafts[dOff .. dOff + k)}; {@code -1} is a placeholder
     * @param targetArgmax the target's argmax at the {@code k} draft positions and the bonus position,
     *                     {@code targetArgmax[tOff .. tOff + k]}
     * @return the number of tokens written to {@code out[outOff ..]}
     */
    public static int verifyGreedy(int[] drafts, int dOff, int k, int[] targetArgmax, int tOff, int[] out,
                                   int outOff) {
        for (int j = 0; j < k; j++) {
            int t = targetArgmax[tOff + j];
            out[outOff + j] = t;
            if (drafts[dOff + j] != t) {
                return j + 1;
            }
        }
        out[outOff + k] = targetArgmax[tOff + k];
        return k + 1;
    }

    /**
     * The stochastic rule.
     *
     * @param p             {@code k + 1} target rows of {@code V} probabilities from {@code pOff}
     * @param q             {@code k} draft rows of {@code V} probabilities from {@code qOff}, or {@code null} for
     *                      one-hot drafts
     * @param seed          the request's seed
     * @param firstPosition the sequence position of the first draft (of the sampled token when {@code k == 0})
     */
    public int verify(int[] drafts, int dOff, int k, float[] p, int pOff, float[] q, int qOff, long seed,
                      int firstPosition, int[] out, int outOff) {
        int v = vocabSize;
        for (int j = 0; j < k; j++) {
            int x = drafts[dOff + j];
            int row = pOff + j * v;
            int qRow = q == null ? -1 : qOff + j * v;
            boolean isToken = x >= 0 && x < v;
            if (isToken) {
                double px = p[row + x];
                double qx = q == null ? 1.0 : q[qRow + x];
                double u = SamplingStream.uniform(seed, firstPosition + j, Purpose.ACCEPT, 0);
                if (qx > 0 && u < px / qx) {
                    out[outOff + j] = x;
                    continue;
                }
            }
            out[outOff + j] = recover(p, row, q, qRow, isToken ? x : -1, seed, firstPosition + j);
            return j + 1;
        }
        out[outOff + k] = TokenSampler.sampleFrom(p, pOff + k * v, v, seed, firstPosition + k);
        return k + 1;
    }

    /**
     * Synthetic acceptance for a greedy request: draft {@code j} is accepted iff it is a token id and
     * {@code uniform(seed, firstPosition + j, ACCEPT, 0) < conditionalRates[j]}; a rejection emits the target argmax.
     */
    public static int verifySyntheticGreedy(int[] drafts, int dOff, int k, double[] conditionalRates,
                                            int[] targetArgmax, int tOff, long seed, int firstPosition, int[] out,
                                            int outOff) {
        for (int j = 0; j < k; j++) {
            if (!syntheticAccepts(drafts[dOff + j], Integer.MAX_VALUE, conditionalRates[j], seed, firstPosition + j)) {
                out[outOff + j] = targetArgmax[tOff + j];
                return j + 1;
            }
            out[outOff + j] = drafts[dOff + j];
        }
        out[outOff + k] = targetArgmax[tOff + k];
        return k + 1;
    }

    /**
     * Synthetic acceptance for a sampled request: as {@link #verifySyntheticGreedy}, but a rejection emits the
     * recovered token of the stochastic rule and the bonus token is drawn from the last target row.
     */
    public int verifySynthetic(int[] drafts, int dOff, int k, double[] conditionalRates, float[] p, int pOff,
                               float[] q, int qOff, long seed, int firstPosition, int[] out, int outOff) {
        int v = vocabSize;
        for (int j = 0; j < k; j++) {
            int x = drafts[dOff + j];
            if (!syntheticAccepts(x, v, conditionalRates[j], seed, firstPosition + j)) {
                out[outOff + j] = recover(p, pOff + j * v, q, q == null ? -1 : qOff + j * v, x >= 0 && x < v ? x : -1,
                        seed, firstPosition + j);
                return j + 1;
            }
            out[outOff + j] = x;
        }
        out[outOff + k] = TokenSampler.sampleFrom(p, pOff + k * v, v, seed, firstPosition + k);
        return k + 1;
    }

    private static boolean syntheticAccepts(int draft, int vocab, double rate, long seed, int position) {
        return draft >= 0 && draft < vocab && SamplingStream.uniform(seed, position, Purpose.ACCEPT, 0) < rate;
    }

    /** Draws the recovered token of a rejected draft {@code x} ({@code -1} when it is not a token id). */
    private int recover(float[] p, int row, float[] q, int qRow, int x, long seed, int position) {
        int v = vocabSize;
        for (int t = 0; t < v; t++) {
            float r;
            if (q != null) {
                r = p[row + t] - q[qRow + t];
            } else {
                r = t == x ? p[row + t] - 1f : p[row + t];
            }
            residual[t] = r > 0 ? r : 0f;
        }
        long key = SamplingStream.key(seed, position, Purpose.RECOVER);
        int token = SamplingStream.race(residual, 0, v, key);
        if (token < 0) {
            token = SamplingStream.race(p, row, v, key);
        }
        if (token < 0) {
            throw new IllegalArgumentException("target row at " + row + " has no positive entry");
        }
        return token;
    }
}
