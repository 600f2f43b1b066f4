package dev.baton.kv;

import dev.baton.api.VirtualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static dev.baton.kv.Tokens.range;
import static org.assertj.core.api.Assertions.assertThat;

/** TensorRT-LLM priority-retention cases KV-26..KV-28 (anchors/kv-cache.md §2.3), with the PRIORITY policy. */
class RetentionConformanceTest {

    private final VirtualClock clock = new VirtualClock();
    private final PagedKvCacheManager m = (PagedKvCacheManager) KvCacheManager.create(KvCacheConfig.builder()
            .blockSize(4).numDeviceBlocks(9).evictionPolicy(KvCacheConfig.EvictionPolicyKind.PRIORITY)
            .clock(clock).build());

    /** Prefills one sequence of whole blocks with a retention, then frees it; returns its blocks. */
    private int[] cacheAndFree(int[] tokens, KvRetention retention) {
        PagedSequence seq = (PagedSequence) m.open(Tokens.of(tokens), CacheKeyContext.NONE, retention);
        int hit = m.lookupPrefix(seq);
        assertThat(m.allocateSlots(seq, hit, tokens.length - hit, 0)).isTrue();
        m.commit(seq, tokens.length);
        int[] blocks = KvConformanceTest.table(seq);
        m.free(seq);
        return blocks;
    }

    private static KvRetention all(int priority) {
        return KvRetention.of(new KvRetention.Range(0, Integer.MAX_VALUE, priority, 0));
    }

    /** Allocates {@code n} fresh blocks and returns them in allocation (eviction) order. */
    private int[] evict(int n, int salt) {
        KvSequence seq = m.open(Tokens.of(range(10_000 * salt, 10_000 * salt + 4 * n)), CacheKeyContext.NONE);
        assertThat(m.allocateSlots(seq, 0, 4 * n, 0)).isTrue();
        return KvConformanceTest.table(seq);
    }

    @Test
    @DisplayName("KV-26: every block of a lower priority is evicted before any of a higher one; LRU within one")
    void kv26_lowestPriorityFirst() {
        int[] low1 = cacheAndFree(range(0, 4), all(10));
        int[] high = cacheAndFree(range(100, 104), all(50));
        int[] low2 = cacheAndFree(range(200, 204), all(10));
        int[] mid = cacheAndFree(range(300, 304), all(35));
        evict(4, 1); // the never-used blocks go first
        assertThat(evict(4, 2)).containsExactly(low1[0], low2[0], mid[0], high[0]);
    }

    @Test
    @DisplayName("KV-27: a priority with a duration keeps its rank until it expires")
    void kv27_beforeExpiry() {
        long tenMs = TimeUnit.MILLISECONDS.toNanos(10);
        int[] timed = cacheAndFree(range(0, 4), KvRetention.of(new KvRetention.Range(0, 4, 80, tenMs)));
        int[] fifty = cacheAndFree(range(100, 104), all(50));
        evict(6, 1);
        clock.advance(tenMs / 2);
        assertThat(evict(2, 2)).containsExactly(fifty[0], timed[0]);
    }

    @Test
    @DisplayName("KV-27: a priority with a duration reverts to the default 35 once it expires (refresh)")
    void kv27_afterExpiry() {
        long tenMs = TimeUnit.MILLISECONDS.toNanos(10);
        int[] timed = cacheAndFree(range(0, 4), KvRetention.of(new KvRetention.Range(0, 4, 80, tenMs)));
        int[] fifty = cacheAndFree(range(100, 104), all(50));
        evict(6, 1);
        clock.advance(tenMs + 1);
        assertThat(evict(2, 2)).containsExactly(timed[0], fifty[0]);
    }

    @Test
    @DisplayName("KV-28: only leaf blocks are evicted: a low-priority parent waits for its high-priority child")
    void kv28_leavesOnly() {
        KvRetention headLowTailHigh = KvRetention.of(new KvRetention.Range(0, 4, 10, 0),
                new KvRetention.Range(4, 8, 90, 0));
        int[] chain = cacheAndFree(range(0, 8), headLowTailHigh);
        int[] leaf = cacheAndFree(range(100, 104), all(50));
        evict(5, 1);
        assertThat(evict(3, 2)).containsExactly(leaf[0], chain[1], chain[0]);
    }
}
