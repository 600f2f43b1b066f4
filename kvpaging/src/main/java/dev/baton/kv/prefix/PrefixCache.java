package dev.baton.kv.prefix;

import java.util.Arrays;

/**
 * The content index of one KV tier: which block holds the KV of which (block hash, KV-cache group), with everything
 * needed to check a hit.
 *
 * <h2>Design</h2>
 * vLLM v1's {@code BlockHashToBlockMap} ({@code block_pool.py}) keyed by {@code BlockHashWithGroupId}, rebuilt for
 * the JVM:
 * <ul>
 *   <li>An open-addressing table with linear probing maps a key (128-bit hash, group) to the <em>first</em> block
 *   cached under it; a slot is three consecutive {@code long}s of one array (hash, hash, group and block), so a probe
 *   touches one cache line, and each block's identity (hash, parent hash, extra keys, duplicate link) is one
 *   64-byte line of another. Deletion shifts later entries back (Knuth's Algorithm R), so there
 *   are no tombstones and probes stay short. The table holds at most one entry per block and is sized at twice the
 *   block count once, so it never resizes and never allocates.</li>
 *   <li><b>Duplicates are allowed</b> (KV-16): two blocks may hold the same content (two requests computed it in the
 *   same step, or one skipped the cache), so that block tables stay append-only. Further blocks with the same key
 *   hang off the first in insertion order through an intrusive {@code int} chain; {@link #first} returns the first
 *   inserted, and removing one keeps the key mapped to the next.</li>
 *   <li><b>Hits are verified.</b> Per block the cache keeps the block's token ids (a flat {@code int[]}, block size
 *   ints per block), its parent hash and a 128-bit digest of its extra keys (LoRA, salt, multimodal). {@link #find}
 *   returns a block only if all of them equal the probe's, so even a collision of a fast non-cryptographic hash can
 *   never hand one request another request's KV: a wrong hit needs the same tokens, the same extra keys and the same
 *   parent hash.</li>
 * </ul>
 * A block's metadata may be written ({@link #describe}) before the block is made findable ({@link #index}): an
 * in-flight copy between tiers becomes loadable only when the device reports it done.
 *
 * <h2>Invariants</h2>
 * Every indexed block is reachable from its key's slot exactly once; a slot's key equals the key of every block in
 * its chain; {@code size()} counts indexed blocks. Block ids are those of the tier's {@code BlockPool}.
 *
 * <h2>Threads</h2>
 * Not thread-safe; confined to the engine thread. All operations are allocation-free.
 */
public final class PrefixCache {

    private static final int EMPTY = -1;

    private final int numBlocks;
    private final int blockSize;

    /**
     * Per block, one cache line: hash hi, hash lo, parent hi, parent lo, extra-keys hi, extra-keys lo, and
     * {@code group << 32 | nextDuplicate}. A verified probe reads one line of metadata and one of tokens.
     */
    private final long[] meta;
    private final int[] tokens;
    private final boolean[] indexed;

    /** Slot {@code i}: hash hi, hash lo, {@code group << 32 | first block} ({@code block == -1}: empty). */
    private final long[] table;
    private final int mask;
    private int size;

    private static final int META = 8;
    private static final int HI = 0;
    private static final int LO = 1;
    private static final int PARENT_HI = 2;
    private static final int PARENT_LO = 3;
    private static final int EXTRA_HI = 4;
    private static final int EXTRA_LO = 5;
    private static final int LINK = 6;
    private static final int SLOT = 3;

    /**
     * @param numBlocks blocks of the tier (ids {@code [0, numBlocks)})
     * @param blockSize tokens per block
     */
    public PrefixCache(int numBlocks, int blockSize) {
        if (numBlocks < 1 || blockSize < 1) {
            throw new IllegalArgumentException("numBlocks and blockSize must be positive: " + numBlocks + ", "
                    + blockSize);
        }
        long tokenCells = (long) numBlocks * blockSize;
        if (tokenCells > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("numBlocks * blockSize = " + tokenCells
                    + " token ids do not fit one array; use fewer or smaller blocks");
        }
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        meta = new long[numBlocks * META];
        tokens = new int[(int) tokenCells];
        indexed = new boolean[numBlocks];
        int slots = Integer.highestOneBit(Math.max(8, numBlocks) * 2 - 1) << 1;
        table = new long[slots * SLOT];
        for (int i = 0; i < slots; i++) {
            table[i * SLOT + 2] = EMPTY & 0xFFFFFFFFL;
        }
        mask = slots - 1;
    }

