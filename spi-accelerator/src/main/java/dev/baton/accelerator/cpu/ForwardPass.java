package dev.baton.accelerator.cpu;

import dev.baton.accelerator.runner.RowBatch;

/**
 * One forward pass of the CPU transformer over a batch of token rows that belong to any number of sequences, reading
 * and writing K/V through each sequence's block table in the {@link KvPool}.
 *
 * <p>Each row is a token at a position of a sequence; rows of one sequence are consecutive positions. Per layer the
 * pass writes every row's K/V into the pool before any row attends, so a row at position {@code p} sees positions
 * {@code [0, p]} of its sequence whether they were computed in earlier steps or earlier in this batch. Only rows marked
 * for logits go through the final norm and LM head. The rows come from {@link dev.baton.accelerator.runner.StepRunner}
 * through a {@link RowBatch}.
 *
 * <p>Confined to the device's thread. Scratch arrays grow to the largest batch seen and are then reused: a steady
 * stream of steps allocates nothing.
 */
final class ForwardPass {

    private static final int ROW_TILE = 16;

    private final CpuModel m;
    private final int hidden;
    private final int kvDim;
    private final int inter;
    private final int vocab;
    private final float scale;

    private final RowBatch batch = new RowBatch();

    // Scratch, [rows][width].
    private float[] x = new float[0];
    private float[] xn = new float[0];
    private float[] q = new float[0];
    private float[] kNew = new float[0];
    private float[] vNew = new float[0];
    private float[] att = new float[0];
    private float[] gate = new float[0];
    private float[] up = new float[0];
    private float[] scores;
    private float[] finalRows = new float[0];
    private float[] logits = new float[0];

    ForwardPass(CpuModel model) {
        this.m = model;
        CpuModelConfig c = model.config;
        this.hidden = c.hidden();
        this.kvDim = c.kvDim();
        this.inter = c.intermediate();
        this.vocab = c.vocab();
        this.scale = (float) (1 / Math.sqrt(c.headDim()));
        this.scores = new float[(c.maxModelLen() + 1) * c.heads()];
    }

    /** The rows of the next pass. */
    RowBatch batch() {
        return batch;
    }

    /** Logits of the marked rows, {@code [logitRow][vocab]}, valid after {@link #run}. */
    float[] logits() {
        return logits;
    }

    void run(KvPool pool) {
        int n = batch.rows();
        int[] token = batch.tokens();
        int[] position = batch.positions();
        int[] rowTable = batch.tableOffsets();
        int[] logitRow = batch.logitRows();
        int[] tables = batch.tables();
        int numLogits = batch.numLogits();
        if (n == 0) {
            return;
        }
        ensureScratch(n);
        CpuModelConfig c = m.config;
        int h = hidden;
        int half = c.headDim() / 2;
        int bs = pool.blockSize;
        for (int r = 0; r < n; r++) {
            System.arraycopy(m.embedding, token[r] * h, x, r * h, h);
        }
        for (int l = 0; l < c.layers(); l++) {
            for (int r = 0; r < n; r++) {
                Kernels.rmsNorm(x, r * h, m.attnNorm[l], CpuModel.RMS_EPS, xn, r * h, h);
            }
            matmul(xn, n, h, m.wq[l], h, q);
            matmul(xn, n, h, m.wk[l], kvDim, kNew);
            matmul(xn, n, h, m.wv[l], kvDim, vNew);
            float[] kl = pool.k[l];
            float[] vl = pool.v[l];
            for (int r = 0; r < n; r++) {
                int p = position[r];
                Kernels.rope(q, r * h, c.heads(), c.headDim(), m.ropeCos, m.ropeSin, p * half);
                Kernels.rope(kNew, r * kvDim, c.kvHeads(), c.headDim(), m.ropeCos, m.ropeSin, p * half);
                int at = (tables[rowTable[r] + p / bs] * bs + p % bs) * kvDim;
                System.arraycopy(kNew, r * kvDim, kl, at, kvDim);
                System.arraycopy(vNew, r * kvDim, vl, at, kvDim);
            }
            for (int r = 0; r < n; r++) {
                Kernels.attendPaged(q, r * h, kl, vl, tables, rowTable[r], bs, position[r] + 1, c.heads(),
                        c.kvHeads(), c.headDim(), scale, scores, att, r * h);
            }
            matmul(att, n, h, m.wo[l], h, xn);
            addInto(x, xn, n * h);
            for (int r = 0; r < n; r++) {
                Kernels.rmsNorm(x, r * h, m.mlpNorm[l], CpuModel.RMS_EPS, xn, r * h, h);
            }
            matmul(xn, n, h, m.wGate[l], inter, gate);
            matmul(xn, n, h, m.wUp[l], inter, up);
            Kernels.swiglu(gate, up, 0, n * inter);
            matmul(gate, n, inter, m.wDown[l], h, xn);
            addInto(x, xn, n * h);
        }
        if (numLogits > 0) {
            if (finalRows.length < numLogits * h) {
                finalRows = new float[numLogits * h];
            }
            if (logits.length < numLogits * vocab) {
                logits = new float[Math.max(numLogits * vocab, logits.length * 2)];
            }
            for (int r = 0; r < n; r++) {
                if (logitRow[r] >= 0) {
                    Kernels.rmsNorm(x, r * h, m.finalNorm, CpuModel.RMS_EPS, finalRows, logitRow[r] * h, h);
                }
            }
            matmul(finalRows, numLogits, h, m.lmHead, vocab, logits);
        }
    }

    /** {@link Kernels#matmul} over tiles of rows, so a tile of inputs stays in cache while the weights stream by. */
    private static void matmul(float[] in, int n, int width, float[] w, int out, float[] y) {
        for (int r0 = 0; r0 < n; r0 += ROW_TILE) {
            int rows = Math.min(ROW_TILE, n - r0);
            Kernels.matmul(in, r0 * width, rows, width, w, out, y, r0 * out);
        }
    }

    private static void addInto(float[] acc, float[] delta, int n) {
        for (int i = 0; i < n; i++) {
            acc[i] += delta[i];
        }
    }

    private void ensureScratch(int n) {
        if (x.length >= n * hidden) {
            return;
        }
        int cap = Math.max(n, x.length / hidden * 2);
        x = new float[cap * hidden];
        xn = new float[cap * hidden];
        q = new float[cap * hidden];
        att = new float[cap * hidden];
        kNew = new float[cap * kvDim];
        vNew = new float[cap * kvDim];
        gate = new float[cap * inter];
        up = new float[cap * inter];
    }
}
