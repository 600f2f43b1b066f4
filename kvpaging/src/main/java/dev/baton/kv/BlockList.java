package dev.baton.kv;

import dev.baton.api.plan.BlockTable;

import java.util.Arrays;

/**
 * A growable list of block ids: a sequence's block table for one KV-cache group (the view the device reads), or the
 * host blocks of a swapped-out sequence. Grows by doubling and never shrinks, so a long-lived sequence stops
 * allocating once its table reached its working size. Engine thread only.
 */
final class BlockList implements BlockTable {

    private int[] ids;
    private int size;

    BlockList(int capacity) {
        ids = new int[Math.max(4, capacity)];
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int blockId(int index) {
        if (index >= size) {
            throw new IndexOutOfBoundsException("block " + index + " of a table with " + size);
        }
        return ids[index];
    }

    @Override
    public void copyTo(int from, int[] dst, int dstOffset, int len) {
        if (from + len > size) {
            throw new IndexOutOfBoundsException("blocks [" + from + ", " + (from + len) + ") of a table with " + size);
        }
        System.arraycopy(ids, from, dst, dstOffset, len);
    }

    int get(int index) {
        return ids[index];
    }

    void set(int index, int id) {
        ids[index] = id;
    }

    void add(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
    }

    void clear() {
        size = 0;
    }

    /** The backing array ({@code [0, size)} valid); for bulk pool operations. */
    int[] array() {
        return ids;
    }

    /** Writes the ids in reverse order (tail first) into {@code out}, which must hold {@code size} ids. */
    void reverseInto(int[] out) {
        for (int i = 0, j = size - 1; j >= 0; i++, j--) {
            out[i] = ids[j];
        }
    }

    @Override
    public String toString() {
        return Arrays.toString(Arrays.copyOf(ids, size));
    }
}
