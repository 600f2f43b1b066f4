/** The reference CUDA binding of the Baton accelerator SPI. */
module dev.baton.cuda {
    requires dev.baton.accelerator;

    provides dev.baton.accelerator.AcceleratorProvider with dev.baton.cuda.CudaAcceleratorProvider;
}
