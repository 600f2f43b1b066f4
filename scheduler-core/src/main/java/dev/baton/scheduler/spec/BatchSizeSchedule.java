package dev.baton.scheduler.spec;

import java.util.Arrays;

/**
 * K as a function of the batch size: speculate at low batch, where a step is memory-bound and extra tokens are nearly
 * free, and less or not at all at high batch, where verification tokens cost compute (anchors §1.7 P3/P4).
 *
 * <h2>vLLM semantics ({@link #ofRanges}, PR #32374, {@code test_dynamic_sd.py})</h2>
 * A list of inclusive ranges {@code (lo, hi, K)} that starts at batch size 1, is sorted and does not overlap, with
 * {@code K >= 0}. A batch size in a gap inherits the K of the range before it; a batch of 0 gets 0; the effective K is
 * {@code min(runtime K, scheduled K)}; batch sizes above {@code maxBatchSize} ({@code max-num-seqs}) are out of range.
 * The table is precomputed for every batch size, as vLLM does.
 *
 * <h2>TensorRT-LLM semantics ({@link #ofThresholds}, PR #10860)</h2>
 * {@code {4:4, 8:2, 32:1}}: batch sizes up to 4 get 4, 5..8 get 2, 9..32 get 1, above 32 get 0 (a schedule is its
 * own runtime K here).
 *
 * <p>Immutable after construction; the policy itself is stateless.
 */
public final class BatchSizeSchedule implements DraftLengthPolicy {

    private final int[] table;

    private BatchSizeSchedule(int[] table) {
        this.table = table;
    }

    /**
     * vLLM's schedule.
     *
     * @param ranges       entries {@code {lo, hi, K}}, inclusive, sorted, non-overlapping, the first starting at 1
     * @param runtimeK     the engine's {@code num_speculative_tokens}; caps every K
     * @param maxBatchSize the largest batch ({@code max-num-seqs})
     * @throws IllegalArgumentException for a missing, empty or malformed schedule (SPEC-27)
     */
    public static BatchSizeSchedule ofRanges(int[][] ranges, int runtimeK, int maxBatchSize) {
        if (ranges == null) {
            throw new IllegalArgumentException("a batch-size schedule is required, e.g. {{1, 16, 3}, {17, 256, 0}}");
        }
        if (ranges.length == 0) {
            throw new IllegalArgumentException("the batch-size schedule is empty; give at least {{1, maxBatch, K}}");
        }
        if (runtimeK < 0 || maxBatchSize < 1) {
            throw new IllegalArgumentException("runtime K must not be negative and the max batch size must be positive,"
                    + " got " + runtimeK + " and " + maxBatchSize);
        }
        int previousHi = 0;
        for (int e = 0; e < ranges.length; e++) {
            int[] r = ranges[e];
            if (r == null || r.length != 3) {
                throw new IllegalArgumentException("schedule entry " + e + " must be {lo, hi, K}, got "
                        + Arrays.toString(r));
            }
            if (e == 0 && r[0] != 1) {
                throw new IllegalArgumentException("the schedule must start at batch size 1, got " + Arrays.toString(r));
            }
            if (r[1] < r[0]) {
                throw new IllegalArgumentException("schedule entry " + e + " has hi < lo: " + Arrays.toString(r));
            }
            if (r[2] < 0) {
                throw new IllegalArgumentException("schedule entry " + e + " has a negative K: " + Arrays.toString(r));
            }
            if (r[0] <= previousHi) {
                throw new IllegalArgumentException("schedule entries must be sorted and must not overlap: entry " + e
                        + " " + Arrays.toString(r) + " starts at or before " + previousHi);
            }
            previousHi = r[1];
        }
        int[] table = new int[maxBatchSize + 1];
        int e = 0;
        int k = 0;
        for (int bs = 1; bs <= maxBatchSize; bs++) {
            while (e < ranges.length && ranges[e][0] <= bs) {
                k = ranges[e][2];
                e++;
            }
            table[bs] = Math.min(runtimeK, k);
        }
        return new BatchSizeSchedule(table);
    }

    /**
     * TensorRT-LLM's {@code draft_len_schedule}: {@code thresholds[i] = {maxBatch, K}}, increasing in batch size;
     * batches above the last threshold get 0.
     *
     * @param maxBatchSize the largest batch the table covers
     */
    public static BatchSizeSchedule ofThresholds(int[][] thresholds, int maxBatchSize) {
        if (thresholds == null || thresholds.length == 0) {
            throw new IllegalArgumentException("a draft-length schedule needs at least one {maxBatch, K} entry");
        }
        int[][] ranges = new int[thresholds.length + 1][];
        int lo = 1;
        int runtimeK = 0;
        for (int e = 0; e < thresholds.length; e++) {
            int[] t = thresholds[e];
            if (t == null || t.length != 2 || t[0] < lo || t[1] < 0) {
                throw new IllegalArgumentException("entry " + e + " must be {maxBatch, K} with maxBatch increasing"
                        + " from 1 and K >= 0, got " + Arrays.toString(t));
            }
            ranges[e] = new int[] {lo, t[0], t[1]};
            runtimeK = Math.max(runtimeK, t[1]);
            lo = t[0] + 1;
        }
        ranges[thresholds.length] = new int[] {lo, Math.max(lo, maxBatchSize), 0};
        return ofRanges(ranges, runtimeK, Math.max(maxBatchSize, lo));
    }

    /**
     * K for a batch of {@code batchSize} sequences.
     *
     * @throws IllegalArgumentException if {@code batchSize} is negative or above the schedule's max batch size
     */
    public int lookup(int batchSize) {
        if (batchSize < 0 || batchSize >= table.length) {
            throw new IllegalArgumentException("batch size " + batchSize + " is outside the schedule's [0, "
                    + (table.length - 1) + "]; raise maxBatchSize to max-num-seqs");
        }
        return table[batchSize];
    }

    /** The largest batch size covered. */
    public int maxBatchSize() {
        return table.length - 1;
    }

    @Override
    public int draftLength(DraftBatch batch) {
        return lookup(Math.min(batch.size(), table.length - 1));
    }
}
