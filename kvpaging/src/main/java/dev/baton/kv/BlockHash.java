package dev.baton.kv;

/**
 * A 128-bit content hash of one full KV block: H(parent hash, the block's token ids, extra keys). Two blocks with the
 * same hash hold the same KV.
 */
public record BlockHash(long hi, long lo) {

    @Override
    public String toString() {
        return String.format("%016x%016x", hi, lo);
    }
}
