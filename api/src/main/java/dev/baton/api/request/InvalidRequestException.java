package dev.baton.api.request;

/**
 * Thrown when a request, or one of its parameters, is built with a value Baton cannot serve. The message names the
 * field, the value given and what to change; {@link #field()} names the field for programmatic handling (an HTTP
 * front end maps it to a 400 response with the field in the body).
 *
 * <p>This is raised at construction, before anything reaches an engine, so an invalid request is never partly
 * accepted.
 */
public final class InvalidRequestException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String field;

    public InvalidRequestException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    /** The name of the offending field, as in the builder method that sets it (for example {@code "topP"}). */
    public String field() {
        return field;
    }

    static void check(boolean ok, String field, String message) {
        if (!ok) {
            throw new InvalidRequestException(field, message);
        }
    }

    static <T> T notNull(T value, String field) {
        if (value == null) {
            throw new InvalidRequestException(field, "must not be null");
        }
        return value;
    }
}
