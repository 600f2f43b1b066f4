package dev.baton.api.admission;

/** Thrown by {@link Admission#orThrow()} for a rejected request; carries the typed {@link Rejection}. */
public final class RequestRejectedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Rejection rejection;

    public RequestRejectedException(Rejection rejection) {
        super(rejection.toString());
        this.rejection = rejection;
    }

    public Rejection rejection() {
        return rejection;
    }
}
