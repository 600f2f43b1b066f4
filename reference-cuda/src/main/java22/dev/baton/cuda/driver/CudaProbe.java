package dev.baton.cuda.driver;

import dev.baton.accelerator.Availability;

import java.util.Locale;

/**
 * Decides whether the CUDA binding can run here, and if not, says exactly why. Probing order (each step only when the
 * previous one passed), following the accelerator SPI's rule that availability is reported, never thrown:
 * <ol>
 *   <li>native access is enabled for the binding's module (restricted FFM methods would otherwise warn now and be
 *   refused by a future JDK);</li>
 *   <li>{@code libcuda.so.1} loads and exports every symbol of {@link DriverFunction} (an older driver lacks some);</li>
 *   <li>{@code cuInit(0)} succeeds: {@code CUDA_ERROR_NO_DEVICE} (100), {@code CUDA_ERROR_STUB_LIBRARY} (34, the
 *   toolkit's stub was loaded instead of the driver), an insufficient or mismatched driver (35, 36, 803, 804) and any
 *   other code make the binding unavailable, each with its own advice;</li>
 *   <li>{@code cuDriverGetVersion} is at least the version the kernels need (PTX ISA 9.0 from nvcc 13.0 needs a CUDA
 *   13.0 driver, or loading fails with {@code CUDA_ERROR_UNSUPPORTED_PTX_VERSION});</li>
 *   <li>{@code cuDeviceGetCount} is positive;</li>
 *   <li>device 0 has compute capability 8.0 or newer (the fatbin carries sm_90 SASS, compute_90 and compute_80 PTX).</li>
 * </ol>
 *
 * <p>Stateless; thread-safe.
 */
public final class CudaProbe {

    /** The oldest compute capability the kernels run on (major * 10 + minor): the fatbin's compute_80 PTX. */
    public static final int MIN_COMPUTE_CAPABILITY = 80;

    /** What the probe found: a driver ready to open devices, or the reason there is none. */
    public sealed interface Outcome permits Ready, Unavailable {
        Availability availability();
    }

    /** The binding can run: {@code driver} is initialised. */
    public record Ready(CudaDriver driver, Availability availability) implements Outcome {
    }

    /** The binding cannot run here. */
    public record Unavailable(Availability availability) implements Outcome {
    }

    private CudaProbe() {
    }

    /**
     * The whole probe: native access of {@code module}, then {@code library}, then the driver's answers.
     *
     * @param requiredDriverVersion the {@code cuDriverGetVersion} the kernels need, e.g. 13000
     */
    public static Outcome probe(Module module, String library, int requiredDriverVersion) {
        String noAccess = nativeAccessProblem(module);
        if (noAccess != null) {
            return new Unavailable(Availability.unavailable(noAccess));
        }
        CudaDriver.Loading loading = CudaDriver.load(library);
        if (loading instanceof CudaDriver.Failed f) {
            return new Unavailable(Availability.unavailable(f.reason()));
        }
        CudaDriver driver = ((CudaDriver.Loaded) loading).driver();
        Availability a = check(driver.probeView(), requiredDriverVersion);
        return a.isAvailable() ? new Ready(driver, a) : new Unavailable(a);
    }

    /** Why native access is not enabled for {@code module} and how to enable it, or {@code null} when it is. */
    public static String nativeAccessProblem(Module module) {
        if (module.isNativeAccessEnabled()) {
            return null;
        }
        String flag = module.isNamed() ? "--enable-native-access=" + module.getName()
                : "--enable-native-access=ALL-UNNAMED";
        return "native access is not enabled for " + (module.isNamed() ? "module " + module.getName()
                : "the class path (the unnamed module)") + ": start java with " + flag + " (the binding calls"
                + " restricted FFM methods; ./baton passes --enable-native-access=ALL-UNNAMED; on the module path use"
                + " --enable-native-access=dev.baton.cuda)";
    }

