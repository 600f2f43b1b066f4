package dev.baton.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * The handle of an accepted request. Safe to use from any thread.
 *
 * <p>Every accepted request ends exactly once: {@link #completion()} completes normally with a {@link Completion}
 * whose finish reason says how it ended (including {@code CANCELLED}, {@code DEVICE_ERROR} and {@code SHUTDOWN});
 * it never completes exceptionally. The token stream then completes with {@code onComplete()} after the last token.
 */
public interface Submission {

    /** The request's id (the caller's, or the one the engine assigned). */
    String requestId();

    /** Completes once, when the request ends for any reason. */
    CompletableFuture<Completion> completion();

    /**
     * The generated tokens as they are produced. Each subscriber receives every token of every sample from the first,
     * in order per sample, then {@code onComplete()}. Delivery runs on the engine's delivery executor, never on the
     * engine thread, and honours the subscriber's demand ({@code request(n)}).
     */
    Flow.Publisher<TokenEvent> tokens();

    /**
     * Asks the engine to stop this request. Returns {@code true} if this call made the request end with
     * {@code CANCELLED}, {@code false} if it had already ended (or another cancel won). The request's KV blocks are
     * released before {@link #completion()} completes.
     */
    boolean cancel();

    /** Whether the request has ended. */
    default boolean isDone() {
        return completion().isDone();
    }
}
