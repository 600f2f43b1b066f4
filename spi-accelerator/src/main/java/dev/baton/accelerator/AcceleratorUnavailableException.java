package dev.baton.accelerator;

/** A provider was asked to open a device it cannot open here; the message carries the provider's reason. */
public final class AcceleratorUnavailableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final String provider;

    public AcceleratorUnavailableException(String provider, String reason) {
        super("accelerator provider '" + provider + "' is unavailable: " + reason);
        this.provider = provider;
    }

    public String provider() {
        return provider;
    }
}
