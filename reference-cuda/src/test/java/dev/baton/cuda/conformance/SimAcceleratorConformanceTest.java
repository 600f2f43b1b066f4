package dev.baton.cuda.conformance;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.accelerator.conformance.AcceleratorContract;
import dev.baton.accelerator.sim.SimAcceleratorProvider;

/**
 * The {@code sim} provider against the SPI conformance kit, run from the kit's published test artifact (as a third
 * party's provider would). It holds no KV data, so the kit skips its data checks.
 */
class SimAcceleratorConformanceTest extends AcceleratorContract {

    @Override
    protected AcceleratorProvider provider() {
        return new SimAcceleratorProvider();
    }

    @Override
    protected Accelerator open(AcceleratorConfig config) {
        return provider().open(config);
    }
}