    /** Steps 3 to 6 of the probe, on {@code driver}'s raw answers. */
    public static Availability check(ProbeDriver driver, int requiredDriverVersion) {
        int r = driver.init();
        if (r != CuResult.SUCCESS) {
            return Availability.unavailable(initProblem(r));
        }
        int[] v = new int[1];
        r = driver.driverVersion(v);
        if (r != CuResult.SUCCESS) {
            return Availability.unavailable("cuDriverGetVersion failed: " + describe(r));
        }
        if (v[0] < requiredDriverVersion) {
            return Availability.unavailable("the NVIDIA driver supports CUDA " + version(v[0]) + ", the kernels (PTX"
                    + " ISA of nvcc " + version(requiredDriverVersion) + ") need a driver for CUDA "
                    + version(requiredDriverVersion) + " or newer: upgrade the driver (R580+ for CUDA 13)");
        }
        int[] count = new int[1];
        r = driver.deviceCount(count);
        if (r != CuResult.SUCCESS) {
            return Availability.unavailable("cuDeviceGetCount failed: " + describe(r));
        }
        if (count[0] < 1) {
            return Availability.unavailable("no CUDA device (cuDeviceGetCount is 0)");
        }
        int[] cc = new int[2];
        r = driver.computeCapability(0, cc);
        if (r != CuResult.SUCCESS) {
            return Availability.unavailable("reading device 0's compute capability failed: " + describe(r));
        }
        if (cc[0] * 10 + cc[1] < MIN_COMPUTE_CAPABILITY) {
            return Availability.unavailable("device 0 has compute capability " + cc[0] + "." + cc[1] + "; the kernels"
                    + " need " + MIN_COMPUTE_CAPABILITY / 10 + "." + MIN_COMPUTE_CAPABILITY % 10 + " or newer (Ampere,"
                    + " Ada, Hopper, Blackwell)");
        }
        String[] name = new String[1];
        long[] memory = new long[1];
        r = driver.describe(0, name, memory);
        if (r != CuResult.SUCCESS) {
            return Availability.unavailable("reading device 0's name and memory failed: " + describe(r));
        }
        return Availability.available(String.format(Locale.ROOT, "%s (compute capability %d.%d, %.1f GiB); driver for"
                        + " CUDA %s; %d device%s", name[0], cc[0], cc[1], memory[0] / (double) (1L << 30),
                version(v[0]), count[0], count[0] == 1 ? "" : "s"));
    }

    static String initProblem(int code) {
        String what = "cuInit failed with " + describe(code);
        return switch (code) {
            case CuResult.NO_DEVICE -> "no CUDA device: " + what + " (no NVIDIA GPU is visible to this process;"
                    + " check nvidia-smi and CUDA_VISIBLE_DEVICES)";
            case CuResult.STUB_LIBRARY -> "the CUDA toolkit's stub libcuda was loaded instead of the driver: " + what
                    + " (remove the toolkit's lib64/stubs directory from LD_LIBRARY_PATH; install the NVIDIA driver)";
            case CuResult.INSUFFICIENT_DRIVER, CuResult.CALL_REQUIRES_NEWER_DRIVER ->
                    "the NVIDIA driver is too old: " + what + " (install driver R580 or newer for CUDA 13)";
            case CuResult.SYSTEM_DRIVER_MISMATCH, CuResult.COMPAT_NOT_SUPPORTED_ON_DEVICE ->
                    "the driver library and the kernel driver do not match: " + what + " (reinstall the NVIDIA driver"
                    + " or reboot after an upgrade)";
            default -> what;
        };
    }

    private static String describe(int code) {
        return CuResult.name(code) + " (" + code + ")";
    }

    /** 13000 -> "13.0", 12080 -> "12.8". */
    public static String version(int cudaVersion) {
        return cudaVersion / 1000 + "." + cudaVersion % 1000 / 10;
    }
}
