package dev.baton.kv;

import java.util.Arrays;

/** A test {@link TokenSequence}: a fixed token array of which the first {@code visible} tokens are known. */
final class Tokens implements TokenSequence {

    private int[] all;
    private int visible;

    Tokens(int[] all, int visible) {
        this.all = all;
        this.visible = visible;
    }

    static Tokens of(int... tokens) {
        return new Tokens(tokens.clone(), tokens.length);
    }

    /** {@code n} copies of {@code value}. */
    static int[] repeat(int value, int n) {
        int[] t = new int[n];
        Arrays.fill(t, value);
        return t;
    }

    /** {@code [from, to)}. */
    static int[] range(int from, int to) {
        int[] t = new int[to - from];
        for (int i = 0; i < t.length; i++) {
            t[i] = from + i;
        }
        return t;
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int k = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, k, p.length);
            k += p.length;
        }
        return out;
    }

    /** vLLM's "common" prefix of the prefix-caching tests: {@code [0]*16 + [1]*16 + [2]*16}. */
    static int[] common() {
        return concat(repeat(0, 16), repeat(1, 16), repeat(2, 16));
    }

    void append(int token) {
        if (visible == all.length) {
            all = Arrays.copyOf(all, Math.max(4, all.length * 2));
        }
        all[visible++] = token;
    }

    /** Reveals the next token of the predetermined array (a decode step's sampled token). */
    boolean reveal() {
        if (visible < all.length) {
            visible++;
            return true;
        }
        return false;
    }

    int[] visibleTokens() {
        return Arrays.copyOf(all, visible);
    }

    @Override
    public int length() {
        return visible;
    }

    @Override
    public void copyTo(int from, int[] dst, int off, int len) {
        if (from + len > visible) {
            throw new IndexOutOfBoundsException("tokens [" + from + ", " + (from + len) + ") of " + visible);
        }
        System.arraycopy(all, from, dst, off, len);
    }

    @Override
    public int tokenAt(int index) {
        if (index >= visible) {
            throw new IndexOutOfBoundsException("token " + index + " of " + visible);
        }
        return all[index];
    }
}
