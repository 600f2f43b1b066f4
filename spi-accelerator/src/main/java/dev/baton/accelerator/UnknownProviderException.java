package dev.baton.accelerator;

import java.util.List;

/** No provider of that name was found; the message lists those that were. */
public final class UnknownProviderException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String requested;
    private final List<String> known;

    public UnknownProviderException(String requested, List<String> known) {
        super("unknown accelerator provider '" + requested + "'; known providers: " + String.join(", ", known)
                + " (run `baton devices` to see which are available here)");
        this.requested = requested;
        this.known = List.copyOf(known);
    }

    public String requested() {
        return requested;
    }

    public List<String> known() {
        return known;
    }
}
