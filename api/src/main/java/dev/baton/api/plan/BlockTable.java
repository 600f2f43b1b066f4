package dev.baton.api.plan;

/**
 * The KV block ids one sequence reads and writes, in position order: block {@code i} holds the KV of positions
 * {@code [i * blockSize, (i + 1) * blockSize)}. Block id 0 is the reserved null block (a placeholder for positions
 * whose KV is not kept, such as those that left a sliding window).
 *
 * <p>A view onto the KV manager's own storage: it is valid only while the step that references it is being
 * {@linkplain dev.baton.api.plan.StepPlan launched}, and must not be retained.
 */
public interface BlockTable {

    /** Number of blocks currently in the table. */
    int size();

    /** The block id at {@code index}, {@code 0 <= index < size()}. */
    int blockId(int index);

    /**
     * Copies {@code len} block ids starting at {@code from} into {@code dst}; allocation-free.
     */
    default void copyTo(int from, int[] dst, int dstOffset, int len) {
        for (int i = 0; i < len; i++) {
            dst[dstOffset + i] = blockId(from + i);
        }
    }
}
