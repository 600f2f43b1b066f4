package dev.baton.cuda.kernels;

import java.util.List;

import static dev.baton.cuda.kernels.Kernel.Param.F32;
import static dev.baton.cuda.kernels.Kernel.Param.I32;
import static dev.baton.cuda.kernels.Kernel.Param.I64;
import static dev.baton.cuda.kernels.Kernel.Param.PTR;

/**
 * The kernels of {@code src/main/cuda/baton_kernels.cu}: entry name, parameter types, and threads per block.
 * {@code KernelSignatureTest} parses the {@code .cu} source and checks every declaration here against it, so a
 * parameter added on one side only fails the build, not a GPU run.
 */
public enum Kernel {
    /** (a) copy-on-write: copy whole blocks by (src, dst) pairs in every layer's K and V. */
    COPY_BLOCKS("baton_copy_blocks", 256, PTR, I32, PTR, I64, I32, I64),
    /** (b) write a step's new K/V rows at their slots (float32 pool). */
    WRITE_KV_F32("baton_write_kv_f32", 256, PTR, PTR, PTR, PTR, PTR, I32, I32),
    /** (b) the same into a bfloat16 pool. */
    WRITE_KV_BF16("baton_write_kv_bf16", 256, PTR, PTR, PTR, PTR, PTR, I32, I32),
    /** (c) paged-attention decode over a float32 pool. */
    PAGED_ATTENTION_F32("baton_paged_attention_f32", 256, PTR, PTR, PTR, PTR, PTR, PTR, PTR, I32, I32, I32, I32, F32),
    /** (c) paged-attention decode over a bfloat16 pool. */
    PAGED_ATTENTION_BF16("baton_paged_attention_bf16", 256, PTR, PTR, PTR, PTR, PTR, PTR, PTR, I32, I32, I32, I32,
            F32),
    /** (d) speculative decoding: the acceptance rule of RejectionSampler over probability rows. */
    VERIFY_DRAFTS("baton_verify_drafts", 256, I32, PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR, PTR),
    MODEL_EMBED("baton_model_embed", 256, PTR, PTR, PTR, I32, I32),
    MODEL_RMSNORM("baton_model_rmsnorm", 64, PTR, PTR, PTR, PTR, I32, I32, F32),
    MODEL_MATMUL("baton_model_matmul", 128, PTR, PTR, PTR, I32, I32, I32),
    MODEL_ROPE("baton_model_rope", 256, PTR, PTR, PTR, PTR, I32, I32, I32),
    MODEL_ATTN_SCORES("baton_model_attn_scores", 64, PTR, PTR, PTR, PTR, PTR, PTR, PTR, I32, I32, I32, I32, I32, F32,
            I32),
    MODEL_ATTN_OUTPUT("baton_model_attn_output", 128, PTR, PTR, PTR, PTR, PTR, PTR, PTR, I32, I32, I32, I32, I32, I32),
    MODEL_ADD("baton_model_add", 256, PTR, PTR, I64),
    MODEL_SWIGLU("baton_model_swiglu", 256, PTR, PTR, I64);

    /** A kernel parameter's C type: a device pointer, {@code int}, {@code long long} or {@code float}. */
    public enum Param {
        PTR, I32, I64, F32
    }

    private final String entry;
    private final int threads;
    private final List<Param> params;

    Kernel(String entry, int threads, Param... params) {
        this.entry = entry;
        this.threads = threads;
        this.params = List.of(params);
    }

    /** The {@code extern "C"} entry name in the fatbin. */
    public String entry() {
        return entry;
    }

    /** Threads per block the binding launches it with. */
    public int threads() {
        return threads;
    }

    public List<Param> params() {
        return params;
    }
}
