package dev.baton.accelerator.cost;

import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;

/** Factory of the cost models Baton ships. */
public final class CostModels {

    private CostModels() {
    }

    /**
     * The best cost model Baton has for this device, model and parallelism: the {@link CalibratedCostModel} over the
     * built-in {@link Calibration} (measured curves where the configuration was profiled, fitted roofline
     * efficiencies elsewhere; {@link CalibratedCostModel#describe()} says which).
     */
    public static CalibratedCostModel forDevice(DeviceInfo device, ModelShape model, Parallelism par, int blockSize) {
        return new CalibratedCostModel(device, model, par, blockSize, Calibration.builtIn());
    }
}
