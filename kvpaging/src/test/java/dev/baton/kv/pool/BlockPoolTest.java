package dev.baton.kv.pool;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BlockPoolTest {

    /** Allocates a chain of {@code n} blocks, caches them as a chain, releases it tail first; returns the ids. */
    private static int[] cachedChain(BlockPool pool, int n, long fp) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = pool.allocate();
            pool.markCached(ids[i], i == 0 ? -1 : ids[i - 1], fp + i);
        }
        int[] reversed = new int[n];
        for (int i = 0; i < n; i++) {
            reversed[i] = ids[n - 1 - i];
        }
        pool.release(reversed, 0, n);
        return ids;
    }

    private static void drainNeverUsed(BlockPool pool) {
        while (pool.segmentSize(0) > 0) {
            int b = pool.allocate();
            pool.release(b); // comes back unhashed at the head, so allocate it again below
            pool.touch(b);
        }
    }

    @Test
    @DisplayName("a double free is refused and leaves the free list intact")
    void doubleFree() {
        BlockPool pool = new BlockPool(4, true, EvictionPolicy.lru());
        int b = pool.allocate();
        pool.release(b);
        assertThatThrownBy(() -> pool.release(b)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("double free");
        assertThat(pool.freeBlocks()).containsExactly(1, 2, 3);
    }

    @Test
    @DisplayName("the null block is never handed out, touched or freed")
    void nullBlock() {
        BlockPool pool = new BlockPool(3, true, EvictionPolicy.lru());
        pool.touch(BlockPool.NULL_BLOCK);
        pool.release(BlockPool.NULL_BLOCK);
        assertThat(pool.allocate()).isEqualTo(1);
        assertThat(pool.allocate()).isEqualTo(2);
        assertThat(pool.numFree()).isZero();
        assertThatThrownBy(() -> pool.markCached(0, -1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("frequency: a flood of one-off blocks displaces only other recent blocks, never frequent ones")
    void frequencyIsScanResistant() {
        BlockPool pool = new BlockPool(21, true, EvictionPolicy.frequency());
        int[] popular = cachedChain(pool, 4, 100);
        for (int round = 0; round < 2; round++) {
            for (int b : popular) {
                pool.touch(b);
                pool.recordHit(b);
            }
            pool.release(new int[] {popular[3], popular[2], popular[1], popular[0]}, 0, 4);
        }
        for (int b : popular) {
            assertThat(pool.segmentOf(b)).isEqualTo(FrequencyOrder.FREQUENT);
        }
        // 16 more one-off blocks than there is room for: they recycle each other, the popular chain stays.
        java.util.List<Integer> evicted = new java.util.ArrayList<>();
        pool.setEvictionListener(evicted::add);
        for (int k = 0; k < 5; k++) {
            cachedChain(pool, 16, 1000 + 100 * k);
        }
        assertThat(evicted).hasSize(64).doesNotContain(popular[0], popular[1], popular[2], popular[3]);

        BlockPool lru = new BlockPool(21, true, EvictionPolicy.lru());
        int[] lruPopular = cachedChain(lru, 4, 100);
        java.util.Set<Integer> lruEvicted = new java.util.HashSet<>();
        lru.setEvictionListener(lruEvicted::add);
        for (int k = 0; k < 5; k++) {
            cachedChain(lru, 16, 1000 + 100 * k);
        }
        assertThat(lruEvicted).as("LRU loses it").contains(lruPopular[0]);
    }

    @Test
    @DisplayName("frequency: the sketch remembers evicted content, and frequent blocks yield once they exceed the share")
    void frequencyRemembersAndCaps() {
        FrequencyOrder order = (FrequencyOrder) EvictionPolicy.frequency(0.5);
        BlockPool pool = new BlockPool(3, true, order);
        int a = cachedChain(pool, 1, 77)[0];
        int b = pool.allocate(); // the never-used block
        int again = pool.allocate();
        assertThat(again).isEqualTo(a); // evicted: content 77 was used once
        pool.markCached(again, -1, 77);
        pool.release(again);
        assertThat(pool.segmentOf(again)).isEqualTo(FrequencyOrder.RECENT);
        pool.touch(again);
        pool.recordHit(again); // third use of content 77
        pool.release(again);
        assertThat(order.frequency(again)).isEqualTo(3);
        assertThat(pool.segmentOf(again)).isEqualTo(FrequencyOrder.FREQUENT);
        // With only frequent blocks free, the frequent segment is over its share: it is the victim.
        pool.release(b);
        assertThat(pool.allocate()).isEqualTo(b);
        assertThat(pool.allocate()).isEqualTo(again);
    }

    @Test
    @DisplayName("frequency: a chain is evicted tail first even when its head is older (leaf rule)")
    void frequencyLeafRule() {
        BlockPool pool = new BlockPool(6, true, EvictionPolicy.frequency());
        int[] chain = cachedChain(pool, 3, 300);
        // Make the head the oldest free block: hit and release only the tail, later.
        pool.touch(chain[2]);
        pool.recordHit(chain[2]);
        pool.release(chain[2]);
        drainNeverUsed(pool);
        int first = pool.allocate();
        int second = pool.allocate();
        int third = pool.allocate();
        assertThat(new int[] {first, second, third}).containsExactly(chain[2], chain[1], chain[0]);
    }

    @Test
    @DisplayName("lru keeps vLLM's order and is not leaf-only: the queue position alone decides")
    void lruIsPositional() {
        BlockPool pool = new BlockPool(4, true, EvictionPolicy.lru());
        int[] chain = cachedChain(pool, 3, 1);
        assertThat(pool.freeBlocks()).containsExactly(chain[2], chain[1], chain[0]);
        pool.touch(chain[2]);
        pool.release(chain[2]); // the tail is now the most recently freed
        assertThat(pool.allocate()).isEqualTo(chain[1]);
    }

    @Test
    @DisplayName("priority: setRetention on a free block moves it; refresh reverts expired priorities")
    void priorityRepositionAndRefresh() {
        PriorityOrder order = EvictionPolicy.priority(35);
        BlockPool pool = new BlockPool(4, true, order);
        int[] a = cachedChain(pool, 1, 1);
        int[] b = cachedChain(pool, 1, 2);
        int[] c = cachedChain(pool, 1, 3);
        order.setRetention(a[0], 90, 100);
        order.setRetention(b[0], 60, Long.MAX_VALUE);
        assertThat(pool.freeBlocks()).containsExactly(c[0], b[0], a[0]);
        order.refresh(100);
        assertThat(order.priorityOf(a[0])).isEqualTo(35);
        assertThat(pool.freeBlocks()).containsExactly(c[0], a[0], b[0]);
        assertThatThrownBy(() -> order.setRetention(a[0], 101, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
