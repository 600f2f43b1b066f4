package dev.baton.accelerator.cpu;

import java.util.Arrays;

/**
 * The reference forward pass for tests: one request at a time, token by token, with its KV in plain contiguous arrays
 * ({@code [position][kvHeads * headDim]} per layer) and no paging, batching or chunking. It shares the per-token
 * arithmetic primitives with the device ({@link Kernels#dot}, {@link Kernels#rmsNorm}, {@link Kernels#rope},
 * {@link Kernels#swiglu}) but has its own KV storage, attention loop and control flow, so any difference from the
 * paged device comes from paging, chunking or batching.
 *
 * <p>Public so that suites built on the conformance kit (scheduler-core's batch-invariance properties) can compare an
 * engine's output with the solo run of each request. Not thread-safe: it owns its KV arrays.
 */
public final class ContiguousReference {

    private final CpuModel m;
    private final CpuModelConfig c;
    private final float[][] k;
    private final float[][] v;
    private int length;

    public ContiguousReference(CpuModel model) {
        this.m = model;
        this.c = model.config();
        this.k = new float[c.layers()][c.maxModelLen() * c.kvDim()];
        this.v = new float[c.layers()][c.maxModelLen() * c.kvDim()];
    }

    /** Logits of every position of {@code tokens}, {@code [position][vocab]}. */
    public float[][] logits(int[] tokens) {
        length = 0;
        float[][] out = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            out[i] = next(tokens[i]);
        }
        return out;
    }

    /** Greedy continuation of {@code prompt} by {@code n} tokens. */
    public int[] greedy(int[] prompt, int n) {
        float[][] rows = logits(prompt);
        int[] out = new int[n];
        float[] last = rows[rows.length - 1];
        for (int i = 0; i < n; i++) {
            out[i] = dev.baton.accelerator.sampling.TokenSampler.argmax(last, 0, c.vocab());
            if (i + 1 < n) {
                last = next(out[i]);
            }
        }
        return out;
    }

    /** Appends one token at the next position and returns its logits. */
    public float[] next(int token) {
        int h = c.hidden();
        int kvDim = c.kvDim();
        int hd = c.headDim();
        int half = hd / 2;
        int p = length++;
        float[] x = Arrays.copyOfRange(m.embedding, token * h, token * h + h);
        float[] xn = new float[h];
        for (int l = 0; l < c.layers(); l++) {
            Kernels.rmsNorm(x, 0, m.attnNorm[l], CpuModel.RMS_EPS, xn, 0, h);
            float[] q = project(xn, m.wq[l], h, h);
            float[] kr = project(xn, m.wk[l], kvDim, h);
            float[] vr = project(xn, m.wv[l], kvDim, h);
            Kernels.rope(q, 0, c.heads(), hd, m.ropeCos, m.ropeSin, p * half);
            Kernels.rope(kr, 0, c.kvHeads(), hd, m.ropeCos, m.ropeSin, p * half);
            System.arraycopy(kr, 0, k[l], p * kvDim, kvDim);
            System.arraycopy(vr, 0, v[l], p * kvDim, kvDim);
            float[] att = new float[h];
            float scale = (float) (1 / Math.sqrt(hd));
            int group = c.heads() / c.kvHeads();
            for (int head = 0; head < c.heads(); head++) {
                int g = head / group;
                float[] s = new float[p + 1];
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j <= p; j++) {
                    s[j] = Kernels.dot(q, head * hd, k[l], j * kvDim + g * hd, hd) * scale;
                    max = Math.max(max, s[j]);
                }
                float sum = 0;
                for (int j = 0; j <= p; j++) {
                    s[j] = (float) Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int j = 0; j <= p; j++) {
                    for (int d = 0; d < hd; d++) {
                        att[head * hd + d] += s[j] * v[l][j * kvDim + g * hd + d];
                    }
                }
                float inv = 1f / sum;
                for (int d = 0; d < hd; d++) {
                    att[head * hd + d] *= inv;
                }
            }
            add(x, project(att, m.wo[l], h, h));
            Kernels.rmsNorm(x, 0, m.mlpNorm[l], CpuModel.RMS_EPS, xn, 0, h);
            float[] gate = project(xn, m.wGate[l], c.intermediate(), h);
            float[] up = project(xn, m.wUp[l], c.intermediate(), h);
            Kernels.swiglu(gate, up, 0, c.intermediate());
            add(x, project(gate, m.wDown[l], h, c.intermediate()));
        }
        Kernels.rmsNorm(x, 0, m.finalNorm, CpuModel.RMS_EPS, xn, 0, h);
        return project(xn, m.lmHead, c.vocab(), h);
    }

    private static float[] project(float[] x, float[] w, int out, int in) {
        float[] y = new float[out];
        for (int j = 0; j < out; j++) {
            y[j] = Kernels.dot(x, 0, w, j * in, in);
        }
        return y;
    }

    private static void add(float[] x, float[] d) {
        for (int i = 0; i < x.length; i++) {
            x[i] += d[i];
        }
    }

    /** {@code max |a - b| / max |b|}: the relative error of a logits row. */
    static double relativeError(float[] a, int aOff, float[] b) {
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < b.length; i++) {
            diff = Math.max(diff, Math.abs(a[aOff + i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return diff / scale;
    }
}
