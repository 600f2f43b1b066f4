package dev.baton.kv.pool;

import java.util.Objects;

/**
 * A fixed set of KV blocks with reference counts and a free list kept in eviction order.
 *
 * <h2>Design</h2>
 * This is vLLM v1's {@code BlockPool} + {@code FreeKVCacheBlockQueue} ({@code vllm/v1/core/block_pool.py},
 * {@code kv_cache_utils.py}, PR #9972) rebuilt on primitive arrays: there is no object per block. Every block is
 * an index into parallel arrays (a state word that is the reference count of a used block and minus the segment of
 * a free one, intrusive {@code prev}/{@code next} links, cache state), so allocating, freeing, touching a cached
 * block (removing it from the middle of the free list) and evicting are O(1) pointer surgery on {@code int[]}s and
 * allocate nothing.
 *
 * <p>The free blocks live in one or more circular doubly linked <em>segments</em> threaded through the same
 * {@code prev}/{@code next} arrays; segment {@code s} has a sentinel node at index {@code numBlocks + s}, so
 * insertion and removal have no branches for empty lists. Which segment a freed block joins, at which end, and
 * which segment the next victim comes from is decided by the {@link EvictionPolicy}:
 * <ul>
 *   <li>{@link EvictionPolicy#lru()} keeps vLLM's single queue exactly: never-used blocks in id order at
 *   construction; a freed block without a hash is prepended (LIFO reuse, "better GPU locality", PRs #33710,
 *   #42656, #51482); a freed block with a hash is appended (FIFO reuse = LRU eviction); callers free a sequence's
 *   blocks tail first, so a chain's tail is evicted before its head.</li>
 *   <li>{@link EvictionPolicy#frequency()} and {@link EvictionPolicy#priority} keep several segments and evict
 *   <em>leaves only</em> (TensorRT-LLM's rule, SGLang's evictable-leaf heap): a cached block that still has cached
 *   children is parked when it reaches the head of its segment and returns to that head once its last child is
 *   evicted, so a chain is never cut in the middle.</li>
 * </ul>
 *
 * <p><b>Lazy eviction.</b> A freed block keeps its cache state (its hash lives in the owner's prefix index) until
 * it is handed out again; only then is the {@link EvictionListener} told to drop it. A prefix hit on a free cached
 * block {@linkplain #touch takes it back} out of the free list instead.
 *
 * <p><b>Block 0.</b> A pool built with {@code reserveNullBlock} never hands out block 0: it is the placeholder for
 * positions whose KV is not kept (blocks that left a sliding window). Its reference count is not maintained, and
 * {@link #touch}/{@link #release} ignore it.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Every usable block is either free (reference count 0, in exactly one segment) or used (count &gt; 0, in no
 *   segment): {@code numFree() + used == numUsable()}.</li>
 *   <li>A block is handed out by {@link #allocate} only while free; releasing a block more often than it was
 *   allocated or touched is an {@link IllegalStateException} (a double free would corrupt the list).</li>
 *   <li>A cached block's parent link is valid only while the parent's cache generation is unchanged; the child
 *   counts that drive the leaf rule count cached children only.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Not thread-safe: confined to the engine thread, the single writer of all KV state (as in every engine: vLLM
 * runs its pool on one Python thread, TensorRT-LLM and Dynamo's KVBM serialise it behind one mutex).
 */
public final class BlockPool {

    /** The reserved placeholder block of pools built with a null block. */
    public static final int NULL_BLOCK = 0;

    private final int numBlocks;
    private final int firstBlock;
    private final EvictionPolicy policy;
    private final int numSegments;
    private final int parked;
    private final boolean leafOnly;

    /** {@code > 0}: used, the reference count; {@code <= 0}: free, in segment {@code -state}. */
    private final int[] state;
    private final int[] prev;
    private final int[] next;
    private final int[] segmentSize;

    private final boolean[] cached;
    private final int[] hits;
    private final int[] parent;
    private final int[] parentGeneration;
    private final int[] children;
    private final int[] cacheGeneration;
    private final int[] allocationGeneration;

    private int numFree;
    private EvictionListener listener = EvictionListener.NONE;

