package dev.baton.accelerator;

/**
 * A kind of accelerator, discovered with {@link java.util.ServiceLoader} (register the implementation in
 * {@code META-INF/services/dev.baton.accelerator.AcceleratorProvider} or with {@code provides} in a module).
 *
 * <p>Implementations must have a public no-argument constructor that does no work: probing the hardware belongs in
 * {@link #availability()}, which must never throw, and opening it in {@link #open}.
 */
public interface AcceleratorProvider {

    /** The short name users select the provider by ({@code "sim"}, {@code "cpu"}, {@code "cuda"}). */
    String name();

    /** One line about what this provider is. */
    String description();

    /** Whether this provider can open a device here; never throws. */
    Availability availability();

    /**
     * Opens a device.
     *
     * @throws AcceleratorUnavailableException if {@link #availability()} is unavailable
     * @throws IllegalArgumentException        if the configuration names an unknown profile or option; the message
     *                                         lists the ones this provider knows
     */
    Accelerator open(AcceleratorConfig config);
}
