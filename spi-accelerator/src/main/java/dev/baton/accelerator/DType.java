package dev.baton.accelerator;

/** Numeric formats of weights, activations and KV cache, with their storage size. */
public enum DType {
    FP32(32),
    FP16(16),
    BF16(16),
    FP8(8),
    INT8(8),
    INT4(4);

    private final int bits;

    DType(int bits) {
        this.bits = bits;
    }

    public int bits() {
        return bits;
    }

    /** Bytes per element (0.5 for 4-bit formats). */
    public double bytes() {
        return bits / 8.0;
    }
}
