package dev.baton.kv.prefix;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Chained 128-bit block hashes: {@code H(parent hash, the block's token ids, extra keys)}, vLLM's
 * {@code hash_block_tokens}, over a canonical fixed layout so that a router, another tier or another process
 * computes the same hashes from the same seed.
 *
 * <h2>Canonical input</h2>
 * A block hash is computed over, in order: the parent hash (hi, lo; {@link #rootHi()}/{@link #rootLo()} for the first
 * block), the block's token ids (32-bit each), a flag for whether extra keys follow, and the 128-bit digest of the
 * block's extra keys when they do. Extra keys (LoRA name in every block, cache salt in the first block only,
 * multimodal identifiers with their offset relative to the block) are digested by {@link #hashWords} over a word list
 * whose strings are first digested by {@link #hashString}.
 * <ul>
 *   <li>{@link #fast128(long)}: a 128-bit multiply-mix hash (two independent 64-bit lanes of wyhash-style
 *   folding, two tokens per 64-bit word, finished with MurmurHash3's mixer), a few nanoseconds for a 16-token
 *   block. Not collision-resistant against an adversary who knows the seed, so {@link PrefixCache} verifies every
 *   hit against stored tokens.</li>
 *   <li>{@link #sha256(long)}: SHA-256 ({@link MessageDigest}, vLLM's default) over the big-endian byte encoding of
 *   the same fields, truncated to 128 bits; collision-resistant, for untrusted multi-tenant deployments and for
 *   hashes that leave the process (events, routers).</li>
 * </ul>
 * The root ("NONE_HASH") is derived from a seed, deterministic per deployment: processes that share a cache index
 * use the same seed.
 *
 * <h2>Use</h2>
 * Results of the last call are read with {@link #hi()} and {@link #lo()}. An instance keeps scratch state (a
 * reusable digest, byte buffers), so it is not thread-safe and allocates nothing per call once its buffers have
 * grown; give each thread its own.
 */
public abstract sealed class BlockHasher permits BlockHasher.Fast128, BlockHasher.Sha256 {

    protected long hi;
    protected long lo;
    private final long seed;
    private final long rootHi;
    private final long rootLo;

    BlockHasher(long seed) {
        this.seed = seed;
        long[] root = root(seed);
        rootHi = root[0];
        rootLo = root[1];
    }

    /** The fast 128-bit hash with verification on hit (see the class comment). */
    public static BlockHasher fast128(long seed) {
        return new Fast128(seed);
    }

    /** SHA-256 truncated to 128 bits. */
    public static BlockHasher sha256(long seed) {
        return new Sha256(seed);
    }

    /** {@code "fast128"} or {@code "sha256"}. */
    public abstract String algorithm();

    public final long seed() {
        return seed;
    }

    /** High half of the chain root (the parent of every first block). */
    public final long rootHi() {
        return rootHi;
    }

    public final long rootLo() {
        return rootLo;
    }

    /** High half of the last result. */
    public final long hi() {
        return hi;
    }

    /** Low half of the last result. */
    public final long lo() {
        return lo;
    }

    /**
     * Hashes one block.
     *
     * @param tokens    the block's {@code len} token ids start at {@code tokens[off]}
     * @param hasExtras whether the block has extra keys ({@code extraHi}/{@code extraLo} are ignored otherwise)
     */
    public abstract void hashBlock(long parentHi, long parentLo, int[] tokens, int off, int len, boolean hasExtras,
                                   long extraHi, long extraLo);

    /**
     * Digests a key string (LoRA name, salt, multimodal identifier): its UTF-16 code units for {@code fast128}, its
     * UTF-8 bytes for {@code sha256}.
     */
    public abstract void hashString(CharSequence s);

    /** Digests a list of 64-bit words (an extra-keys list in canonical form). */
    public abstract void hashWords(long[] words, int n);

    abstract long[] root(long seed);

    // ============================================================================================ fast 128

    /**
     * Two independent 64-bit lanes of multiply-mix folding (the "mum" step of wyhash: the xor of the high and low
     * halves of a 64x64-bit product): each pair of input words is multiplied with per-position keys of both lanes
     * and added to the lane, so the products of one block do not wait on each other and the CPU overlaps them,
     * unlike a serial Murmur chain. The lanes are finished with a cross-mix and MurmurHash3's 64-bit finaliser.
     * Keys come from the seed (SplitMix64), so different seeds give unrelated hashes.
     */
    static final class Fast128 extends BlockHasher {
        private static final long GOLDEN = 0x9E3779B97F4A7C15L;

        private long[] keys;
        private final long seedMix;

        Fast128(long seed) {
            super(seed);
            this.seedMix = fmix(seed ^ GOLDEN);
            this.keys = keySchedule(seedMix, 64);
        }

        @Override
        public String algorithm() {
            return "fast128";
        }

        @Override
        long[] root(long seed) {
            return new long[] {fmix(seed ^ 0x6e6f6e652d686173L), fmix(~seed * GOLDEN + 0x62617465L)};
        }

        /** Four keys per word pair: two per lane. */
        private static long[] keySchedule(long seed, int pairs) {
            long[] k = new long[4 * pairs + 8];
            long x = seed;
            for (int i = 0; i < k.length; i++) {
                x += GOLDEN;
                k[i] = fmix(x) | 1;
            }
            return k;
        }

        private long[] keys(int pairs) {
            if (keys.length < 4 * pairs + 8) {
                keys = keySchedule(seedMix, Math.max(pairs, keys.length / 2));
            }
            return keys;
        }

        @Override
        public void hashBlock(long parentHi, long parentLo, int[] t, int off, int len, boolean hasExtras,
                              long extraHi, long extraLo) {
            int pairs = (len + 3) / 4 + 2;
            long[] k = keys(pairs);
            long a = mum(parentHi ^ k[0], parentLo ^ k[1]);
            long b = mum(parentHi ^ k[2], parentLo ^ k[3]);
            int p = 4;
            int i = off;
            int end = off + len;
            for (; i + 4 <= end; i += 4, p += 4) {
                long w0 = pack(t[i], t[i + 1]);
                long w1 = pack(t[i + 2], t[i + 3]);
                a += mum(w0 ^ k[p], w1 ^ k[p + 1]);
                b += mum(w0 ^ k[p + 2], w1 ^ k[p + 3]);
            }
            if (i < end) {
                long w0 = pack(t[i], i + 1 < end ? t[i + 1] : 0);
                long w1 = i + 2 < end ? pack(t[i + 2], 0) : 0;
                a += mum(w0 ^ k[p], w1 ^ k[p + 1]);
                b += mum(w0 ^ k[p + 2], w1 ^ k[p + 3]);
                p += 4;
            }
            if (hasExtras) {
                a += mum(extraHi ^ k[p], extraLo ^ k[p + 1]);
                b += mum(extraHi ^ k[p + 2], extraLo ^ k[p + 3]);
            }
            finish(a, b, ((long) len << 1) | (hasExtras ? 1 : 0));
        }

        @Override
        public void hashString(CharSequence s) {
            int n = s.length();
            long[] k = keys((n + 7) / 8 + 2);
            long a = k[0];
            long b = k[2];
            int p = 4;
            for (int i = 0; i < n; i += 8, p += 4) {
                long w0 = 0;
                long w1 = 0;
                for (int j = 0; j < 4 && i + j < n; j++) {
                    w0 |= (long) s.charAt(i + j) << (16 * j);
                }
                for (int j = 4; j < 8 && i + j < n; j++) {
                    w1 |= (long) s.charAt(i + j) << (16 * (j - 4));
                }
                a += mum(w0 ^ k[p], w1 ^ k[p + 1]);
                b += mum(w0 ^ k[p + 2], w1 ^ k[p + 3]);
            }
            finish(a, b, 0x5354520000000000L | n);
        }

        @Override
        public void hashWords(long[] words, int n) {
            long[] k = keys((n + 1) / 2 + 2);
            long a = k[0];
            long b = k[2];
            int p = 4;
            for (int i = 0; i < n; i += 2, p += 4) {
                long w0 = words[i];
                long w1 = i + 1 < n ? words[i + 1] : 0;
                a += mum(w0 ^ k[p], w1 ^ k[p + 1]);
                b += mum(w0 ^ k[p + 2], w1 ^ k[p + 3]);
            }
            finish(a, b, 0x574f524400000000L | n);
        }

        private void finish(long a, long b, long length) {
            long x = a ^ Long.rotateLeft(b, 29) ^ length;
            long y = b ^ Long.rotateLeft(a, 41) ^ (length * GOLDEN);
            hi = fmix(x + y);
            lo = fmix(y ^ (x * GOLDEN));
        }

        private static long mum(long x, long y) {
            return x * y ^ Math.multiplyHigh(x, y);
        }

        private static long pack(int x, int y) {
            return ((long) x << 32) | (y & 0xFFFFFFFFL);
        }

        private static long fmix(long k) {
            k ^= k >>> 33;
            k *= 0xff51afd7ed558ccdL;
            k ^= k >>> 33;
            k *= 0xc4ceb9fe1a85ec53L;
            k ^= k >>> 33;
            return k;
        }
    }

    // ============================================================================================ SHA-256

    /** SHA-256 over the canonical big-endian encoding, truncated to 128 bits. */
    static final class Sha256 extends BlockHasher {
        private static final byte TAG_BLOCK = 'B';
        private static final byte TAG_STRING = 'S';
        private static final byte TAG_WORDS = 'W';

        private MessageDigest digest;
        private byte[] buf = new byte[256];
        private final byte[] out = new byte[32];

        Sha256(long seed) {
            super(seed);
        }

        @Override
        public String algorithm() {
            return "sha256";
        }

        @Override
        long[] root(long seed) {
            MessageDigest d = newDigest();
            d.update("baton.kv.none-hash".getBytes(StandardCharsets.US_ASCII));
            byte[] s = new byte[8];
            putLong(s, 0, seed);
            byte[] r = d.digest(s);
            return new long[] {getLong(r, 0), getLong(r, 8)};
        }

        @Override
        public void hashBlock(long parentHi, long parentLo, int[] t, int off, int len, boolean hasExtras,
                              long extraHi, long extraLo) {
            int size = 1 + 16 + 4 * len + 1 + (hasExtras ? 16 : 0);
            byte[] b = ensure(size);
            b[0] = TAG_BLOCK;
            putLong(b, 1, parentHi);
            putLong(b, 9, parentLo);
            int p = 17;
            for (int i = off, end = off + len; i < end; i++) {
                int v = t[i];
                b[p] = (byte) (v >>> 24);
                b[p + 1] = (byte) (v >>> 16);
                b[p + 2] = (byte) (v >>> 8);
                b[p + 3] = (byte) v;
                p += 4;
            }
            b[p++] = (byte) (hasExtras ? 1 : 0);
            if (hasExtras) {
                putLong(b, p, extraHi);
                putLong(b, p + 8, extraLo);
            }
            digest(b, size);
        }

        @Override
        public void hashString(CharSequence s) {
            int n = s.length();
            byte[] b = ensure(1 + 3 * n);
            b[0] = TAG_STRING;
            int p = 1;
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    b[p++] = (byte) c;
                } else if (c < 0x800) {
                    b[p++] = (byte) (0xC0 | (c >> 6));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i)); // 4 bytes for 2 chars: within 3 * n
                    b[p++] = (byte) (0xF0 | (cp >> 18));
                    b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    b[p++] = (byte) (0x80 | (cp & 0x3F));
                } else {
                    b[p++] = (byte) (0xE0 | (c >> 12));
                    b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            digest(b, p);
        }

        @Override
        public void hashWords(long[] words, int n) {
            byte[] b = ensure(1 + 8 * n);
            b[0] = TAG_WORDS;
            for (int i = 0; i < n; i++) {
                putLong(b, 1 + 8 * i, words[i]);
            }
            digest(b, 1 + 8 * n);
        }

        private void digest(byte[] b, int len) {
            MessageDigest d = digest;
            if (d == null) {
                d = digest = newDigest();
            }
            d.update(b, 0, len);
            try {
                d.digest(out, 0, 32);
            } catch (DigestException e) {
                throw new IllegalStateException(e);
            }
            hi = getLong(out, 0);
            lo = getLong(out, 8);
        }

        private byte[] ensure(int size) {
            if (buf.length < size) {
                buf = new byte[Math.max(size, buf.length * 2)];
            }
            return buf;
        }

        private static MessageDigest newDigest() {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java platform must provide SHA-256", e);
            }
        }

        private static void putLong(byte[] b, int p, long v) {
            for (int i = 7; i >= 0; i--) {
                b[p + i] = (byte) v;
                v >>>= 8;
            }
        }

        private static long getLong(byte[] b, int p) {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (b[p + i] & 0xFF);
            }
            return v;
        }
    }
}