    public int numBlocks() {
        return numBlocks;
    }

    public int blockSize() {
        return blockSize;
    }

    /** Number of findable blocks. */
    public int size() {
        return size;
    }

    // ------------------------------------------------------------------------------------------------ writing

    /**
     * Writes a block's identity and content, without making it findable.
     *
     * @param src the block's {@code blockSize} token ids start at {@code src[off]}
     */
    public void describe(int block, long hi, long lo, int grp, long parentHashHi, long parentHashLo,
                         long extraKeysHi, long extraKeysLo, int[] src, int off) {
        if (indexed[block]) {
            throw new IllegalStateException("block " + block + " is indexed; remove it before describing it again");
        }
        int m = block * META;
        meta[m + HI] = hi;
        meta[m + LO] = lo;
        meta[m + PARENT_HI] = parentHashHi;
        meta[m + PARENT_LO] = parentHashLo;
        meta[m + EXTRA_HI] = extraKeysHi;
        meta[m + EXTRA_LO] = extraKeysLo;
        meta[m + LINK] = link(grp, EMPTY);
        System.arraycopy(src, off, tokens, block * blockSize, blockSize);
    }

    /** Makes a described block findable under its key, after any blocks already there (no de-duplication). */
    public void index(int block) {
        if (indexed[block]) {
            throw new IllegalStateException("block " + block + " is already indexed");
        }
        int m = block * META;
        long hi = meta[m + HI];
        long lo = meta[m + LO];
        int grp = group(block);
        setNext(block, EMPTY);
        for (int i = home(hi, lo, grp); ; i = (i + 1) & mask) {
            int t = i * SLOT;
            int head = (int) table[t + 2];
            if (head == EMPTY) {
                table[t] = hi;
                table[t + 1] = lo;
                table[t + 2] = link(grp, block);
                break;
            }
            if (table[t + 1] == lo && table[t] == hi && (int) (table[t + 2] >>> 32) == grp) {
                int tail = head;
                while (next(tail) != EMPTY) {
                    tail = next(tail);
                }
                setNext(tail, block);
                break;
            }
        }
        indexed[block] = true;
        size++;
    }

    /** {@link #describe} then {@link #index}. */
    public void insert(int block, long hi, long lo, int grp, long parentHashHi, long parentHashLo,
                       long extraKeysHi, long extraKeysLo, int[] src, int off) {
        describe(block, hi, lo, grp, parentHashHi, parentHashLo, extraKeysHi, extraKeysLo, src, off);
        index(block);
    }

    /** Copies a block's description (not its findability) to block {@code dstBlock} of another tier's cache. */
    public void copyTo(int block, PrefixCache dst, int dstBlock) {
        if (dst.blockSize != blockSize) {
            throw new IllegalArgumentException("tiers must share a block size: " + blockSize + " vs " + dst.blockSize);
        }
        int m = block * META;
        dst.describe(dstBlock, meta[m + HI], meta[m + LO], group(block), meta[m + PARENT_HI], meta[m + PARENT_LO],
                meta[m + EXTRA_HI], meta[m + EXTRA_LO], tokens, block * blockSize);
    }

    /** Makes a block unfindable; its description stays until overwritten. Returns false if it was not indexed. */
    public boolean remove(int block) {
        if (!indexed[block]) {
            return false;
        }
        int m = block * META;
        int t = slotOf(meta[m + HI], meta[m + LO], group(block)) * SLOT;
        int head = (int) table[t + 2];
        if (head == block) {
            int nextBlock = next(block);
            if (nextBlock == EMPTY) {
                deleteSlot(t / SLOT);
            } else {
                table[t + 2] = link(group(block), nextBlock);
            }
        } else {
            int p = head;
            while (next(p) != block) {
                p = next(p);
            }
            setNext(p, next(block));
        }
        setNext(block, EMPTY);
        indexed[block] = false;
        size--;
        return true;
    }

    /**
     * Removes {@code block} only if it is cached under exactly this key (vLLM's {@code pop(key, block_id)}): a wrong
     * id removes nothing and returns false.
     */
    public boolean remove(long hi, long lo, int grp, int block) {
        if (!indexed[block] || !holds(block, hi, lo, grp)) {
            return false;
        }
        return remove(block);
    }

    /** Makes every block unfindable. */
    public void clear() {
        for (int i = 0; i <= mask; i++) {
            table[i * SLOT + 2] = EMPTY & 0xFFFFFFFFL;
        }
        Arrays.fill(indexed, false);
        size = 0;
    }

