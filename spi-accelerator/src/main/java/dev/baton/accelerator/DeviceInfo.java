package dev.baton.accelerator;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one accelerator can do: its memory, bandwidth, peak arithmetic by data type, and its links.
 *
 * @param name                  marketing name, e.g. {@code "NVIDIA H100 SXM5 80GB"}
 * @param memoryBytes           device memory
 * @param memoryBandwidth       device memory bandwidth, bytes/s
 * @param peakFlops             dense peak FLOP/s by data type (no sparsity)
 * @param deviceLink            the link between devices of one tensor-parallel group
 * @param hostLink              the link to host memory (KV swap and offload)
 * @param hostMemoryBytes       host memory available for the KV host tier
 * @param pricePerHour          on-demand price of one device per hour in US dollars (0 if unknown), for
 *                              throughput-per-dollar reports; deployments override it
 */
public record DeviceInfo(String name, long memoryBytes, double memoryBandwidth, Map<DType, Double> peakFlops,
                         Interconnect deviceLink, Interconnect hostLink, long hostMemoryBytes, double pricePerHour) {
    public DeviceInfo {
        Objects.requireNonNull(name, "name");
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("memoryBytes must be positive, got " + memoryBytes);
        }
        if (!(memoryBandwidth > 0 && memoryBandwidth < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("memoryBandwidth must be a positive finite number of bytes/s, got "
                    + memoryBandwidth);
        }
        Objects.requireNonNull(peakFlops, "peakFlops");
        if (peakFlops.isEmpty()) {
            throw new IllegalArgumentException("peakFlops must name at least one data type");
        }
        for (Map.Entry<DType, Double> e : peakFlops.entrySet()) {
            Double f = e.getValue();
            if (e.getKey() == null || f == null || !(f > 0 && f < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("peakFlops must map data types to positive finite FLOP/s, got "
                        + e.getKey() + "=" + f);
            }
        }
        peakFlops = Map.copyOf(new EnumMap<>(peakFlops));
        Objects.requireNonNull(deviceLink, "deviceLink");
        Objects.requireNonNull(hostLink, "hostLink");
        if (hostMemoryBytes < 0) {
            throw new IllegalArgumentException("hostMemoryBytes must not be negative, got " + hostMemoryBytes);
        }
        if (!(pricePerHour >= 0 && pricePerHour < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("pricePerHour must be a finite number >= 0 (0 if unknown), got "
                    + pricePerHour);
        }
    }

    /**
     * Dense peak FLOP/s for {@code dtype}; falls back to the nearest wider type this device lists (FP8 work on a device
     * without FP8 units runs at its BF16 rate).
     */
    public double peakFlops(DType dtype) {
        Double f = peakFlops.get(dtype);
        if (f != null) {
            return f;
        }
        for (DType wider : new DType[] {DType.BF16, DType.FP16, DType.FP32}) {
            f = peakFlops.get(wider);
            if (f != null) {
                return f;
            }
        }
        return peakFlops.values().iterator().next();
    }

    /** A copy of this device with another hourly price. */
    public DeviceInfo withPricePerHour(double price) {
        return new DeviceInfo(name, memoryBytes, memoryBandwidth, peakFlops, deviceLink, hostLink, hostMemoryBytes,
                price);
    }
}
