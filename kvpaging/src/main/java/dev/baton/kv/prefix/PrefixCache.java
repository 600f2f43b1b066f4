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
 *   <li>An open-addressing table with linear probing over parallel primitive arrays maps a key (128-bit hash, group)
 *   to the <em>first</em> block cached under it. Deletion shifts later entries back (Knuth's Algorithm R), so there
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

    private final long[] hashHi;
    private final long[] hashLo;
    private final int[] group;
    private final long[] parentHi;
    private final long[] parentLo;
    private final long[] extraHi;
    private final long[] extraLo;
    private final int[] tokens;
    private final boolean[] indexed;
    private final int[] nextDuplicate;

    private final long[] slotHi;
    private final long[] slotLo;
    private final int[] slotGroup;
    private final int[] slotBlock;
    private final int mask;
    private int size;

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
        hashHi = new long[numBlocks];
        hashLo = new long[numBlocks];
        group = new int[numBlocks];
        parentHi = new long[numBlocks];
        parentLo = new long[numBlocks];
        extraHi = new long[numBlocks];
        extraLo = new long[numBlocks];
        tokens = new int[(int) tokenCells];
        indexed = new boolean[numBlocks];
        nextDuplicate = new int[numBlocks];
        int slots = Integer.highestOneBit(Math.max(8, numBlocks) * 2 - 1) << 1;
        slotHi = new long[slots];
        slotLo = new long[slots];
        slotGroup = new int[slots];
        slotBlock = new int[slots];
        Arrays.fill(slotBlock, EMPTY);
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
     * @param src       the block's {@code blockSize} token ids start at {@code src[off]}
     */
    public void describe(int block, long hi, long lo, int grp, long parentHashHi, long parentHashLo,
                         long extraKeysHi, long extraKeysLo, int[] src, int off) {
        if (indexed[block]) {
            throw new IllegalStateException("block " + block + " is indexed; remove it before describing it again");
        }
        hashHi[block] = hi;
        hashLo[block] = lo;
        group[block] = grp;
        parentHi[block] = parentHashHi;
        parentLo[block] = parentHashLo;
        extraHi[block] = extraKeysHi;
        extraLo[block] = extraKeysLo;
        System.arraycopy(src, off, tokens, block * blockSize, blockSize);
    }

    /** Makes a described block findable under its key, after any blocks already there (no de-duplication). */
    public void index(int block) {
        if (indexed[block]) {
            throw new IllegalStateException("block " + block + " is already indexed");
        }
        long hi = hashHi[block];
        long lo = hashLo[block];
        int grp = group[block];
        nextDuplicate[block] = EMPTY;
        int i = home(hi, lo, grp);
        for (;;) {
            int head = slotBlock[i];
            if (head == EMPTY) {
                slotHi[i] = hi;
                slotLo[i] = lo;
                slotGroup[i] = grp;
                slotBlock[i] = block;
                break;
            }
            if (slotLo[i] == lo && slotHi[i] == hi && slotGroup[i] == grp) {
                int tail = head;
                while (nextDuplicate[tail] != EMPTY) {
                    tail = nextDuplicate[tail];
                }
                nextDuplicate[tail] = block;
                break;
            }
            i = (i + 1) & mask;
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
        dst.describe(dstBlock, hashHi[block], hashLo[block], group[block], parentHi[block], parentLo[block],
                extraHi[block], extraLo[block], tokens, block * blockSize);
    }

    /** Makes a block unfindable; its description stays until overwritten. Returns false if it was not indexed. */
    public boolean remove(int block) {
        if (!indexed[block]) {
            return false;
        }
        int i = slotOf(hashHi[block], hashLo[block], group[block]);
        int head = slotBlock[i];
        if (head == block) {
            int nextBlock = nextDuplicate[block];
            if (nextBlock == EMPTY) {
                deleteSlot(i);
            } else {
                slotBlock[i] = nextBlock;
            }
        } else {
            int p = head;
            while (nextDuplicate[p] != block) {
                p = nextDuplicate[p];
            }
            nextDuplicate[p] = nextDuplicate[block];
        }
        nextDuplicate[block] = EMPTY;
        indexed[block] = false;
        size--;
        return true;
    }

    /**
     * Removes {@code block} only if it is cached under exactly this key (vLLM's {@code pop(key, block_id)}): a wrong
     * id removes nothing and returns false.
     */
    public boolean remove(long hi, long lo, int grp, int block) {
        if (!indexed[block] || hashHi[block] != hi || hashLo[block] != lo || group[block] != grp) {
            return false;
        }
        return remove(block);
    }

    /** Makes every block unfindable. */
    public void clear() {
        Arrays.fill(slotBlock, EMPTY);
        Arrays.fill(indexed, false);
        size = 0;
    }

    // ------------------------------------------------------------------------------------------------ reading

    /** The first block cached under the key, or -1 (no verification). */
    public int first(long hi, long lo, int grp) {
        int i = home(hi, lo, grp);
        for (;;) {
            int head = slotBlock[i];
            if (head == EMPTY) {
                return EMPTY;
            }
            if (slotLo[i] == lo && slotHi[i] == hi && slotGroup[i] == grp) {
                return head;
            }
            i = (i + 1) & mask;
        }
    }

    /**
     * The first block cached under the key whose parent hash, extra keys and tokens equal the probe's, or -1.
     *
     * @param src the probe block's {@code blockSize} token ids start at {@code src[off]}
     */
    public int find(long hi, long lo, int grp, long parentHashHi, long parentHashLo, long extraKeysHi,
                    long extraKeysLo, int[] src, int off) {
        for (int b = first(hi, lo, grp); b != EMPTY; b = nextDuplicate[b]) {
            if (parentHi[b] == parentHashHi && parentLo[b] == parentHashLo && extraHi[b] == extraKeysHi
                    && extraLo[b] == extraKeysLo && Arrays.equals(tokens, b * blockSize, (b + 1) * blockSize,
                    src, off, off + blockSize)) {
                return b;
            }
        }
        return EMPTY;
    }

    /** Blocks cached under the key (duplicates included). */
    public int count(long hi, long lo, int grp) {
        int n = 0;
        for (int b = first(hi, lo, grp); b != EMPTY; b = nextDuplicate[b]) {
            n++;
        }
        return n;
    }

    public boolean isIndexed(int block) {
        return indexed[block];
    }

    public long hashHi(int block) {
        return hashHi[block];
    }

    public long hashLo(int block) {
        return hashLo[block];
    }

    public int group(int block) {
        return group[block];
    }

    public long parentHashHi(int block) {
        return parentHi[block];
    }

    public long parentHashLo(int block) {
        return parentLo[block];
    }

    /** Token {@code i} ({@code 0 <= i < blockSize}) of a described block. */
    public int token(int block, int i) {
        return tokens[block * blockSize + i];
    }

    /** Whether a block was described with exactly this identity (indexed or not). */
    public boolean holds(int block, long hi, long lo, int grp) {
        return hashHi[block] == hi && hashLo[block] == lo && group[block] == grp;
    }

    // ------------------------------------------------------------------------------------------------ table

    private int home(long hi, long lo, int grp) {
        long h = (lo ^ (hi >>> 17) ^ (grp * 0x9E3779B97F4A7C15L)) * 0xBF58476D1CE4E5B9L;
        return (int) (h >>> 32) & mask;
    }

    private int slotOf(long hi, long lo, int grp) {
        int i = home(hi, lo, grp);
        while (!(slotLo[i] == lo && slotHi[i] == hi && slotGroup[i] == grp) || slotBlock[i] == EMPTY) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /** Backward-shift deletion: later entries of the probe run move into the hole if their home allows it. */
    private void deleteSlot(int hole) {
        int j = hole;
        for (;;) {
            j = (j + 1) & mask;
            if (slotBlock[j] == EMPTY) {
                break;
            }
            int k = home(slotHi[j], slotLo[j], slotGroup[j]);
            boolean stays = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
            if (stays) {
                continue;
            }
            slotHi[hole] = slotHi[j];
            slotLo[hole] = slotLo[j];
            slotGroup[hole] = slotGroup[j];
            slotBlock[hole] = slotBlock[j];
            hole = j;
        }
        slotBlock[hole] = EMPTY;
    }
}
