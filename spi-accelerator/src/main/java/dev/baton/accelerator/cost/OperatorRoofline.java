package dev.baton.accelerator.cost;

import dev.baton.accelerator.DType;
import dev.baton.accelerator.DeviceInfo;

/**
 * A class of dense operators ({@link Operator.Kind}) on a device without a measured profile: a launch cost plus a
 * roofline at fractions of the device's datasheet bandwidth and arithmetic, the fractions fitted across every measured
 * device.
 *
 * @param launchNanos         fixed cost of one call
 * @param bandwidthEfficiency fraction of datasheet memory bandwidth reached, in (0, 1]
 * @param computeEfficiency   fraction of datasheet peak FLOP/s reached, in (0, 1]
 */
public record OperatorRoofline(double launchNanos, double bandwidthEfficiency, double computeEfficiency) {

    public OperatorRoofline {
        OperatorCurve.nonNegative(launchNanos, "launchNanos");
        if (!(bandwidthEfficiency > 0 && bandwidthEfficiency <= 1)) {
            throw new IllegalArgumentException("bandwidthEfficiency must be in (0, 1], got " + bandwidthEfficiency);
        }
        if (!(computeEfficiency > 0 && computeEfficiency <= 1)) {
            throw new IllegalArgumentException("computeEfficiency must be in (0, 1], got " + computeEfficiency);
        }
    }

    /** This roofline on {@code device} for weights of type {@code dtype}. */
    public OperatorCurve on(DeviceInfo device, DType dtype) {
        return OperatorCurve.roofline(launchNanos, device.memoryBandwidth() * bandwidthEfficiency,
                device.peakFlops(dtype) * computeEfficiency);
    }
}
