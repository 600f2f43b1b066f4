package dev.baton.accelerator;

import java.util.Objects;

/**
 * One entry of {@link Accelerators#discover()}: a provider that was found, whether it is available, and why not.
 *
 * @param name         the provider's name, or the class name when the provider could not even be loaded
 * @param description  what it is, or what failed to load
 * @param availability available, or the reason it is not
 * @param provider     the loaded provider, or {@code null} when loading failed
 */
public record ProviderStatus(String name, String description, Availability availability,
                             AcceleratorProvider provider) {
    public ProviderStatus {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(availability, "availability");
    }
}
