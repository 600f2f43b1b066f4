package dev.baton.cuda.device;

import dev.baton.accelerator.DType;
import dev.baton.accelerator.cpu.CpuModel;
import dev.baton.accelerator.cpu.CpuModelConfig;
import dev.baton.accelerator.runner.RowBatch;
import dev.baton.cuda.kernels.BatonKernels;
import dev.baton.cuda.kernels.Kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One forward pass of the reference transformer on the GPU, over a batch of token rows from any number of sequences,
 * reading and writing K/V through each sequence's block table in the {@link KvTiers}: the GPU twin of the CPU device's
 * {@code ForwardPass}, kernel for kernel ({@code baton_model_*}).
 *
 * <p>Per layer: RMSNorm, Q/K/V projections, rotary embedding, the new K/V written at their slots (so a row at position
 * {@code p} sees positions {@code [0, p]} whether computed earlier or in this batch), attention, output projection and
 * residual, RMSNorm, SwiGLU MLP and residual; then the final norm and LM head for the rows that want logits, whose
 * logits are copied back to pinned host memory.
 *
 * <h2>Attention</h2>
 * {@code exact} (the default) runs the one-thread-per-output kernels that reproduce the CPU device's order of
 * operations, so that both devices produce the same logits (up to double-precision {@code exp} differing from Java's
 * in the last place, which the rounding to float almost always hides); their score scratch is bounded by running rows
 * in chunks. {@code fast} runs the tiled paged-attention decode kernel instead: float32 throughout and still
 * independent of the batch, but summing in another order, so its logits agree with the CPU device's only to float
 * rounding.
 *
 * <p>Confined to the device thread. Host arrays and device scratch grow to the largest batch seen and are then reused.
 */
final class DeviceForwardPass {

    /** Floats of attention-score scratch for the exact kernels (64 MiB); rows are processed in chunks that fit. */
    private static final long SCORE_SCRATCH_FLOATS = 16L << 20;

    private final CudaDevice device;
    private final DeviceModel m;
    private final KvTiers kv;
    private final Staging staging;
    private final boolean exactAttention;
    private final int hidden;
    private final int kvDim;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int inter;
    private final int vocab;
    private final float scale;

    // The batch, and what the kernels need besides: each row's slot and context length.
    private final RowBatch batch = new RowBatch();
    private long[] slot = new long[64];
    private int[] contextLen = new int[64];

    // Device scratch, [rows][width].
    private int capacityRows;
    private int capacityLogits;
    private long x;
    private long xn;
    private long q;
    private long kNew;
    private long vNew;
    private long att;
    private long gate;
    private long up;
    private long sums;
    private long finalRows;
    private long logits;
    private long scores;
    private long scoreCapacity;
    private MemorySegment logitsHost;

    DeviceForwardPass(CudaDevice device, DeviceModel model, KvTiers kv, Staging staging, boolean exactAttention) {
        this.device = device;
        this.m = model;
        this.kv = kv;
        this.staging = staging;
        this.exactAttention = exactAttention;
        CpuModelConfig c = model.config;
        this.hidden = c.hidden();
        this.kvDim = c.kvDim();
        this.heads = c.heads();
        this.kvHeads = c.kvHeads();
        this.headDim = c.headDim();
        this.inter = c.intermediate();
        this.vocab = c.vocab();
        this.scale = (float) (1 / Math.sqrt(c.headDim()));
    }

    /** The rows of the next pass. */
    RowBatch batch() {
        return batch;
    }

    /** Logits rows of the last pass. */
    int numLogits() {
        return batch.numLogits();
    }

    /** Pinned host copy of the last pass's logits, {@code [numLogits][vocab]}, valid once the stream has finished. */
    MemorySegment logitsHost() {
        return logitsHost;
    }

    /** Copies the last pass's logits into {@code dst} (after the stream has finished). */
    void copyLogits(float[] dst) {
        if (batch.numLogits() == 0) {
            return;
        }
        MemorySegment.copy(logitsHost, ValueLayout.JAVA_FLOAT, 0, dst, 0, batch.numLogits() * vocab);
    }