    // ------------------------------------------------------------------------------------------------ reading

    /** The first block cached under the key, or -1 (no verification). */
    public int first(long hi, long lo, int grp) {
        for (int i = home(hi, lo, grp); ; i = (i + 1) & mask) {
            int t = i * SLOT;
            long link = table[t + 2];
            int head = (int) link;
            if (head == EMPTY) {
                return EMPTY;
            }
            if (table[t + 1] == lo && table[t] == hi && (int) (link >>> 32) == grp) {
                return head;
            }
        }
    }

    /**
     * The first block cached under the key whose parent hash, extra keys and tokens equal the probe's, or -1.
     *
     * @param src the probe block's {@code blockSize} token ids start at {@code src[off]}
     */
    public int find(long hi, long lo, int grp, long parentHashHi, long parentHashLo, long extraKeysHi,
                    long extraKeysLo, int[] src, int off) {
        for (int b = first(hi, lo, grp); b != EMPTY; b = next(b)) {
            int m = b * META;
            if (meta[m + PARENT_LO] == parentHashLo && meta[m + PARENT_HI] == parentHashHi
                    && meta[m + EXTRA_LO] == extraKeysLo && meta[m + EXTRA_HI] == extraKeysHi
                    && sameTokens(b, src, off)) {
                return b;
            }
        }
        return EMPTY;
    }

    private boolean sameTokens(int b, int[] src, int off) {
        int base = b * blockSize;
        for (int j = 0; j < blockSize; j++) {
            if (tokens[base + j] != src[off + j]) {
                return false;
            }
        }
        return true;
    }

    /** Blocks cached under the key (duplicates included). */
    public int count(long hi, long lo, int grp) {
        int n = 0;
        for (int b = first(hi, lo, grp); b != EMPTY; b = next(b)) {
            n++;
        }
        return n;
    }

    public boolean isIndexed(int block) {
        return indexed[block];
    }

    public long hashHi(int block) {
        return meta[block * META + HI];
    }

    public long hashLo(int block) {
        return meta[block * META + LO];
    }

    public int group(int block) {
        return (int) (meta[block * META + LINK] >>> 32);
    }

    public long parentHashHi(int block) {
        return meta[block * META + PARENT_HI];
    }

    public long parentHashLo(int block) {
        return meta[block * META + PARENT_LO];
    }

    /** Token {@code i} ({@code 0 <= i < blockSize}) of a described block. */
    public int token(int block, int i) {
        return tokens[block * blockSize + i];
    }

    /** Whether a block was described with exactly this identity (indexed or not). */
    public boolean holds(int block, long hi, long lo, int grp) {
        int m = block * META;
        return meta[m + LO] == lo && meta[m + HI] == hi && group(block) == grp;
    }

    // ------------------------------------------------------------------------------------------------ table

    private static long link(int grp, int block) {
        return ((long) grp << 32) | (block & 0xFFFFFFFFL);
    }

    private int next(int block) {
        return (int) meta[block * META + LINK];
    }

    private void setNext(int block, int nextBlock) {
        int m = block * META + LINK;
        meta[m] = (meta[m] & 0xFFFFFFFF00000000L) | (nextBlock & 0xFFFFFFFFL);
    }

    private int home(long hi, long lo, int grp) {
        long h = (lo ^ (hi >>> 17) ^ (grp * 0x9E3779B97F4A7C15L)) * 0xBF58476D1CE4E5B9L;
        return (int) (h >>> 32) & mask;
    }

    private int slotOf(long hi, long lo, int grp) {
        for (int i = home(hi, lo, grp); ; i = (i + 1) & mask) {
            int t = i * SLOT;
            long link = table[t + 2];
            if ((int) link != EMPTY && table[t + 1] == lo && table[t] == hi && (int) (link >>> 32) == grp) {
                return i;
            }
        }
    }

    /** Backward-shift deletion: later entries of the probe run move into the hole if their home allows it. */
    private void deleteSlot(int hole) {
        int j = hole;
        for (;;) {
            j = (j + 1) & mask;
            int t = j * SLOT;
            long link = table[t + 2];
            if ((int) link == EMPTY) {
                break;
            }
            int k = home(table[t], table[t + 1], (int) (link >>> 32));
            boolean stays = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
            if (stays) {
                continue;
            }
            int h = hole * SLOT;
            table[h] = table[t];
            table[h + 1] = table[t + 1];
            table[h + 2] = link;
            hole = j;
        }
        table[hole * SLOT + 2] = EMPTY & 0xFFFFFFFFL;
    }
}
