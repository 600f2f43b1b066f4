package dev.baton.kv.pool;

/**
 * A scan-resistant, frequency-aware eviction order for prefix-cache blocks.
 *
 * <h2>Why</h2>
 * LRU (vLLM's order) treats a block used once exactly like a block that has served many requests: one long
 * one-off document pushes a returning user's whole conversation, or a tenant's shared prompt, out of the cache. In
 * multi-turn traffic most blocks are never reused (Mooncake, FAST'25: "more than 50% of blocks are never reused")
 * while the reused ones are reused many times.
 *
 * <h2>Algorithm</h2>
 * After S3-FIFO (Yang, Zhang, Qiu, Yue, Rashmi: "FIFO queues are all you need for cache eviction", SOSP'23), with
 * the protected segment of segmented LRU (Karedla, Love, Wherry, 1994) and CLOCK-style credits:
 * <ul>
 *   <li><b>unhashed</b> (segment 0): free blocks without a hash, prepended, reused first (vLLM's LIFO rule).</li>
 *   <li><b>probation</b> (1): cached blocks never hit since they were cached, in free order. Most one-off blocks
 *   die here without disturbing anything else.</li>
 *   <li><b>protected</b> (2): cached blocks hit at least once (or re-admitted through the ghost filter), least
 *   recently freed first; each hit earns a credit (at most 3), and a protected block reaching the head with a
 *   credit spends it and goes back to the tail instead of being evicted (frequency, not only recency, decides).</li>
 *   <li><b>parked</b> (3): interior blocks, see below.</li>
 * </ul>
 * The victim comes from probation while probation holds at least {@code probationShare} of the free cached blocks
 * (S3-FIFO's small queue, 10% by default), else from protected. A block evicted from probation without a hit leaves
 * its hash fingerprint in a <em>ghost</em> table (S3-FIFO's G; a direct-mapped array as large as the pool, newer
 * entries overwrite older ones); when the same content is cached again it is admitted straight to protected on its
 * next release, because it has now been used twice.
 *
 * <p><b>Leaf rule.</b> A chain may only be evicted tail first, never cut in the middle (TensorRT-LLM evicts leaf
 * blocks only; SGLang keeps a heap of evictable leaves): a cached block that reaches the head of its segment while
 * it still has cached children is parked, and it returns to the head of its segment when its last child leaves the
 * cache. Parked blocks are used only when nothing else is free. Hit counts never increase along a chain (a hit on a
 * child is a hit on its parent), so parents rarely wait long.
 *
 * <p>All operations are O(1) amortised (each credit and each parking is paid for by an earlier hit or free) and
 * allocation-free. Confined to the pool's thread.
 */
final class FrequencyOrder extends EvictionPolicy {

    static final double DEFAULT_PROBATION_SHARE = 0.1;

    static final int UNHASHED = 0;
    static final int PROBATION = 1;
    static final int PROTECTED = 2;
    static final int PARKED = 3;

    private static final int MAX_CREDIT = 3;

    private final double probationShare;
    private long[] fingerprint;
    private byte[] credit;
    private boolean[] admitted;
    private long[] ghost;
    private int ghostMask;

    FrequencyOrder(double probationShare) {
        if (!(probationShare > 0 && probationShare < 1)) {
            throw new IllegalArgumentException("probationShare must be in (0, 1), got " + probationShare);
        }
        this.probationShare = probationShare;
    }

    @Override
    public String name() {
        return "frequency";
    }

    @Override
    void attach(BlockPool pool, int numBlocks) {
        fingerprint = new long[numBlocks];
        credit = new byte[numBlocks];
        admitted = new boolean[numBlocks];
        int size = Integer.highestOneBit(Math.max(16, numBlocks - 1) << 1);
        ghost = new long[size];
        ghostMask = size - 1;
    }

    @Override
    int numSegments() {
        return 4;
    }

    @Override
    int parkedSegment() {
        return PARKED;
    }

    @Override
    int placeOnRelease(BlockPool pool, int block) {
        if (!pool.isCached(block)) {
            return ~UNHASHED;
        }
        return pool.hits(block) > 0 || admitted[block] ? PROTECTED : PROBATION;
    }

    @Override
    int victimSegment(int[] size) {
        if (size[UNHASHED] > 0) {
            return UNHASHED;
        }
        int probation = size[PROBATION];
        int protect = size[PROTECTED];
        if (probation > 0 && (protect == 0 || probation >= probationShare * (probation + protect))) {
            return PROBATION;
        }
        if (protect > 0) {
            return PROTECTED;
        }
        return probation > 0 ? PROBATION : PARKED;
    }

    @Override
    int secondChance(int block, int segment) {
        if (segment == PROTECTED && credit[block] > 0) {
            credit[block]--;
            return PROTECTED;
        }
        return -1;
    }

    @Override
    void onCached(int block, long fp) {
        fingerprint[block] = fp;
        credit[block] = 0;
        int slot = slot(fp);
        if (fp != 0 && ghost[slot] == fp) {
            ghost[slot] = 0;
            admitted[block] = true;
        } else {
            admitted[block] = false;
        }
    }

    @Override
    void onUncached(BlockPool pool, int block, boolean evicted) {
        if (evicted && pool.hits(block) == 0 && !admitted[block]) {
            long fp = fingerprint[block];
            if (fp != 0) {
                ghost[slot(fp)] = fp;
            }
        }
        admitted[block] = false;
        credit[block] = 0;
    }

    @Override
    void onHit(int block) {
        if (credit[block] < MAX_CREDIT) {
            credit[block]++;
        }
    }

    private int slot(long fp) {
        long h = fp * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & ghostMask;
    }
}
