package dev.baton.kv;

import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.StepPlan;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static dev.baton.kv.Tokens.concat;
import static dev.baton.kv.Tokens.range;
import static org.assertj.core.api.Assertions.assertThat;

/** Tier-correctness cases KV-29..KV-31 (anchors/kv-cache.md §2.4), checked against a shadow of block contents. */
class TierConformanceTest {

    private final ShadowDevice shadow = new ShadowDevice(64, 64);

    private PagedKvCacheManager manager(int deviceBlocks, int hostBlocks) {
        return (PagedKvCacheManager) KvCacheManager.create(KvCacheConfig.builder().blockSize(4)
                .numDeviceBlocks(deviceBlocks).numHostBlocks(hostBlocks)
                .offloadPolicy(KvCacheConfig.OffloadPolicyKind.ALL).build());
    }

    /** One successful prefill step: lookup, allocate, run the moves, check the hit, write, commit, complete. */
    private PagedSequence prefill(PagedKvCacheManager m, int[] tokens) {
        PagedSequence seq = (PagedSequence) m.open(Tokens.of(tokens), CacheKeyContext.NONE);
        int hit = m.lookupPrefix(seq);
        assertThat(m.allocateSlots(seq, hit, tokens.length - hit, 0)).isTrue();
        runStep(m, true);
        assertThat(shadow.holdsOwnContent(seq, hit / 4)).as("hit blocks hold their own content").isTrue();
        shadow.write(seq, hit, tokens.length, true);
        m.commit(seq, tokens.length);
        m.stepCompleted(true);
        return seq;
    }

    private StepPlan runStep(PagedKvCacheManager m, boolean success) {
        StepPlan plan = new StepPlan();
        m.drainMoves(plan);
        shadow.run(plan, success);
        return plan;
    }

    @Test
    @DisplayName("KV-29: after offload then onboard, every hit block returns its own content")
    void kv29_onboardedHitReturnsOwnContent() {
        PagedKvCacheManager m = manager(7, 16);
        int[] a = concat(range(0, 16), new int[] {77});   // 4 full blocks
        m.free(prefill(m, a));
        PagedSequence b = prefill(m, range(100, 121));   // 6 blocks: evicts (offloads) a's blocks
        assertThat(m.stats().offloadedBlocks()).isGreaterThanOrEqualTo(4);

        PagedSequence c = (PagedSequence) m.open(Tokens.of(a), CacheKeyContext.NONE);
        m.free(b);
        assertThat(m.lookupPrefix(c)).isEqualTo(16);
        assertThat(c.stagedHostBlocks).isEqualTo(4);
        assertThat(m.allocateSlots(c, 16, 1, 0)).isTrue();
        StepPlan plan = runStep(m, true);
        int swapIns = 0;
        for (int i = 0; i < plan.numMoves(); i++) {
            if (plan.moveKind(i) == BlockMoveKind.SWAP_IN) {
                swapIns++;
            }
        }
        assertThat(swapIns).isEqualTo(4);
        assertThat(shadow.holdsOwnContent(c, 4)).isTrue();
        shadow.write(c, 16, 17, true);
        m.commit(c, 17);
        m.stepCompleted(true);

        // The onboarded blocks are ordinary device cache entries now: a second request hits them on the device.
        PagedSequence d = (PagedSequence) m.open(Tokens.of(a), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(d)).isEqualTo(16);
        assertThat(d.stagedHostBlocks).isZero();
        assertThat(m.allocateSlots(d, 16, 1, 0)).isTrue();
        assertThat(shadow.holdsOwnContent(d, 4)).isTrue();
        assertThat(KvConformanceTest.table(d)).startsWith(KvConformanceTest.table(c)[0], KvConformanceTest.table(c)[1]);
    }

    @Test
    @DisplayName("KV-29: loads of a failed step never enter the device cache")
    void kv29_failedLoadLeavesNoCacheEntry() {
        PagedKvCacheManager m = manager(7, 16);
        int[] a = concat(range(0, 16), new int[] {77});
        m.free(prefill(m, a));
        m.free(prefill(m, range(100, 121)));
        PagedSequence c = (PagedSequence) m.open(Tokens.of(a), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(c)).isEqualTo(16);
        assertThat(m.allocateSlots(c, 16, 1, 0)).isTrue();
        runStep(m, false);
        m.stepCompleted(false);
        for (int i = 0; i < 4; i++) {
            assertThat(m.cache().isIndexed(c.tables[0].get(i))).isFalse();
        }
        m.free(c);
        // The host copies were only read: the next request loads them again, correctly.
        PagedSequence again = prefill(m, a);
        assertThat(again.prefixHitTokens()).isEqualTo(16);
    }

