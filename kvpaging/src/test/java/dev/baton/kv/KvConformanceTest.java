package dev.baton.kv;

import dev.baton.api.plan.StepPlan;
import dev.baton.api.request.MultimodalSpan;
import dev.baton.kv.pool.BlockPool;
import dev.baton.kv.prefix.BlockHasher;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.baton.kv.Tokens.common;
import static dev.baton.kv.Tokens.concat;
import static dev.baton.kv.Tokens.range;
import static dev.baton.kv.Tokens.repeat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Conformance cases KV-1..KV-19 (vLLM v1's {@code test_prefix_caching.py} / {@code test_kv_cache_utils.py}) from
 * anchors/kv-cache.md §2.1, against the public manager with block size 16 unless stated.
 */
class KvConformanceTest {

    static PagedKvCacheManager manager(int numBlocks) {
        return manager(KvCacheConfig.builder().numDeviceBlocks(numBlocks).enableEvents(true).build());
    }

    static PagedKvCacheManager manager(KvCacheConfig config) {
        return (PagedKvCacheManager) KvCacheManager.create(config);
    }

    /** Lookup, allocate everything after the hit, commit every known token: one prefill step. */
    static PagedSequence prefill(PagedKvCacheManager m, int[] tokens) {
        return prefill(m, tokens, CacheKeyContext.NONE);
    }

    static PagedSequence prefill(PagedKvCacheManager m, int[] tokens, CacheKeyContext ctx) {
        PagedSequence seq = (PagedSequence) m.open(Tokens.of(tokens), ctx);
        int hit = m.lookupPrefix(seq);
        assertThat(m.allocateSlots(seq, hit, tokens.length - hit, 0)).isTrue();
        m.commit(seq, tokens.length);
        return seq;
    }

    static int[] table(KvSequence seq, int group) {
        int[] out = new int[seq.blockTable(group).size()];
        seq.blockTable(group).copyTo(0, out, 0, out.length);
        return out;
    }

    static int[] table(KvSequence seq) {
        return table(seq, 0);
    }

    @Test
    @DisplayName("KV-1: a 55-token prompt gets blocks [1,2,3,4]; the three full blocks carry chain hashes")
    void kv1_prefill() {
        PagedKvCacheManager m = manager(11);
        int[] tokens = concat(common(), repeat(3, 7));
        PagedSequence req0 = (PagedSequence) m.open(Tokens.of(tokens), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(req0)).isZero();
        assertThat(m.allocateSlots(req0, 0, 55, 0)).isTrue();
        m.commit(req0, 55);

        assertThat(table(req0)).containsExactly(1, 2, 3, 4);
        assertThat(req0.numHashed).isEqualTo(3);
        BlockHasher h = BlockHasher.fast128(0);
        long pHi = h.rootHi();
        long pLo = h.rootLo();
        for (int b = 1; b <= 3; b++) {
            h.hashBlock(pHi, pLo, repeat(b - 1, 16), 0, 16, false, 0, 0);
            assertThat(m.cache().isIndexed(b)).isTrue();
            assertThat(m.cache().hashHi(b)).isEqualTo(h.hi());
            assertThat(m.cache().hashLo(b)).isEqualTo(h.lo());
            assertThat(m.cache().parentHashHi(b)).isEqualTo(pHi);
            pHi = h.hi();
            pLo = h.lo();
        }
        assertThat(m.cache().isIndexed(4)).isFalse();
        for (int b = 1; b <= 4; b++) {
            assertThat(m.pool().refCount(b)).isEqualTo(1);
        }
    }

    /** vLLM's {@code test_prefill} scenario, run up to step {@code upTo} (2..5); returns the manager and requests. */
    private static Object[] prefillScenario(int upTo) {
        PagedKvCacheManager m = manager(11);
        PagedSequence req0 = prefill(m, concat(common(), repeat(3, 7)));
        int[] t1 = concat(common(), repeat(3, 5));
        PagedSequence req1 = (PagedSequence) m.open(Tokens.of(t1), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(req1)).isEqualTo(48);
        assertThat(m.allocateSlots(req1, 48, 5, 0)).isTrue();
        m.commit(req1, 53);
        if (upTo == 2) {
            return new Object[] {m, req0, req1};
        }
        m.free(req0);
        m.free(req1);
        if (upTo == 3) {
            return new Object[] {m};
        }
        PagedSequence req2 = prefill(m, concat(common(), repeat(3, 6)));
        if (upTo == 4) {
            return new Object[] {m, req2};
        }
        m.free(req2);
        return new Object[] {m};
    }

    @Test
    @DisplayName("KV-2: a request while req0 runs hits the three common blocks and shares them (ref count 2)")
    void kv2_hitWhileRunning() {
        Object[] s = prefillScenario(2);
        PagedKvCacheManager m = (PagedKvCacheManager) s[0];
        assertThat(table((PagedSequence) s[2])).containsExactly(1, 2, 3, 5);
        for (int b = 1; b <= 3; b++) {
            assertThat(m.pool().refCount(b)).isEqualTo(2);
        }
        assertThat(m.pool().refCount(4)).isEqualTo(1);
        assertThat(m.numFreeBlocks()).isEqualTo(5);
    }

    @Test
    @DisplayName("KV-3: after both free, the queue is [5,4,6,7,8,9,10,3,2,1]: unhashed LIFO, hashed tail first")
    void kv3_freeOrder() {
        PagedKvCacheManager m = (PagedKvCacheManager) prefillScenario(3)[0];
        assertThat(m.numFreeBlocks()).isEqualTo(10);
        assertThat(m.pool().freeBlocks()).containsExactly(5, 4, 6, 7, 8, 9, 10, 3, 2, 1);
    }

    @Test
    @DisplayName("KV-4: a hit after everything was freed takes the blocks back out of the free queue")
    void kv4_hitOnFreeBlocks() {
        Object[] s = prefillScenario(4);
        PagedKvCacheManager m = (PagedKvCacheManager) s[0];
        PagedSequence req2 = (PagedSequence) s[1];
        assertThat(req2.prefixHitTokens()).isEqualTo(48);
        assertThat(table(req2)).containsExactly(1, 2, 3, 5);
        assertThat(m.numFreeBlocks()).isEqualTo(6);
        for (int b : m.pool().freeBlocks()) {
            assertThat(m.pool().refCount(b)).isZero();
        }
    }

    @Test
    @DisplayName("KV-5: a request hitting nothing takes the blocks in queue order and evicts the hashes of 1..3")
    void kv5_evictionFollowsQueue() {
        PagedKvCacheManager m = (PagedKvCacheManager) prefillScenario(5)[0];
        PagedSequence req3 = (PagedSequence) m.open(Tokens.of(repeat(99, 160)), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(req3)).isZero();
        assertThat(m.allocateSlots(req3, 0, 160, 0)).isTrue();
        assertThat(table(req3)).containsExactly(5, 4, 6, 7, 8, 9, 10, 3, 2, 1);
        assertThat(m.numFreeBlocks()).isZero();
        for (int b = 1; b <= 3; b++) {
            assertThat(m.cache().isIndexed(b)).isFalse();
            assertThat(m.pool().isCached(b)).isFalse();
        }
    }

    @Test
    @DisplayName("KV-6: freeing appends hashed blocks tail first after the partial block's LIFO slot")
    void kv6_evict() {
        PagedKvCacheManager m = manager(11);
        PagedSequence req0 = prefill(m, range(0, 87));
        PagedSequence req1 = prefill(m, range(87, 87 + 48));
        assertThat(m.numFreeBlocks()).isEqualTo(1);

        m.free(req0);
        assertThat(m.pool().freeBlocks()).containsExactly(6, 10, 5, 4, 3, 2, 1);
        m.free(req1);
        assertThat(m.pool().freeBlocks()).containsExactly(6, 10, 5, 4, 3, 2, 1, 9, 8, 7);

        PagedSequence req2 = prefill(m, range(0, 35));
        assertThat(req2.prefixHitTokens()).isEqualTo(32);
        assertThat(table(req2)).containsExactly(1, 2, 6);
        assertThat(m.numFreeBlocks()).isEqualTo(7);
    }

    @Test
    @DisplayName("KV-7: the new block never evicts the block just matched")
    void kv7_computedBlocksNotEvicted() {
        PagedKvCacheManager m = manager(3);
        m.free(prefill(m, range(0, 16)));
        m.free(prefill(m, range(16, 32)));
        assertThat(m.pool().freeBlocks()).containsExactly(1, 2);

        PagedSequence req2 = prefill(m, range(0, 32));
        assertThat(req2.prefixHitTokens()).isEqualTo(16);
        assertThat(table(req2)).containsExactly(1, 2);
    }

    @Test
    @DisplayName("KV-8: reallocating a cached free block clears its stale hash")
    void kv8_hashClearedOnReuse() {
        PagedKvCacheManager m = manager(2);
        m.free(prefill(m, range(0, 16)));
        assertThat(m.pool().isCached(1)).isTrue();

        PagedSequence req = prefill(m, range(0, 15));
        assertThat(req.prefixHitTokens()).isZero();
        assertThat(table(req)).containsExactly(1);
        assertThat(m.pool().isCached(1)).isFalse();
        assertThat(m.cache().isIndexed(1)).isFalse();
        assertThat(m.cache().size()).isZero();
    }

    @Test
    @DisplayName("KV-9: allocation that cannot fit changes nothing, free hit blocks stay in the free queue")
    void kv9_transactionalAllocation() {
        PagedKvCacheManager m = manager(11);
        int[] six = range(0, 96);
        m.free(prefill(m, concat(six, new int[] {500})));            // blocks 1..6 cached, 7 partial
        PagedSequence req0 = prefill(m, concat(range(0, 48), new int[] {501})); // holds 1,2,3 (+ a new block)
        PagedSequence filler = prefill(m, range(1000, 1016));          // leaves two free blocks besides 4,5,6
        assertThat(m.numFreeBlocks()).isEqualTo(5);
        int[] freeBefore = m.pool().freeBlocks();

        PagedSequence req3 = (PagedSequence) m.open(Tokens.of(concat(six, range(2000, 2040))), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(req3)).isEqualTo(96);
        assertThat(m.allocateSlots(req3, 96, 40, 0)).isFalse();

        assertThat(req3.holdsBlocks()).isFalse();
        assertThat(m.numFreeBlocks()).isEqualTo(5);
        assertThat(m.pool().freeBlocks()).containsExactly(freeBefore);
        for (int b = 1; b <= 3; b++) {
            assertThat(m.pool().refCount(b)).isEqualTo(1);
        }
        for (int b = 4; b <= 6; b++) {
            assertThat(m.pool().refCount(b)).isZero();
            assertThat(m.pool().isFree(b)).isTrue();
            assertThat(m.pool().isCached(b)).isTrue();
        }
        assertThat(table(req0)).startsWith(1, 2, 3);
        assertThat(filler.holdsBlocks()).isTrue();
    }

    @Test
    @DisplayName("KV-10: a fully cached prompt of k blocks hits k-1 blocks (the last block is recomputed)")
    void kv10_fullPromptHitCapped() {
        PagedKvCacheManager m = manager(11);
        m.free(prefill(m, range(0, 48)));
        PagedSequence again = (PagedSequence) m.open(Tokens.of(range(0, 48)), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(again)).isEqualTo(32);
        PagedSequence longer = (PagedSequence) m.open(Tokens.of(range(0, 49)), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(longer)).isEqualTo(48);
    }

    @Test
    @DisplayName("KV-11: a cache salt keys only the first block; another salt hits nothing")
    void kv11_cacheSalt() {
        PagedKvCacheManager m = manager(20);
        CacheKeyContext salt1 = CacheKeyContext.of(null, "salt1");
        PagedSequence req0 = prefill(m, concat(common(), repeat(3, 11)), salt1);
        m.free(req0);

        PagedSequence req1 = (PagedSequence) m.open(Tokens.of(concat(common(), repeat(4, 11))), salt1);
        assertThat(m.lookupPrefix(req1)).isEqualTo(48);
        PagedSequence req2 = (PagedSequence) m.open(Tokens.of(concat(common(), repeat(3, 11))),
                CacheKeyContext.of(null, "salt2"));
        assertThat(m.lookupPrefix(req2)).isZero();

        assertThat(BlockKeys.describe(salt1, 0, 16)).containsExactly("salt:salt1");
        assertThat(BlockKeys.describe(salt1, 16, 32)).isEmpty();
        assertThat(req0.extraHi[1]).isZero();
        assertThat(req0.extraLo[2]).isZero();
        assertThat(req0.extraLo[0]).isNotZero();
        // Blocks 1 and 2 differ from the unsalted chain only through their parent.
        PagedSequence plain = prefill(m, concat(common(), repeat(3, 11)));
        assertThat(plain.hashLo[1]).isNotEqualTo(req0.hashLo[1]);
        assertThat(plain.extraLo[1]).isEqualTo(req0.extraLo[1]);
    }

    @Test
    @DisplayName("KV-12: multimodal items key every block they overlap, with offsets relative to the block")
    void kv12_multimodalExtraKeys() {
        List<MultimodalSpan> spans = List.of(new MultimodalSpan("aaa", 11, 10), new MultimodalSpan("bbb", 30, 18));
        CacheKeyContext ctx = new CacheKeyContext(null, null, spans);
        assertThat(BlockKeys.describe(ctx, 0, 16)).containsExactly("aaa:11");
        assertThat(BlockKeys.describe(ctx, 16, 32)).containsExactly("aaa:-5", "bbb:14");
        assertThat(BlockKeys.describe(ctx, 32, 48)).containsExactly("bbb:-2");

        CacheKeyContext unit = new CacheKeyContext(null, null, List.of(new MultimodalSpan("h1", 0, 5)));
        assertThat(BlockKeys.describe(unit, 0, 5)).containsExactly("h1:0");
        assertThat(BlockKeys.describe(unit, 3, 8)).containsExactly("h1:-3");
        assertThat(BlockKeys.describe(unit, 6, 10)).isEmpty();

        PagedKvCacheManager m = manager(20);
        int[] tokens = concat(repeat(7, 48), new int[] {1});
        m.free(prefill(m, tokens, ctx));
        PagedSequence same = (PagedSequence) m.open(Tokens.of(tokens), ctx);
        assertThat(m.lookupPrefix(same)).isEqualTo(48);
        CacheKeyContext otherFirst = new CacheKeyContext(null, null,
                List.of(new MultimodalSpan("ccc", 11, 10), new MultimodalSpan("bbb", 30, 18)));
        assertThat(m.lookupPrefix(m.open(Tokens.of(tokens), otherFirst))).isZero();
        CacheKeyContext otherSecond = new CacheKeyContext(null, null,
                List.of(new MultimodalSpan("aaa", 11, 10), new MultimodalSpan("ddd", 30, 18)));
        assertThat(m.lookupPrefix(m.open(Tokens.of(tokens), otherSecond))).isEqualTo(16);
    }

    @Test
    @DisplayName("KV-13: reset fails while blocks are held; afterwards it clears every hash with one event")
    void kv13_resetPrefixCache() {
        PagedKvCacheManager m = manager(11);
        PagedSequence req = prefill(m, concat(common(), repeat(3, 7)));
        List<KvCacheEvent> events = new ArrayList<>();
        m.drainEvents(events);

        assertThat(m.resetPrefixCache()).isFalse();
        assertThat(m.cache().size()).isEqualTo(3);
        assertThat(m.lookupPrefix(m.open(Tokens.of(concat(common(), repeat(3, 7))), CacheKeyContext.NONE)))
                .isEqualTo(48);

        m.free(req);
        assertThat(m.resetPrefixCache()).isTrue();
        assertThat(m.cache().size()).isZero();
        for (int b = 1; b < 11; b++) {
            assertThat(m.pool().isCached(b)).isFalse();
        }
        events.clear();
        m.drainEvents(events);
        assertThat(events).containsExactly(new KvCacheEvent.AllBlocksCleared());
    }

    @Test
    @DisplayName("KV-14: events: one BlockStored per commit; reuse emits one BlockRemoved per evicted hash first")
    void kv14_events() {
        // Difference: vLLM caches (and announces) blocks inside allocate_slots, before the step runs; Baton caches on
        // commit, after the device reported the step, so that a failed step never publishes blocks it did not
        // write. "Allocate n full blocks" is therefore allocateSlots + commit here.
        int n = 4;
        PagedKvCacheManager m = manager(n + 1);
        PagedSequence a = prefill(m, range(0, n * 16));
        List<KvCacheEvent> events = new ArrayList<>();
        m.drainEvents(events);
        assertThat(events).hasSize(1);
        KvCacheEvent.BlockStored stored = (KvCacheEvent.BlockStored) events.get(0);
        assertThat(stored.hashes()).hasSize(n);
        assertThat(stored.parentHash()).isNull();
        assertThat(stored.medium()).isEqualTo(KvCacheEvent.Medium.DEVICE);
        events.clear();
        m.drainEvents(events);
        assertThat(events).isEmpty();

        m.free(a);
        PagedSequence b = (PagedSequence) m.open(Tokens.of(range(0, n * 16)), CacheKeyContext.NONE);
        assertThat(m.allocateSlots(b, 0, n * 16, 0)).isTrue(); // no lookup: reuses the same physical blocks
        m.commit(b, n * 16);
        m.drainEvents(events);
        assertThat(events).hasSize(n + 1);
        for (int i = 0; i < n; i++) {
            assertThat(events.get(i)).isInstanceOf(KvCacheEvent.BlockRemoved.class);
        }
        assertThat(((KvCacheEvent.BlockStored) events.get(n)).hashes()).hasSize(n);
    }

    @Test
    @DisplayName("KV-15: with caching off there are never hits and the pool runs out")
    void kv15_cachingDisabled() {
        PagedKvCacheManager m = manager(KvCacheConfig.builder().blockSize(4).numDeviceBlocks(5)
                .enablePrefixCaching(false).build());
        PagedSequence req1 = prefill(m, range(0, 10));
        assertThat(table(req1)).hasSize(3);
        m.free(req1);
        PagedSequence req2 = prefill(m, range(0, 16));
        assertThat(req2.prefixHitTokens()).isZero();
        assertThat(table(req2)).hasSize(4);
        KvSequence req3 = m.open(Tokens.of(range(0, 4)), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(req3)).isZero();
        assertThat(m.allocateSlots(req3, 0, 4, 0)).isFalse();
        assertThat(m.cache().size()).isZero();
    }

    @Test
    @DisplayName("KV-16: duplicate blocks of one hash: evicting one keeps the key mapped to the other")
    void kv16_duplicates() {
        PagedKvCacheManager m = manager(11);
        int[] tokens = concat(range(0, 16), new int[] {1});
        // Two requests compute the same block in the same step (both looked up before either committed).
        PagedSequence a = (PagedSequence) m.open(Tokens.of(tokens), CacheKeyContext.NONE);
        PagedSequence b = (PagedSequence) m.open(Tokens.of(tokens), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(a)).isZero();
        assertThat(m.lookupPrefix(b)).isZero();
        assertThat(m.allocateSlots(a, 0, 17, 0)).isTrue();
        assertThat(m.allocateSlots(b, 0, 17, 0)).isTrue();
        m.commit(a, 17);
        m.commit(b, 17);
        long hi = a.hashHi[0];
        long lo = a.hashLo[0];
        int first = table(a)[0];
        int second = table(b)[0];
        assertThat(m.cache().count(hi, lo, 0)).isEqualTo(2);
        assertThat(m.cache().first(hi, lo, 0)).isEqualTo(first);

        assertThat(m.cache().remove(hi, lo, 0, 9)).isFalse();
        assertThat(m.cache().count(hi, lo, 0)).isEqualTo(2);
        assertThat(m.dropCached(first)).isTrue();
        assertThat(m.cache().first(hi, lo, 0)).isEqualTo(second);
        PagedSequence c = (PagedSequence) m.open(Tokens.of(tokens), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(c)).isEqualTo(16);
        assertThat(m.allocateSlots(c, 16, 1, 0)).isTrue();
        assertThat(table(c)[0]).isEqualTo(second);
    }

    @Test
    @DisplayName("KV-17: full + 2 sliding-window groups: hit rules per group and the hybrid fixed point")
    void kv17_hybridHits() {
        assertThat(hybridHit(-1, -1)).isEqualTo(48);
        assertThat(hybridHit(1, 0)).as("SWA block 0 is outside the window").isEqualTo(48);
        assertThat(hybridHit(0, 0)).as("full-attention block 0").isZero();
        assertThat(hybridHit(0, 2)).as("last full block").isEqualTo(32);
        assertThat(hybridHit(1, 2)).as("last block of a window group").isEqualTo(32);
        assertThat(hybridHit(2, 2)).as("last block of the other window group").isEqualTo(32);
        assertThat(hybridHitTwo(0, 2, 1, 0)).as("full misses block 2, SWA misses block 0").isZero();
    }

    private static KvCacheConfig hybridConfig() {
        return KvCacheConfig.builder().numDeviceBlocks(40)
                .groups(List.of(KvGroupSpec.FULL, KvGroupSpec.slidingWindow(32), KvGroupSpec.slidingWindow(32)))
                .build();
    }

    /** Caches 3 common blocks in all groups, evicts block {@code index} of group {@code group}, looks up again. */
    private static int hybridHit(int group, int index) {
        return hybridHitTwo(group, index, -1, -1);
    }

    private static int hybridHitTwo(int g1, int i1, int g2, int i2) {
        PagedKvCacheManager m = manager(hybridConfig());
        int[] tokens = concat(common(), repeat(3, 5));
        PagedSequence seq = prefill(m, tokens);
        int[][] tables = {table(seq, 0), table(seq, 1), table(seq, 2)};
        m.free(seq);
        if (g1 >= 0) {
            assertThat(m.dropCached(tables[g1][i1])).isTrue();
        }
        if (g2 >= 0) {
            assertThat(m.dropCached(tables[g2][i2])).isTrue();
        }
        PagedSequence again = (PagedSequence) m.open(Tokens.of(tokens), CacheKeyContext.NONE);
        int hit = m.lookupPrefix(again);
        if (hit == 48) {
            assertThat(m.allocateSlots(again, 48, 5, 0)).isTrue();
            assertThat(table(again, 1)[0]).as("left of the window: the null block").isEqualTo(BlockPool.NULL_BLOCK);
            assertThat(table(again, 0)[0]).isEqualTo(tables[0][0]);
        }
        return hit;
    }

    @Test
    @DisplayName("KV-18: free queue operations: exhausted pool, removal from the middle, prepend groups")
    void kv18_queueOperations() {
        // Difference: Baton has no separate queue object; the pool's free list is the queue. popleft = allocate,
        // prepend_n/append_n = release of blocks without/with a hash, remove(mid) = touch. A popped block is marked
        // in use rather than having its links cleared (links of a used block are never read).
        BlockPool pool = new BlockPool(6, false, dev.baton.kv.pool.EvictionPolicy.lru());
        int[] all = new int[6];
        pool.allocate(6, all, 0);
        assertThat(all).containsExactly(0, 1, 2, 3, 4, 5);
        org.assertj.core.api.Assertions.assertThatThrownBy(pool::allocate)
                .isInstanceOf(IllegalStateException.class).hasMessage("No free blocks available");

        pool.release(new int[] {0}, 0, 1);
        pool.release(new int[] {4, 5}, 0, 2);
        pool.release(new int[] {1, 2}, 0, 2);
        assertThat(pool.freeBlocks()).containsExactly(1, 2, 4, 5, 0);
        pool.touch(4); // a hit removes a block from the middle; its neighbours relink
        assertThat(pool.freeBlocks()).containsExactly(1, 2, 5, 0);
        pool.release(4);
        assertThat(pool.freeBlocks()).containsExactly(4, 1, 2, 5, 0);
        int[] popped = new int[5];
        pool.allocate(5, popped, 0);
        assertThat(popped).containsExactly(4, 1, 2, 5, 0);
        assertThat(pool.segmentOf(4)).isEqualTo(-1);
    }

    @Test
    @DisplayName("KV-19: hits in two groups plus host-tier blocks: unique ids across groups, every ref >= 1")
    void kv19_touchBeforeAllocate() {
        // Baton has no KV connector; its host tier plays the external source ("external tokens" = host-tier hits).
        KvCacheConfig config = KvCacheConfig.builder().numDeviceBlocks(21).numHostBlocks(16)
                .groups(List.of(KvGroupSpec.FULL, KvGroupSpec.FULL))
                .offloadPolicy(KvCacheConfig.OffloadPolicyKind.ALL).build();
        PagedKvCacheManager m = manager(config);
        int[] tokens = concat(range(0, 64), new int[] {9});
        PagedSequence first = prefill(m, tokens);           // 4 full + 1 partial block in each group
        int[] g0Before = table(first, 0);
        int[] g1Before = table(first, 1);
        m.free(first);
        PagedSequence filler = prefill(m, range(100, 212)); // 14 blocks: evicts group 0's last two (to host)
        m.drainMoves(new StepPlan(2));
        m.stepCompleted(true);
        m.free(filler);                                      // the remaining hits now sit at the free-list head

        PagedSequence again = (PagedSequence) m.open(Tokens.of(tokens), CacheKeyContext.NONE);
        int hit = m.lookupPrefix(again);
        assertThat(hit).isEqualTo(64);
        assertThat(again.stagedHostBlocks).isEqualTo(2);
        assertThat(m.allocateSlots(again, hit, 1, 0)).isTrue();
        int[] g0 = table(again, 0);
        int[] g1 = table(again, 1);
        assertThat(g0).startsWith(g0Before[0], g0Before[1]);
        assertThat(g1).startsWith(g1Before[0], g1Before[1], g1Before[2], g1Before[3]);
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        for (int b : concat(g0, g1)) {
            assertThat(ids.add(b)).as("block %d held twice", b).isTrue();
            assertThat(m.pool().refCount(b)).isEqualTo(1);
        }
    }
}
