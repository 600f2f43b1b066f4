package dev.baton.accelerator;

import java.util.Objects;

/**
 * Plans how many KV blocks fit on a device, with vLLM's meaning of {@code gpu_memory_utilization}: the fraction of
 * the device's memory the engine may use for weights, activations and KV together.
 *
 * <pre>
 *   budget      = floor(deviceBytes x utilization)
 *   weights     = params x weightBytes / (tp x pp)
 *   kvPerToken  = 2 x (layers / pp) x max(1, kvHeads / tp) x headDim x kvBytes      (KV heads replicate when tp > kvHeads)
 *   blocks      = floor((budget - weights - activations) / (kvPerToken x blockSize))
 * </pre>
 *
 * <p>The plan never hands out more bytes than the budget: {@code weights + activations + blocks x bytesPerBlock <=
 * budget <= deviceBytes}.
 */
public final class KvCapacityPlanner {

    private KvCapacityPlanner() {
    }

    /** KV bytes per token on one device of a group split {@code par} ways. */
    public static double kvBytesPerTokenPerDevice(ModelShape model, Parallelism par) {
        int layersPerStage = ceilDiv(model.numLayers(), par.pp());
        int kvHeadsPerDevice = Math.max(1, model.numKvHeads() / par.tp());
        return 2.0 * layersPerStage * kvHeadsPerDevice * model.headDim() * model.kvDtype().bytes();
    }

    /** This device's share of the weights, in bytes. */
    public static long weightBytesPerDevice(ModelShape model, Parallelism par) {
        return (long) Math.ceil(model.weightBytes() / par.devices());
    }

    /**
     * A conservative estimate of peak activation memory for a forward pass over {@code maxBatchedTokens} tokens, plus
     * a fixed runtime overhead (CUDA context, graphs, allocator slack), in the spirit of vLLM's profiling run.
     */
    public static long estimateActivationBytes(ModelShape model, Parallelism par, int maxBatchedTokens) {
        double act = model.weightDtype() == DType.FP32 ? 4 : 2;
        // Widest live tensors of one layer: the MLP's gate+up output and the residual/QKV buffers.
        double perToken = (2.0 * model.intermediateSize() / par.tp() + 4.0 * model.hiddenSize()) * act;
        // Logits of the sampled positions (at most one per sequence; bound by the batch) in fp32.
        double logits = Math.min(maxBatchedTokens, 1024) * (double) model.vocabSize() / par.tp() * 4;
        long runtimeOverhead = 1L << 30;
        return (long) Math.ceil(perToken * maxBatchedTokens + logits) + runtimeOverhead;
    }

    /**
     * Plans one device's memory.
     *
     * @param gpuMemoryUtilization fraction of device memory the engine may use, in (0, 1]
     * @param activationBytes      reserved for activations (see {@link #estimateActivationBytes})
     * @param blockSize            tokens per KV block
     * @throws NullPointerException                naming a missing device, model or parallelism
     * @throws IllegalArgumentException             on an out-of-range argument
     * @throws InsufficientDeviceMemoryException    when not even one block fits; says what to change
     */
    public static KvCapacity plan(DeviceInfo device, ModelShape model, Parallelism par, double gpuMemoryUtilization,
                                  long activationBytes, int blockSize) {
        Objects.requireNonNull(device, "device must be given (a DeviceInfo, e.g. HardwareProfiles.get(\"h100\"))");
        Objects.requireNonNull(model, "model must be given (a ModelShape, e.g. ModelProfiles.get(\"llama-3.1-8b\"))");
        Objects.requireNonNull(par, "parallelism must be given (Parallelism.NONE for one device)");
        if (!(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
            throw new IllegalArgumentException("gpu-memory-utilization must be in (0, 1], got " + gpuMemoryUtilization);
        }
        if (activationBytes < 0) {
            throw new IllegalArgumentException("activation reserve must not be negative, got " + activationBytes);
        }
        if (blockSize < 1) {
            throw new IllegalArgumentException("block-size must be at least 1, got " + blockSize);
        }
        long budget = (long) Math.floor(device.memoryBytes() * gpuMemoryUtilization);
        long weights = weightBytesPerDevice(model, par);
        long bytesPerBlock = (long) Math.ceil(kvBytesPerTokenPerDevice(model, par) * blockSize);
        long free = budget - weights - activationBytes;
        long blocks = free <= 0 ? 0 : free / bytesPerBlock;
        if (blocks < 1) {
            throw new InsufficientDeviceMemoryException(String.format(
                    "%s does not fit on %s at tp=%d pp=%d: budget %.2f GiB (%.0f%% of %.2f GiB) minus weights %.2f GiB"
                            + " minus activations %.2f GiB leaves no room for one %d-token KV block (%.1f MiB)."
                            + " Raise tensor parallelism, raise gpu-memory-utilization, or use a larger device.",
                    model.name(), device.name(), par.tp(), par.pp(), gib(budget), gpuMemoryUtilization * 100,
                    gib(device.memoryBytes()), gib(weights), gib(activationBytes), blockSize,
                    bytesPerBlock / (1024.0 * 1024.0)));
        }
        int numBlocks = (int) Math.min(blocks, Integer.MAX_VALUE - 1);
        return new KvCapacity(device.memoryBytes(), budget, weights, activationBytes, bytesPerBlock, numBlocks);
    }

    private static double gib(long bytes) {
        return bytes / (1024.0 * 1024.0 * 1024.0);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
