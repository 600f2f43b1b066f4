package dev.baton.accelerator.cost;

/**
 * The fitted time of one dense operator as a function of its roofline features: a fixed launch cost plus the slower of
 * moving its bytes and doing its arithmetic.
 *
 * <pre>
 *   t(bytes, flops) = launch + max(bytes x nsPerByte + max(0, bytes - cacheBytes) x nsPerSpilledByte,
 *                                  flops x nsPerFlop)
 * </pre>
 *
 * The second memory term is the cache knee the profiles show: while an operator's working set fits in the GPU's L2 it
 * streams faster than DRAM (RTX PRO 6000 {@code act_fn} at 512 tokens moves 44 MB at 4.4 TB/s, at 2048 tokens 176 MB at
 * 1.9 TB/s). All coefficients are non-negative, so the time never falls when bytes or FLOPs grow.
 *
 * @param launchNanos      fixed cost of one call (kernel launches, tails)
 * @param nsPerByte        nanoseconds per byte moved while the working set is cached
 * @param cacheBytes       working-set size above which bytes also pay {@code nsPerSpilledByte}
 * @param nsPerSpilledByte extra nanoseconds per byte beyond {@code cacheBytes}
 * @param nsPerFlop        nanoseconds per FLOP (the compute roof)
 */
public record OperatorCurve(double launchNanos, double nsPerByte, double cacheBytes, double nsPerSpilledByte,
                            double nsPerFlop) {

    public OperatorCurve {
        nonNegative(launchNanos, "launchNanos");
        nonNegative(nsPerByte, "nsPerByte");
        nonNegative(cacheBytes, "cacheBytes");
        nonNegative(nsPerSpilledByte, "nsPerSpilledByte");
        nonNegative(nsPerFlop, "nsPerFlop");
    }

    /** A plain roofline at fractions of a device's datasheet bandwidth and arithmetic. */
    public static OperatorCurve roofline(double launchNanos, double bytesPerSecond, double flopsPerSecond) {
        return new OperatorCurve(launchNanos, 1e9 / bytesPerSecond, 0, 0, 1e9 / flopsPerSecond);
    }

    /**
     * This curve carried to a device with other datasheet figures: per-byte terms scale with the bandwidth ratio,
     * the per-FLOP term with the peak ratio; the launch cost and the cache knee stay.
     *
     * @param memoryFactor  reference bandwidth / target bandwidth
     * @param computeFactor reference peak / target peak
     */
    public OperatorCurve scaled(double memoryFactor, double computeFactor) {
        return new OperatorCurve(launchNanos, nsPerByte * memoryFactor, cacheBytes, nsPerSpilledByte * memoryFactor,
                nsPerFlop * computeFactor);
    }

    /** Nanoseconds of one call that moves {@code bytes} and does {@code flops}. Allocation-free. */
    public double nanos(double bytes, double flops) {
        double memory = bytes * nsPerByte + Math.max(0, bytes - cacheBytes) * nsPerSpilledByte;
        return launchNanos + Math.max(memory, flops * nsPerFlop);
    }

    static void nonNegative(double v, String name) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite non-negative number, got " + v);
        }
    }
}
