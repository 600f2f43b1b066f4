package dev.baton.kv.pool;

/**
 * vLLM v1's free-list order ({@code FreeKVCacheBlockQueue}), kept exactly: one queue; at construction the blocks in
 * id order; a freed block without a hash prepended (LIFO reuse), a freed block with a hash appended (LRU eviction);
 * the victim is the head. Chains are evicted tail first because callers free a sequence's blocks in reverse order.
 */
final class LruOrder extends EvictionPolicy {

    @Override
    public String name() {
        return "lru";
    }

    @Override
    int numSegments() {
        return 1;
    }

    @Override
    int placeOnRelease(BlockPool pool, int block) {
        return pool.isCached(block) ? 0 : ~0;
    }

    @Override
    int victimSegment(int[] segmentSize) {
        return 0;
    }

    @Override
    boolean keepsPositionWhenUncached() {
        return true;
    }
}
