package dev.baton.kv;

import dev.baton.api.Clock;

import java.util.List;
import java.util.Objects;

/**
 * How a {@link KvCacheManager} is sized and behaves.
 *
 * @param blockSize            tokens per block
 * @param numDeviceBlocks      device blocks including the null block 0 (so {@code numDeviceBlocks - 1} are usable)
 * @param numHostBlocks        host-tier blocks (0: no host tier, no swap, no offload); with sliding-window groups
 *                             the host tier serves swap preemption only (no offload, no host-tier prefix hits)
 * @param enablePrefixCaching  whether full blocks are hashed and shared
 * @param hashAlgorithm        how block hashes are computed
 * @param hashSeed             the root of every hash chain; deployments that share a cache index (router, other
 *                             tiers) use the same seed
 * @param groups               KV-cache groups (one {@link KvGroupSpec#FULL} for plain models)
 * @param evictionPolicy       which cached free block is reused first
 * @param offloadPolicy        whether evicted device blocks are copied to the host tier
 * @param enableEvents         whether {@link KvCacheEvent}s are recorded
 * @param clock                time base of retention durations ({@link EvictionPolicyKind#PRIORITY})
 */
public record KvCacheConfig(int blockSize, int numDeviceBlocks, int numHostBlocks, boolean enablePrefixCaching,
                            HashAlgorithm hashAlgorithm, long hashSeed, List<KvGroupSpec> groups,
                            EvictionPolicyKind evictionPolicy, OffloadPolicyKind offloadPolicy, boolean enableEvents,
                            Clock clock) {

    /** Block hash functions. */
    public enum HashAlgorithm {
        /** A fast 128-bit non-cryptographic hash; hits are additionally verified against stored tokens. */
        FAST_128,
        /** SHA-256 (vLLM's default): collision-resistant, for untrusted multi-tenant deployments. */
        SHA_256
    }

    /** Eviction orders for cached free blocks. */
    public enum EvictionPolicyKind {
        /** vLLM v1: least recently freed first; a chain's tail before its head. */
        LRU,
        /**
         * Frequency-aware and scan-resistant: a segmented LRU whose protected segment holds the content TinyLFU's
         * aging sketch counts as frequently used, evicting leaves only. Keeps popular prefixes (templates, frequent
         * users' contexts) when one-off documents flood the cache.
         */
        FREQUENCY,
        /**
         * TensorRT-LLM's retention priorities: each sequence's {@link KvRetention} ranks its released blocks
         * (0..100, default 35), lowest first, least recently freed first within a priority, leaves only.
         */
        PRIORITY
    }

    /** Host-tier offload decisions. */
    public enum OffloadPolicyKind {
        /** Never offload; evicted blocks are gone. */
        NONE,
        /** Offload every evicted hashed block to the host tier when it has room (evicting host LRU). */
        ALL,
        /** Offload a block only once it has been hit at least twice (vLLM's reuse filter). */
        REUSED
    }

    public KvCacheConfig {
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be at least 1, got " + blockSize);
        }
        if (numDeviceBlocks < 2) {
            throw new IllegalArgumentException("numDeviceBlocks must be at least 2 (block 0 is reserved), got "
                    + numDeviceBlocks);
        }
        if (numHostBlocks < 0) {
            throw new IllegalArgumentException("numHostBlocks must not be negative, got " + numHostBlocks);
        }
        Objects.requireNonNull(hashAlgorithm, "hashAlgorithm");
        groups = List.copyOf(groups);
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("at least one KV-cache group is needed");
        }
        Objects.requireNonNull(evictionPolicy, "evictionPolicy");
        Objects.requireNonNull(offloadPolicy, "offloadPolicy");
        Objects.requireNonNull(clock, "clock");
        if ((long) numDeviceBlocks * blockSize > Integer.MAX_VALUE - 8
                || (long) numHostBlocks * blockSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("blocks * blockSize must stay below 2^31 token slots per tier, got "
                    + numDeviceBlocks + " device and " + numHostBlocks + " host blocks of " + blockSize
                    + " tokens; use fewer or larger blocks");
        }
    }

    /** A builder initialised with this configuration, to derive a variant. */
    public Builder toBuilder() {
        return new Builder().blockSize(blockSize).numDeviceBlocks(numDeviceBlocks).numHostBlocks(numHostBlocks)
                .enablePrefixCaching(enablePrefixCaching).hashAlgorithm(hashAlgorithm).hashSeed(hashSeed)
                .groups(groups).evictionPolicy(evictionPolicy).offloadPolicy(offloadPolicy)
                .enableEvents(enableEvents).clock(clock);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builder with vLLM v1's defaults: block size 16, prefix caching on, LRU, no host tier. */
    public static final class Builder {
        private int blockSize = 16;
        private int numDeviceBlocks = 1024;
        private int numHostBlocks;
        private boolean enablePrefixCaching = true;
        private HashAlgorithm hashAlgorithm = HashAlgorithm.FAST_128;
        private long hashSeed;
        private List<KvGroupSpec> groups = List.of(KvGroupSpec.FULL);
        private EvictionPolicyKind evictionPolicy = EvictionPolicyKind.LRU;
        private OffloadPolicyKind offloadPolicy = OffloadPolicyKind.NONE;
        private boolean enableEvents;
        private Clock clock = Clock.system();

        private Builder() {
        }

        public Builder blockSize(int v) {
            blockSize = v;
            return this;
        }

        public Builder numDeviceBlocks(int v) {
            numDeviceBlocks = v;
            return this;
        }

        public Builder numHostBlocks(int v) {
            numHostBlocks = v;
            return this;
        }

        public Builder enablePrefixCaching(boolean v) {
            enablePrefixCaching = v;
            return this;
        }

        public Builder hashAlgorithm(HashAlgorithm v) {
            hashAlgorithm = v;
            return this;
        }

        public Builder hashSeed(long v) {
            hashSeed = v;
            return this;
        }

        public Builder groups(List<KvGroupSpec> v) {
            groups = v;
            return this;
        }

        public Builder evictionPolicy(EvictionPolicyKind v) {
            evictionPolicy = v;
            return this;
        }

        public Builder offloadPolicy(OffloadPolicyKind v) {
            offloadPolicy = v;
            return this;
        }

        public Builder enableEvents(boolean v) {
            enableEvents = v;
            return this;
        }

        public Builder clock(Clock v) {
            clock = v;
            return this;
        }

        public KvCacheConfig build() {
            return new KvCacheConfig(blockSize, numDeviceBlocks, numHostBlocks, enablePrefixCaching, hashAlgorithm,
                    hashSeed, groups, evictionPolicy, offloadPolicy, enableEvents, clock);
        }
    }
}
