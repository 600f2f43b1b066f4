package dev.baton.kv;

import dev.baton.api.plan.StepPlan;
import dev.baton.kv.pool.BlockPool;
import dev.baton.kv.prefix.PrefixCache;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A scheduler-shaped driver of a {@link PagedKvCacheManager} for the action-sequence properties: it keeps live
 * sequences, schedules them into steps, runs each step's moves and writes on a {@link ShadowDevice}, and checks the
 * manager's invariants and the real content of every block a hit hands out.
 */
final class KvModel {

    static final CacheKeyContext[] CONTEXTS = {
        CacheKeyContext.NONE,
        CacheKeyContext.of(null, "tenant-a"),
        CacheKeyContext.of("adapter-x", null),
        new CacheKeyContext(null, null, List.of(new dev.baton.api.request.MultimodalSpan("img-1", 3, 6))),
    };

    /** Shared prompt prefixes, so that different sequences hit each other's blocks. */
    static final int[][] DOCUMENTS = {
        {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20},
        {1, 2, 3, 4, 5, 6, 7, 8, 30, 31, 32, 33, 34, 35, 36, 37},
        {40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51},
        {40, 41, 42, 43, 44, 45, 46, 47, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75},
        {},
    };

    static final class Live {
        final PagedSequence seq;
        final Tokens tokens;
        int computed;
        boolean swapped;

        Live(PagedSequence seq, Tokens tokens) {
            this.seq = seq;
            this.tokens = tokens;
        }
    }

    private record Scheduled(Live live, int from, int to, int drafts) {
    }

    private record Key(long hi, long lo, int group) {
    }

    final PagedKvCacheManager m;
    final KvCacheConfig config;
    final ShadowDevice shadow;
    final List<Live> live = new ArrayList<>();
    private final List<Scheduled> step = new ArrayList<>();
    private final List<Live> movedInStep = new ArrayList<>();
    private final Map<Key, Long> labels = new HashMap<>();
    private int nextToken = 1000;
    private long actions;

    KvModel(KvCacheConfig config) {
        this.config = config;
        this.m = (PagedKvCacheManager) KvCacheManager.create(config);
        this.shadow = new ShadowDevice(config.numDeviceBlocks(), config.numHostBlocks());
    }

    @Override
    public String toString() {
        return "KvModel[" + live.size() + " live, " + actions + " actions]";
    }

    // ------------------------------------------------------------------------------------------------ actions

    void open(int document, int suffix, int future, int context, int retention) {
        actions++;
        int[] doc = DOCUMENTS[document % DOCUMENTS.length];
        int[] all = new int[Math.max(1, doc.length + suffix) + future];
        System.arraycopy(doc, 0, all, 0, doc.length);
        for (int i = doc.length; i < all.length; i++) {
            // Few distinct suffix tokens (and repeats of earlier ones) so that duplicates and collisions of
            // content across sequences are common.
            all[i] = (i - doc.length) % 3 == 0 ? 7 : nextToken++ % 23;
        }
        Tokens tokens = new Tokens(all, Math.max(1, doc.length + suffix));
        CacheKeyContext ctx = CONTEXTS[context % CONTEXTS.length];
        KvRetention r = retention == 0 ? KvRetention.DEFAULT
                : KvRetention.of(new KvRetention.Range(0, 8, (retention * 37) % 101, retention % 2 == 0 ? 0 : 5));
        live.add(new Live((PagedSequence) m.open(tokens, ctx, r), tokens));
    }

    void schedule(int index, int newTokens, int drafts) {
        actions++;
        Live l = pick(index);
        if (l == null || l.swapped || inStep(l)) {
            return;
        }
        PagedSequence seq = l.seq;
        int from;
        if (!seq.holdsBlocks()) {
            from = m.lookupPrefix(seq);
            assertThat(from % config.blockSize()).isZero();
            assertThat(from).isLessThan(Math.max(1, l.tokens.length()));
        } else {
            from = l.computed;
            if (from == l.tokens.length() && !l.tokens.reveal()) {
                return; // nothing left to compute
            }
        }
        int n = Math.max(1, Math.min(newTokens, l.tokens.length() - from));
        if (m.allocateSlots(seq, from, n, drafts)) {
            step.add(new Scheduled(l, from, from + n, drafts));
        } else if (!seq.holdsBlocks()) {
            assertThat(seq.tables[0].size()).isZero();
        }
    }

