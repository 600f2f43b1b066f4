package dev.baton.kv;

import dev.baton.api.plan.BlockTable;

import java.util.Arrays;

/**
 * The KV state of one sequence inside a {@link PagedKvCacheManager}: a device block table per KV-cache group, the
 * host blocks while it is swapped out, the chained hashes of its full blocks (kept across preemption, as vLLM keeps
 * {@code request.block_hashes}), the digests of its cache-key context, and a prefix hit staged by the last lookup.
 *
 * <p>Invariants: {@code cachedBlocks[g] <= tables[g].size()}; while swapped out, every device table is empty; a
 * staged hit exists only while the sequence holds no blocks. Engine thread only; arrays grow and never shrink, so a
 * handle reused through {@link KvCacheManager#reopen} allocates nothing in steady state.
 */
final class PagedSequence implements KvSequence {

    /** Staged entries below this encode host blocks: {@code -(hostBlock + 1)}. */
    static final int NO_STAGE = -1;

    final PagedKvCacheManager owner;
    final BlockList[] tables;
    final BlockList[] hostTables;
    final int[] cachedBlocks;
    final int[][] staged;

    TokenSequence tokens;
    CacheKeyContext context;
    KvRetention retention;

    // Digests of the cache-key context.
    boolean hasLora;
    long loraHi;
    long loraLo;
    boolean hasSalt;
    long saltHi;
    long saltLo;
    int numSpans;
    long[] spanHi = new long[0];
    long[] spanLo = new long[0];

    // Hashes of full blocks [0, numHashed).
    int numHashed;
    long[] hashHi = new long[16];
    long[] hashLo = new long[16];
    long[] extraHi = new long[16];
    long[] extraLo = new long[16];

    int numComputed;
    int stagedBlocks = NO_STAGE;
    int stagedHostBlocks;
    int prefixHitTokens;
    boolean swappedOut;
    int swapGeneration;

    PagedSequence(PagedKvCacheManager owner, int numGroups) {
        this.owner = owner;
        tables = new BlockList[numGroups];
        hostTables = new BlockList[numGroups];
        cachedBlocks = new int[numGroups];
        staged = new int[numGroups][];
        for (int g = 0; g < numGroups; g++) {
            tables[g] = new BlockList(16);
            hostTables[g] = new BlockList(4);
            staged[g] = new int[16];
        }
    }

    @Override
    public BlockTable blockTable(int group) {
        return tables[group];
    }

    @Override
    public int prefixHitTokens() {
        return prefixHitTokens;
    }

    @Override
    public boolean isSwappedOut() {
        return swappedOut;
    }

    @Override
    public boolean holdsBlocks() {
        for (BlockList t : tables) {
            if (t.size() > 0) {
                return true;
            }
        }
        return false;
    }

    /** Tokens with valid KV as last reported by {@code allocateSlots} or {@code commit}. */
    int numComputed() {
        return numComputed;
    }

    boolean hasStage() {
        return stagedBlocks != NO_STAGE;
    }

    void clearStage() {
        stagedBlocks = NO_STAGE;
        stagedHostBlocks = 0;
    }

    /** Makes room for {@code n} staged entries per group. */
    void ensureStage(int n) {
        if (staged[0].length < n) {
            int cap = Math.max(n, staged[0].length * 2);
            for (int g = 0; g < staged.length; g++) {
                staged[g] = Arrays.copyOf(staged[g], cap);
            }
        }
    }

    /** Makes room for the hashes of {@code n} blocks. */
    void ensureHashCapacity(int n) {
        if (hashHi.length < n) {
            int cap = Math.max(n, hashHi.length * 2);
            hashHi = Arrays.copyOf(hashHi, cap);
            hashLo = Arrays.copyOf(hashLo, cap);
            extraHi = Arrays.copyOf(extraHi, cap);
            extraLo = Arrays.copyOf(extraLo, cap);
        }
    }

    void ensureSpanCapacity(int n) {
        if (spanHi.length < n) {
            spanHi = Arrays.copyOf(spanHi, n);
            spanLo = Arrays.copyOf(spanLo, n);
        }
    }

    /** Forgets the tables and hashes and binds the handle to a new sequence (the caller checked it holds nothing). */
    void rebind(TokenSequence tokens, CacheKeyContext context, KvRetention retention) {
        this.tokens = tokens;
        this.context = context;
        this.retention = retention;
        for (int g = 0; g < tables.length; g++) {
            tables[g].clear();
            hostTables[g].clear();
            cachedBlocks[g] = 0;
        }
        numHashed = 0;
        numComputed = 0;
        prefixHitTokens = 0;
        swappedOut = false;
        clearStage();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("KvSequence[computed=").append(numComputed);
        for (int g = 0; g < tables.length; g++) {
            sb.append(", g").append(g).append('=').append(tables[g]);
        }
        if (swappedOut) {
            sb.append(", swapped");
        }
        return sb.append(']').toString();
    }
}
