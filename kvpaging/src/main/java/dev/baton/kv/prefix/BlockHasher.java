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
 *   <li>{@link #fast128(long)}: a 128-bit hash in the MurmurHash3 x64-128 construction (Appleby; 64-bit lanes, two
 *   tokens per lane), about 15 ns for a 16-token block. Not collision-resistant against an adversary who knows the
 *   seed, so {@link PrefixCache} verifies every hit against stored tokens.</li>
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

    /** MurmurHash3 x64-128 construction over 64-bit lanes. */
    static final class Fast128 extends BlockHasher {
        private static final long C1 = 0x87c37b91114253d5L;
        private static final long C2 = 0x4cf5ad432745937fL;
        private static final long GOLDEN = 0x9E3779B97F4A7C15L;

        private long h1;
        private long h2;
        private final long seed1;
        private final long seed2;

        Fast128(long seed) {
            super(seed);
            this.seed1 = seed;
            this.seed2 = seed ^ GOLDEN;
        }

        @Override
        public String algorithm() {
            return "fast128";
        }

        @Override
        long[] root(long seed) {
            return new long[] {fmix(seed ^ 0x6e6f6e652d686173L), fmix(~seed * GOLDEN + 0x62617465L)};
        }

        @Override
        public void hashBlock(long parentHi, long parentLo, int[] t, int off, int len, boolean hasExtras,
                              long extraHi, long extraLo) {
            h1 = seed1;
            h2 = seed2;
            round(parentHi, parentLo);
            int i = off;
            int end = off + len;
            for (; i + 4 <= end; i += 4) {
                round(pack(t[i], t[i + 1]), pack(t[i + 2], t[i + 3]));
            }
            if (i < end) {
                long k1 = pack(t[i], i + 1 < end ? t[i + 1] : 0);
                long k2 = i + 2 < end ? pack(t[i + 2], 0) : 0;
                round(k1, k2);
            }
            if (hasExtras) {
                round(extraHi, extraLo);
            }
            finish(((long) len << 1) | (hasExtras ? 1 : 0));
        }

        @Override
        public void hashString(CharSequence s) {
            h1 = seed1;
            h2 = seed2;
            int n = s.length();
            long k1 = 0;
            long k2 = 0;
            for (int i = 0; i < n; i++) {
                long c = s.charAt(i);
                int shift = (i & 3) * 16;
                if ((i & 7) < 4) {
                    k1 |= c << shift;
                } else {
                    k2 |= c << shift;
                }
                if ((i & 7) == 7) {
                    round(k1, k2);
                    k1 = 0;
                    k2 = 0;
                }
            }
            if ((n & 7) != 0) {
                round(k1, k2);
            }
            finish(0x5354520000000000L | n);
        }

        @Override
        public void hashWords(long[] words, int n) {
            h1 = seed1;
            h2 = seed2;
            int i = 0;
            for (; i + 2 <= n; i += 2) {
                round(words[i], words[i + 1]);
            }
            if (i < n) {
                round(words[i], 0);
            }
            finish(0x574f524400000000L | n);
        }

        private static long pack(int a, int b) {
            return ((long) a << 32) | (b & 0xFFFFFFFFL);
        }

        private void round(long k1, long k2) {
            k1 *= C1;
            k1 = Long.rotateLeft(k1, 31);
            k1 *= C2;
            h1 ^= k1;
            h1 = Long.rotateLeft(h1, 27);
            h1 += h2;
            h1 = h1 * 5 + 0x52dce729;
            k2 *= C2;
            k2 = Long.rotateLeft(k2, 33);
            k2 *= C1;
            h2 ^= k2;
            h2 = Long.rotateLeft(h2, 31);
            h2 += h1;
            h2 = h2 * 5 + 0x38495ab5;
        }

        private void finish(long length) {
            long a = h1 ^ length;
            long b = h2 ^ length;
            a += b;
            b += a;
            a = fmix(a);
            b = fmix(b);
            a += b;
            b += a;
            hi = a;
            lo = b;
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