    void runStep(boolean success) {
        actions++;
        StepPlan plan = new StepPlan(config.groups().size());
        m.drainMoves(plan);
        shadow.run(plan, success);
        for (Scheduled s : step) {
            if (!success) {
                shadow.write(s.live.seq, s.from, s.to + s.drafts, false);
                continue;
            }
            // Everything the sequence reads (its own earlier tokens, prefix hits, copies, swap-ins) is its own.
            assertThat(holdsPrefix(s.live.seq, s.from)).as("blocks before position %d of %s hold their own KV",
                    s.from, s.live.seq).isTrue();
            // Rejected draft positions hold garbage, but labels describe the valid prefix of a block only, and
            // the next step rewrites those positions; commit must never cache them (checked by checkContent).
            shadow.write(s.live.seq, s.from, s.to, true);
            m.commit(s.live.seq, s.to);
            s.live.computed = s.to;
            recordLabels(s.live.seq, s.to);
        }
        m.stepCompleted(success);
        if (!success) {
            // The scheduler requeues everything that ran or moved in a failed step for recomputation.
            for (Scheduled s : step) {
                recompute(s.live);
            }
            for (Live l : movedInStep) {
                recompute(l);
            }
            for (Live l : live) {
                if (l.swapped && !l.seq.isSwappedOut()) {
                    l.swapped = false; // its swap-out never happened: it lost its KV
                    l.computed = 0;
                    assertThat(l.seq.holdsBlocks()).isFalse();
                }
            }
        }
        step.clear();
        movedInStep.clear();
    }

