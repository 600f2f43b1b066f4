package dev.baton.accelerator.cost;

import dev.baton.accelerator.Interconnect;

/**
 * The time of one ring all-reduce over a tensor-parallel group: a fixed latency plus the ring's traffic,
 * {@code 2 (tp - 1) / tp} times the buffer, at a fitted (or datasheet) link rate.
 *
 * @param latencyNanos fixed cost of one all-reduce
 * @param nsPerByte    nanoseconds per byte of ring traffic
 */
public record AllReduceCurve(double latencyNanos, double nsPerByte) {

    public AllReduceCurve {
        OperatorCurve.nonNegative(latencyNanos, "latencyNanos");
        OperatorCurve.nonNegative(nsPerByte, "nsPerByte");
    }

    /** The datasheet curve of a link: its latency and its per-direction bandwidth. */
    public static AllReduceCurve of(Interconnect link) {
        return new AllReduceCurve(link.latencyNanos(), 1e9 / link.bandwidthBytesPerSec());
    }

    /** Nanoseconds to all-reduce {@code bytes} over {@code tp} devices (0 for one device). Allocation-free. */
    public double nanos(double bytes, int tp) {
        if (tp <= 1) {
            return 0;
        }
        return latencyNanos + 2.0 * (tp - 1) / tp * bytes * nsPerByte;
    }
}
