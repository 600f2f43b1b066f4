package dev.baton.accelerator.sim;

import dev.baton.accelerator.DType;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.Interconnect;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Built-in device profiles for the simulated accelerator, from published datasheet figures (dense arithmetic, no
 * sparsity). Memory sizes are the totals the CUDA runtime reports, not the marketing gigabytes.
 *
 * <p>Prices are approximate public on-demand list prices per GPU-hour (US dollars, 2025) of common GPU clouds, for
 * throughput-per-dollar comparisons only; deployments override them.
 */
public final class HardwareProfiles {

    private static final double GB = 1e9;
    private static final double TFLOPS = 1e12;
    private static final long GIB = 1L << 30;

    private static final Map<String, DeviceInfo> PROFILES = new LinkedHashMap<>();

    static {
        Interconnect nvlink4 = new Interconnect("NVLink4", 450 * GB, 5_000);
        Interconnect nvlink3 = new Interconnect("NVLink3", 300 * GB, 5_000);
        Interconnect pcie5 = new Interconnect("PCIe5 x16", 55 * GB, 10_000);
        Interconnect pcie4 = new Interconnect("PCIe4 x16", 25 * GB, 10_000);

        register("h100", new DeviceInfo("NVIDIA H100 SXM5 80GB", 85_029_158_912L, 3.35e12,
                Map.of(DType.BF16, 989 * TFLOPS, DType.FP16, 989 * TFLOPS, DType.FP8, 1979 * TFLOPS,
                        DType.FP32, 67 * TFLOPS),
                nvlink4, pcie5, 256 * GIB, 2.99));
        register("h200", new DeviceInfo("NVIDIA H200 SXM 141GB", 150_119_825_408L, 4.8e12,
                Map.of(DType.BF16, 989 * TFLOPS, DType.FP16, 989 * TFLOPS, DType.FP8, 1979 * TFLOPS,
                        DType.FP32, 67 * TFLOPS),
                nvlink4, pcie5, 256 * GIB, 3.79));
        register("a100-80gb", new DeviceInfo("NVIDIA A100 SXM4 80GB", 84_987_740_160L, 2.039e12,
                Map.of(DType.BF16, 312 * TFLOPS, DType.FP16, 312 * TFLOPS, DType.FP32, 19.5 * TFLOPS),
                nvlink3, pcie4, 128 * GIB, 1.79));
        register("rtxpro6000", new DeviceInfo("NVIDIA RTX PRO 6000 Blackwell 96GB", 102_642_745_344L, 1.792e12,
                Map.of(DType.BF16, 503.8 * TFLOPS, DType.FP16, 503.8 * TFLOPS, DType.FP8, 1007.6 * TFLOPS,
                        DType.FP32, 126 * TFLOPS),
                pcie5, pcie5, 128 * GIB, 1.79));
        register("rtx4090", new DeviceInfo("NVIDIA GeForce RTX 4090 24GB", 25_393_692_672L, 1.008e12,
                Map.of(DType.BF16, 165.2 * TFLOPS, DType.FP16, 165.2 * TFLOPS, DType.FP8, 330.3 * TFLOPS,
                        DType.FP32, 82.6 * TFLOPS),
                pcie4, pcie4, 64 * GIB, 0.69));
    }

    private HardwareProfiles() {
    }

    private static void register(String key, DeviceInfo info) {
        PROFILES.put(key, info);
    }

    /** Profile names, e.g. {@code h100}, {@code rtx4090}. */
    public static Iterable<String> names() {
        return PROFILES.keySet();
    }

    /**
     * The device profile {@code name} (case-insensitive; {@code h100-sxm}, {@code a100} and {@code rtx-pro-6000} are
     * accepted aliases).
     *
     * @throws IllegalArgumentException listing the known names
     */
    public static DeviceInfo get(String name) {
        DeviceInfo info = name == null ? null : PROFILES.get(normalise(name));
        if (info == null) {
            throw new IllegalArgumentException("unknown device profile '" + name + "'; known: "
                    + String.join(", ", PROFILES.keySet()));
        }
        return info;
    }

    static String normalise(String name) {
        String k = name.toLowerCase(Locale.ROOT).replace("_", "-");
        return switch (k) {
            case "h100-sxm", "h100-sxm5", "h100-80gb" -> "h100";
            case "h200-sxm" -> "h200";
            case "a100", "a100-80g", "a100-sxm" -> "a100-80gb";
            case "rtx-pro-6000", "rtxpro-6000", "rtx6000pro" -> "rtxpro6000";
            case "rtx-4090", "4090" -> "rtx4090";
            default -> k;
        };
    }
}
