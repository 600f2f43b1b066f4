package dev.baton.kv;

/**
 * Counters of a {@link KvCacheManager} since creation (a snapshot).
 *
 * @param numDeviceBlocks   device blocks, including the null block
 * @param freeDeviceBlocks  device blocks on the free list (cached or not)
 * @param numHostBlocks     host-tier blocks
 * @param freeHostBlocks    host-tier blocks not holding a swapped sequence or pinned
 * @param queriedTokens     prompt tokens looked up in the prefix cache
 * @param hitTokens         of those, tokens served from the cache (device or host tier)
 * @param hostHitTokens     of the hits, tokens served from the host tier
 * @param evictedBlocks     cached device blocks whose hash was dropped to reuse the block
 * @param offloadedBlocks   evicted device blocks copied to the host tier
 * @param swappedOutBlocks  blocks moved device to host by preemption
 * @param swappedInBlocks   blocks moved host to device
 * @param copiedBlocks      copy-on-write copies
 */
public record KvCacheStats(int numDeviceBlocks, int freeDeviceBlocks, int numHostBlocks, int freeHostBlocks,
                           long queriedTokens, long hitTokens, long hostHitTokens, long evictedBlocks,
                           long offloadedBlocks, long swappedOutBlocks, long swappedInBlocks, long copiedBlocks) {

    /** Fraction of queried prompt tokens served by the cache. */
    public double hitRate() {
        return queriedTokens == 0 ? 0 : (double) hitTokens / queriedTokens;
    }

    /** Fraction of usable device blocks in use. */
    public double usage() {
        int usable = numDeviceBlocks - 1;
        return usable <= 0 ? 0 : 1.0 - (double) freeDeviceBlocks / usable;
    }
}
