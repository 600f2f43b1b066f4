package dev.baton.api.plan;

/**
 * A movement of one KV block's contents (all layers, K and V) that the device performs before the step's forward pass,
 * in plan order.
 */
public enum BlockMoveKind {
    /** Device block {@code src} to host block {@code dst} (offload, or preemption by swapping). */
    SWAP_OUT,
    /** Host block {@code src} to device block {@code dst} (a host-tier prefix hit, or resuming a swapped request). */
    SWAP_IN,
    /** Device block {@code src} to device block {@code dst} (copy-on-write of a shared partial block). */
    COPY;

    private static final BlockMoveKind[] VALUES = values();

    static BlockMoveKind of(int ordinal) {
        return VALUES[ordinal];
    }
}
