package dev.baton.kv;

import dev.baton.api.Clock;
import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.StepPlan;
import dev.baton.kv.pool.BlockPool;
import dev.baton.kv.pool.EvictionListener;
import dev.baton.kv.pool.EvictionPolicy;
import dev.baton.kv.pool.PriorityOrder;
import dev.baton.kv.prefix.BlockHasher;
import dev.baton.kv.prefix.PrefixCache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The paged KV-cache manager: block pool, prefix cache, per-sequence block tables, copy-on-write forks, a host tier
 * and cache events behind {@link KvCacheManager}'s transactional operations.
 *
 * <h2>Design</h2>
 * The semantics are vLLM v1's ({@code vllm/v1/core/kv_cache_manager.py}, {@code kv_cache_coordinator.py},
 * {@code single_type_kv_cache_manager.py}, {@code block_pool.py}); the data structures are Java's own:
 * <ul>
 *   <li><b>One pool, several groups.</b> Every KV-cache group (full attention, sliding window) draws from one
 *   {@link BlockPool}, so block ids are unique across groups (KV-19); the prefix index is keyed by (block hash,
 *   group) as vLLM's {@code BlockHashWithGroupId}.</li>
 *   <li><b>Lookup</b> ({@link #lookupPrefix}) hashes full blocks lazily and stops at the first miss (a chain hash
 *   implies no later block can hit); the hit is capped at {@code length - 1} tokens, block-aligned (KV-10). Full
 *   attention scans left to right; a sliding-window group needs {@code ceil((window - 1) / blockSize)} contiguous
 *   cached blocks and scans right to left, with the blocks left of the window as the null block; with several groups
 *   the candidate length is lowered until every group accepts it (vLLM's hybrid fixed point, KV-17). After the
 *   device-tier prefix, the hit may continue in the host tier. Every hit is verified against stored tokens and keys
 *   ({@link PrefixCache}).</li>
 *   <li><b>Transactional allocation</b> ({@link #allocateSlots}): count what the step needs (new blocks, staged hit
 *   blocks that are free and would leave the free list, host blocks to load, copy-on-write copies), refuse with
 *   nothing changed when that exceeds the free blocks (KV-9), else touch every group's hit blocks first and only then
 *   allocate (vLLM issue #33775, KV-19), so an allocation can never evict a block it is about to reuse (KV-7).
 *   Sliding-window blocks that left the window are released and replaced by the null block first, as vLLM does,
 *   before the capacity check (the only change a refused call can leave: blocks the sequence can never read
 *   again).</li>
 *   <li><b>Caching on commit.</b> {@link #commit} caches full blocks up to the tokens the device reported valid,
 *   never beyond, so speculative draft tokens are never cached. Duplicates are allowed (KV-16): block tables stay
 *   append-only.</li>
 *   <li><b>Free tail first.</b> {@link #free} releases each table in reverse order, so a chain's tail is evicted
 *   before its head (vLLM's {@code FreeKVCacheBlockQueue} order). Eviction is lazy: a free block keeps its hash
 *   until the pool hands it out again, and only then is it removed (and announced, and maybe offloaded).</li>
 *   <li><b>Copy-on-write</b> ({@link #fork}): a child shares every block of its parent by reference, the partial last
 *   block included; whichever sequence next writes into a shared block (reference count &gt; 1) gets a private copy
 *   (a {@code COPY} move), as vLLM V0's block manager and TensorRT-LLM's beam search do. A cached block about to be
 *   rewritten (a rollback below its end) first leaves the cache.</li>
 *   <li><b>Host tier.</b> A second pool in host memory, LRU, with its own prefix index. An evicted cached device
 *   block may be copied to the host first ({@link OffloadPolicy}; a {@code SWAP_OUT} move emitted before the device
 *   block is reused, which is correct because the device runs moves in plan order before the forward pass); the copy
 *   becomes findable when the device reports the step done (vLLM's {@code prepare_store}/{@code complete_store}). A
 *   lookup that continues in the host tier loads those blocks into new device blocks ({@code SWAP_IN}); the host
 *   blocks are pinned until the step completes, so a promised block cannot be evicted before it is read (KV-31,
 *   LMCache #910), and the loaded device blocks enter the device cache only after the step succeeds; after a
 *   failure they never do (KV-29: a hit always returns its own content, TensorRT-LLM #8813). Preemption by swapping
 *   ({@link #swapOut}/{@link #swapIn}) copies a sequence's blocks whole, all or nothing.</li>
 *   <li><b>Eviction order</b> is a pluggable {@link EvictionPolicy}: vLLM's LRU (default), a frequency-aware
 *   scan-resistant policy, or TensorRT-LLM's retention priorities ({@link KvRetention}).</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * Checked after every action by the property tests: in each tier, free + used = usable blocks; every block's
 * reference count equals its holders (sequence tables, plus host pins of in-flight loads, stores and swap-ins); no
 * block id appears twice across a sequence's tables (the null block aside); a block is in a tier's prefix index iff
 * its pool marks it cached; a prefix hit returns only blocks whose tokens, salt, LoRA and multimodal keys match.
 *
 * <h2>Threads</h2>
 * Not thread-safe. Every method runs on the engine thread, the single writer of all KV state (vLLM, TensorRT-LLM and
 * Dynamo all serialise block management the same way); the block tables handed to the device are views that stay
 * valid only while the step is launched.
 *
 * <h2>Allocation</h2>
 * Lookup, allocation, commit, free, fork, swap and move draining allocate nothing in steady state once per-sequence
 * arrays have grown (sequence handles can be reused with {@link #reopen}); recording events and building
 * {@link #stats()} snapshots allocate.
 */
final class PagedKvCacheManager implements KvCacheManager, EvictionListener {

    private static final int NO_HOST = -1;

    private final KvCacheConfig config;
    private final int blockSize;
    private final int numGroups;
    private final boolean[] fullGroup;
    private final int[] windowBlocks;
    private final int[] window;
    private final boolean hasSlidingWindow;
    private final boolean caching;

    private final BlockPool pool;
    private final PrefixCache cache;
    private final PriorityOrder retentionOrder;
    private final Clock clock;
    private final BlockKeys keys;
    private final StepLedger ledger = new StepLedger();

    private final BlockPool hostPool;
    private final PrefixCache hostCache;
    private final OffloadPolicy offload;

    private final boolean recordEvents;
    private final ArrayList<KvCacheEvent> events = new ArrayList<>();

    private long queriedTokens;
    private long hitTokens;
    private long hostHitTokens;
    private long evictedBlocks;
    private long offloadedBlocks;
    private long swappedOutBlocks;
    private long swappedInBlocks;
    private long copiedBlocks;

    private int[] scratchIds = new int[64];
    private final int[] groupHit;
    private int[][] found;

    PagedKvCacheManager(KvCacheConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.blockSize = config.blockSize();
        this.numGroups = config.groups().size();
        this.fullGroup = new boolean[numGroups];
        this.window = new int[numGroups];
        this.windowBlocks = new int[numGroups];
        boolean swa = false;
        for (int g = 0; g < numGroups; g++) {
            KvGroupSpec spec = config.groups().get(g);
            fullGroup[g] = spec.kind() == KvGroupSpec.Kind.FULL_ATTENTION;
            if (!fullGroup[g]) {
                swa = true;
                window[g] = spec.slidingWindow();
                windowBlocks[g] = (spec.slidingWindow() - 1 + blockSize - 1) / blockSize;
            }
        }
        this.hasSlidingWindow = swa;
        this.caching = config.enablePrefixCaching();
        this.clock = config.clock();

        EvictionPolicy policy;
        switch (config.evictionPolicy()) {
            case FREQUENCY:
                policy = EvictionPolicy.frequency();
                break;
            case PRIORITY:
                policy = EvictionPolicy.priority(KvRetention.DEFAULT_PRIORITY);
                break;
            default:
                policy = EvictionPolicy.lru();
        }
        this.retentionOrder = policy instanceof PriorityOrder ? (PriorityOrder) policy : null;
        this.pool = new BlockPool(config.numDeviceBlocks(), true, policy);
        this.pool.setEvictionListener(this);
        this.cache = new PrefixCache(config.numDeviceBlocks(), blockSize);
        BlockHasher hasher = config.hashAlgorithm() == KvCacheConfig.HashAlgorithm.SHA_256
                ? BlockHasher.sha256(config.hashSeed()) : BlockHasher.fast128(config.hashSeed());
        this.keys = new BlockKeys(hasher, blockSize);

        if (config.numHostBlocks() > 0) {
            hostPool = new BlockPool(config.numHostBlocks(), false, EvictionPolicy.lru());
            // Host-tier prefix hits need every group to be full attention (a window's blocks are not a prefix).
            hostCache = caching && !swa ? new PrefixCache(config.numHostBlocks(), blockSize) : null;
            hostPool.setEvictionListener(this::onHostEvict);
        } else {
            hostPool = null;
            hostCache = null;
        }
        this.offload = hostCache == null ? OffloadPolicy.NONE : OffloadPolicy.of(config.offloadPolicy());
        this.recordEvents = config.enableEvents();
        this.groupHit = new int[numGroups];
        this.found = new int[numGroups][16];
    }

    @Override
    public KvCacheConfig config() {
        return config;
    }

    // ================================================================================================ sequences

    @Override
    public KvSequence open(TokenSequence tokens, CacheKeyContext context) {
        return open(tokens, context, KvRetention.DEFAULT);
    }

    @Override
    public KvSequence open(TokenSequence tokens, CacheKeyContext context, KvRetention retention) {
        PagedSequence seq = new PagedSequence(this, numGroups);
        bind(seq, tokens, context, retention);
        return seq;
    }

    @Override
    public void reopen(KvSequence s, TokenSequence tokens, CacheKeyContext context) {
        PagedSequence seq = own(s);
        if (seq.holdsBlocks() || seq.swappedOut) {
            throw new IllegalStateException("free the sequence before reopening its handle: " + seq);
        }
        bind(seq, tokens, context, KvRetention.DEFAULT);
    }

    private void bind(PagedSequence seq, TokenSequence tokens, CacheKeyContext context, KvRetention retention) {
        seq.rebind(Objects.requireNonNull(tokens, "tokens"), Objects.requireNonNull(context, "context"),
                Objects.requireNonNull(retention, "retention"));
        keys.bind(seq, context);
    }

    // ================================================================================================ lookup

    @Override
    public int lookupPrefix(KvSequence s) {
        PagedSequence seq = own(s);
        if (seq.swappedOut || seq.holdsBlocks()) {
            throw new IllegalStateException("lookupPrefix is for a sequence that holds no blocks (a new or "
                    + "recompute-preempted one); this one holds or swapped out blocks: " + seq);
        }
        seq.clearStage();
        int len = seq.tokens.length();
        int maxBlocks = caching && len > 0 ? (len - 1) / blockSize : 0;
        seq.ensureStage(maxBlocks);
        int hit = maxBlocks;
        for (int g = 0; g < numGroups; g++) {
            if (fullGroup[g]) {
                // With a host tier every group looks as far as it can: the tier fills the others' gaps.
                int limit = hostCache != null ? maxBlocks : hit;
                groupHit[g] = limit == 0 ? 0 : fullHit(seq, g, limit);
                hit = Math.min(hit, groupHit[g]);
            }
        }
        if (hasSlidingWindow) {
            // vLLM's hybrid fixed point: each window group accepts the candidate or lowers it; full groups are
            // downward closed, so lowering is all they need. Repeat until no group lowers it.
            boolean changed = hit > 0;
            while (changed) {
                changed = false;
                for (int g = 0; g < numGroups && hit > 0; g++) {
                    if (!fullGroup[g]) {
                        int h = windowHit(seq, g, hit);
                        if (h < hit) {
                            hit = h;
                            changed = true;
                        }
                    }
                }
            }
        }
        int hostBlocks = 0;
        if (hostCache != null) {
            int extended = hostHit(seq, hit, maxBlocks);
            hostBlocks = extended - hit;
            hit = extended;
        }
        seq.stagedBlocks = hit;
        seq.stagedHostBlocks = hostBlocks;
        seq.prefixHitTokens = hit * blockSize;
        return seq.prefixHitTokens;
    }

    /** Longest run of cached blocks from position 0 in a full-attention group, at most {@code max}. */
    private int fullHit(PagedSequence seq, int g, int max) {
        int[] staged = seq.staged[g];
        for (int i = 0; i < max; i++) {
            int[] toks = probeTokens(seq, i);
            int b = cache.find(seq.hashHi[i], seq.hashLo[i], g, keys.parentHi(seq, i), keys.parentLo(seq, i),
                    seq.extraHi[i], seq.extraLo[i], toks, 0);
            if (b < 0) {
                return i;
            }
            staged[i] = b;
        }
        return max;
    }

    /**
     * vLLM's {@code SlidingWindowManager.find_longest_cache_hit}: scanning right to left from {@code max}, the first
     * run of {@code windowBlocks} contiguous cached blocks ends the hit; blocks left of it are the null block. A run
     * reaching position 0 counts even if shorter.
     */
    private int windowHit(PagedSequence seq, int g, int max) {
        int need = windowBlocks[g];
        int[] staged = seq.staged[g];
        if (need == 0) {
            Arrays.fill(staged, 0, max, BlockPool.NULL_BLOCK);
            return max;
        }
        keys.ensureHashed(seq, max);
        int run = 0;
        for (int i = max - 1; i >= 0; i--) {
            int[] toks = keys.loadTokens(seq, i);
            int b = cache.find(seq.hashHi[i], seq.hashLo[i], g, keys.parentHi(seq, i), keys.parentLo(seq, i),
                    seq.extraHi[i], seq.extraLo[i], toks, 0);
            if (b < 0) {
                run = 0;
                continue;
            }
            staged[i] = b;
            if (++run >= need) {
                Arrays.fill(staged, 0, i, BlockPool.NULL_BLOCK);
                return i + run;
            }
        }
        return run;
    }

    /** Extends a device hit of {@code hit} blocks through the host tier (every group full attention). */
    private int hostHit(PagedSequence seq, int hit, int maxBlocks) {
        int i = hit;
        for (; i < maxBlocks; i++) {
            int[] toks = probeTokens(seq, i);
            boolean ok = true;
            for (int g = 0; g < numGroups && ok; g++) {
                if (i < groupHit[g]) {
                    continue; // this group still has the block on the device
                }
                int h = hostCache.find(seq.hashHi[i], seq.hashLo[i], g, keys.parentHi(seq, i), keys.parentLo(seq, i),
                        seq.extraHi[i], seq.extraLo[i], toks, 0);
                if (h < 0) {
                    ok = false;
                } else {
                    seq.staged[g][i] = -(h + 1);
                }
            }
            if (!ok) {
                break;
            }
        }
        return i;
    }

    /** Tokens of block {@code i} in the scratch buffer, hashing the block first if it is the next unhashed one. */
    private int[] probeTokens(PagedSequence seq, int i) {
        int[] toks = keys.loadTokens(seq, i);
        if (i >= seq.numHashed) {
            keys.hashLoaded(seq, i, toks);
        }
        return toks;
    }

    // ================================================================================================ allocation

    @Override
    public boolean allocateSlots(KvSequence s, int numComputed, int numNewTokens, int numLookahead) {
        PagedSequence seq = own(s);
        if (seq.swappedOut) {
            throw new IllegalStateException("the sequence is swapped out; swapIn before allocating: " + seq);
        }
        if (numComputed < 0 || numNewTokens < 0 || numLookahead < 0) {
            throw new IllegalArgumentException("token counts must not be negative: numComputed=" + numComputed
                    + ", numNewTokens=" + numNewTokens + ", numLookahead=" + numLookahead);
        }
        long total = (long) numComputed + numNewTokens + numLookahead;
        if (total > (long) Integer.MAX_VALUE - blockSize) {
            throw new IllegalArgumentException("too many tokens for one sequence: " + total);
        }
        int need = (int) ((total + blockSize - 1) / blockSize);
        refreshRetention();
        if (seq.hasStage()) {
            return allocateWithHit(seq, numComputed, need);
        }
        int slots = seq.tables[0].size() * blockSize;
        if (numComputed > slots) {
            throw new IllegalArgumentException("numComputed=" + numComputed + " exceeds the " + slots
                    + " slots the sequence holds; a new sequence starts at 0 (or at its staged prefix hit after "
                    + "lookupPrefix)");
        }
        if (hasSlidingWindow) {
            releaseOutsideWindow(seq, numComputed);
        }
        int firstWrite = numComputed / blockSize;
        int required = 0;
        for (int g = 0; g < numGroups; g++) {
            BlockList t = seq.tables[g];
            required += Math.max(0, need - t.size());
            for (int i = firstWrite, end = Math.min(t.size(), need); i < end; i++) {
                int b = t.get(i);
                if (b != BlockPool.NULL_BLOCK && pool.refCount(b) > 1) {
                    required++;
                }
            }
        }
        if (required > pool.numFree()) {
            return false;
        }
        for (int g = 0; g < numGroups; g++) {
            BlockList t = seq.tables[g];
            for (int i = firstWrite, end = Math.min(t.size(), need); i < end; i++) {
                prepareWrite(seq, g, i);
            }
            while (t.size() < need) {
                t.add(pool.allocate());
            }
        }
        seq.numComputed = numComputed;
        return true;
    }

    /**
     * Position {@code i} of group {@code g} is about to be written: a shared block is copied first (copy-on-write),
     * a cached private block leaves the cache (its content is about to change).
     */
    private void prepareWrite(PagedSequence seq, int g, int i) {
        BlockList t = seq.tables[g];
        int b = t.get(i);
        if (b == BlockPool.NULL_BLOCK) {
            return;
        }
        if (pool.refCount(b) > 1) {
            int copy = pool.allocate();
            ledger.addMove(BlockMoveKind.COPY, b, copy);
            t.set(i, copy);
            pool.release(b);
            copiedBlocks++;
        } else if (pool.isCached(b)) {
            dropCached(b);
        }
        if (seq.cachedBlocks[g] > i) {
            seq.cachedBlocks[g] = i;
        }
    }

    private boolean allocateWithHit(PagedSequence seq, int numComputed, int need) {
        int hit = seq.stagedBlocks;
        if (numComputed != hit * blockSize) {
            throw new IllegalArgumentException("after lookupPrefix, numComputed must be the staged hit ("
                    + hit * blockSize + " tokens), got " + numComputed);
        }
        if (!stageValid(seq, hit)) {
            seq.clearStage(); // a block it promised was evicted since the lookup: look up again
            return false;
        }
        int required = 0;
        for (int g = 0; g < numGroups; g++) {
            int[] staged = seq.staged[g];
            for (int i = 0; i < hit; i++) {
                int id = staged[i];
                if (id < 0 || (id > 0 && pool.refCount(id) == 0)) {
                    required++;
                }
            }
            required += Math.max(0, need - hit);
        }
        if (required > pool.numFree()) {
            return false;
        }
        // 1. Touch every group's device hits before anything is allocated (vLLM #33775, KV-7, KV-19).
        for (int g = 0; g < numGroups; g++) {
            int[] staged = seq.staged[g];
            BlockList t = seq.tables[g];
            for (int i = 0; i < hit; i++) {
                int id = staged[i];
                if (id > 0) {
                    pool.touch(id);
                    pool.recordHit(id);
                }
                t.add(id);
            }
        }
        // 2. Pin host hits so that offloads triggered below cannot evict them.
        if (seq.stagedHostBlocks > 0) {
            for (int g = 0; g < numGroups; g++) {
                int[] staged = seq.staged[g];
                for (int i = 0; i < hit; i++) {
                    if (staged[i] < 0) {
                        hostPool.touch(-(staged[i] + 1));
                    }
                }
            }
            // 3. Load them into new device blocks; they enter the device cache when the step succeeds.
            StepLedger.Step step = ledger.open();
            for (int g = 0; g < numGroups; g++) {
                int[] staged = seq.staged[g];
                BlockList t = seq.tables[g];
                for (int i = 0; i < hit; i++) {
                    if (staged[i] < 0) {
                        int h = -(staged[i] + 1);
                        int d = pool.allocate();
                        hostCache.copyTo(h, cache, d);
                        ledger.addMove(BlockMoveKind.SWAP_IN, h, d);
                        step.addLoad(d, pool.allocationGeneration(d), h, i > 0 ? t.get(i - 1) : -1);
                        t.set(i, d);
                    }
                }
            }
        }
        queriedTokens += seq.tokens.length();
        hitTokens += (long) hit * blockSize;
        hostHitTokens += (long) seq.stagedHostBlocks * blockSize;
        for (int g = 0; g < numGroups; g++) {
            seq.cachedBlocks[g] = hit;
            BlockList t = seq.tables[g];
            while (t.size() < need) {
                t.add(pool.allocate());
            }
        }
        seq.clearStage();
        seq.numComputed = numComputed;
        return true;
    }

    /** Whether every block a staged hit promised still holds the content it was matched for. */
    private boolean stageValid(PagedSequence seq, int hit) {
        for (int g = 0; g < numGroups; g++) {
            int[] staged = seq.staged[g];
            for (int i = 0; i < hit; i++) {
                int id = staged[i];
                if (id > 0) {
                    if (!cache.isIndexed(id) || !cache.holds(id, seq.hashHi[i], seq.hashLo[i], g)) {
                        return false;
                    }
                } else if (id < 0) {
                    int h = -(id + 1);
                    if (!hostCache.isIndexed(h) || !hostCache.holds(h, seq.hashHi[i], seq.hashLo[i], g)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** vLLM's {@code remove_skipped_blocks}: blocks wholly outside the window are released and become null. */
    private void releaseOutsideWindow(PagedSequence seq, int numComputed) {
        for (int g = 0; g < numGroups; g++) {
            if (fullGroup[g]) {
                continue;
            }
            int skipped = numComputed - window[g] + 1;
            if (skipped <= 0) {
                continue;
            }
            BlockList t = seq.tables[g];
            int n = 0;
            for (int i = Math.min(skipped / blockSize, t.size()) - 1; i >= 0; i--) {
                int b = t.get(i);
                if (b == BlockPool.NULL_BLOCK) {
                    break; // everything before was released earlier
                }
                ensureScratch(n + 1);
                scratchIds[n++] = b;
                applyRetention(seq, i, b);
                t.set(i, BlockPool.NULL_BLOCK);
            }
            pool.release(scratchIds, 0, n);
        }
    }

    // ================================================================================================ commit, free

    @Override
    public void commit(KvSequence s, int numComputed) {
        PagedSequence seq = own(s);
        if (seq.swappedOut) {
            throw new IllegalStateException("cannot commit a swapped-out sequence: " + seq);
        }
        if (numComputed < 0 || numComputed > seq.tokens.length()) {
            throw new IllegalArgumentException("numComputed=" + numComputed + " must be within the sequence's "
                    + seq.tokens.length() + " known tokens (drafts are never committed)");
        }
        if (numComputed > seq.tables[0].size() * blockSize) {
            throw new IllegalArgumentException("numComputed=" + numComputed + " exceeds the "
                    + seq.tables[0].size() * blockSize + " slots the sequence holds");
        }
        seq.numComputed = numComputed;
        if (!caching) {
            return;
        }
        int full = numComputed / blockSize;
        for (int g = 0; g < numGroups; g++) {
            int from = seq.cachedBlocks[g];
            if (from >= full) {
                continue;
            }
            keys.ensureHashed(seq, from);
            BlockList t = seq.tables[g];
            int runStart = -1;
            for (int i = from; i < full; i++) {
                int b = t.get(i);
                boolean skip = b == BlockPool.NULL_BLOCK || pool.isCached(b) || cache.isIndexed(b);
                int[] toks = null;
                if (i >= seq.numHashed) {
                    toks = keys.loadTokens(seq, i); // each block's tokens are read once: hashed, then stored
                    keys.hashLoaded(seq, i, toks);
                } else if (!skip) {
                    toks = keys.loadTokens(seq, i);
                }
                if (skip) {
                    runStart = flushStored(seq, g, runStart, i);
                    continue;
                }
                cache.insert(b, seq.hashHi[i], seq.hashLo[i], g, keys.parentHi(seq, i), keys.parentLo(seq, i),
                        seq.extraHi[i], seq.extraLo[i], toks, 0);
                pool.markCached(b, fullGroup[g] && i > 0 ? t.get(i - 1) : -1, seq.hashLo[i]);
                if (runStart < 0) {
                    runStart = i;
                }
            }
            flushStored(seq, g, runStart, full);
            seq.cachedBlocks[g] = full;
        }
    }

    /** Emits one {@code BlockStored} for blocks {@code [runStart, end)} of a commit; returns -1. */
    private int flushStored(PagedSequence seq, int g, int runStart, int end) {
        if (runStart >= 0 && recordEvents) {
            List<BlockHash> hashes = new ArrayList<>(end - runStart);
            for (int i = runStart; i < end; i++) {
                hashes.add(new BlockHash(seq.hashHi[i], seq.hashLo[i]));
            }
            BlockHash parent = runStart == 0 ? null
                    : new BlockHash(seq.hashHi[runStart - 1], seq.hashLo[runStart - 1]);
            events.add(new KvCacheEvent.BlockStored(hashes, parent, blockSize, seq.context.loraName(),
                    KvCacheEvent.Medium.DEVICE, g));
        }
        return -1;
    }

    @Override
    public void free(KvSequence s) {
        PagedSequence seq = own(s);
        if (seq.swappedOut) {
            releaseHostTables(seq);
            seq.swappedOut = false;
        }
        for (int g = 0; g < numGroups; g++) {
            releaseTable(seq, g);
            seq.cachedBlocks[g] = 0;
        }
        seq.numComputed = 0;
        seq.clearStage();
    }

    /** Releases a device table tail first (vLLM frees {@code reversed(blocks)}), then empties it. */
    private void releaseTable(PagedSequence seq, int g) {
        BlockList t = seq.tables[g];
        int n = t.size();
        if (n == 0) {
            return;
        }
        if (retentionOrder != null) {
            for (int i = 0; i < n; i++) {
                applyRetention(seq, i, t.get(i));
            }
        }
        ensureScratch(n);
        t.reverseInto(scratchIds);
        pool.release(scratchIds, 0, n);
        t.clear();
    }

    private void releaseHostTables(PagedSequence seq) {
        for (int g = 0; g < numGroups; g++) {
            BlockList ht = seq.hostTables[g];
            for (int i = ht.size() - 1; i >= 0; i--) {
                int h = ht.get(i);
                if (h != NO_HOST) {
                    hostPool.release(h);
                }
            }
            ht.clear();
        }
    }

    // ================================================================================================ swap, fork

    @Override
    public boolean swapOut(KvSequence s) {
        PagedSequence seq = own(s);
        if (seq.swappedOut) {
            throw new IllegalStateException("the sequence is already swapped out: " + seq);
        }
        if (!seq.holdsBlocks()) {
            throw new IllegalStateException("the sequence holds no blocks to swap out: " + seq);
        }
        if (hostPool == null) {
            return false;
        }
        int count = 0;
        for (int g = 0; g < numGroups; g++) {
            BlockList t = seq.tables[g];
            for (int i = 0; i < t.size(); i++) {
                if (t.get(i) != BlockPool.NULL_BLOCK) {
                    count++;
                }
            }
        }
        if (count > hostPool.numFree()) {
            return false;
        }
        for (int g = 0; g < numGroups; g++) {
            BlockList t = seq.tables[g];
            BlockList ht = seq.hostTables[g];
            ht.clear();
            for (int i = 0; i < t.size(); i++) {
                int d = t.get(i);
                if (d == BlockPool.NULL_BLOCK) {
                    ht.add(NO_HOST);
                } else {
                    int h = hostPool.allocate();
                    ledger.addMove(BlockMoveKind.SWAP_OUT, d, h);
                    ht.add(h);
                }
            }
        }
        for (int g = 0; g < numGroups; g++) {
            releaseTable(seq, g);
        }
        seq.swappedOut = true;
        seq.swapGeneration++;
        ledger.open().addSwapOut(seq);
        swappedOutBlocks += count;
        return true;
    }

    @Override
    public boolean swapIn(KvSequence s, int numLookahead) {
        PagedSequence seq = own(s);
        if (!seq.swappedOut) {
            throw new IllegalStateException("the sequence is not swapped out: " + seq);
        }
        if (numLookahead < 0) {
            throw new IllegalArgumentException("numLookahead must not be negative, got " + numLookahead);
        }
        refreshRetention();
        int len = seq.hostTables[0].size();
        int need = Math.max(len, (seq.numComputed + numLookahead + blockSize - 1) / blockSize);
        // Full committed blocks still cached on the device are reused instead of copied back.
        int reusable = caching ? Math.min(Math.min(len, seq.numHashed), seq.numComputed / blockSize) : 0;
        if (found[0].length < len) {
            found = new int[numGroups][Math.max(len, found[0].length * 2)];
        }
        int required = 0;
        for (int g = 0; g < numGroups; g++) {
            BlockList ht = seq.hostTables[g];
            int[] f = found[g];
            for (int i = 0; i < len; i++) {
                f[i] = -1;
                if (ht.get(i) == NO_HOST) {
                    continue;
                }
                if (i < reusable) {
                    f[i] = cache.find(seq.hashHi[i], seq.hashLo[i], g, keys.parentHi(seq, i), keys.parentLo(seq, i),
                            seq.extraHi[i], seq.extraLo[i], keys.loadTokens(seq, i), 0);
                }
                if (f[i] < 0 || pool.refCount(f[i]) == 0) {
                    required++;
                }
            }
            required += need - len;
        }
        if (required > pool.numFree()) {
            return false;
        }
        for (int g = 0; g < numGroups; g++) {
            int[] f = found[g];
            for (int i = 0; i < len; i++) {
                if (f[i] > 0) {
                    pool.touch(f[i]);
                    pool.recordHit(f[i]);
                }
            }
        }
        StepLedger.Step step = ledger.open();
        for (int g = 0; g < numGroups; g++) {
            BlockList ht = seq.hostTables[g];
            BlockList t = seq.tables[g];
            int[] f = found[g];
            for (int i = 0; i < len; i++) {
                int h = ht.get(i);
                if (h == NO_HOST) {
                    t.add(BlockPool.NULL_BLOCK);
                } else if (f[i] > 0) {
                    t.add(f[i]);
                    hostPool.release(h);
                } else {
                    int d = pool.allocate();
                    ledger.addMove(BlockMoveKind.SWAP_IN, h, d);
                    step.addLoad(d, pool.allocationGeneration(d), h, -2); // -2: not a cache load, just unpin
                    t.add(d);
                    swappedInBlocks++;
                }
            }
            ht.clear();
            while (t.size() < need) {
                t.add(pool.allocate());
            }
            seq.cachedBlocks[g] = 0; // private copies: the next commit caches them again
        }
        seq.swappedOut = false;
        return true;
    }

    @Override
    public void fork(KvSequence parent, KvSequence child) {
        PagedSequence p = own(parent);
        PagedSequence c = own(child);
        if (p == c) {
            throw new IllegalArgumentException("a sequence cannot be forked into itself");
        }
        if (c.holdsBlocks() || c.swappedOut) {
            throw new IllegalStateException("the child of a fork must hold no blocks: " + c);
        }
        if (p.swappedOut) {
            throw new IllegalStateException("swap the parent in before forking it: " + p);
        }
        if (!p.context.equals(c.context)) {
            throw new IllegalArgumentException("a forked child shares its parent's KV, so it needs the parent's "
                    + "cache-key context (LoRA, salt, multimodal): " + p.context + " vs " + c.context);
        }
        int shared = (p.numComputed + blockSize - 1) / blockSize;
        for (int g = 0; g < numGroups; g++) {
            BlockList from = p.tables[g];
            BlockList to = c.tables[g];
            int n = Math.min(shared, from.size());
            for (int i = 0; i < n; i++) {
                int b = from.get(i);
                pool.touch(b);
                to.add(b);
            }
            c.cachedBlocks[g] = Math.min(p.cachedBlocks[g], n);
        }
        int hashed = Math.min(p.numHashed, p.numComputed / blockSize);
        c.ensureHashCapacity(hashed);
        System.arraycopy(p.hashHi, 0, c.hashHi, 0, hashed);
        System.arraycopy(p.hashLo, 0, c.hashLo, 0, hashed);
        System.arraycopy(p.extraHi, 0, c.extraHi, 0, hashed);
        System.arraycopy(p.extraLo, 0, c.extraLo, 0, hashed);
        c.numHashed = hashed;
        c.numComputed = p.numComputed;
        c.clearStage();
    }

    // ================================================================================================ steps

    @Override
    public void drainMoves(StepPlan plan) {
        ledger.drain(plan);
    }

    @Override
    public void stepCompleted(boolean success) {
        StepLedger.Step step = ledger.complete();
        if (step == null) {
            return;
        }
        for (int k = 0; k < step.numLoads; k++) {
            int d = step.loadDevice[k];
            hostPool.release(step.loadHost[k]);
            if (success && step.loadParent[k] != -2 && pool.allocationGeneration(d) == step.loadGeneration[k]
                    && pool.refCount(d) > 0 && !pool.isCached(d) && !cache.isIndexed(d)) {
                cacheLoaded(d, step.loadParent[k]);
            }
        }
        for (int k = 0; k < step.numStores; k++) {
            int h = step.storeHost[k];
            if (success && step.storeEpoch[k] == ledger.epoch()) {
                hostCache.index(h);
                hostPool.markCached(h, -1, hostCache.hashLo(h));
                if (recordEvents) {
                    events.add(new KvCacheEvent.BlockStored(List.of(new BlockHash(hostCache.hashHi(h),
                            hostCache.hashLo(h))), parentOf(hostCache, h), blockSize, null,
                            KvCacheEvent.Medium.HOST, hostCache.group(h)));
                }
            }
            hostPool.release(h);
        }
        if (!success) {
            for (int k = 0; k < step.swappedOut.size(); k++) {
                PagedSequence seq = step.swappedOut.get(k);
                if (seq.swappedOut && seq.swapGeneration == step.swapGeneration[k]) {
                    // The copies to host never happened: the sequence lost its KV and must be recomputed.
                    releaseHostTables(seq);
                    seq.swappedOut = false;
                    seq.numComputed = 0;
                    Arrays.fill(seq.cachedBlocks, 0);
                }
            }
        }
        ledger.recycle(step);
    }

    private void cacheLoaded(int d, int parent) {
        cache.index(d);
        int g = cache.group(d);
        boolean parentOk = parent > 0 && pool.isCached(parent)
                && cache.holds(parent, cache.parentHashHi(d), cache.parentHashLo(d), g);
        pool.markCached(d, parentOk ? parent : -1, cache.hashLo(d));
        if (recordEvents) {
            events.add(new KvCacheEvent.BlockStored(List.of(new BlockHash(cache.hashHi(d), cache.hashLo(d))),
                    parentOf(cache, d), blockSize, null, KvCacheEvent.Medium.DEVICE, g));
        }
    }

    private BlockHash parentOf(PrefixCache c, int b) {
        long hi = c.parentHashHi(b);
        long lo = c.parentHashLo(b);
        BlockHasher h = keys.hasher();
        return hi == h.rootHi() && lo == h.rootLo() ? null : new BlockHash(hi, lo);
    }

    // ================================================================================================ eviction

    /** Lazy eviction of a cached device block being handed out again: maybe offload it, then drop its hash. */
    @Override
    public void onEvict(int block) {
        if (offload.admits(pool.hits(block))) {
            offloadToHost(block);
        }
        cache.remove(block);
        evictedBlocks++;
        if (recordEvents) {
            events.add(new KvCacheEvent.BlockRemoved(new BlockHash(cache.hashHi(block), cache.hashLo(block)),
                    KvCacheEvent.Medium.DEVICE, cache.group(block)));
        }
    }

    private void offloadToHost(int d) {
        int existing = hostCache.first(cache.hashHi(d), cache.hashLo(d), cache.group(d));
        if (existing >= 0) {
            if (hostPool.refCount(existing) == 0) {
                hostPool.touch(existing); // refresh its recency: it was just useful enough to offload again
                hostPool.release(existing);
            }
            return;
        }
        if (hostPool.numFree() == 0) {
            return; // every host block is pinned or holds a swapped sequence
        }
        int h = hostPool.allocate();
        cache.copyTo(d, hostCache, h);
        ledger.addMove(BlockMoveKind.SWAP_OUT, d, h);
        ledger.open().addStore(h, ledger.epoch());
        offloadedBlocks++;
    }

    private void onHostEvict(int h) {
        hostCache.remove(h);
        if (recordEvents) {
            events.add(new KvCacheEvent.BlockRemoved(new BlockHash(hostCache.hashHi(h), hostCache.hashLo(h)),
                    KvCacheEvent.Medium.HOST, hostCache.group(h)));
        }
    }

    /**
     * Drops a device block's hash without touching its holders (vLLM's {@code evict_blocks}, used when a load
     * failed); returns false if it was not cached.
     */
    boolean dropCached(int block) {
        if (!cache.isIndexed(block)) {
            return false;
        }
        cache.remove(block);
        pool.clearCached(block);
        if (recordEvents) {
            events.add(new KvCacheEvent.BlockRemoved(new BlockHash(cache.hashHi(block), cache.hashLo(block)),
                    KvCacheEvent.Medium.DEVICE, cache.group(block)));
        }
        return true;
    }

    @Override
    public boolean resetPrefixCache() {
        if (pool.numFree() != pool.numUsable()) {
            return false;
        }
        // Clear in reverse eviction order: policies that move uncached blocks to the head keep the order.
        int n = pool.numFree();
        ensureScratch(n);
        pool.freeBlocks(scratchIds);
        for (int i = n - 1; i >= 0; i--) {
            pool.clearCached(scratchIds[i]);
        }
        cache.clear();
        if (hostCache != null) {
            for (int h = 0; h < hostPool.numBlocks(); h++) {
                if (hostCache.isIndexed(h)) {
                    hostPool.clearCached(h);
                }
            }
            hostCache.clear();
        }
        ledger.bumpEpoch();
        if (recordEvents) {
            events.add(new KvCacheEvent.AllBlocksCleared());
        }
        return true;
    }

    // ================================================================================================ retention

    private void refreshRetention() {
        if (retentionOrder != null) {
            retentionOrder.refresh(clock.nanoTime());
        }
    }

    /** Gives block {@code b} (position {@code i} of the sequence) its retention before it is released. */
    private void applyRetention(PagedSequence seq, int i, int b) {
        if (retentionOrder == null || b == BlockPool.NULL_BLOCK) {
            return;
        }
        KvRetention.Range r = seq.retention.rangeFor(i * blockSize, (i + 1) * blockSize);
        if (r == null) {
            retentionOrder.setRetention(b, KvRetention.DEFAULT_PRIORITY, Long.MAX_VALUE);
        } else {
            long expiry = r.durationNanos() == 0 ? Long.MAX_VALUE : clock.nanoTime() + r.durationNanos();
            retentionOrder.setRetention(b, r.priority(), expiry);
        }
    }

    // ================================================================================================ figures

    @Override
    public int numFreeBlocks() {
        return pool.numFree();
    }

    @Override
    public int blocksNeeded(int numTokens) {
        if (numTokens < 0) {
            throw new IllegalArgumentException("numTokens must not be negative, got " + numTokens);
        }
        return (int) (((long) numTokens + blockSize - 1) / blockSize);
    }

    @Override
    public double usage() {
        return 1.0 - (double) pool.numFree() / pool.numUsable();
    }

    @Override
    public KvCacheStats stats() {
        return new KvCacheStats(config.numDeviceBlocks(), pool.numFree(), config.numHostBlocks(),
                hostPool == null ? 0 : hostPool.numFree(), queriedTokens, hitTokens, hostHitTokens, evictedBlocks,
                offloadedBlocks, swappedOutBlocks, swappedInBlocks, copiedBlocks);
    }

    @Override
    public void drainEvents(List<KvCacheEvent> out) {
        out.addAll(events);
        events.clear();
    }

    // ================================================================================================ internals

    private PagedSequence own(KvSequence s) {
        if (!(s instanceof PagedSequence) || ((PagedSequence) s).owner != this) {
            throw new IllegalArgumentException("the sequence was not opened by this KV cache manager");
        }
        return (PagedSequence) s;
    }

    private void ensureScratch(int n) {
        if (scratchIds.length < n) {
            scratchIds = Arrays.copyOf(scratchIds, Math.max(n, scratchIds.length * 2));
        }
    }

    // Package-private views for tests and invariant checks.

    BlockPool pool() {
        return pool;
    }

    BlockPool hostPool() {
        return hostPool;
    }

    PrefixCache cache() {
        return cache;
    }

    PrefixCache hostCache() {
        return hostCache;
    }

    StepLedger ledger() {
        return ledger;
    }

    BlockKeys keys() {
        return keys;
    }
}
