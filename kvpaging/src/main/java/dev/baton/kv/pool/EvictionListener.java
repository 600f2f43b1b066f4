package dev.baton.kv.pool;

/**
 * Told by {@link BlockPool#allocate} that a cached free block is being handed out again (lazy eviction): the owner
 * drops the block's hash from its prefix index, and may first copy the block to another tier. Called on the engine
 * thread, before the block's cache state is cleared.
 */
@FunctionalInterface
public interface EvictionListener {

    /** Ignores evictions. */
    EvictionListener NONE = block -> { };

    void onEvict(int block);
}
