package dev.baton.cuda.driver;

/**
 * The driver calls the availability probe makes, with raw {@code CUresult} codes, so that tests can answer them with
 * any code a real driver may give ({@link CudaDriver#probeView()} is the real one).
 */
public interface ProbeDriver {

    /** {@code cuInit(0)}. */
    int init();

    /** {@code cuDriverGetVersion} into {@code out[0]}. */
    int driverVersion(int[] out);

    /** {@code cuDeviceGetCount} into {@code out[0]}. */
    int deviceCount(int[] out);

    /** The compute capability of device {@code ordinal}: major into {@code out[0]}, minor into {@code out[1]}. */
    int computeCapability(int ordinal, int[] out);

    /** The name of device {@code ordinal} into {@code name[0]} and its memory in bytes into {@code memory[0]}. */
    int describe(int ordinal, String[] name, long[] memory);
}
