package dev.baton.accelerator.cpu;

import dev.baton.accelerator.DType;
import dev.baton.accelerator.ModelShape;

import java.util.Map;

/**
 * The size of the CPU reference transformer, from the {@code cpu.*} options of an
 * {@link dev.baton.accelerator.AcceleratorConfig}. The defaults (4 layers, hidden 256, 8 query heads, 2 KV heads,
 * intermediate 512, vocabulary 512) keep whole test suites fast on two cores.
 *
 * @param layers       decoder layers ({@code cpu.layers})
 * @param hidden       model width ({@code cpu.hidden}); a multiple of {@code heads}
 * @param heads        query heads ({@code cpu.heads}); {@code hidden / heads} must be even (rotary pairs)
 * @param kvHeads      key/value heads ({@code cpu.kv-heads}); divides {@code heads}
 * @param intermediate SwiGLU inner width ({@code cpu.intermediate})
 * @param vocab        vocabulary size ({@code cpu.vocab})
 * @param maxModelLen  longest sequence ({@code cpu.max-model-len}); sizes the rotary table
 * @param ropeTheta    rotary base ({@code cpu.rope-theta})
 * @param eosToken     the end-of-sequence token id ({@code cpu.eos-token}, default {@code vocab - 1})
 */
public record CpuModelConfig(int layers, int hidden, int heads, int kvHeads, int intermediate, int vocab,
                             int maxModelLen, double ropeTheta, int eosToken) {

    public static final CpuModelConfig DEFAULT = new CpuModelConfig(4, 256, 8, 2, 512, 512, 4096, 10_000, 511);

    public CpuModelConfig {
        positive(layers, "cpu.layers");
        positive(hidden, "cpu.hidden");
        positive(heads, "cpu.heads");
        positive(kvHeads, "cpu.kv-heads");
        positive(intermediate, "cpu.intermediate");
        positive(vocab, "cpu.vocab");
        positive(maxModelLen, "cpu.max-model-len");
        if (hidden % heads != 0 || (hidden / heads) % 2 != 0) {
            throw new IllegalArgumentException("cpu.hidden (" + hidden + ") must be a multiple of cpu.heads (" + heads
                    + ") with an even head dimension; e.g. cpu.hidden=" + (heads * 32));
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("cpu.heads (" + heads + ") must be a multiple of cpu.kv-heads ("
                    + kvHeads + ")");
        }
        if (!(ropeTheta > 1) || Double.isInfinite(ropeTheta)) {
            throw new IllegalArgumentException("cpu.rope-theta must be a finite number above 1, got " + ropeTheta);
        }
        if (eosToken < 0 || eosToken >= vocab) {
            throw new IllegalArgumentException("cpu.eos-token must be in [0, cpu.vocab=" + vocab + "), got " + eosToken);
        }
        long embed = (long) vocab * hidden;
        long widest = Math.max(embed, (long) intermediate * hidden);
        if (widest > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the cpu model is too large for one Java array per weight ("
                    + widest + " floats); lower cpu.vocab, cpu.hidden or cpu.intermediate");
        }
    }

    /** Reads the model options of {@code options} (other keys are ignored here). */
    public static CpuModelConfig fromOptions(Map<String, String> options) {
        CpuModelConfig d = DEFAULT;
        int vocab = intOption(options, "cpu.vocab", d.vocab);
        return new CpuModelConfig(
                intOption(options, "cpu.layers", d.layers),
                intOption(options, "cpu.hidden", d.hidden),
                intOption(options, "cpu.heads", d.heads),
                intOption(options, "cpu.kv-heads", d.kvHeads),
                intOption(options, "cpu.intermediate", d.intermediate),
                vocab,
                intOption(options, "cpu.max-model-len", d.maxModelLen),
                doubleOption(options, "cpu.rope-theta", d.ropeTheta),
                intOption(options, "cpu.eos-token", vocab - 1));
    }

    public int headDim() {
        return hidden / heads;
    }

    /** Width of one token's K (or V) over all KV heads. */
    public int kvDim() {
        return kvHeads * headDim();
    }

    /** Parameters: embedding, per-layer attention and MLP weights and norms, final norm, LM head (untied). */
    public long numParams() {
        long perLayer = 2L * hidden                                   // two RMSNorm gains
                + (long) hidden * hidden * 2                          // wq, wo
                + (long) kvDim() * hidden * 2                         // wk, wv
                + (long) intermediate * hidden * 3;                   // gate, up, down
        return (long) vocab * hidden * 2 + hidden + layers * perLayer;
    }

    /** The shape the engine sees: float32 weights and KV. */
    public ModelShape shape() {
        return new ModelShape("baton/cpu-llama-" + layers + "x" + hidden, layers, hidden, heads, kvHeads, headDim(),
                intermediate, vocab, numParams(), DType.FP32, DType.FP32, maxModelLen, eosToken);
    }

    /**
     * The integer option {@code key} of {@code options}, or {@code fallback} when absent.
     *
     * @throws IllegalArgumentException naming the key when the value is not an integer
     */
    public static int intOption(Map<String, String> options, String key, int fallback) {
        String s = options.get(key);
        if (s == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + s + "'");
        }
    }

    static double doubleOption(Map<String, String> options, String key, double fallback) {
        String s = options.get(key);
        if (s == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + s + "'");
        }
    }

    private static void positive(int v, String key) {
        if (v <= 0) {
            throw new IllegalArgumentException(key + " must be positive, got " + v);
        }
    }
}
