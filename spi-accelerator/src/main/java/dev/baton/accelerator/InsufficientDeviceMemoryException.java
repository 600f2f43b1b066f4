package dev.baton.accelerator;

/**
 * The model's weights and activations leave no room for even one KV block on the device. The message gives the
 * memory breakdown and what to change (more tensor parallelism, a higher memory-utilisation fraction, a smaller
 * activation reserve, or a larger device).
 */
public final class InsufficientDeviceMemoryException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InsufficientDeviceMemoryException(String message) {
        super(message);
    }
}
