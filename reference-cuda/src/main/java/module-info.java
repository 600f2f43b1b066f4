/**
 * The reference CUDA binding of the Baton accelerator SPI. The module holds the JDK 17 provider; on JDK 22+ the FFM
 * binding in {@code META-INF/versions/22} joins it (concealed packages). Its restricted methods need
 * {@code --enable-native-access=dev.baton.cuda} on the module path.
 */
module dev.baton.cuda {
    requires dev.baton.accelerator;

    exports dev.baton.cuda;

    provides dev.baton.accelerator.AcceleratorProvider with dev.baton.cuda.CudaAcceleratorProvider;
}
