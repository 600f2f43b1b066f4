package dev.baton.accelerator;

/**
 * Optional: an {@link Accelerator} that lets callers read and write the contents of single KV blocks implements this
 * interface too. Conformance tests use it to check that block moves preserve data and that the null block is never
 * written; tools use it to inspect or seed a cache. Providers that hold no KV data (the simulated device) do not
 * implement it, and data checks are skipped for them.
 *
 * <h2>Bytes of a block</h2>
 * One block is {@link KvCacheLayout#bytesPerBlock()} bytes: for each layer in order, the block's K slab then its V slab,
 * each {@code [blockSize, kvHeads, headDim]} row-major in the model's {@linkplain ModelShape#kvDtype() KV data type},
 * little-endian. This is also the layout of a host-tier block, so a swap moves these bytes unchanged.
 *
 * <p>Calls come from the engine thread between steps (never while a step is launched and not yet awaited).
 */
public interface KvBlockAccess {

    /** A KV memory tier. */
    enum Tier {
        /** Device memory, block ids {@code 0 .. numDeviceBlocks - 1}; block 0 is the null block. */
        DEVICE,
        /** The host tier, block ids {@code 0 .. numHostBlocks - 1}. */
        HOST
    }

    /**
     * Copies the bytes of block {@code blockId} of {@code tier} into {@code dst[offset ..]}. A host block that was never
     * written reads as zeros.
     *
     * @throws IllegalArgumentException if the id is outside the tier or {@code dst} is too short
     */
    void readBlock(Tier tier, int blockId, byte[] dst, int offset);

    /**
     * Overwrites block {@code blockId} of {@code tier} with {@code src[offset ..]}.
     *
     * @throws IllegalArgumentException if the id is outside the tier, names the device's null block 0, or {@code src}
     *                                  is too short
     */
    void writeBlock(Tier tier, int blockId, byte[] src, int offset);
}
