package dev.baton.accelerator.sampling;

/**
 * The random numbers of sampling and draft verification: a counter-based stream, so that every draw is a pure
 * function of {@code (seed, position, purpose, index)} and never of the step, the batch or the order in which a
 * device happens to visit sequences. A request sampled with a fixed seed therefore produces the same tokens however it
 * is batched, chunked, preempted or swapped, and a GPU kernel can compute any draw independently of every other one.
 *
 * <h2>Definition</h2>
 * All arithmetic is on unsigned 64-bit integers modulo 2<sup>64</sup>; {@code mix64} is the SplitMix64 finaliser
 * (Stafford's variant 13):
 * <pre>
 *   mix64(z):  z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9
 *              z = (z ^ (z >>> 27)) * 0x94D049BB133111EB
 *              return z ^ (z >>> 31)
 *
 *   key(seed, position, purpose) = mix64(mix64(seed + 0x9E3779B97F4A7C15 * (position + 1))
 *                                        + 0xD1B54A32D192ED03 * (purpose + 1))
 *   bits(seed, position, purpose, index) = mix64(key + 0x9E3779B97F4A7C15 * (index + 1))
 *   uniform(...) = (bits >>> 11) * 2^-53                      // a float64 in [0, 1), never 1
 * </pre>
 * {@code position} is the position in the sequence of the token being produced (so the first generated token of a
 * prompt of length {@code n} is drawn at position {@code n}), {@code purpose} is a {@link Purpose} code and
 * {@code index} distinguishes draws of one purpose (the token id, for an exponential race).
 *
 * <h2>Exponential race</h2>
 * A token is drawn from a probability row {@code p} as {@code argmax_v p(v) / E(v)} over tokens with {@code p(v) > 0},
 * where {@code E(v) = -ln(1 - uniform(seed, position, purpose, v))} is a standard exponential (zero when the uniform
 * is zero, which makes that token win outright). The winner is distributed exactly as {@code p} (the minimum of
 * independent exponentials {@code E(v)/p(v)} lands on {@code v} with probability {@code p(v)}), it needs no
 * normalisation, and ties go to the lowest token id. vLLM's sampler and its recovered-token sampler use the same race.
 *
 * <p>Stateless and thread-safe.
 */
public final class SamplingStream {

    /** What a draw is for; the {@link #code()} enters the stream key, so purposes never share draws. */
    public enum Purpose {
        /** Sampling a token from the target distribution (a plain decode, or the bonus token after drafts). */
        SAMPLE(0),
        /** The acceptance uniform of a draft token. */
        ACCEPT(1),
        /** Resampling a recovered token from the residual distribution after a rejection. */
        RECOVER(2);

        private final int code;

        Purpose(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    static final long GOLDEN = 0x9E3779B97F4A7C15L;
    static final long PURPOSE_STEP = 0xD1B54A32D192ED03L;

    private SamplingStream() {
    }

    /** The stream key of {@code (seed, position, purpose)}; draws of that stream are {@link #uniform(long, int)}. */
    public static long key(long seed, int position, Purpose purpose) {
        return mix64(mix64(seed + GOLDEN * (position + 1L)) + PURPOSE_STEP * (purpose.code + 1L));
    }

    /** Draw {@code index} of the stream with {@code key}: a float64 uniform in [0, 1). */
    public static double uniform(long key, int index) {
        return (mix64(key + GOLDEN * (index + 1L)) >>> 11) * 0x1.0p-53;
    }

    /** {@code uniform(key(seed, position, purpose), index)}. */
    public static double uniform(long seed, int position, Purpose purpose, int index) {
        return uniform(key(seed, position, purpose), index);
    }

    /**
     * Draws a token from the (not necessarily normalised) non-negative weights {@code w[off .. off + n)} by the
     * exponential race on stream {@code key}. Returns {@code -1} when every weight is zero.
     */
    public static int race(float[] w, int off, int n, long key) {
        int best = -1;
        double bestScore = -1;
        for (int v = 0; v < n; v++) {
            float p = w[off + v];
            if (p > 0) {
                double e = -Math.log(1.0 - uniform(key, v));
                double score = p / e; // +Infinity when e == 0: that token wins, ties to the lowest id
                if (score > bestScore) {
                    bestScore = score;
                    best = v;
                }
            }
        }
        return best;
    }

    /** The SplitMix64 finaliser. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
