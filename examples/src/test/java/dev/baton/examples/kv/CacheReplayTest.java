package dev.baton.examples.kv;

import dev.baton.kv.pool.EvictionPolicy;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CacheReplayTest {

    private static final List<TraceRequest> TRACE = MultiTurnWorkload.standard(7, 16).withDuration(900).generate();

    @Test
    @DisplayName("offline Belady bounds every policy, and an unbounded cache bounds Belady")
    void beladyBoundsEveryPolicy() {
        double infinite = CacheReplay.infinite(TRACE).hitRate();
        for (int capacity : new int[] {300, 1000, 3000, 10_000}) {
            double optimal = CacheReplay.belady(TRACE, capacity).hitRate();
            assertThat(infinite).isGreaterThanOrEqualTo(optimal);
            for (var policy : CacheReplay.POLICIES.entrySet()) {
                double hit = CacheReplay.replay(TRACE, capacity, policy.getValue().get()).hitRate();
                assertThat(optimal).as("Belady vs %s at %d blocks", policy.getKey(), capacity)
                        .isGreaterThanOrEqualTo(hit);
                assertThat(hit).isPositive();
            }
        }
    }

    @Test
    @DisplayName("on the multi-turn workload the frequency-aware policy beats LRU")
    void frequencyBeatsLruOnMultiTurnTraffic() {
        for (int capacity : new int[] {1000, 3000}) {
            double lru = CacheReplay.replay(TRACE, capacity, EvictionPolicy.lru()).hitRate();
            double frequency = CacheReplay.replay(TRACE, capacity, EvictionPolicy.frequency()).hitRate();
            assertThat(frequency).as("at %d blocks", capacity).isGreaterThan(lru);
        }
    }

    @Test
    @DisplayName("a hand-made trace: hits are the leading run of cached ids, capacity bounds what stays")
    void leadingRunSemantics() {
        List<TraceRequest> trace = List.of(
                new TraceRequest(0, 48, 1, new long[] {1, 2, 3}),
                new TraceRequest(1, 48, 1, new long[] {1, 2, 4}),   // hits 1, 2
                new TraceRequest(2, 48, 1, new long[] {9, 2, 3}),   // 9 misses: nothing after it counts
                new TraceRequest(3, 64, 1, new long[] {1, 2, 3, 5})); // hits 1, 2, 3 if capacity allows
        assertThat(CacheReplay.infinite(trace).hitBlocks()).isEqualTo(5);
        assertThat(CacheReplay.replay(trace, 100, EvictionPolicy.lru()).hitBlocks()).isEqualTo(5);
        assertThat(CacheReplay.belady(trace, 100).hitBlocks()).isEqualTo(5);
        // Three blocks of room: request 3 (4 blocks) is cut to its first three.
        assertThat(CacheReplay.belady(trace, 3).hitBlocks()).isLessThanOrEqualTo(5);
        assertThat(CacheReplay.replay(trace, 3, EvictionPolicy.lru()).promptBlocks()).isEqualTo(13);
    }
}