    @Test
    @DisplayName("KV-30: per-tier free counters stay within capacity through offload, swap and failed steps")
    void kv30_freeCountersWithinCapacity() {
        PagedKvCacheManager m = manager(9, 6);
        PagedSequence x = prefill(m, range(0, 13));
        check(m);
        assertThat(m.swapOut(x)).isTrue();
        runStep(m, false);
        m.stepCompleted(false);              // the swap-out never happened: x lost its KV
        check(m);
        assertThat(x.isSwappedOut()).isFalse();
        assertThat(x.holdsBlocks()).isFalse();
        m.free(x);
        PagedSequence y = prefill(m, range(50, 63));
        assertThat(m.swapOut(y)).isTrue();
        runStep(m, true);
        m.stepCompleted(true);
        check(m);
        for (int k = 0; k < 3; k++) {
            m.free(prefill(m, range(100 + 20 * k, 113 + 20 * k)));
            check(m);
        }
        assertThat(m.swapIn(y, 1)).isTrue();
        runStep(m, true);
        m.stepCompleted(true);
        check(m);
        assertThat(shadow.holdsOwnContent(y, 3)).isTrue();
    }

    private static void check(PagedKvCacheManager m) {
        KvCacheStats s = m.stats();
        assertThat(s.freeDeviceBlocks()).isBetween(0, s.numDeviceBlocks() - 1);
        assertThat(s.freeHostBlocks()).isBetween(0, s.numHostBlocks());
        assertThat(m.pool().numFree()).isEqualTo(countFree(m.pool()));
        assertThat(m.hostPool().numFree()).isEqualTo(countFree(m.hostPool()));
    }

    private static int countFree(dev.baton.kv.pool.BlockPool p) {
        int n = 0;
        for (int b = p.firstBlock(); b < p.numBlocks(); b++) {
            if (p.refCount(b) == 0) {
                n++;
            }
        }
        return n;
    }

    @Test
    @DisplayName("KV-31: a host hit evicted between lookup and allocation fails cleanly instead of loading garbage")
    void kv31_stalePromiseRefused() {
        PagedKvCacheManager m = manager(7, 4);
        int[] a = concat(range(0, 16), new int[] {77});
        m.free(prefill(m, a));
        m.free(prefill(m, range(100, 121)));        // a's 4 blocks now fill the host tier
        PagedSequence c = (PagedSequence) m.open(Tokens.of(a), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(c)).isEqualTo(16);

        // Before c allocates, another request evicts device blocks whose offload pushes a's blocks off the host.
        m.free(prefill(m, range(200, 221)));
        assertThat(m.allocateSlots(c, 16, 1, 0)).isFalse();
        assertThat(c.holdsBlocks()).isFalse();
        int hit = m.lookupPrefix(c);
        assertThat(hit).isLessThan(16);
        assertThat(m.allocateSlots(c, hit, 17 - hit, 0)).isTrue();
        runStep(m, true);
        assertThat(shadow.holdsOwnContent(c, hit / 4)).isTrue();
    }

    @Test
    @DisplayName("KV-31: promised host blocks are pinned from allocation until the step completes")
    void kv31_promisedBlocksPinned() {
        PagedKvCacheManager m = manager(9, 2);
        int[] a = concat(range(0, 16), new int[] {77});
        m.free(prefill(m, a));
        m.free(prefill(m, range(100, 121)));          // evicts a's last two full blocks into the 2-block host tier
        PagedSequence c = (PagedSequence) m.open(Tokens.of(a), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(c)).isEqualTo(16);
        assertThat(c.stagedHostBlocks).isEqualTo(2);
        assertThat(m.allocateSlots(c, 16, 1, 0)).isTrue();
        assertThat(m.hostPool().numFree()).isZero();

        // Pressure in the same step: evictions want the host tier, but every host block is pinned.
        long offloadedBefore = m.stats().offloadedBlocks();
        PagedSequence other = (PagedSequence) m.open(Tokens.of(range(300, 309)), CacheKeyContext.NONE);
        assertThat(m.allocateSlots(other, m.lookupPrefix(other), 9, 0)).isTrue();
        assertThat(m.stats().evictedBlocks()).isPositive();
        assertThat(m.stats().offloadedBlocks()).isEqualTo(offloadedBefore);
        runStep(m, true);
        assertThat(shadow.holdsOwnContent(c, 4)).isTrue();
        m.stepCompleted(true);
        assertThat(m.hostPool().numFree()).isEqualTo(2);
    }
}