    /**
     * Puts the batch's inputs into {@link Staging}; returns their offsets: tokens, positions, slots, table offsets,
     * context lengths, tables, logit rows.
     */
    long[] stage() {
        int n = batch.rows();
        if (slot.length < n) {
            slot = new long[Math.max(n, 2 * slot.length)];
            contextLen = new int[slot.length];
        }
        int bs = kv.blockSize;
        int[] position = batch.positions();
        int[] tables = batch.tables();
        int[] tableOffset = batch.tableOffsets();
        for (int r = 0; r < n; r++) {
            int p = position[r];
            slot[r] = (long) tables[tableOffset[r] + p / bs] * bs + p % bs;
            contextLen[r] = p + 1;
        }
        return new long[] {staging.put(batch.tokens(), n), staging.put(position, n), staging.put(slot, n),
                staging.put(tableOffset, n), staging.put(contextLen, n), staging.put(tables, batch.tablesSize()),
                staging.put(batch.logitSources(), batch.numLogits())};
    }

    /** Queues the pass; {@code staged} are {@link #stage()}'s offsets, already flushed to the device. */
    void run(long[] staged) {
        int n = batch.rows();
        int numLogits = batch.numLogits();
        if (n == 0) {
            return;
        }
        ensureScratch(n, numLogits);
        long tokens = staging.device(staged[0]);
        long positions = staging.device(staged[1]);
        long slots = staging.device(staged[2]);
        long tableOffsets = staging.device(staged[3]);
        long lens = staging.device(staged[4]);
        long tablesDev = staging.device(staged[5]);
        long logitRows = staging.device(staged[6]);
        BatonKernels k = device.kernels();
        MemorySegment s = device.stream();
        CpuModelConfig c = m.config;
        int h = hidden;
        k.launchOver(Kernel.MODEL_EMBED, (long) n * h, s, k.args().ptr(x).ptr(m.embedding).ptr(tokens).i32(n).i32(h));
        for (int l = 0; l < c.layers(); l++) {
            rmsNorm(xn, x, m.attnNorm[l], 0, n);
            matmul(q, xn, m.wq[l], n, h, h);
            matmul(kNew, xn, m.wk[l], n, h, kvDim);
            matmul(vNew, xn, m.wv[l], n, h, kvDim);
            rope(q, positions, n, heads);
            rope(kNew, positions, n, kvHeads);
            k.writeKv(DType.FP32, kNew, vNew, kv.kCache(l), kv.vCache(l), slots, n, kvDim, s);
            if (exactAttention) {
                exactAttention(l, n, tablesDev, tableOffsets, lens);
            } else {
                k.pagedAttention(DType.FP32, att, q, kv.kCache(l), kv.vCache(l), tablesDev, tableOffsets, lens, n,
                        heads, kvHeads, headDim, kv.blockSize, scale, s);
            }
            matmul(xn, att, m.wo[l], n, h, h);
            add(x, xn, (long) n * h);
            rmsNorm(xn, x, m.mlpNorm[l], 0, n);
            matmul(gate, xn, m.gate[l], n, h, inter);
            matmul(up, xn, m.up[l], n, h, inter);
            k.launchOver(Kernel.MODEL_SWIGLU, (long) n * inter, s, k.args().ptr(gate).ptr(up).i64((long) n * inter));
            matmul(xn, gate, m.down[l], n, inter, h);
            add(x, xn, (long) n * h);
        }
        if (numLogits > 0) {
            rmsNorm(finalRows, x, m.finalNorm, logitRows, numLogits);
            matmul(logits, finalRows, m.lmHead, numLogits, h, vocab);
            device.driver().copyDtoHAsync(logitsHost, logits, 4L * numLogits * vocab, s);
        }
    }

