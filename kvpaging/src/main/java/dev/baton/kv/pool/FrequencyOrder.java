package dev.baton.kv.pool;

/**
 * A frequency-aware, scan-resistant eviction order for prefix-cache blocks.
 *
 * <h2>Why</h2>
 * LRU (vLLM's order) ranks blocks by recency alone. In multi-turn serving traffic, reuse is very skewed (Mooncake,
 * FAST'25: more than half the blocks are never reused while a few are hit tens of thousands of times): popular
 * prompt templates and the persistent contexts of frequent users come back again and again at intervals of minutes,
 * while one-off documents and finished conversations never do. Under LRU, every burst of one-off blocks pushes the
 * popular prefixes out.
 *
 * <h2>Algorithm</h2>
 * Segmented LRU (Karedla, Love, Wherry, 1994; the 2Q idea of Johnson and Shasha, VLDB'94) whose protected segment is
 * chosen by recent <em>frequency</em>, estimated with TinyLFU's aging count-min sketch (Einziger, Friedman, Manes,
 * ACM ToS 2017; Caffeine):
 * <ul>
 *   <li>A {@link FrequencySketch} counts, per block content (hash fingerprint), how often it was cached or hit; it
 *   remembers content after eviction, and halves its counters periodically, so content that stops being used fades
 *   (the fix for LFU's stale favourites).</li>
 *   <li><b>unhashed</b> (segment 0): free blocks without a hash, prepended and reused first (vLLM's LIFO rule).</li>
 *   <li><b>recent</b> (1): cached blocks whose content was used fewer than {@value #HOT} times recently, least
 *   recently freed first: one-off documents, new conversation turns.</li>
 *   <li><b>frequent</b> (2): cached blocks whose content was used at least {@value #HOT} times recently, least
 *   recently freed first: templates, frequent users' contexts, long-running conversations.</li>
 *   <li><b>parked</b> (3): interior blocks waiting for their children, see below.</li>
 * </ul>
 * The victim comes from <em>frequent</em> only while free frequent blocks exceed {@code frequentShare} (60% by
 * default) of the pool, else from <em>recent</em>. So a flood of one-off blocks, however long, can only displace other
 * recent blocks and never the frequent ones, and recent content (a conversation that has just started) still keeps
 * the rest of the cache in plain LRU order. On the generated multi-turn workload of {@code baton kv-replay} it
 * beats LRU by 1% to 44% (relative) depending on the capacity, the gain growing as the cache gets tighter.
 *
 * <p><b>Leaf rule.</b> A chain may only be evicted tail first, never cut in the middle (TensorRT-LLM evicts leaf
 * blocks only; SGLang keeps a heap of evictable leaves): a cached block that reaches the head of its segment while it
 * still has cached children is parked, and returns to the head of its segment when its last child leaves the cache.
 * Parked blocks are used only when nothing else is free.
 *
 * <p>All operations are O(1) amortised (each parking is paid for by an earlier release, each sketch ageing by
 * {@code 10 * capacity} increments) and allocation-free. Confined to the pool's thread.
 */
final class FrequencyOrder extends EvictionPolicy {

    static final double DEFAULT_FREQUENT_SHARE = 0.6;

    /** Recent uses (cached or hit) that make content frequent. */
    static final int HOT = 3;

    static final int UNHASHED = 0;
    static final int RECENT = 1;
    static final int FREQUENT = 2;
    static final int PARKED = 3;

    private final double frequentShare;
    private long[] fingerprint;
    private FrequencySketch sketch;
    private double frequentQuota;

    FrequencyOrder(double frequentShare) {
        if (!(frequentShare > 0 && frequentShare < 1)) {
            throw new IllegalArgumentException("frequentShare must be in (0, 1), got " + frequentShare);
        }
        this.frequentShare = frequentShare;
    }

    @Override
    public String name() {
        return "frequency";
    }

    @Override
    void attach(BlockPool pool, int numBlocks) {
        fingerprint = new long[numBlocks];
        frequentQuota = frequentShare * pool.numUsable();
        sketch = new FrequencySketch(numBlocks);
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
        return sketch.frequency(fingerprint[block]) >= HOT ? FREQUENT : RECENT;
    }

    @Override
    int victimSegment(int[] size) {
        if (size[UNHASHED] > 0) {
            return UNHASHED;
        }
        int recent = size[RECENT];
        int frequent = size[FREQUENT];
        if (frequent > 0 && (recent == 0 || frequent > frequentQuota)) {
            return FREQUENT;
        }
        return recent > 0 ? RECENT : PARKED;
    }

    /** How often the content of a cached block was used recently (for tests and diagnostics). */
    int frequency(int block) {
        return sketch.frequency(fingerprint[block]);
    }

    @Override
    void onCached(int block, long fp) {
        fingerprint[block] = fp;
        sketch.increment(fp);
    }

    @Override
    void onHit(int block) {
        sketch.increment(fingerprint[block]);
    }
}
