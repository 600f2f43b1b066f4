package dev.baton.accelerator;

/**
 * The KV memory a device offers, in fixed-size blocks, per tier.
 *
 * <h2>Physical layout</h2>
 * Every provider that holds real KV (the CPU reference device, the CUDA binding) lays the device tier out as a GPU
 * engine does: for each layer, one K tensor and one V tensor of shape {@code [numDeviceBlocks, blockSize, kvHeads,
 * headDim]} (row-major), so that the KV of token position {@code p} of a sequence lives in block
 * {@code table[p / blockSize]} at row {@code p % blockSize}. Block 0 is the null block and is never written. The host
 * tier has the same per-block layout, so a swap copies one contiguous {@code [blockSize, kvHeads, headDim]} slab per
 * layer and per K/V; a host block holds, for each layer in order, its K slab then its V slab (the byte order of
 * {@link KvBlockAccess}).
 *
 * @param blockSize            tokens per block
 * @param numDeviceBlocks      blocks in device memory (including the null block 0)
 * @param numHostBlocks        blocks in the host tier (0 when there is none)
 * @param bytesPerBlock        bytes of one block over all layers, K and V, on one device
 */
public record KvCacheLayout(int blockSize, int numDeviceBlocks, int numHostBlocks, long bytesPerBlock) {
    public KvCacheLayout {
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be at least 1, got " + blockSize);
        }
        if (numDeviceBlocks < 2) {
            throw new IllegalArgumentException("numDeviceBlocks must be at least 2 (block 0 is the null block), got "
                    + numDeviceBlocks);
        }
        if (numHostBlocks < 0) {
            throw new IllegalArgumentException("numHostBlocks must not be negative, got " + numHostBlocks);
        }
        if (bytesPerBlock < 1) {
            throw new IllegalArgumentException("bytesPerBlock must be positive, got " + bytesPerBlock);
        }
    }

    /** Tokens of KV the device tier holds, not counting the null block. */
    public long deviceTokenCapacity() {
        return (long) (numDeviceBlocks - 1) * blockSize;
    }
}
