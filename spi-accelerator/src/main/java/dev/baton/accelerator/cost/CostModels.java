package dev.baton.accelerator.cost;

import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;

/** Factory of the cost models Baton ships. */
public final class CostModels {

    private CostModels() {
    }

    /** The best cost model Baton has for this device, model and parallelism. */
    public static CostModel forDevice(DeviceInfo device, ModelShape model, Parallelism par, int blockSize) {
        return new RooflineCostModel(device, model, par, blockSize, RooflineCostModel.Coefficients.DEFAULT);
    }
}
