/**
 * The accelerator SPI: what a device must provide to execute Baton's step plans, provider discovery, KV capacity
 * planning and cost models, plus the reference providers {@code sim} (simulated, the embedded default).
 */
module dev.baton.accelerator {
    requires transitive dev.baton.api;

    exports dev.baton.accelerator;
    exports dev.baton.accelerator.cost;
    exports dev.baton.accelerator.sim;

    uses dev.baton.accelerator.AcceleratorProvider;

    provides dev.baton.accelerator.AcceleratorProvider with dev.baton.accelerator.sim.SimAcceleratorProvider;
}
