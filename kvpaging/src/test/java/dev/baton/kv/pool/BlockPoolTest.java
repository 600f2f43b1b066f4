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
    @DisplayName("frequency: blocks never hit are evicted before reused ones while probation is over its share")
    void frequencyProtectsReusedBlocks() {
        BlockPool pool = new BlockPool(21, true, EvictionPolicy.frequency(0.1));
        int[] reused = cachedChain(pool, 4, 100);
        for (int b : reused) {
            pool.touch(b);
            pool.recordHit(b);
        }
        int[] rev = {reused[3], reused[2], reused[1], reused[0]};
        pool.release(rev, 0, 4);
        int[] scan = cachedChain(pool, 10, 200); // a one-off document, freed after the reused chain
        int[] firstVictims = new int[6];
        for (int i = 0; i < 6; i++) {
            firstVictims[i] = pool.allocate();
        }
        // The never-used blocks go first, then the scan's blocks (tail first), never the reused chain.
        for (int b : firstVictims) {
            assertThat(b).isNotIn(reused[0], reused[1], reused[2], reused[3]);
        }
        assertThat(pool.isCached(reused[3])).isTrue();
        assertThat(scan).hasSize(10);
    }

    @Test
    @DisplayName("frequency: a block evicted without a hit leaves a ghost; cached again it is protected")
    void frequencyGhostAdmission() {
        BlockPool pool = new BlockPool(4, true, EvictionPolicy.frequency(0.5));
        int[] once = cachedChain(pool, 1, 77);
        int[] other = cachedChain(pool, 1, 88);
        int third = pool.allocate(); // the never-used block
        int victim = pool.allocate(); // probation head: the block cached first
        assertThat(victim).isEqualTo(once[0]);
        pool.markCached(victim, -1, 77); // the same content computed again
        pool.release(victim);
        assertThat(pool.segmentOf(victim)).isEqualTo(FrequencyOrder.PROTECTED);
        assertThat(pool.segmentOf(other[0])).isEqualTo(FrequencyOrder.PROBATION);
        pool.release(third);
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
