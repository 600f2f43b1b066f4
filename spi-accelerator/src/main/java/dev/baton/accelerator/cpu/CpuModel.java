package dev.baton.accelerator.cpu;

import dev.baton.accelerator.sampling.SamplingStream;

/**
 * The weights of the CPU reference transformer: a Llama-style decoder (token embedding; per layer RMSNorm, grouped-query
 * attention with rotary position embedding, RMSNorm, SwiGLU MLP, each with a residual connection; final RMSNorm; an
 * untied LM head), drawn from a seeded generator.
 *
 * <h2>Weights</h2>
 * Every weight is a pure function of {@code (seed, tensor, layer, index)}: element {@code i} of a tensor is
 * {@code mean + std * sqrt(3) * (2u - 1)} (uniform with that standard deviation), where
 * {@code u = SamplingStream.uniform(key, i)} and
 * {@code key = mix64(mix64(seed + 0x9E3779B97F4A7C15 * (tensor + 1)) + 0xD1B54A32D192ED03 * (layer + 1))}.
 * Tensor codes and scales: embedding (1, std 1), attention norm (2, 1 +- 0.1), {@code wq} (3), {@code wk} (4),
 * {@code wv} (5), {@code wo} (6) (std {@code 1/sqrt(in)}), MLP norm (7, 1 +- 0.1), gate (8), up (9), down (10)
 * (std {@code 1/sqrt(in)}), final norm (11, 1 +- 0.1), LM head (12, std {@code 3/sqrt(hidden)}, so logits have a
 * spread of about 3 and greedy output depends on the whole context). Matrices are stored {@code [out][in]}, row-major.
 *
 * <p>Because tensors are keyed by layer, a model with fewer layers and the same seed is this model truncated (same
 * embedding, LM head and first layers): a natural, correlated draft model for speculative decoding.
 *
 * <p>Immutable after construction and safe to share between threads.
 */
public final class CpuModel {

    /** The epsilon of every RMSNorm. */
    public static final float RMS_EPS = 1e-5f;
    static final double LOGIT_SPREAD = 3.0;

    final CpuModelConfig config;
    final float[] embedding;
    final float[][] attnNorm;
    final float[][] wq;
    final float[][] wk;
    final float[][] wv;
    final float[][] wo;
    final float[][] mlpNorm;
    final float[][] wGate;
    final float[][] wUp;
    final float[][] wDown;
    final float[] finalNorm;
    final float[] lmHead;
    /** {@code cos/sin[pos * headDim/2 + i]} of angle {@code pos * theta^(-2i / headDim)}. */
    final float[] ropeCos;
    final float[] ropeSin;

    public CpuModel(CpuModelConfig config, long seed) {
        this.config = config;
        int l = config.layers();
        int h = config.hidden();
        int kv = config.kvDim();
        int in = config.intermediate();
        int v = config.vocab();
        embedding = tensor(seed, 1, 0, (long) v * h, 0, 1);
        attnNorm = new float[l][];
        wq = new float[l][];
        wk = new float[l][];
        wv = new float[l][];
        wo = new float[l][];
        mlpNorm = new float[l][];
        wGate = new float[l][];
        wUp = new float[l][];
        wDown = new float[l][];
        double sh = 1 / Math.sqrt(h);
        for (int i = 0; i < l; i++) {
            attnNorm[i] = tensor(seed, 2, i, h, 1, 0.1 / Math.sqrt(3));
            wq[i] = tensor(seed, 3, i, (long) h * h, 0, sh);
            wk[i] = tensor(seed, 4, i, (long) kv * h, 0, sh);
            wv[i] = tensor(seed, 5, i, (long) kv * h, 0, sh);
            wo[i] = tensor(seed, 6, i, (long) h * h, 0, sh);
            mlpNorm[i] = tensor(seed, 7, i, h, 1, 0.1 / Math.sqrt(3));
            wGate[i] = tensor(seed, 8, i, (long) in * h, 0, sh);
            wUp[i] = tensor(seed, 9, i, (long) in * h, 0, sh);
            wDown[i] = tensor(seed, 10, i, (long) h * in, 0, 1 / Math.sqrt(in));
        }
        finalNorm = tensor(seed, 11, 0, h, 1, 0.1 / Math.sqrt(3));
        lmHead = tensor(seed, 12, 0, (long) v * h, 0, LOGIT_SPREAD * sh);
        int half = config.headDim() / 2;
        int len = config.maxModelLen();
        ropeCos = new float[len * half];
        ropeSin = new float[len * half];
        for (int i = 0; i < half; i++) {
            double invFreq = Math.pow(config.ropeTheta(), -2.0 * i / config.headDim());
            for (int p = 0; p < len; p++) {
                double angle = p * invFreq;
                ropeCos[p * half + i] = (float) Math.cos(angle);
                ropeSin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    public CpuModelConfig config() {
        return config;
    }

    /** The model's tensors, for devices that run this model elsewhere (the CUDA binding uploads them). */
    public enum Tensor {
        EMBEDDING(false), ATTN_NORM(true), WQ(true), WK(true), WV(true), WO(true), MLP_NORM(true), GATE(true),
        UP(true), DOWN(true), FINAL_NORM(false), LM_HEAD(false),
        /** {@code cos[pos * headDim/2 + i]} of the rotary embedding, for positions {@code 0 .. maxModelLen - 1}. */
        ROPE_COS(false),
        /** {@code sin[pos * headDim/2 + i]}, like {@link #ROPE_COS}. */
        ROPE_SIN(false);

        private final boolean perLayer;

        Tensor(boolean perLayer) {
            this.perLayer = perLayer;
        }

        /** Whether each layer has its own. */
        public boolean perLayer() {
            return perLayer;
        }
    }

    /**
     * A copy of {@code tensor} (of {@code layer}, for per-layer tensors; ignored otherwise), row-major as described
     * above ({@code [out][in]} for matrices).
     *
     * @throws IndexOutOfBoundsException if a per-layer tensor is asked for a layer the model does not have
     */
    public float[] weights(Tensor tensor, int layer) {
        float[] w = switch (tensor) {
            case EMBEDDING -> embedding;
            case ATTN_NORM -> attnNorm[layer];
            case WQ -> wq[layer];
            case WK -> wk[layer];
            case WV -> wv[layer];
            case WO -> wo[layer];
            case MLP_NORM -> mlpNorm[layer];
            case GATE -> wGate[layer];
            case UP -> wUp[layer];
            case DOWN -> wDown[layer];
            case FINAL_NORM -> finalNorm;
            case LM_HEAD -> lmHead;
            case ROPE_COS -> ropeCos;
            case ROPE_SIN -> ropeSin;
        };
        return w.clone();
    }

    private static float[] tensor(long seed, int tensor, int layer, long size, double mean, double std) {
        float[] w = new float[Math.toIntExact(size)];
        long key = SamplingStream.mix64(SamplingStream.mix64(seed + 0x9E3779B97F4A7C15L * (tensor + 1L))
                + 0xD1B54A32D192ED03L * (layer + 1L));
        double a = std * Math.sqrt(3);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (mean + a * (2 * SamplingStream.uniform(key, i) - 1));
        }
        return w;
    }
}