    /** Attention in the CPU device's order, rows in chunks whose scores fit the scratch. */
    private void exactAttention(int layer, int n, long tablesDev, long tableOffsets, long lens) {
        int maxLen = 0;
        for (int r = 0; r < n; r++) {
            maxLen = Math.max(maxLen, contextLen[r]);
        }
        long perRow = (long) heads * maxLen;
        if (scoreCapacity < perRow) {
            growScores(perRow);
        }
        int chunk = (int) Math.min(n, scoreCapacity / perRow);
        BatonKernels k = device.kernels();
        MemorySegment s = device.stream();
        for (int r0 = 0; r0 < n; r0 += chunk) {
            int rc = Math.min(chunk, n - r0);
            long qOff = q + 4L * r0 * hidden;
            long sumsOff = sums + 4L * r0 * heads;
            long offs = tableOffsets + 4L * r0;
            long lensOff = lens + 4L * r0;
            k.launchOver(Kernel.MODEL_ATTN_SCORES, (long) rc * heads, s, k.args().ptr(scores).ptr(sumsOff).ptr(qOff)
                    .ptr(kv.kCache(layer)).ptr(tablesDev).ptr(offs).ptr(lensOff).i32(rc).i32(heads).i32(kvHeads)
                    .i32(headDim).i32(kv.blockSize).f32(scale).i32(maxLen));
            k.launchOver(Kernel.MODEL_ATTN_OUTPUT, (long) rc * hidden, s, k.args().ptr(att + 4L * r0 * hidden)
                    .ptr(scores).ptr(sumsOff).ptr(kv.vCache(layer)).ptr(tablesDev).ptr(offs).ptr(lensOff).i32(rc)
                    .i32(heads).i32(kvHeads).i32(headDim).i32(kv.blockSize).i32(maxLen));
        }
    }

    private void rmsNorm(long y, long in, long gain, long rowIndex, int n) {
        BatonKernels k = device.kernels();
        k.launchOver(Kernel.MODEL_RMSNORM, n, device.stream(), k.args().ptr(y).ptr(in).ptr(gain).ptr(rowIndex).i32(n)
                .i32(hidden).f32(CpuModel.RMS_EPS));
    }

    private void matmul(long y, long in, long w, int n, int width, int out) {
        BatonKernels k = device.kernels();
        k.launchOver(Kernel.MODEL_MATMUL, (long) n * out, device.stream(), k.args().ptr(y).ptr(in).ptr(w).i32(n)
                .i32(width).i32(out));
    }

    private void rope(long rowsPtr, long positions, int n, int numHeads) {
        BatonKernels k = device.kernels();
        k.launchOver(Kernel.MODEL_ROPE, (long) n * numHeads * (headDim / 2), device.stream(), k.args().ptr(rowsPtr)
                .ptr(positions).ptr(m.ropeCos).ptr(m.ropeSin).i32(n).i32(numHeads).i32(headDim));
    }

    private void add(long acc, long delta, long count) {
        BatonKernels k = device.kernels();
        k.launchOver(Kernel.MODEL_ADD, count, device.stream(), k.args().ptr(acc).ptr(delta).i64(count));
    }

    private void ensureScratch(int n, int logitRows) {
        if (n > capacityRows) {
            int cap = Math.max(n, 2 * capacityRows);
            for (long p : new long[] {x, xn, q, kNew, vNew, att, gate, up, sums}) {
                if (p != 0) {
                    device.free(p);
                }
            }
            x = device.alloc(4L * cap * hidden);
            xn = device.alloc(4L * cap * hidden);
            q = device.alloc(4L * cap * hidden);
            att = device.alloc(4L * cap * hidden);
            kNew = device.alloc(4L * cap * kvDim);
            vNew = device.alloc(4L * cap * kvDim);
            gate = device.alloc(4L * cap * inter);
            up = device.alloc(4L * cap * inter);
            sums = device.alloc(4L * cap * heads);
            capacityRows = cap;
        }
        if (logitRows > capacityLogits) {
            int cap = Math.max(logitRows, 2 * capacityLogits);
            if (finalRows != 0) {
                device.free(finalRows);
                device.free(logits);
                device.freePinned(logitsHost);
            }
            finalRows = device.alloc(4L * cap * hidden);
            logits = device.alloc(4L * cap * vocab);
            logitsHost = device.pinned(4L * cap * vocab);
            capacityLogits = cap;
        }
    }

    private void growScores(long perRow) {
        if (scores != 0) {
            device.free(scores);
        }
        scoreCapacity = Math.max(perRow, SCORE_SCRATCH_FLOATS);
        scores = device.alloc(4 * scoreCapacity);
    }
}
