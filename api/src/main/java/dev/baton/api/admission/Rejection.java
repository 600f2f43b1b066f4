package dev.baton.api.admission;

import java.time.Duration;
import java.util.Objects;

/**
 * A typed refusal: the reason, a message that says what to change (or when to come back), and an optional hint for
 * an HTTP {@code Retry-After} header.
 *
 * @param reason     why
 * @param message    human-readable explanation naming the limit that was hit
 * @param retryAfter when a retry could succeed, or {@code null} if unknown or never
 */
public record Rejection(RejectionReason reason, String message, Duration retryAfter) {
    public Rejection {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
        if (message.isBlank()) {
            throw new IllegalArgumentException("a rejection's message must say what to change; got a blank one for "
                    + reason);
        }
        if (retryAfter != null && retryAfter.isNegative()) {
            throw new IllegalArgumentException("retryAfter must be zero or positive (or null when unknown), got "
                    + retryAfter);
        }
    }

    public static Rejection of(RejectionReason reason, String message) {
        return new Rejection(reason, message, null);
    }

    public int httpStatus() {
        return reason.httpStatus();
    }

    @Override
    public String toString() {
        return reason + ": " + message + (retryAfter == null ? "" : " (retry after " + retryAfter + ")");
    }
}
