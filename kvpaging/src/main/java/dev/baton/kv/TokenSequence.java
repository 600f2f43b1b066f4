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
}
