package dev.baton.kv;

/**
 * One KV-cache group: layers that share an attention type and therefore a block table per sequence. A model with
 * only full attention has one group; a hybrid model (Gemma 3, gpt-oss) has a full-attention group and one or more
 * sliding-window groups. All groups draw from one block pool, so block ids are unique across groups.
 *
 * @param kind          the attention type
 * @param slidingWindow window in tokens for {@link Kind#SLIDING_WINDOW}, else 0
 */
public record KvGroupSpec(Kind kind, int slidingWindow) {

    public enum Kind { FULL_ATTENTION, SLIDING_WINDOW }

    public static final KvGroupSpec FULL = new KvGroupSpec(Kind.FULL_ATTENTION, 0);

    public KvGroupSpec {
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        if (kind == Kind.SLIDING_WINDOW && slidingWindow < 1) {
            throw new IllegalArgumentException("a sliding-window group needs a window of at least 1 token, got "
                    + slidingWindow);
        }
        if (kind == Kind.FULL_ATTENTION && slidingWindow != 0) {
            throw new IllegalArgumentException("a full-attention group has no window, got " + slidingWindow);
        }
    }

    public static KvGroupSpec slidingWindow(int window) {
        return new KvGroupSpec(Kind.SLIDING_WINDOW, window);
    }
}
