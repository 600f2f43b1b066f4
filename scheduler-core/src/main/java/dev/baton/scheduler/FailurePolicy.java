package dev.baton.scheduler;

/** What the engine does with the requests of a device step that failed. */
public enum FailurePolicy {
    /** End them with {@link dev.baton.api.FinishReason#DEVICE_ERROR}. */
    FAIL,
    /**
     * Put them back in the waiting queue to recompute from scratch (their KV is treated as lost); a request that fails
     * more than {@link EngineConfig#maxDeviceRetries()} times ends with {@code DEVICE_ERROR}.
     */
    REQUEUE
}