    /**
     * @param numBlocks        blocks in the pool, including block 0 when it is reserved
     * @param reserveNullBlock whether block 0 is the null block (device pools) or an ordinary block (host pools)
     * @param policy           the eviction order; a policy instance serves one pool
     */
    public BlockPool(int numBlocks, boolean reserveNullBlock, EvictionPolicy policy) {
        this.firstBlock = reserveNullBlock ? 1 : 0;
        if (numBlocks < firstBlock + 1) {
            throw new IllegalArgumentException("a pool needs at least one usable block: numBlocks=" + numBlocks
                    + (reserveNullBlock ? " (block 0 is reserved)" : ""));
        }
        this.numBlocks = numBlocks;
        this.policy = Objects.requireNonNull(policy, "policy");
        this.numSegments = policy.numSegments();
        this.parked = policy.parkedSegment();
        this.leafOnly = parked >= 0;
        policy.bind(this, numBlocks);

        state = new int[numBlocks];
        prev = new int[numBlocks + numSegments];
        next = new int[numBlocks + numSegments];
        segmentSize = new int[numSegments];
        cached = new boolean[numBlocks];
        hits = new int[numBlocks];
        parent = new int[numBlocks];
        parentGeneration = new int[numBlocks];
        children = new int[numBlocks];
        cacheGeneration = new int[numBlocks];
        allocationGeneration = new int[numBlocks];

        for (int s = 0; s < numSegments; s++) {
            int sentinel = numBlocks + s;
            prev[sentinel] = sentinel;
            next[sentinel] = sentinel;
        }
        java.util.Arrays.fill(parent, -1);
        // Never-used blocks sit in id order in segment 0, the segment every policy pops first.
        for (int b = firstBlock; b < numBlocks; b++) {
            linkBefore(b, numBlocks);
        }
        if (firstBlock == 1) {
            state[NULL_BLOCK] = 1; // never free; its count is not maintained
            prev[NULL_BLOCK] = -1;
            next[NULL_BLOCK] = -1;
        }
        segmentSize[0] = numBlocks - firstBlock;
        numFree = numBlocks - firstBlock;
    }

