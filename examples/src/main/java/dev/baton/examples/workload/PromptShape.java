package dev.baton.examples.workload;

import java.util.Arrays;

/**
 * What a prompt is made of, without its tokens: a list of segments, each a key and a length. The tokens of a segment
 * are a pure function of its key, so two prompts that start with the same segments start with the same tokens, and the
 * engine's prefix cache sees exactly the sharing the workload describes (a multi-turn conversation's growing history,
 * the leading hash ids of a prefix-hash trace, a shared system prompt). Prompts of traces without prefix information
 * are one segment with a key of their own.
 *
 * <p>Tokens are materialised only when the request is submitted ({@link #tokens(int)}), so a long workload holds a few
 * words per request, not its prompt.
 */
public final class PromptShape {
    private final long[] keys;
    private final int[] lengths;
    private final int length;

    private PromptShape(long[] keys, int[] lengths) {
        if (keys.length != lengths.length || keys.length == 0) {
            throw new IllegalArgumentException("a prompt needs at least one segment, and one length per key");
        }
        long total = 0;
        for (int l : lengths) {
            if (l <= 0) {
                throw new IllegalArgumentException("segment lengths must be positive, got " + l);
            }
            total += l;
        }
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("prompt of " + total + " tokens is too long");
        }
        this.keys = keys;
        this.lengths = lengths;
        this.length = (int) total;
    }

    /** A prompt of {@code length} tokens that shares nothing with prompts of other keys. */
    public static PromptShape unique(long key, int length) {
        return new PromptShape(new long[] {key}, new int[] {length});
    }

    /** A prompt of the given segments (keys and lengths are copied). */
    public static PromptShape of(long[] keys, int[] lengths) {
        return new PromptShape(keys.clone(), lengths.clone());
    }

    /** This prompt followed by one more segment (the next turn of a conversation). */
    public PromptShape extend(long key, int segmentLength) {
        long[] k = Arrays.copyOf(keys, keys.length + 1);
        int[] l = Arrays.copyOf(lengths, lengths.length + 1);
        k[keys.length] = key;
        l[lengths.length] = segmentLength;
        return new PromptShape(k, l);
    }

    public int length() {
        return length;
    }

    public int segments() {
        return keys.length;
    }

    public long key(int segment) {
        return keys[segment];
    }

    public int segmentLength(int segment) {
        return lengths[segment];
    }

    /** The prompt's token ids, each in {@code [0, vocabSize)}. */
    public int[] tokens(int vocabSize) {
        int[] t = new int[length];
        int p = 0;
        for (int s = 0; s < keys.length; s++) {
            long k = keys[s];
            for (int j = 0; j < lengths[s]; j++) {
                t[p++] = (int) Long.remainderUnsigned(mix(k + j * 0x9E3779B97F4A7C15L), vocabSize);
            }
        }
        return t;
    }

    /** SplitMix64's finaliser: a bijective 64-bit mix, so distinct keys give unrelated token streams. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return "PromptShape[" + length + " tokens in " + keys.length + " segments]";
    }
}
