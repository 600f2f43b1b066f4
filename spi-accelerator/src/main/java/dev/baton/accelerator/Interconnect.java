package dev.baton.accelerator;

import java.util.Objects;

/**
 * A link: between the devices of a tensor-parallel group (NVLink), or between device and host memory (PCIe).
 *
 * @param name                   for reports, e.g. {@code "NVLink4"}
 * @param bandwidthBytesPerSec   sustained bandwidth per direction
 * @param latencyNanos           per-transfer latency
 */
public record Interconnect(String name, double bandwidthBytesPerSec, long latencyNanos) {
    public Interconnect {
        Objects.requireNonNull(name, "name");
        if (!(bandwidthBytesPerSec > 0 && bandwidthBytesPerSec < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("interconnect bandwidth must be a positive finite number of bytes/s,"
                    + " got " + bandwidthBytesPerSec);
        }
        if (latencyNanos < 0) {
            throw new IllegalArgumentException("interconnect latency must not be negative, got " + latencyNanos);
        }
    }

    /** Nanoseconds to move {@code bytes} over this link. */
    public long transferNanos(double bytes) {
        return latencyNanos + (long) (bytes / bandwidthBytesPerSec * 1e9);
    }
}
