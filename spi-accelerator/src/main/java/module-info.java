/**
 * The accelerator SPI: what a device must provide to execute Baton's step plans, provider discovery, KV capacity
 * planning and cost models, the sampling and draft-verification rules devices implement, and the reference providers
 * {@code sim} (simulated, the embedded default) and {@code cpu} (a reference transformer over a paged KV pool).
 */
module dev.baton.accelerator {
    requires transitive dev.baton.api;

    exports dev.baton.accelerator;
    exports dev.baton.accelerator.cost;
    exports dev.baton.accelerator.cpu;
    exports dev.baton.accelerator.runner;
    exports dev.baton.accelerator.sampling;
    exports dev.baton.accelerator.sim;

    uses dev.baton.accelerator.AcceleratorProvider;

    provides dev.baton.accelerator.AcceleratorProvider with dev.baton.accelerator.sim.SimAcceleratorProvider,
            dev.baton.accelerator.cpu.CpuAcceleratorProvider;
}