    /** Registers who drops a block's hash when {@link #allocate} reuses a cached block. */
    public void setEvictionListener(EvictionListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    public EvictionPolicy policy() {
        return policy;
    }

    /** Blocks in the pool, including a reserved null block. */
    public int numBlocks() {
        return numBlocks;
    }

    /** Blocks that can ever be handed out. */
    public int numUsable() {
        return numBlocks - firstBlock;
    }

    /** The lowest id {@link #allocate} can return (1 with a null block, else 0). */
    public int firstBlock() {
        return firstBlock;
    }

    public boolean hasNullBlock() {
        return firstBlock == 1;
    }

    /** Free blocks, cached or not. */
    public int numFree() {
        return numFree;
    }

    public int refCount(int block) {
        return Math.max(0, state[block]);
    }

    /** Whether the block carries a hash (is in its owner's prefix index). */
    public boolean isCached(int block) {
        return cached[block];
    }

    /** Prefix hits on the block since it was cached. */
    public int hits(int block) {
        return hits[block];
    }

    /** Number of cached children of a cached block (what the leaf rule looks at). */
    public int cachedChildren(int block) {
        return children[block];
    }

    /** Increments every time the block is handed out; lets a deferred action check that a block was not reused. */
    public int allocationGeneration(int block) {
        return allocationGeneration[block];
    }

    /** Whether the block is in the free list. */
    public boolean isFree(int block) {
        return block >= firstBlock && state[block] <= 0;
    }

    /** The next victim candidate of segment {@code s} (its head), or the sentinel if the segment is empty. */
    int head(int s) {
        return next[numBlocks + s];
    }

    /** Free blocks in segment {@code s} of the policy. */
    public int segmentSize(int s) {
        return segmentSize[s];
    }

    // ------------------------------------------------------------------------------------------------ allocation

    /**
     * Hands out the policy's next victim with reference count 1. If it was cached, the {@link EvictionListener} is
     * told first (lazy eviction) and the block leaves the cache. O(1) amortised; allocation-free.
     *
     * @throws IllegalStateException "No free blocks available" when the pool is exhausted
     */
    public int allocate() {
        if (numFree == 0) {
            throw new IllegalStateException("No free blocks available");
        }
        int b = popVictim();
        numFree--;
        state[b] = 1; // its prev/next links are stale from here on and never read while it is in use
        allocationGeneration[b]++;
        if (cached[b]) {
            listener.onEvict(b);
            uncache(b, true);
        }
        return b;
    }

    /** Hands out {@code n} blocks into {@code out[off..off+n)}, in victim order; all or nothing. */
    public void allocate(int n, int[] out, int off) {
        if (n > numFree) {
            throw new IllegalStateException("Cannot get " + n + " free blocks from the pool: only " + numFree
                    + " are free");
        }
        for (int i = 0; i < n; i++) {
            out[off + i] = allocate();
        }
    }

    /**
     * Takes one more reference on a block: a prefix hit on a free cached block removes it from the free list (it
     * was an eviction candidate). The null block is ignored. O(1).
     */
    public void touch(int block) {
        if (block < firstBlock) {
            return;
        }
        int r = state[block];
        if (r <= 0) {
            unlinkFree(block);
            state[block] = 1;
        } else {
            state[block] = r + 1;
        }
    }

    /**
     * Drops one reference; at zero the block joins the free list where the policy puts it (a block without a hash
     * at the head, a cached block towards the tail). The null block is ignored.
     *
     * @throws IllegalStateException if the block holds no reference (double free)
     */
    public void release(int block) {
        releaseOne(block, numBlocks);
    }

    /**
     * Drops one reference on each of {@code blocks[off..off+len)}, in that order, with vLLM's {@code free_blocks}
     * semantics: the blocks that become free without a hash are prepended <em>as a group, in order</em>
     * ({@code prepend_n}), those with a hash are appended in order ({@code append_n}). Callers pass a sequence's
     * table tail first, so a chain's tail is evicted before its head. Null blocks are skipped.
     */
    public void release(int[] blocks, int off, int len) {
        int cursor = numBlocks; // prepends go after this node, so a group keeps its order at the head of segment 0
        for (int i = off, end = off + len; i < end; i++) {
            cursor = releaseOne(blocks[i], cursor);
        }
    }

    /** Releases one reference; a block prepended to segment 0 goes after {@code cursor}. Returns the next cursor. */
    private int releaseOne(int b, int cursor) {
        if (b < firstBlock) {
            return cursor;
        }
        int r = state[b];
        if (r <= 0) {
            throw doubleFree(b);
        }
        if (r > 1) {
            state[b] = r - 1;
        } else {
            int s = policy.placeOnRelease(this, b);
            if (s >= 0) {
                linkBefore(b, numBlocks + s);
            } else if ((s = ~s) == 0) {
                linkBefore(b, next[cursor]);
                cursor = b;
            } else {
                linkBefore(b, next[numBlocks + s]);
            }
            state[b] = -s;
            segmentSize[s]++;
            numFree++;
        }
        return cursor;
    }

    // ------------------------------------------------------------------------------------------------ cache state

    /**
     * Marks a held block as cached (its owner just put its hash in a prefix index).
     *
     * @param parentBlock the cached block holding the previous block of the same chain, or -1 (a root, or a group
     *                    whose chains may be cut, such as sliding-window attention)
     * @param fingerprint a 64-bit digest of the block's hash, for policies that remember evicted blocks
     */
    public void markCached(int block, int parentBlock, long fingerprint) {
        if (block < firstBlock) {
            throw new IllegalArgumentException("the null block is never cached");
        }
        if (cached[block]) {
            throw new IllegalStateException("block " + block + " is already cached; drop its hash first");
        }
        if (state[block] <= 0) {
            throw new IllegalStateException("block " + block + " is free; only held blocks enter the cache");
        }
        cached[block] = true;
        hits[block] = 0;
        if (parentBlock >= firstBlock && cached[parentBlock]) {
            parent[block] = parentBlock;
            parentGeneration[block] = cacheGeneration[parentBlock];
            children[parentBlock]++;
        } else {
            parent[block] = -1;
        }
        policy.onCached(block, fingerprint);
    }

    /**
     * Drops a block's cache state without handing it out (reset of the prefix cache, a failed load, a block about
     * to be rewritten); the caller removes the hash from its index. A free block moves to where the policy keeps
     * blocks without a hash (vLLM keeps its queue position). No-op if the block is not cached.
     */
    public void clearCached(int block) {
        if (!cached[block]) {
            return;
        }
        uncache(block, false);
        if (state[block] <= 0 && !policy.keepsPositionWhenUncached()) {
            unlinkFree(block);
            state[block] = 1;
            release(block);
        }
    }

    /** Counts a prefix hit on a cached block (frequency-aware eviction and offload decisions read it). */
    public void recordHit(int block) {
        if (cached[block]) {
            if (hits[block] != Integer.MAX_VALUE) {
                hits[block]++;
            }
            policy.onHit(block);
        }
    }

    // ------------------------------------------------------------------------------------------------ inspection

    /**
     * Writes the free blocks into {@code out} segment by segment, each from head (next victim) to tail, parked
     * blocks last, and returns how many. For {@link EvictionPolicy#lru()} this is exactly the eviction order (vLLM's
     * {@code get_all_free_blocks}). Allocates nothing; for tests and diagnostics.
     */
    public int freeBlocks(int[] out) {
        int n = 0;
        for (int s = 0; s < numSegments; s++) {
            if (s == parked) {
                continue;
            }
            n = listSegment(s, out, n);
        }
        if (parked >= 0) {
            n = listSegment(parked, out, n);
        }
        return n;
    }

    /** The free blocks as a new array (see {@link #freeBlocks(int[])}); for tests. */
    public int[] freeBlocks() {
        int[] out = new int[numFree];
        freeBlocks(out);
        return out;
    }

    /** The segment a free block is in, or -1 for a used block. */
    public int segmentOf(int block) {
        return state[block] <= 0 && block >= firstBlock ? -state[block] : -1;
    }

    // ------------------------------------------------------------------------------------------------ internals

    private int listSegment(int s, int[] out, int n) {
        int sentinel = numBlocks + s;
        for (int b = next[sentinel]; b != sentinel; b = next[b]) {
            out[n++] = b;
        }
        return n;
    }

    private int popVictim() {
        for (;;) {
            int s = policy.victimSegment(segmentSize);
            int b = next[numBlocks + s];
            if (leafOnly && s != parked && children[b] > 0) {
                // An interior block at the head: park it until its last cached child is evicted.
                moveToTail(b, s, parked);
                continue;
            }
            unlink(b);
            segmentSize[s]--;
            return b;
        }
    }

    private void moveToTail(int b, int from, int to) {
        unlink(b);
        segmentSize[from]--;
        linkBefore(b, numBlocks + to);
        state[b] = -to;
        segmentSize[to]++;
    }

    private void uncache(int b, boolean evicted) {
        policy.onUncached(this, b, evicted);
        cached[b] = false;
        int p = parent[b];
        if (p >= 0) {
            if (cached[p] && cacheGeneration[p] == parentGeneration[b] && --children[p] == 0
                    && parked >= 0 && state[p] == -parked) {
                unpark(p);
            }
            parent[b] = -1;
        }
        children[b] = 0;
        hits[b] = 0;
        cacheGeneration[b]++; // links of b's former children no longer count
    }

    /** After a policy changed a block's rank: a free cached block that is not parked moves to its segment's tail. */
    void repositionFree(int block) {
        if (state[block] > 0 || !cached[block] || state[block] == -parked) {
            return;
        }
        int s = policy.placeOnRelease(this, block);
        if (s < 0) {
            s = ~s;
        }
        moveToTail(block, -state[block], s);
    }

    /** A parked block whose last cached child left returns to the head of its segment: it was the oldest there. */
    private void unpark(int p) {
        unlink(p);
        segmentSize[parked]--;
        int s = policy.placeOnRelease(this, p);
        if (s < 0) {
            s = ~s;
        }
        linkBefore(p, next[numBlocks + s]);
        state[p] = -s;
        segmentSize[s]++;
    }

    private void unlinkFree(int b) {
        unlink(b);
        segmentSize[-state[b]]--;
        numFree--;
    }

    private void unlink(int b) {
        int p = prev[b];
        int n = next[b];
        next[p] = n;
        prev[n] = p;
    }

    /** Inserts {@code b} before node {@code at} (a block or a sentinel). */
    private void linkBefore(int b, int at) {
        int p = prev[at];
        prev[b] = p;
        next[b] = at;
        next[p] = b;
        prev[at] = b;
    }

    private static IllegalStateException doubleFree(int b) {
        return new IllegalStateException("block " + b + " released more often than it was held (double free)");
    }
}
