package dev.baton.kv.pool;

/**
 * A count-min sketch of 4-bit counters with periodic halving: TinyLFU's approximate, aging frequency histogram
 * (Einziger, Friedman, Manes: "TinyLFU: A Highly Efficient Cache Admission Policy", ACM ToS 2017; Caffeine's
 * {@code FrequencySketch}). It remembers how often a block's content was used recently, including content that has
 * since been evicted, in 32 to 64 bytes per pool block (each row has 8 to 16 counters per block: sparse rows keep
 * the many one-off blocks of serving traffic from inflating each other's estimates).
 *
 * <p>Four rows, each indexed by a different mix of the 64-bit key; {@link #frequency} is the minimum of the four
 * counters. Counters saturate at 15. After {@code 10 * capacity} increments every counter is halved, so frequency
 * reflects the recent past and content that stopped being used fades. Allocation-free; confined to one thread.
 */
final class FrequencySketch {

    private static final long[] SEEDS = {0x9E3779B97F4A7C15L, 0xC2B2AE3D27D4EB4FL, 0x165667B19E3779F9L,
        0xD6E8FEB86659FD93L};

    private final byte[] counters;
    private final int rowMask;
    private final int rowShift;
    private final int sampleSize;
    private int additions;

    FrequencySketch(int capacity) {
        // Capped at 4 Mi counters a row (16 MiB in all): beyond ~500K blocks estimates get a little coarser.
        int width = Math.min(1 << 22, Integer.highestOneBit(Math.max(16, capacity - 1) << 1) * 8);
        counters = new byte[4 * width];
        rowMask = width - 1;
        rowShift = Integer.numberOfTrailingZeros(width);
        sampleSize = (int) Math.min(Integer.MAX_VALUE, 10L * Math.max(16, capacity));
    }

    int frequency(long key) {
        int f = 15;
        for (int row = 0; row < 4; row++) {
            f = Math.min(f, counters[index(key, row)]);
        }
        return f;
    }

    void increment(long key) {
        int f = frequency(key);
        if (f == 15) {
            return;
        }
        // Conservative update: raise only the counters at the minimum, which keeps over-estimates small.
        for (int row = 0; row < 4; row++) {
            int i = index(key, row);
            if (counters[i] == f) {
                counters[i]++;
            }
        }
        if (++additions == sampleSize) {
            age();
        }
    }

    private void age() {
        for (int i = 0; i < counters.length; i++) {
            counters[i] = (byte) (counters[i] >>> 1);
        }
        additions /= 2;
    }

    private int index(long key, int row) {
        long h = (key ^ (key >>> 29)) * SEEDS[row];
        return (row << rowShift) | ((int) (h >>> 40) & rowMask);
    }
}
