package dev.baton.cuda.device;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorUnavailableException;
import dev.baton.accelerator.Availability;
import dev.baton.cuda.CudaAcceleratorProvider;
import dev.baton.cuda.driver.CudaDriver;
import dev.baton.cuda.driver.CudaProbe;
import dev.baton.cuda.kernels.KernelImage;

import java.util.HashSet;
import java.util.Set;

/**
 * The JDK 22+ entry points that {@link CudaAcceleratorProvider} (compiled for Java 17) calls by name: the probe and
 * opening a device.
 *
 * <p>The probe runs once per JVM ({@link CudaProbe}) and its outcome is kept: the driver, the devices and the JVM's
 * native-access setting do not change while it runs. The driver library is {@code libcuda.so.1}, or the file named
 * by the system property {@value #LIBRARY_PROPERTY} (for tests and unusual driver installs).
 *
 * <p>Thread-safe.
 */
public final class CudaBinding {

    /** System property naming the driver library to load instead of {@code libcuda.so.1}. */
    public static final String LIBRARY_PROPERTY = "baton.cuda.library";

    private static final Set<Integer> KEPT = new HashSet<>();
    private static CudaProbe.Outcome outcome;

    private CudaBinding() {
    }

    /** Whether a CUDA device can be opened here, and if not, why. */
    public static Availability availability() {
        return outcome().availability();
    }

    /** Opens a device with the probed driver. */
    public static Accelerator open(AcceleratorConfig config) {
        CudaProbe.Outcome o = outcome();
        if (o instanceof CudaProbe.Ready ready) {
            keepPrimaryContext(ready.driver(), CudaAccelerator.deviceOrdinal(config));
            return new CudaAccelerator(config, ready.driver(), CudaAcceleratorProvider.NAME);
        }
        throw new AcceleratorUnavailableException(CudaAcceleratorProvider.NAME, o.availability().detail());
    }

    /**
     * Retains the device's primary context once for the life of the JVM, as the CUDA runtime does, so that opening and
     * closing accelerators does not create and destroy the context each time (hundreds of milliseconds on a GPU).
     */
    private static synchronized void keepPrimaryContext(CudaDriver driver, int ordinal) {
        if (KEPT.add(ordinal)) {
            try {
                driver.primaryContextRetain(driver.device(ordinal));
            } catch (RuntimeException e) {
                KEPT.remove(ordinal);
                throw e;
            }
        }
    }

    /** The driver library this JVM uses. */
    public static String library() {
        return System.getProperty(LIBRARY_PROPERTY, CudaDriver.LIBRARY);
    }

    /** The probe's outcome (probing once). */
    public static synchronized CudaProbe.Outcome outcome() {
        if (outcome == null) {
            outcome = CudaProbe.probe(CudaBinding.class.getModule(), library(),
                    KernelImage.load().requiredDriverVersion());
        }
        return outcome;
    }
}
