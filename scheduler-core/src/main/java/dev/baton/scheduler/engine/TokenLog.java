package dev.baton.scheduler.engine;

import java.util.Arrays;

/**
 * The tokens of one sample as published to delivery threads: an append-only log with one writer (the engine thread)
 * and any number of readers.
 *
 * <p>Memory ordering: the writer stores tokens (and, when it grows, the new arrays) before the release store of
 * {@link #count}; a reader's acquire load of {@code count} followed by loads of the array references therefore sees
 * arrays holding at least {@code count} entries. Arrays are never shrunk or reused, so a stale reference is only ever
 * short, never wrong.
 */
final class TokenLog {
    private volatile int[] tokens = new int[16];
    private volatile long[] times = new long[16];
    private volatile int count;

    /** Engine thread only. */
    void append(int token, long timeNanos) {
        int n = count;
        int[] t = tokens;
        long[] ts = times;
        if (n == t.length) {
            t = Arrays.copyOf(t, n * 2);
            ts = Arrays.copyOf(ts, n * 2);
            t[n] = token;
            ts[n] = timeNanos;
            tokens = t;
            times = ts;
        } else {
            t[n] = token;
            ts[n] = timeNanos;
        }
        count = n + 1;
    }

    /** Tokens published so far (acquire). */
    int count() {
        return count;
    }

    /** Token {@code i}, {@code i < count()} as read before. */
    int token(int i) {
        return tokens[i];
    }

    long time(int i) {
        return times[i];
    }

    int[] snapshot() {
        int n = count;
        return Arrays.copyOf(tokens, n);
    }
}
