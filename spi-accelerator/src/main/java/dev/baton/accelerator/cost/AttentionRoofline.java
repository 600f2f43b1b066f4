package dev.baton.accelerator.cost;

/**
 * Attention on a device with no measured curve of a similar device to borrow: a roofline over the KV bytes the batch
 * reads and the FLOPs of its causal (query, key) pairs, at efficiencies fitted across every measured device
 * (datasheet-normalised), plus a fixed launch, a per-sequence cost and the serial walk of the longest sequence (one
 * thread block per sequence and head reads its keys in order, which bounds a batch from below however wide the GPU
 * is).
 *
 * <pre>
 *   t = launch + perSeq x seqs + max(keys x kvBytesPerKey / (BW x etaBw),
 *                                    pairs x 4 x heads x headDim / (F x etaF),
 *                                    longest x nsPerLongestKey)
 * </pre>
 *
 * @param launchNanos         fixed cost per layer
 * @param nsPerSeq            cost per sequence (block tables, per-sequence scheduling of the kernel)
 * @param bandwidthEfficiency fraction of datasheet memory bandwidth reached, in (0, 1]
 * @param computeEfficiency   fraction of datasheet peak FLOP/s reached, in (0, 1]
 * @param nsPerLongestKey     ns per key of the longest sequence
 */
public record AttentionRoofline(double launchNanos, double nsPerSeq, double bandwidthEfficiency,
                                double computeEfficiency, double nsPerLongestKey) {

    public AttentionRoofline {
        OperatorCurve.nonNegative(launchNanos, "launchNanos");
        OperatorCurve.nonNegative(nsPerSeq, "nsPerSeq");
        OperatorCurve.nonNegative(nsPerLongestKey, "nsPerLongestKey");
        if (!(bandwidthEfficiency > 0 && bandwidthEfficiency <= 1)) {
            throw new IllegalArgumentException("bandwidthEfficiency must be in (0, 1], got " + bandwidthEfficiency);
        }
        if (!(computeEfficiency > 0 && computeEfficiency <= 1)) {
            throw new IllegalArgumentException("computeEfficiency must be in (0, 1], got " + computeEfficiency);
        }
    }

    /**
     * Nanoseconds of one layer's attention. Allocation-free.
     *
     * @param seqs           sequences in the step
     * @param keys           keys read by all sequences
     * @param pairs          causal (query, key) pairs of all sequences
     * @param longest        longest sequence (context plus new tokens)
     * @param kvBytesPerKey  KV bytes of one token of one layer on this device
     * @param flopsPerPair   FLOPs of one (query, key) pair on this device (4 x query heads x head dim)
     * @param bytesPerSecond datasheet memory bandwidth
     * @param flopsPerSecond datasheet peak FLOP/s
     */
    public double nanos(int seqs, double keys, double pairs, double longest, double kvBytesPerKey,
                        double flopsPerPair, double bytesPerSecond, double flopsPerSecond) {
        if (seqs <= 0) {
            return 0;
        }
        double memory = keys * kvBytesPerKey / (bytesPerSecond * bandwidthEfficiency) * 1e9;
        double compute = pairs * flopsPerPair / (flopsPerSecond * computeEfficiency) * 1e9;
        return launchNanos + nsPerSeq * seqs + Math.max(Math.max(memory, compute), longest * nsPerLongestKey);
    }
}
