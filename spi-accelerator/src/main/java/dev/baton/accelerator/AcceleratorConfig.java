package dev.baton.accelerator;

import dev.baton.api.Clock;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How to open an accelerator. Names and defaults follow vLLM's engine arguments where one exists
 * ({@code block-size 16}, {@code gpu-memory-utilization 0.9}, {@code num-gpu-blocks-override}, {@code swap-space 4 GiB},
 * {@code tensor-parallel-size 1}).
 *
 * @param profile                 provider-specific device/model profile, e.g. {@code "h100/llama-3.1-8b"} for
 *                                {@code sim}; empty for the provider's default
 * @param parallelism             tensor and pipeline parallelism
 * @param clock                   the engine's clock (a simulated device advances a {@link dev.baton.api.VirtualClock})
 * @param blockSize               tokens per KV block
 * @param gpuMemoryUtilization    fraction of device memory for weights, activations and KV, in (0, 1]
 * @param numGpuBlocksOverride    if positive, the number of device KV blocks regardless of memory planning
 * @param maxNumBatchedTokens     the engine's token budget per step (sizes the activation reserve)
 * @param hostKvBytes             bytes of host memory for the KV host tier (swap and offload), per device
 * @param seed                    seed for anything random the device does (weights of a reference model, token ids
 *                                of a simulated one)
 * @param options                 provider-specific options ({@code key=value}); unknown keys are rejected by the
 *                                provider with the list of keys it knows
 */
public record AcceleratorConfig(String profile, Parallelism parallelism, Clock clock, int blockSize,
                                double gpuMemoryUtilization, int numGpuBlocksOverride, int maxNumBatchedTokens,
                                long hostKvBytes, long seed, Map<String, String> options) {

    public static final int DEFAULT_BLOCK_SIZE = 16;
    public static final double DEFAULT_GPU_MEMORY_UTILIZATION = 0.9;
    public static final long DEFAULT_HOST_KV_BYTES = 4L << 30;

    public AcceleratorConfig {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(parallelism, "parallelism");
        Objects.requireNonNull(clock, "clock");
        if (blockSize < 1 || blockSize > 1024) {
            throw new IllegalArgumentException("block-size must be in [1, 1024], got " + blockSize);
        }
        if (!(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
            throw new IllegalArgumentException("gpu-memory-utilization must be in (0, 1], got " + gpuMemoryUtilization);
        }
        if (numGpuBlocksOverride < 0) {
            throw new IllegalArgumentException("num-gpu-blocks-override must not be negative, got "
                    + numGpuBlocksOverride);
        }
        if (maxNumBatchedTokens < 1) {
            throw new IllegalArgumentException("max-num-batched-tokens must be positive, got " + maxNumBatchedTokens);
        }
        if (hostKvBytes < 0) {
            throw new IllegalArgumentException("host KV bytes (swap-space) must not be negative, got " + hostKvBytes);
        }
        options = Map.copyOf(options);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A provider-specific option, or {@code fallback}. */
    public String option(String key, String fallback) {
        return options.getOrDefault(key, fallback);
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.profile = profile;
        b.parallelism = parallelism;
        b.clock = clock;
        b.blockSize = blockSize;
        b.gpuMemoryUtilization = gpuMemoryUtilization;
        b.numGpuBlocksOverride = numGpuBlocksOverride;
        b.maxNumBatchedTokens = maxNumBatchedTokens;
        b.hostKvBytes = hostKvBytes;
        b.seed = seed;
        b.options.putAll(options);
        return b;
    }

    /** Builder with vLLM's defaults. */
    public static final class Builder {
        private String profile = "";
        private Parallelism parallelism = Parallelism.NONE;
        private Clock clock = Clock.system();
        private int blockSize = DEFAULT_BLOCK_SIZE;
        private double gpuMemoryUtilization = DEFAULT_GPU_MEMORY_UTILIZATION;
        private int numGpuBlocksOverride;
        private int maxNumBatchedTokens = 8192;
        private long hostKvBytes = DEFAULT_HOST_KV_BYTES;
        private long seed;
        private final Map<String, String> options = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder profile(String profile) {
            this.profile = profile;
            return this;
        }

        public Builder parallelism(Parallelism parallelism) {
            this.parallelism = parallelism;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Builder blockSize(int blockSize) {
            this.blockSize = blockSize;
            return this;
        }

        public Builder gpuMemoryUtilization(double fraction) {
            this.gpuMemoryUtilization = fraction;
            return this;
        }

        public Builder numGpuBlocksOverride(int blocks) {
            this.numGpuBlocksOverride = blocks;
            return this;
        }

        public Builder maxNumBatchedTokens(int tokens) {
            this.maxNumBatchedTokens = tokens;
            return this;
        }

        public Builder hostKvBytes(long bytes) {
            this.hostKvBytes = bytes;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder option(String key, String value) {
            options.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        public AcceleratorConfig build() {
            return new AcceleratorConfig(profile, parallelism, clock, blockSize, gpuMemoryUtilization,
                    numGpuBlocksOverride, maxNumBatchedTokens, hostKvBytes, seed, options);
        }
    }
}
