package dev.baton.kv.pool;

/**
 * TensorRT-LLM's priority-based retention ({@code evictionPolicy.cpp}, {@code KvCacheRetentionConfig}): every cached
 * free block carries a retention priority in {@code [0, 100]}; the victim is the least recently freed block of the
 * lowest non-empty priority; a priority given with a duration reverts to the default priority (35 in TensorRT-LLM)
 * once it expires. Blocks without a hash are reused first, and only leaves are evicted (a block with cached children
 * is parked until they are gone), as in TensorRT-LLM where only leaf blocks enter the free queues.
 *
 * <p>Segments: 0 = blocks without a hash (prepended), {@code 1 + p} = priority {@code p}, 102 = parked. Expiries are
 * kept in an indexed binary min-heap over block ids, so {@link #setRetention} and {@link #refresh} are
 * O(log n) and allocate nothing. Confined to the pool's thread.
 */
public final class PriorityOrder extends EvictionPolicy {

    public static final int MIN_PRIORITY = 0;
    public static final int MAX_PRIORITY = 100;

    private static final int UNHASHED = 0;
    private static final int PARKED = MAX_PRIORITY + 2;
    private static final long NEVER = Long.MAX_VALUE;

    private final int defaultPriority;
    private BlockPool pool;
    private byte[] priority;
    private long[] expiry;
    private int[] heap;
    private int[] heapIndex;
    private int heapSize;

    PriorityOrder(int defaultPriority) {
        checkPriority(defaultPriority);
        this.defaultPriority = defaultPriority;
    }

    @Override
    public String name() {
        return "priority";
    }

    public int defaultPriority() {
        return defaultPriority;
    }

    /** The retention priority a block has now. */
    public int priorityOf(int block) {
        return priority[block];
    }

    /**
     * Sets the retention of a block before it is released: priority {@code p} until {@code expiresAt} (a time on
     * the clock passed to {@link #refresh}), then the default; {@code Long.MAX_VALUE} for no expiry. If the block is
     * free it moves to the tail of its new priority.
     */
    public void setRetention(int block, int p, long expiresAt) {
        checkPriority(p);
        priority[block] = (byte) p;
        if (expiresAt == NEVER || p == defaultPriority) {
            heapRemove(block);
            expiry[block] = NEVER;
        } else {
            expiry[block] = expiresAt;
            if (heapIndex[block] < 0) {
                heapInsert(block);
            } else {
                int i = heapIndex[block];
                siftUp(i);
                siftDown(heapIndex[block]);
            }
        }
        pool.repositionFree(block);
    }

    /**
     * Reverts every priority that expired at or before {@code now} to the default (TensorRT-LLM's
     * {@code refresh()}); expired free blocks move to the tail of the default priority.
     */
    public void refresh(long now) {
        while (heapSize > 0 && expiry[heap[0]] <= now) {
            int b = heap[0];
            heapRemove(b);
            expiry[b] = NEVER;
            priority[b] = (byte) defaultPriority;
            pool.repositionFree(b);
        }
    }

    @Override
    void attach(BlockPool pool, int numBlocks) {
        this.pool = pool;
        priority = new byte[numBlocks];
        java.util.Arrays.fill(priority, (byte) defaultPriority);
        expiry = new long[numBlocks];
        java.util.Arrays.fill(expiry, NEVER);
        heap = new int[numBlocks];
        heapIndex = new int[numBlocks];
        java.util.Arrays.fill(heapIndex, -1);
    }

    @Override
    int numSegments() {
        return PARKED + 1;
    }

    @Override
    int parkedSegment() {
        return PARKED;
    }

    @Override
    int placeOnRelease(BlockPool pool, int block) {
        return pool.isCached(block) ? 1 + priority[block] : ~UNHASHED;
    }

    @Override
    int victimSegment(int[] size) {
        if (size[UNHASHED] > 0) {
            return UNHASHED;
        }
        for (int s = 1; s <= MAX_PRIORITY + 1; s++) {
            if (size[s] > 0) {
                return s;
            }
        }
        return PARKED;
    }

    @Override
    void onUncached(BlockPool pool, int block, boolean evicted) {
        heapRemove(block);
        expiry[block] = NEVER;
        priority[block] = (byte) defaultPriority;
    }

    private static void checkPriority(int p) {
        if (p < MIN_PRIORITY || p > MAX_PRIORITY) {
            throw new IllegalArgumentException("retention priority must be in [" + MIN_PRIORITY + ", "
                    + MAX_PRIORITY + "], got " + p);
        }
    }

    // ---------------------------------------------------------------- indexed min-heap on expiry

    private void heapInsert(int b) {
        int i = heapSize++;
        heap[i] = b;
        heapIndex[b] = i;
        siftUp(i);
    }

    private void heapRemove(int b) {
        int i = heapIndex[b];
        if (i < 0) {
            return;
        }
        int last = heap[--heapSize];
        heapIndex[b] = -1;
        if (i < heapSize) {
            heap[i] = last;
            heapIndex[last] = i;
            siftUp(i);
            siftDown(heapIndex[last]);
        }
    }

    private void siftUp(int i) {
        int b = heap[i];
        long key = expiry[b];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            int pb = heap[parent];
            if (expiry[pb] <= key) {
                break;
            }
            heap[i] = pb;
            heapIndex[pb] = i;
            i = parent;
        }
        heap[i] = b;
        heapIndex[b] = i;
    }

    private void siftDown(int i) {
        int b = heap[i];
        long key = expiry[b];
        for (;;) {
            int c = 2 * i + 1;
            if (c >= heapSize) {
                break;
            }
            if (c + 1 < heapSize && expiry[heap[c + 1]] < expiry[heap[c]]) {
                c++;
            }
            int cb = heap[c];
            if (expiry[cb] >= key) {
                break;
            }
            heap[i] = cb;
            heapIndex[cb] = i;
            i = c;
        }
        heap[i] = b;
        heapIndex[b] = i;
    }
}
