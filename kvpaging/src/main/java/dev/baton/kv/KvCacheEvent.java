package dev.baton.kv;

import java.util.List;

/**
 * What a router needs to mirror an engine's prefix cache, with vLLM's event semantics ({@code BlockStored},
 * {@code BlockRemoved}, {@code AllBlocksCleared}) and the tier ("medium") the blocks live in.
 */
public sealed interface KvCacheEvent {

    /** Where a block lives. */
    enum Medium { DEVICE, HOST }

    /**
     * Full blocks entered the cache, in chain order.
     *
     * @param hashes       their block hashes, parent first
     * @param parentHash   hash of the block before the first one, or {@code null} for a chain root
     * @param blockSize    tokens per block
     * @param loraName     adapter of the sequence, or {@code null}
     * @param medium       the tier
     * @param group        the KV-cache group
     */
    record BlockStored(List<BlockHash> hashes, BlockHash parentHash, int blockSize, String loraName, Medium medium,
                       int group) implements KvCacheEvent {
        public BlockStored {
            hashes = List.copyOf(hashes);
        }
    }

    /** A cached block's hash was dropped from a tier. */
    record BlockRemoved(BlockHash hash, Medium medium, int group) implements KvCacheEvent {
    }

    /** Every cached hash was dropped ({@link KvCacheManager#resetPrefixCache()}). */
    record AllBlocksCleared() implements KvCacheEvent {
    }
}
