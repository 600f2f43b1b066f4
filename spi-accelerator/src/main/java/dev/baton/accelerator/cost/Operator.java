package dev.baton.accelerator.cost;

import dev.baton.accelerator.DType;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;

import java.util.List;
import java.util.Locale;

/**
 * The dense (non-attention) operators of a Llama-style decoder, named as the profilers that measured them name them:
 * vLLM's fused modules ({@code qkv_proj}, {@code gate_up_proj}, one {@code layernorm} module run twice per layer) and
 * the unfused Hugging Face modules of LLMServingSim's v0 profiles ({@code q_proj}, {@code k_proj}, {@code v_proj},
 * {@code input_layernorm}, ...). Each operator knows its roofline features on one device of a tensor-parallel group:
 * the weight bytes it streams once per call, the bytes it moves per row (token or sampled position) and the FLOPs it
 * does per row.
 *
 * <p>Immutable; the features are pure functions of the model shape and the parallelism.
 */
public enum Operator {
    EMBEDDING("embedding", Scope.MODEL, Kind.ELEMENTWISE, 1),
    LAYERNORM("layernorm", Scope.LAYER, Kind.ELEMENTWISE, 2),
    INPUT_LAYERNORM("input_layernorm", Scope.LAYER, Kind.ELEMENTWISE, 1),
    POST_LAYERNORM("post_layernorm", Scope.LAYER, Kind.ELEMENTWISE, 1),
    QKV_PROJ("qkv_proj", Scope.LAYER, Kind.GEMM, 1),
    Q_PROJ("q_proj", Scope.LAYER, Kind.GEMM, 1),
    K_PROJ("k_proj", Scope.LAYER, Kind.GEMM, 1),
    V_PROJ("v_proj", Scope.LAYER, Kind.GEMM, 1),
    ROTARY_EMB("rotary_emb", Scope.LAYER, Kind.ELEMENTWISE, 1),
    ROPE("rope", Scope.LAYER, Kind.ELEMENTWISE, 1),
    O_PROJ("o_proj", Scope.LAYER, Kind.GEMM, 1),
    GATE_UP_PROJ("gate_up_proj", Scope.LAYER, Kind.GEMM, 1),
    GATE_PROJ("gate_proj", Scope.LAYER, Kind.GEMM, 1),
    UP_PROJ("up_proj", Scope.LAYER, Kind.GEMM, 1),
    ACT_FN("act_fn", Scope.LAYER, Kind.ELEMENTWISE, 1),
    DOWN_PROJ("down_proj", Scope.LAYER, Kind.GEMM, 1),
    FINAL_LAYERNORM("final_layernorm", Scope.MODEL, Kind.ELEMENTWISE, 1),
    LM_HEAD("lm_head", Scope.SAMPLED, Kind.LM_HEAD, 1),
    SAMPLER("sampler", Scope.SAMPLED, Kind.SAMPLER, 1);

    /** How often an operator runs in one step. */
    public enum Scope {
        /** Once per decoder layer, over every token of the step. */
        LAYER,
        /** Once per step, over every token of the step. */
        MODEL,
        /** Once per step, over the sampled positions ({@link dev.baton.accelerator.StepShape#sampledPositions}). */
        SAMPLED
    }

    /** Classes of operators that share roofline efficiencies where no measurement exists. */
    public enum Kind {
        GEMM, ELEMENTWISE, LM_HEAD, SAMPLER
    }

    /** The vLLM module set (fused projections), which Baton assumes where no profile names another. */
    public static final List<Operator> VLLM_LLAMA = List.of(EMBEDDING, LAYERNORM, QKV_PROJ, ROTARY_EMB, O_PROJ,
            GATE_UP_PROJ, ACT_FN, DOWN_PROJ, FINAL_LAYERNORM, LM_HEAD, SAMPLER);

    private final String profileName;
    private final Scope scope;
    private final Kind kind;
    private final int callsPerLayer;

    Operator(String profileName, Scope scope, Kind kind, int callsPerLayer) {
        this.profileName = profileName;
        this.scope = scope;
        this.kind = kind;
        this.callsPerLayer = callsPerLayer;
    }

    /** The name profilers give this operator, e.g. {@code gate_up_proj}. */
    public String profileName() {
        return profileName;
    }

