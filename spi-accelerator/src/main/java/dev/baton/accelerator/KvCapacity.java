package dev.baton.accelerator;

/**
 * The memory budget of one device, as planned by {@link KvCapacityPlanner}; all figures are per device.
 *
 * @param deviceBytes        total device memory
 * @param budgetBytes        the share Baton may use ({@code deviceBytes x gpuMemoryUtilization})
 * @param weightBytes        this device's share of the weights
 * @param activationBytes    reserved for activations and runtime overhead
 * @param bytesPerBlock      KV bytes of one block on this device
 * @param numBlocks          KV blocks that fit
 */
public record KvCapacity(long deviceBytes, long budgetBytes, long weightBytes, long activationBytes,
                         long bytesPerBlock, int numBlocks) {

    /** Bytes handed to the KV cache. */
    public long kvBytes() {
        return bytesPerBlock * numBlocks;
    }

    /** Bytes of everything planned (weights, activations, KV); never more than {@link #budgetBytes()}. */
    public long plannedBytes() {
        return weightBytes + activationBytes + kvBytes();
    }
}
