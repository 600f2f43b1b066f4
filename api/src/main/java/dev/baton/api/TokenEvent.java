package dev.baton.api;

/**
 * One generated token, as delivered to a {@link Submission#tokens()} subscriber.
 *
 * @param requestId   the request's id
 * @param sampleIndex which parallel sample ({@code 0 .. n-1}) the token belongs to
 * @param index       the token's position in that sample's output ({@code 0} is the first generated token)
 * @param tokenId     the token id
 * @param timeNanos   when the engine produced it, on the engine's {@link Clock}
 */
public record TokenEvent(String requestId, int sampleIndex, int index, int tokenId, long timeNanos) {
}
