package dev.baton.examples.replay;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.Parallelism;
import dev.baton.api.Clock;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.PreemptionMode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The engine knobs of {@code --engine key=value,...}, with vLLM's names, meanings and defaults (vLLM 0.19's
 * {@code vllm serve}): async scheduling, prefix caching, chunked prefill with one partial prefill at a time, a request
 * admitted only when its whole prompt fits in KV ({@code scheduler-reserve-full-isl}), and the per-device batch
 * defaults of vLLM's {@code EngineArgs}: on a GPU with at least 70 GiB that is not an A100, a token budget of 8192 and
 * 1024 sequences; below (and on A100s, where vLLM measured the larger budget to lose throughput, PR #17885) 2048 and
 * 256. Knobs vLLM does not have are marked as Baton's.
 *
 * <p>Immutable. Unknown keys and malformed values are refused with a message listing what is known.
 */
public final class EngineKnobs {

    /** One knob: its name, what it sets, and its default as shown in help. */
    public record Knob(String name, String description, String defaultValue) {
    }

    private static final Map<String, Knob> KNOWN = new LinkedHashMap<>();

    static {
        knob("max-num-seqs", "most sequences in the running batch", "1024 on GPUs >= 70 GiB (not A100), else 256");
        knob("max-num-batched-tokens", "token budget of one step", "8192 on GPUs >= 70 GiB (not A100), else 2048");
        knob("max-model-len", "longest sequence, prompt plus output", "the model's");
        knob("enable-chunked-prefill", "compute a prompt over several steps", "true");
        knob("long-prefill-token-threshold", "most tokens one request computes in a step (0: no cap)", "0");
        knob("max-num-partial-prefills", "most requests with an unfinished prefill at once (0: no limit)", "1");
        knob("enable-prefix-caching", "share the KV of common prefixes", "true");
        knob("async-scheduling", "plan step N+1 while the device runs step N", "true");
        knob("scheduler-reserve-full-isl", "start a request only when KV for its whole prompt is free", "true");
        knob("block-size", "tokens per KV block", "16");
        knob("gpu-memory-utilization", "fraction of device memory for weights, activations and KV", "0.9");
        knob("num-gpu-blocks-override", "KV blocks regardless of memory planning (from a measured run's log)",
                "planned from memory");
        knob("swap-space", "GiB of host memory per GPU for swapped KV", "4");
        knob("tensor-parallel-size", "GPUs the model is split over", "1");
        knob("preemption-mode", "recompute or swap (Baton's; vLLM v1 recomputes)", "recompute");
        knob("max-num-queued-reqs", "admission bound on waiting requests (Baton's)", "100000");
        knob("max-num-queued-tokens", "admission bound on waiting prompt tokens, 0 = none (Baton's)", "0");
        knob("price-per-gpu-hour", "US dollars per GPU-hour for throughput per dollar (Baton's)",
                "the device profile's");
        knob("seed", "seed of the engine's random choices", "0");
    }

    private static void knob(String name, String description, String defaultValue) {
        KNOWN.put(name, new Knob(name, description, defaultValue));
    }

    private final Map<String, String> explicit;

    private EngineKnobs(Map<String, String> explicit) {
        this.explicit = explicit;
    }

    /** No knob set: every default. */
    public static EngineKnobs defaults() {
        return new EngineKnobs(Map.of());
    }

    /**
     * Parses {@code key=value,key=value}.
     *
     * @throws IllegalArgumentException for an unknown key (listing the known ones) or a malformed value
     */
    public static EngineKnobs parse(String spec) {
        Map<String, String> m = KeyValues.parse(spec, "engine knob", "max-num-seqs=256");
        for (String key : m.keySet()) {
            if (!KNOWN.containsKey(key)) {
                throw new IllegalArgumentException("unknown engine knob '" + key + "'; known: "
                        + String.join(", ", KNOWN.keySet()));
            }
        }
        EngineKnobs k = new EngineKnobs(Map.copyOf(m));
        k.validate();
        return k;
    }

    public static List<Knob> known() {
        return new ArrayList<>(KNOWN.values());
    }

    /** Knobs the user set. */
    public Set<String> explicitNames() {
        return explicit.keySet();
    }

    /** The same knobs with {@code name} set to {@code value} (as if given on the command line). */
    public EngineKnobs with(String name, String value) {
        Map<String, String> m = new LinkedHashMap<>(explicit);
        m.put(name, value);
        return parse(format(m));
    }

    private static String format(Map<String, String> m) {
        List<String> parts = new ArrayList<>();
        m.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join(",", parts);
    }

    private void validate() {
        // Parse every value once so that a typo fails before any run.
        for (String k : explicit.keySet()) {
            switch (k) {
                case "enable-chunked-prefill", "enable-prefix-caching", "async-scheduling",
                     "scheduler-reserve-full-isl" -> bool(k, false);
                case "gpu-memory-utilization", "swap-space", "price-per-gpu-hour" -> dbl(k, 0);
                case "preemption-mode" -> preemption();
                case "seed", "max-num-queued-tokens" -> lng(k, 0);
                default -> integer(k, 0);
            }
        }
    }

    /** How to open the device just to read its description (the defaults of the other knobs depend on it). */
    public AcceleratorConfig probeConfig(Clock clock) {
        return AcceleratorConfig.builder().clock(clock).blockSize(integer("block-size", 16))
                .gpuMemoryUtilization(dbl("gpu-memory-utilization", AcceleratorConfig.DEFAULT_GPU_MEMORY_UTILIZATION))
                .numGpuBlocksOverride(integer("num-gpu-blocks-override", 0))
                .parallelism(Parallelism.tp(integer("tensor-parallel-size", 1))).build();
    }

    /** The knobs resolved against a device: defaults filled in. */
    public Resolved resolve(DeviceInfo device) {
        boolean big = device.memoryBytes() >= 70L * (1L << 30)
                && !device.name().toLowerCase(Locale.ROOT).contains("a100");
        int tp = integer("tensor-parallel-size", 1);
        try {
            Parallelism.tp(tp);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("engine knob tensor-parallel-size: " + e.getMessage());
        }
        double price = dbl("price-per-gpu-hour", device.pricePerHour());
        if (price < 0) {
            throw new IllegalArgumentException("engine knob price-per-gpu-hour must not be negative, got " + price);
        }
        return new Resolved(integer("max-num-seqs", big ? 1024 : 256),
                integer("max-num-batched-tokens", big ? 8192 : 2048), integer("max-model-len", 0),
                bool("enable-chunked-prefill", true), integer("long-prefill-token-threshold", 0),
                integer("max-num-partial-prefills", 1), bool("enable-prefix-caching", true),
                bool("async-scheduling", true), bool("scheduler-reserve-full-isl", true), integer("block-size", 16),
                dbl("gpu-memory-utilization", AcceleratorConfig.DEFAULT_GPU_MEMORY_UTILIZATION),
                integer("num-gpu-blocks-override", 0), dbl("swap-space", 4), tp, preemption(),
                integer("max-num-queued-reqs", 100_000), lng("max-num-queued-tokens", 0), price,
                lng("seed", 0));
    }

    /**
     * Knob values for one device.
     *
     * @param swapSpaceGib host memory per GPU for swapped KV, GiB
     * @param pricePerGpuHour US dollars per GPU-hour
     */
    public record Resolved(int maxNumSeqs, int maxNumBatchedTokens, int maxModelLen, boolean enableChunkedPrefill,
                           int longPrefillTokenThreshold, int maxNumPartialPrefills, boolean enablePrefixCaching,
                           boolean asyncScheduling, boolean reserveFullIsl, int blockSize,
                           double gpuMemoryUtilization, int numGpuBlocksOverride, double swapSpaceGib,
                           int tensorParallelSize, PreemptionMode preemptionMode, int maxNumQueuedReqs,
                           long maxNumQueuedTokens, double pricePerGpuHour, long seed) {

        /** The engine configuration these knobs describe (policies may change it further). */
        public EngineConfig.Builder engineConfig() {
            return EngineConfig.builder().maxNumSeqs(maxNumSeqs).maxNumBatchedTokens(maxNumBatchedTokens)
                    .maxModelLen(maxModelLen).enableChunkedPrefill(enableChunkedPrefill)
                    .longPrefillTokenThreshold(longPrefillTokenThreshold).maxNumPartialPrefills(maxNumPartialPrefills)
                    .enablePrefixCaching(enablePrefixCaching).asyncScheduling(asyncScheduling)
                    .admitOnlyIfPromptFits(reserveFullIsl).preemptionMode(preemptionMode)
                    .maxQueuedRequests(maxNumQueuedReqs).maxQueuedTokens(maxNumQueuedTokens).seed(seed);
        }

        /** How to open the device for an engine whose step budget is {@code maxNumBatchedTokens}. */
        public AcceleratorConfig acceleratorConfig(Clock clock, int stepBudget) {
            return AcceleratorConfig.builder().clock(clock).blockSize(blockSize)
                    .gpuMemoryUtilization(gpuMemoryUtilization).numGpuBlocksOverride(numGpuBlocksOverride)
                    .maxNumBatchedTokens(stepBudget).parallelism(Parallelism.tp(tensorParallelSize))
                    .hostKvBytes((long) (swapSpaceGib * (1L << 30))).seed(seed).build();
        }

        /** The knobs by vLLM name, for reports. */
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("max-num-seqs", maxNumSeqs);
            m.put("max-num-batched-tokens", maxNumBatchedTokens);
            m.put("max-model-len", maxModelLen == 0 ? "model" : maxModelLen);
            m.put("enable-chunked-prefill", enableChunkedPrefill);
            m.put("long-prefill-token-threshold", longPrefillTokenThreshold);
            m.put("max-num-partial-prefills", maxNumPartialPrefills);
            m.put("enable-prefix-caching", enablePrefixCaching);
            m.put("async-scheduling", asyncScheduling);
            m.put("scheduler-reserve-full-isl", reserveFullIsl);
            m.put("block-size", blockSize);
            m.put("gpu-memory-utilization", gpuMemoryUtilization);
            m.put("num-gpu-blocks-override", numGpuBlocksOverride == 0 ? "none" : numGpuBlocksOverride);
            m.put("swap-space", swapSpaceGib);
            m.put("tensor-parallel-size", tensorParallelSize);
            m.put("preemption-mode", preemptionMode.name().toLowerCase(Locale.ROOT));
            m.put("price-per-gpu-hour", pricePerGpuHour);
            return m;
        }
    }

    // ------------------------------------------------------------------ values

    private int integer(String k, int fallback) {
        String v = explicit.get(k);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < 0) {
                throw new IllegalArgumentException("engine knob " + k + " must not be negative, got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("engine knob " + k + " must be an integer, got '" + v + "'");
        }
    }

    private long lng(String k, long fallback) {
        String v = explicit.get(k);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("engine knob " + k + " must be an integer, got '" + v + "'");
        }
    }

    private double dbl(String k, double fallback) {
        String v = explicit.get(k);
        if (v == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(v);
            if (!Double.isFinite(d) || d < 0) {
                throw new IllegalArgumentException("engine knob " + k + " must be a number >= 0, got '" + v + "'");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("engine knob " + k + " must be a number, got '" + v + "'");
        }
    }

    private boolean bool(String k, boolean fallback) {
        String v = explicit.get(k);
        if (v == null) {
            return fallback;
        }
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException("engine knob " + k + " must be true or false, got '" + v + "'");
    }

    private PreemptionMode preemption() {
        String v = explicit.getOrDefault("preemption-mode", "recompute");
        try {
            return PreemptionMode.valueOf(v.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("engine knob preemption-mode must be recompute or swap, got '" + v
                    + "'");
        }
    }
}