    /**
     * One engine iteration: schedules every runnable sequence with a chunk derived from {@code seed}, runs the step
     * (one in ten fails), then frees sequences that finished.
     */
    void tick(int seed) {
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < live.size(); i++) {
            if (live.get(i).swapped) {
                swapIn(i, r.nextInt(3));
            }
        }
        for (int i = 0; i < live.size(); i++) {
            Live l = live.get(i);
            boolean running = l.seq.holdsBlocks();
            int before = step.size();
            schedule(i, 1 + r.nextInt(8), r.nextInt(4) == 0 ? r.nextInt(3) : 0);
            if (running && step.size() == before && !l.swapped && !inStep(l)) {
                preemptOtherThan(l, r.nextBoolean());
            }
        }
        runStep(r.nextInt(10) != 0);
        for (int i = live.size() - 1; i >= 0; i--) {
            Live l = live.get(i);
            if (!l.swapped && l.computed > 0 && l.computed == l.tokens.length() && r.nextInt(3) == 0) {
                free(i);
            }
        }
    }

    /** Out of blocks for a running sequence: preempt the newest other running one (swap, or recompute). */
    private void preemptOtherThan(Live keep, boolean swap) {
        for (int j = live.size() - 1; j >= 0; j--) {
            Live v = live.get(j);
            if (v != keep && !v.swapped && !inStep(v) && v.seq.holdsBlocks()) {
                if (swap && m.swapOut(v.seq)) {
                    v.swapped = true;
                    movedInStep.remove(v);
                } else {
                    recompute(v);
                }
                return;
            }
        }
    }

    void free(int index) {
        actions++;
        Live l = pick(index);
        if (l == null) {
            return;
        }
        m.free(l.seq);
        step.removeIf(s -> s.live == l);
        movedInStep.remove(l);
        live.remove(l);
    }

    void fork(int index) {
        actions++;
        Live p = pick(index);
        if (p == null || p.swapped || inStep(p) || !p.seq.holdsBlocks() || live.size() >= 8) {
            return;
        }
        int[] visible = p.tokens.visibleTokens();
        int[] all = java.util.Arrays.copyOf(visible, visible.length + 6);
        for (int i = visible.length; i < all.length; i++) {
            all[i] = nextToken++ % 29; // the child's own continuation
        }
        Tokens t = new Tokens(all, visible.length);
        Live c = new Live((PagedSequence) m.open(t, p.seq.context), t);
        m.fork(p.seq, c.seq);
        c.computed = p.computed;
        live.add(c);
        if (movedInStep.contains(p)) {
            movedInStep.add(c); // it shares blocks whose content the pending step's swap-ins bring
        }
    }

    void swapOut(int index) {
        actions++;
        Live l = pick(index);
        if (l == null || l.swapped || inStep(l) || !l.seq.holdsBlocks()) {
            return;
        }
        boolean ok = m.swapOut(l.seq);
        if (config.numHostBlocks() == 0) {
            assertThat(ok).isFalse();
        }
        if (ok) {
            l.swapped = true;
            movedInStep.remove(l);
        }
    }

    void swapIn(int index, int lookahead) {
        actions++;
        Live l = pick(index);
        if (l == null || !l.swapped) {
            return;
        }
        if (m.swapIn(l.seq, lookahead)) {
            l.swapped = false;
            movedInStep.add(l);
        }
    }

    void reset() {
        actions++;
        boolean allFree = m.numFreeBlocks() == config.numDeviceBlocks() - 1;
        assertThat(m.resetPrefixCache()).isEqualTo(allFree);
        if (allFree) {
            assertThat(m.cache().size()).isZero();
        }
    }

    private void recompute(Live l) {
        if (live.contains(l)) {
            m.free(l.seq);
            l.computed = 0;
            l.swapped = false;
        }
    }

    private Live pick(int index) {
        return live.isEmpty() ? null : live.get(Math.floorMod(index, live.size()));
    }

    private boolean inStep(Live l) {
        for (Scheduled s : step) {
            if (s.live == l) {
                return true;
            }
        }
        return false;
    }

    private boolean holdsPrefix(PagedSequence seq, int upTo) {
        int bs = config.blockSize();
        for (int g = 0; g < seq.tables.length; g++) {
            for (int j = 0; j * bs < upTo; j++) {
                int b = seq.tables[g].get(j);
                if (b == BlockPool.NULL_BLOCK) {
                    continue;
                }
                int end = Math.min(upTo, (j + 1) * bs);
                if (shadow.device(b) != ShadowDevice.label(g, seq.context, seq.tokens, end)) {
                    return false;
                }
            }
        }
        return true;
    }

    private void recordLabels(PagedSequence seq, int upTo) {
        if (!config.enablePrefixCaching()) {
            return;
        }
        int bs = config.blockSize();
        for (int i = 0; i < upTo / bs; i++) {
            for (int g = 0; g < seq.tables.length; g++) {
                long label = ShadowDevice.label(g, seq.context, seq.tokens, (i + 1) * bs);
                Long before = labels.put(new Key(seq.hashHi[i], seq.hashLo[i], g), label);
                assertThat(before == null || before == label).as("two contents with one block hash").isTrue();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ invariants

    void checkInvariants() {
        checkDeviceTier();
        if (m.hostPool() != null) {
            checkHostTier();
        }
    }

    private void checkDeviceTier() {
        BlockPool pool = m.pool();
        int n = pool.numBlocks();
        int[] holders = new int[n];
        for (Live l : live) {
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            for (BlockList t : l.seq.tables) {
                for (int i = 0; i < t.size(); i++) {
                    int b = t.get(i);
                    if (b == BlockPool.NULL_BLOCK) {
                        continue;
                    }
                    assertThat(seen.add(b)).as("block %d twice in %s", b, l.seq).isTrue();
                    holders[b]++;
                }
            }
            if (l.swapped) {
                assertThat(l.seq.holdsBlocks()).isFalse();
            }
        }
        int free = 0;
        for (int b = 1; b < n; b++) {
            assertThat(pool.refCount(b)).as("ref count of device block %d", b).isEqualTo(holders[b]);
            assertThat(pool.isFree(b)).isEqualTo(holders[b] == 0);
            if (holders[b] == 0) {
                free++;
            }
            assertThat(pool.isCached(b)).as("cached flag of block %d", b).isEqualTo(m.cache().isIndexed(b));
        }
        assertThat(pool.numFree()).isEqualTo(free);
        assertThat(pool.freeBlocks()).hasSize(free).doesNotHaveDuplicates().doesNotContain(0);
        checkContent(m.cache(), n, true);
    }

    private void checkHostTier() {
        BlockPool host = m.hostPool();
        int n = host.numBlocks();
        int[] holders = new int[n];
        for (Live l : live) {
            for (BlockList t : l.seq.hostTables) {
                for (int i = 0; i < t.size(); i++) {
                    if (t.get(i) >= 0) {
                        holders[t.get(i)]++;
                    }
                }
            }
        }
        m.ledger().forEachRecord(r -> {
            for (int k = 0; k < r.numLoads; k++) {
                holders[r.loadHost[k]]++;
            }
            for (int k = 0; k < r.numStores; k++) {
                holders[r.storeHost[k]]++;
            }
        });
        int free = 0;
        for (int h = 0; h < n; h++) {
            assertThat(host.refCount(h)).as("ref count of host block %d", h).isEqualTo(holders[h]);
            if (holders[h] == 0) {
                free++;
            }
            if (m.hostCache() != null) {
                assertThat(host.isCached(h)).isEqualTo(m.hostCache().isIndexed(h));
            }
        }
        assertThat(host.numFree()).isEqualTo(free).isLessThanOrEqualTo(host.numUsable());
        if (m.hostCache() != null) {
            checkContent(m.hostCache(), n, false);
        }
    }

    /** Every findable block holds the content its hash stands for (KV-INV-5). */
    private void checkContent(PrefixCache cache, int n, boolean device) {
        for (int b = device ? 1 : 0; b < n; b++) {
            if (!cache.isIndexed(b)) {
                continue;
            }
            Long expected = labels.get(new Key(cache.hashHi(b), cache.hashLo(b), cache.group(b)));
            assertThat(expected).as("cached block %d was committed by someone", b).isNotNull();
            long actual = device ? shadow.device(b) : shadow.host(b);
            assertThat(actual).as("content of cached %s block %d", device ? "device" : "host", b)
                    .isEqualTo(Objects.requireNonNull(expected));
        }
    }
}
