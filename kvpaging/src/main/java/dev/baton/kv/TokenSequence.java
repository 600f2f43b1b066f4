package dev.baton.kv;

/**
 * The tokens of one sequence (prompt followed by generated tokens), as the KV manager reads them to hash full blocks.
 * Implemented by the scheduler's request state; read only on the engine thread.
 */
public interface TokenSequence {

    /** Number of known tokens (prompt plus accepted output; never draft tokens). */
    int length();

    /** Token at {@code index}, {@code 0 <= index < length()}. */
    int tokenAt(int index);

    /**
     * Copies tokens {@code [from, from + len)} into {@code dst[off..]}; the KV manager reads a whole block at a time
     * through this. Override it with an array copy when the tokens live in an array; must not allocate.
     */
    default void copyTo(int from, int[] dst, int off, int len) {
        for (int i = 0; i < len; i++) {
            dst[off + i] = tokenAt(from + i);
        }
    }
}
