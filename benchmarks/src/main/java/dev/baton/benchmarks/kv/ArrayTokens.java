package dev.baton.benchmarks.kv;

import dev.baton.kv.TokenSequence;

/**
 * Benchmark tokens: a fixed prefix followed by a tail that changes with {@link #next()}, array-backed like a
 * scheduler's request state, allocation-free.
 */
final class ArrayTokens implements TokenSequence {

    private final int[] tokens;
    private final int sharedPrefix;
    private int variant;

    ArrayTokens(int length, int sharedPrefix) {
        this.tokens = new int[length];
        this.sharedPrefix = sharedPrefix;
        for (int i = 0; i < length; i++) {
            tokens[i] = i * 7 + 3;
        }
    }

    /** A new tail: the next request shares only the prefix with the previous ones. */
    void next() {
        variant++;
        for (int i = sharedPrefix; i < tokens.length; i++) {
            tokens[i] = (variant * 1_000_003 + i) & 0x7FFFF;
        }
    }

    @Override
    public int length() {
        return tokens.length;
    }

    @Override
    public int tokenAt(int index) {
        return tokens[index];
    }

    @Override
    public void copyTo(int from, int[] dst, int off, int len) {
        System.arraycopy(tokens, from, dst, off, len);
    }
}
