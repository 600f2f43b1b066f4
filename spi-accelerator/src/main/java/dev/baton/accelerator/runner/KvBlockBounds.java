package dev.baton.accelerator.runner;

import dev.baton.accelerator.KvBlockAccess.Tier;
import dev.baton.accelerator.KvCacheLayout;

/** The argument checks of {@link dev.baton.accelerator.KvBlockAccess}, shared by the devices that implement it. */
public final class KvBlockBounds {

    private KvBlockBounds() {
    }

    /**
     * Checks one {@code readBlock} / {@code writeBlock} call against {@code layout}.
     *
     * @throws IllegalArgumentException if the id is outside the tier, a write names the device's null block 0, or the
     *                                  buffer is too short
     */
    public static void check(KvCacheLayout layout, Tier tier, int blockId, byte[] buf, int offset, boolean write) {
        int limit = tier == Tier.DEVICE ? layout.numDeviceBlocks() : layout.numHostBlocks();
        if (blockId < 0 || blockId >= limit) {
            throw new IllegalArgumentException(tier + " block " + blockId + " is outside [0, " + limit + ")");
        }
        if (write && tier == Tier.DEVICE && blockId == 0) {
            throw new IllegalArgumentException("device block 0 is the null block and is never written");
        }
        if (offset < 0 || buf.length - offset < layout.bytesPerBlock()) {
            throw new IllegalArgumentException("a block is " + layout.bytesPerBlock() + " bytes; the buffer has "
                    + (buf.length - offset) + " from offset " + offset);
        }
    }
}
