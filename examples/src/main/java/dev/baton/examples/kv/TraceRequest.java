package dev.baton.examples.kv;

import java.util.Arrays;

/**
 * One request of a prefix-hash trace (the Mooncake / FAST'25 trace format): arrival time, prompt and output length
 * in tokens, and one hash id per block of the prompt. Equal leading ids mean a shareable prefix: an id stands for a
 * block's content together with everything before it.
 *
 * @param timestampMs  arrival time in milliseconds
 * @param inputLength  prompt tokens
 * @param outputLength generated tokens
 * @param hashIds      one id per prompt block, in order
 */
public record TraceRequest(long timestampMs, int inputLength, int outputLength, long[] hashIds) {

    public TraceRequest {
        hashIds = hashIds.clone();
    }

    public int numBlocks() {
        return hashIds.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TraceRequest r && r.timestampMs == timestampMs && r.inputLength == inputLength
                && r.outputLength == outputLength && Arrays.equals(r.hashIds, hashIds);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(timestampMs) * 31 + Arrays.hashCode(hashIds);
    }

    @Override
    public String toString() {
        return "TraceRequest[t=" + timestampMs + "ms, in=" + inputLength + ", out=" + outputLength + ", blocks="
                + hashIds.length + "]";
    }
}
