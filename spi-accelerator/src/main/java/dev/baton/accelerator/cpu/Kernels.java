package dev.baton.accelerator.cpu;

/**
 * The float32 compute kernels of the CPU reference transformer: dot products, matrix-vector products, RMSNorm,
 * rotary embeddings, SwiGLU and attention over paged or contiguous KV.
 *
 * <h2>Batch invariance by construction</h2>
 * Every kernel computes each output row from its own input row with a fixed order of floating-point operations that
 * does not depend on how many rows are processed together, on which block a KV row lives in, or on the block size.
 * The paged and the contiguous attention differ only in where they find a KV row, so they produce bit-identical
 * results; so do a prompt computed in one chunk or in many, alone or in a batch. Loops run over contiguous float
 * arrays without boxing or allocation.
 *
 * <p>Stateless; callers own every array.
 */
public final class Kernels {

    private static final int[] SINGLE_BLOCK = {0};

    private Kernels() {
    }

    /**
     * {@code sum_i a[aOff + i] * b[bOff + i]} over {@code n} elements, in four interleaved partial sums
     * ({@code i mod 4}) combined as {@code (s0 + s1) + (s2 + s3)}, then the tail in order.
     */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[aOff + i] * b[bOff + i];
            s1 += a[aOff + i + 1] * b[bOff + i + 1];
            s2 += a[aOff + i + 2] * b[bOff + i + 2];
            s3 += a[aOff + i + 3] * b[bOff + i + 3];
        }
        float s = (s0 + s1) + (s2 + s3);
        for (; i < n; i++) {
            s += a[aOff + i] * b[bOff + i];
        }
        return s;
    }

    /**
     * {@code y[yOff + r * out + j] = dot(x row r, w row j)} for {@code rows} input rows of width {@code in} and a
     * weight matrix {@code w} stored {@code [out][in]} (each output is one contiguous weight row, reused across rows).
     */
    public static void matmul(float[] x, int xOff, int rows, int in, float[] w, int out, float[] y, int yOff) {
        for (int j = 0; j < out; j++) {
            int wOff = j * in;
            for (int r = 0; r < rows; r++) {
                y[yOff + r * out + j] = dot(x, xOff + r * in, w, wOff, in);
            }
        }
    }

    /** {@code y = x / sqrt(mean(x^2) + eps) * gain} over {@code n} elements. */
    public static void rmsNorm(float[] x, int xOff, float[] gain, float eps, float[] y, int yOff, int n) {
        float ms = dot(x, xOff, x, xOff, n) / n;
        float inv = (float) (1.0 / Math.sqrt(ms + eps));
        for (int i = 0; i < n; i++) {
            y[yOff + i] = x[xOff + i] * inv * gain[i];
        }
    }

    /**
     * Rotary position embedding of {@code numHeads} heads of {@code headDim} at {@code x[off]}, in the "rotate half"
     * form of Llama: element {@code i} pairs with {@code i + headDim/2}, rotated by {@code cos/sin[tableOff + i]}.
     */
    public static void rope(float[] x, int off, int numHeads, int headDim, float[] cos, float[] sin, int tableOff) {
        int half = headDim / 2;
        for (int h = 0; h < numHeads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                float c = cos[tableOff + i];
                float s = sin[tableOff + i];
                float x1 = x[base + i];
                float x2 = x[base + i + half];
                x[base + i] = x1 * c - x2 * s;
                x[base + i + half] = x2 * c + x1 * s;
            }
        }
    }

    /** SwiGLU: {@code gate[i] = silu(gate[i]) * up[i]} with {@code silu(g) = g / (1 + e^-g)}. */
    public static void swiglu(float[] gate, float[] up, int off, int n) {
        for (int i = off; i < off + n; i++) {
            float g = gate[i];
            gate[i] = (float) (g / (1.0 + Math.exp(-g))) * up[i];
        }
    }

    /**
     * Causal attention of one query row over a sequence's first {@code len} KV rows, found through its block table in
     * a paged layer tensor laid out {@code [numBlocks, blockSize, kvHeads, headDim]}: row {@code p} lives at
     * {@code ((table[tableOff + p / blockSize] * blockSize + p % blockSize) * kvHeads + kvHead) * headDim}.
     *
     * <p>For query head {@code h} (KV head {@code h / (heads / kvHeads)}): {@code s_p = dot(q_h, k_p) * scale},
     * {@code e_p = exp(s_p - max s)}, {@code out_h = (sum_p e_p v_p) * (1 / sum_p e_p)}, every sum in position order.
     *
     * @param scores scratch of at least {@code (len + 1) * heads} floats
     */
    public static void attendPaged(float[] q, int qOff, float[] k, float[] v, int[] table, int tableOff,
                                   int blockSize, int len, int heads, int kvHeads, int headDim, float scale,
                                   float[] scores, float[] out, int outOff) {
        attend(q, qOff, k, v, 0, table, tableOff, blockSize, len, heads, kvHeads, headDim, scale, scores, out, outOff);
    }

    /**
     * The same attention over a contiguous KV tensor {@code [len, kvHeads, headDim]} starting at {@code kvOff}: the
     * baseline that paging is measured against, and bit-identical to {@link #attendPaged} on the same data.
     */
    public static void attendContiguous(float[] q, int qOff, float[] k, float[] v, int kvOff, int len, int heads,
                                        int kvHeads, int headDim, float scale, float[] scores, float[] out,
                                        int outOff) {
        attend(q, qOff, k, v, kvOff, SINGLE_BLOCK, 0, Math.max(len, 1), len, heads, kvHeads, headDim, scale, scores,
                out, outOff);
    }

    private static void attend(float[] q, int qOff, float[] k, float[] v, int kvOff, int[] table, int tableOff,
                               int blockSize, int len, int heads, int kvHeads, int headDim, float scale,
                               float[] scores, float[] out, int outOff) {
        int group = heads / kvHeads;
        int kvDim = kvHeads * headDim;
        long blockStride = (long) blockSize * kvDim;
        // Scores of every head, visiting each KV row once: a block's rows are read in one sweep.
        for (int p = 0, b = 0; p < len; b++) {
            int base = (int) (kvOff + table[tableOff + b] * blockStride);
            int rows = Math.min(blockSize, len - p);
            for (int r = 0; r < rows; r++, p++) {
                int row = base + r * kvDim;
                for (int h = 0; h < heads; h++) {
                    scores[h * len + p] = dot(q, qOff + h * headDim, k, row + (h / group) * headDim, headDim) * scale;
                }
            }
        }
        int sums = heads * len;
        for (int h = 0; h < heads; h++) {
            int s0 = h * len;
            float max = Float.NEGATIVE_INFINITY;
            for (int p = 0; p < len; p++) {
                max = Math.max(max, scores[s0 + p]);
            }
            float sum = 0;
            for (int p = 0; p < len; p++) {
                float e = (float) Math.exp(scores[s0 + p] - max);
                scores[s0 + p] = e;
                sum += e;
            }
            scores[sums + h] = sum;
        }
        for (int i = 0; i < heads * headDim; i++) {
            out[outOff + i] = 0;
        }
        // Weighted sum of V rows, each row read once for all heads.
        for (int p = 0, b = 0; p < len; b++) {
            int base = (int) (kvOff + table[tableOff + b] * blockStride);
            int rows = Math.min(blockSize, len - p);
            for (int r = 0; r < rows; r++, p++) {
                int row = base + r * kvDim;
                for (int h = 0; h < heads; h++) {
                    float w = scores[h * len + p];
                    int o = outOff + h * headDim;
                    int vOff = row + (h / group) * headDim;
                    for (int d = 0; d < headDim; d++) {
                        out[o + d] += w * v[vOff + d];
                    }
                }
            }
        }
        for (int h = 0; h < heads; h++) {
            float inv = 1f / scores[sums + h];
            int o = outOff + h * headDim;
            for (int d = 0; d < headDim; d++) {
                out[o + d] *= inv;
            }
        }
    }
}