    public Scope scope() {
        return scope;
    }

    public Kind kind() {
        return kind;
    }

    /** Calls per layer (or per step for the other scopes): vLLM's one RMSNorm module runs twice per layer. */
    public int calls() {
        return callsPerLayer;
    }

    /**
     * The operator a profile names {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException listing the known names
     */
    public static Operator byProfileName(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        for (Operator op : values()) {
            if (op.profileName.equals(key)) {
                return op;
            }
        }
        StringBuilder known = new StringBuilder();
        for (Operator op : values()) {
            known.append(known.length() == 0 ? "" : ", ").append(op.profileName);
        }
        throw new IllegalArgumentException("unknown operator '" + name + "'; known: " + known);
    }

    /** Weight bytes this operator streams once per call, on one device. */
    public double weightBytes(ModelShape m, Parallelism p) {
        double b = m.weightDtype().bytes();
        return switch (this) {
            case QKV_PROJ -> (double) m.hiddenSize() * (qHeads(m, p) + 2 * kvHeads(m, p)) * m.headDim() * b;
            case Q_PROJ -> (double) m.hiddenSize() * qHeads(m, p) * m.headDim() * b;
            case K_PROJ, V_PROJ -> (double) m.hiddenSize() * kvHeads(m, p) * m.headDim() * b;
            case O_PROJ -> (double) qHeads(m, p) * m.headDim() * m.hiddenSize() * b;
            case GATE_UP_PROJ -> 2.0 * m.hiddenSize() * inter(m, p) * b;
            case GATE_PROJ, UP_PROJ, DOWN_PROJ -> (double) m.hiddenSize() * inter(m, p) * b;
            case LM_HEAD -> (double) m.hiddenSize() * vocab(m, p) * b;
            default -> 0;
        };
    }

    /** Activation bytes read and written per row (token, or sampled position for the sampled scope). */
    public double bytesPerRow(ModelShape m, Parallelism p) {
        double a = activationBytes(m);
        double h = m.hiddenSize();
        double d = m.headDim();
        return switch (this) {
            case EMBEDDING -> 2 * h * a;
            case LAYERNORM, INPUT_LAYERNORM, POST_LAYERNORM, FINAL_LAYERNORM -> 2 * h * a;
            case QKV_PROJ -> (h + (qHeads(m, p) + 2 * kvHeads(m, p)) * d) * a;
            case Q_PROJ -> (h + qHeads(m, p) * d) * a;
            case K_PROJ, V_PROJ -> (h + kvHeads(m, p) * d) * a;
            case ROTARY_EMB, ROPE -> 2 * (qHeads(m, p) + kvHeads(m, p)) * d * a;
            case O_PROJ -> (qHeads(m, p) * d + h) * a;
            case GATE_UP_PROJ -> (h + 2.0 * inter(m, p)) * a;
            case GATE_PROJ, UP_PROJ, DOWN_PROJ -> (h + inter(m, p)) * a;
            case ACT_FN -> 3.0 * inter(m, p) * a;
            case LM_HEAD -> (h + vocab(m, p)) * a;
            // Logits gathered over the whole vocabulary in fp32, read a few times (softmax, top-k/p, sampling).
            case SAMPLER -> 3.0 * m.vocabSize() * 4;
        };
    }

    /** FLOPs per row: two per weight for the matrix multiplications, none worth counting for the others. */
    public double flopsPerRow(ModelShape m, Parallelism p) {
        return kind == Kind.GEMM || kind == Kind.LM_HEAD ? 2 * weightBytes(m, p) / m.weightDtype().bytes() : 0;
    }

    static double activationBytes(ModelShape m) {
        return m.weightDtype() == DType.FP32 ? 4 : 2;
    }

    static int qHeads(ModelShape m, Parallelism p) {
        return Math.max(1, m.numHeads() / p.tp());
    }

    static int kvHeads(ModelShape m, Parallelism p) {
        return Math.max(1, m.numKvHeads() / p.tp());
    }

    private static double inter(ModelShape m, Parallelism p) {
        return (double) m.intermediateSize() / p.tp();
    }

    private static double vocab(ModelShape m, Parallelism p) {
        return (double) m.vocabSize() / p.tp();
    }
}
