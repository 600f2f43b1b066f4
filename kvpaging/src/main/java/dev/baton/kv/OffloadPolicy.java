package dev.baton.kv;

/**
 * Decides whether a cached device block that is being evicted is first copied to the host tier (vLLM's
 * {@code OffloadingManager} admission, TensorRT-LLM's secondary-pool offload on eviction). Called on the engine
 * thread for every evicted cached block; must not allocate.
 */
@FunctionalInterface
public interface OffloadPolicy {

    /** Never offload. */
    OffloadPolicy NONE = hits -> false;

    /** Offload every evicted cached block. */
    OffloadPolicy ALL = hits -> true;

    /**
     * Offload a block only once it has been reused: vLLM's {@code FilterReusedOffloadingManager} stores a block after
     * {@code store_threshold} (default 2) lookups; here, after {@code minHits} prefix hits while it was cached.
     */
    static OffloadPolicy reused(int minHits) {
        if (minHits < 1) {
            throw new IllegalArgumentException("minHits must be at least 1, got " + minHits);
        }
        return hits -> hits >= minHits;
    }

    /** The policy for a configuration value. */
    static OffloadPolicy of(KvCacheConfig.OffloadPolicyKind kind) {
        switch (kind) {
            case NONE:
                return NONE;
            case ALL:
                return ALL;
            case REUSED:
                return reused(2);
            default:
                throw new IllegalArgumentException("unknown offload policy " + kind);
        }
    }

    /**
     * @param hits prefix hits the block received while it was cached on the device
     * @return whether to copy it to the host tier before its device block is reused
     */
    boolean admits(int hits);
}
