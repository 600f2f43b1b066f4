package dev.baton.kv.pool;

/**
 * The order in which a {@link BlockPool} reuses its free blocks. A policy sorts free blocks into segments (intrusive
 * lists inside the pool), says at which end a freed block joins which segment, and which segment the next victim
 * comes from; the pool does all list surgery, so every policy keeps the pool's O(1), allocation-free operations.
 *
 * <p>Built-in policies:
 * <ul>
 *   <li>{@link #lru()}: vLLM v1's order, exactly (the default).</li>
 *   <li>{@link #frequency()}: a frequency-aware, scan-resistant segmented LRU whose protected segment is chosen by
 *   TinyLFU's aging frequency sketch, evicting leaves only.</li>
 *   <li>{@link #priority(int)}: TensorRT-LLM's retention priorities (0..100, lowest first, LRU within, expiring back
 *   to the default), evicting leaves only.</li>
 * </ul>
 *
 * <p>A policy instance belongs to one pool; it is confined to the pool's (engine) thread.
 */
public abstract sealed class EvictionPolicy permits LruOrder, FrequencyOrder, PriorityOrder {

    private boolean bound;

    EvictionPolicy() {
    }

    /** vLLM v1's least-recently-freed order: never-used blocks in id order, blocks without a hash reused first. */
    public static EvictionPolicy lru() {
        return new LruOrder();
    }

    /** The frequency-aware, scan-resistant order with its default frequent share (see {@link FrequencyOrder}). */
    public static EvictionPolicy frequency() {
        return new FrequencyOrder(FrequencyOrder.DEFAULT_FREQUENT_SHARE);
    }

    /**
     * The frequency-aware order with a given frequent share.
     *
     * @param frequentShare fraction of the pool that free, frequently used blocks may fill before they are evicted
     *                      too (below it only the other blocks are), in (0, 1)
     */
    public static EvictionPolicy frequency(double frequentShare) {
        return new FrequencyOrder(frequentShare);
    }

    /**
     * TensorRT-LLM's priority retention: each released cached block carries a priority in
     * {@code [0, 100]} (set with {@link PriorityOrder#setRetention}); the lowest priority is evicted first, least
     * recently freed first within a priority; a priority with a duration reverts to {@code defaultPriority} once it
     * expires ({@link PriorityOrder#refresh}).
     */
    public static PriorityOrder priority(int defaultPriority) {
        return new PriorityOrder(defaultPriority);
    }

    /** A short name ({@code lru}, {@code frequency}, {@code priority}). */
    public abstract String name();

    @Override
    public String toString() {
        return name();
    }

    // ---------------------------------------------------------------- hooks called by BlockPool (engine thread)

    final void bind(BlockPool pool, int numBlocks) {
        if (bound) {
            throw new IllegalStateException("an eviction policy instance serves one pool; create another");
        }
        bound = true;
        attach(pool, numBlocks);
    }

    /** Sizes per-block state; {@code pool} is not yet initialised. */
    void attach(BlockPool pool, int numBlocks) {
    }

    /** Segments, including the parked segment if any; at most 127. Segment 0 holds never-used blocks at start. */
    abstract int numSegments();

    /** The segment of interior blocks waiting for their children to go, or -1 for no leaf rule. */
    int parkedSegment() {
        return -1;
    }

    /** Where a block whose reference count dropped to 0 goes: {@code s} to append to segment s, {@code ~s} to prepend. */
    abstract int placeOnRelease(BlockPool pool, int block);

    /** A segment with at least one block to take the next victim from; called only while the pool has a free block. */
    abstract int victimSegment(int[] segmentSize);

    /** Whether a free block whose hash is dropped without eviction keeps its place (vLLM) or moves as unhashed. */
    boolean keepsPositionWhenUncached() {
        return false;
    }

    void onCached(int block, long fingerprint) {
    }

    /** Called before the pool clears the block's cache state ({@code evicted}: by {@link BlockPool#allocate}). */
    void onUncached(BlockPool pool, int block, boolean evicted) {
    }

    void onHit(int block) {
    }
}
