package dev.baton.kv;

import dev.baton.api.plan.BlockTable;

/**
 * The KV state of one sequence, owned by a {@link KvCacheManager}: its block table per KV-cache group, the prefix
 * hit staged by the last lookup, and whether its blocks currently live in the host tier. Handles are created by
 * {@link KvCacheManager#open} and are confined to the engine thread.
 */
public interface KvSequence {

    /** The sequence's device block table for KV-cache group {@code group} (a live view; do not retain). */
    BlockTable blockTable(int group);

    /** Tokens served by the prefix cache in the last {@link KvCacheManager#lookupPrefix} (0 before any lookup). */
    int prefixHitTokens();

    /** Whether the sequence's blocks were swapped out to the host tier and must be swapped in before it runs. */
    boolean isSwappedOut();

    /** Whether the sequence currently holds device blocks. */
    boolean holdsBlocks();
}
