package dev.baton.kv.prefix;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The prefix index against a plain map model: duplicates in insertion order, removal, verification. */
class PrefixCachePropertyTest {

    private record Key(long hi, long lo, int group) {
    }

    /**
     * Random inserts and removals of 24 blocks over a handful of keys (so chains of duplicates and long probe runs
     * with backward-shift deletions are common) always agree with a map from key to blocks in insertion order.
     */
    @Property(tries = 300)
    void agreesWithAMapModel(@ForAll @Size(max = 120) List<@IntRange(min = 0, max = 999) Integer> ops) {
        int n = 24;
        PrefixCache cache = new PrefixCache(n, 2);
        Map<Key, List<Integer>> model = new HashMap<>();
        Key[] keyOf = new Key[n];
        for (int op : ops) {
            int b = op % n;
            if (keyOf[b] == null) {
                // Few distinct keys whose low bits collide, to force probing.
                int k = (op / n) % 5;
                Key key = new Key(k * 7L, (long) k << 40, k % 2);
                cache.insert(b, key.hi, key.lo, key.group, 0, 0, 0, 0, new int[] {b, b}, 0);
                model.computeIfAbsent(key, x -> new ArrayList<>()).add(b);
                keyOf[b] = key;
            } else {
                assertThat(cache.remove(b)).isTrue();
                List<Integer> l = model.get(keyOf[b]);
                l.remove(Integer.valueOf(b));
                if (l.isEmpty()) {
                    model.remove(keyOf[b]);
                }
                keyOf[b] = null;
            }
            int size = 0;
            for (Map.Entry<Key, List<Integer>> e : model.entrySet()) {
                Key k = e.getKey();
                assertThat(cache.first(k.hi, k.lo, k.group)).isEqualTo(e.getValue().get(0));
                assertThat(cache.count(k.hi, k.lo, k.group)).isEqualTo(e.getValue().size());
                size += e.getValue().size();
            }
            assertThat(cache.size()).isEqualTo(size);
            for (int k = 0; k < 5; k++) {
                Key key = new Key(k * 7L, (long) k << 40, k % 2);
                if (!model.containsKey(key)) {
                    assertThat(cache.first(key.hi, key.lo, key.group)).isEqualTo(-1);
                }
            }
        }
    }

    @Test
    @DisplayName("a hit needs equal tokens, parent hash and extra keys: a forged hash finds nothing")
    void verifiesEveryField() {
        PrefixCache cache = new PrefixCache(8, 4);
        int[] tokens = {1, 2, 3, 4};
        cache.insert(3, 10, 20, 0, 5, 6, 7, 8, tokens, 0);
        assertThat(cache.find(10, 20, 0, 5, 6, 7, 8, new int[] {1, 2, 3, 4}, 0)).isEqualTo(3);
        assertThat(cache.find(10, 20, 0, 5, 6, 7, 8, new int[] {1, 2, 3, 5}, 0)).isEqualTo(-1);
        assertThat(cache.find(10, 20, 0, 5, 9, 7, 8, tokens, 0)).isEqualTo(-1);
        assertThat(cache.find(10, 20, 0, 5, 6, 7, 9, tokens, 0)).isEqualTo(-1);
        assertThat(cache.find(10, 20, 1, 5, 6, 7, 8, tokens, 0)).isEqualTo(-1);
        // A duplicate with the right content behind a colliding one is still found.
        cache.insert(5, 11, 20, 0, 5, 6, 7, 8, new int[] {9, 9, 9, 9}, 0);
        cache.remove(3);
        cache.insert(3, 11, 20, 0, 5, 6, 7, 8, new int[] {9, 9, 9, 8}, 0);
        assertThat(cache.find(11, 20, 0, 5, 6, 7, 8, new int[] {9, 9, 9, 8}, 0)).isEqualTo(3);
    }
}
