package dev.baton.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * The finished output of one parallel sample.
 *
 * @param index        the sample's index, {@code 0 .. n-1}
 * @param tokens       the generated token ids (a stop token that ended generation is included)
 * @param finishReason why this sample ended
 * @param stopToken    the stop token that ended it, or {@code -1}
 */
public record SampleOutput(int index, int[] tokens, FinishReason finishReason, int stopToken) {
    public SampleOutput {
        Objects.requireNonNull(tokens, "tokens");
        Objects.requireNonNull(finishReason, "finishReason");
        tokens = tokens.clone();
    }

    /** A copy of the generated tokens. */
    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    public int numTokens() {
        return tokens.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SampleOutput s && index == s.index && Arrays.equals(tokens, s.tokens)
                && finishReason == s.finishReason && stopToken == s.stopToken;
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, Arrays.hashCode(tokens), finishReason, stopToken);
    }

    @Override
    public String toString() {
        return "SampleOutput[index=" + index + ", tokens=" + Arrays.toString(tokens) + ", finishReason="
                + finishReason + (stopToken >= 0 ? ", stopToken=" + stopToken : "") + "]";
    }
}
