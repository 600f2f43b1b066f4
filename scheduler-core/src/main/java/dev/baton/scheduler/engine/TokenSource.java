package dev.baton.scheduler.engine;

/**
 * What a {@link TokenSubscription} delivers from: the tokens of a request's samples as far as they are published, and
 * whether the request has ended. Implemented by the engine's request handle (tokens arriving step by step) and by
 * answers that are complete from the start (a result-cache hit).
 *
 * <p>Read from delivery threads: {@link #published} must be read before the tokens it covers (it is the
 * publication point), and {@link #isEnded} must only become true after every token is published.
 */
public interface TokenSource {

    String requestId();

    int numSamples();

    /** Tokens of {@code sample} published so far. */
    int published(int sample);

    /** Token {@code index} of {@code sample}, {@code index < published(sample)}. */
    int token(int sample, int index);

    /** When token {@code index} of {@code sample} was produced, on the engine clock. */
    long time(int sample, int index);

    /** Whether the request has ended (no token will be added). */
    boolean isEnded();
}
