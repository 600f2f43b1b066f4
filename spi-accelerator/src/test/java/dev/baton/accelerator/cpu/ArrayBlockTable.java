package dev.baton.accelerator.cpu;

import dev.baton.api.plan.BlockTable;

import java.util.Arrays;

/** A growable block table over an int array, for tests that build plans by hand. */
final class ArrayBlockTable implements BlockTable {
    int[] ids = new int[8];
    int size;

    void add(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int blockId(int index) {
        return ids[index];
    }
}
