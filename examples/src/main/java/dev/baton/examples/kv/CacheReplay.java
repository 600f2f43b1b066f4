package dev.baton.examples.kv;

import dev.baton.kv.pool.BlockPool;
import dev.baton.kv.pool.EvictionPolicy;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Replays a prefix-hash trace through a prefix cache of a fixed number of blocks, request by request in arrival
 * order: each request looks up its prefix (the leading run of cached ids: a chain hash cannot hit after a miss),
 * then holds every one of its blocks while it inserts the ones that missed, then releases them tail first. This is
 * exactly what a {@link dev.baton.kv.KvCacheManager} does with one request at a time, on the same {@link BlockPool}
 * and {@link EvictionPolicy} code, minus the tokens.
 *
 * <p>Three bounds frame a policy's figure: {@link #infinite} (every block ever seen stays), and {@link #belady}
 * (offline optimal at the same capacity: evict the block needed furthest in the future, deepest first on ties,
 * never a block of the request being served). A request longer than the capacity keeps only its first
 * {@code capacity} blocks in every bounded model; the rest count as misses.
 */
public final class CacheReplay {

    /** Blocks served from the cache out of all prompt blocks. */
    public record Result(long promptBlocks, long hitBlocks) {
        public double hitRate() {
            return promptBlocks == 0 ? 0 : (double) hitBlocks / promptBlocks;
        }
    }

    private CacheReplay() {
    }

    /** The built-in eviction policies by name. */
    public static final Map<String, Supplier<EvictionPolicy>> POLICIES = Map.of(
            "lru", EvictionPolicy::lru,
            "frequency", EvictionPolicy::frequency,
            "priority", () -> EvictionPolicy.priority(35));

    /** Replays the trace through a pool of {@code capacity} blocks ordered by {@code policy}. */
    public static Result replay(List<TraceRequest> trace, int capacity, EvictionPolicy policy) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1 block, got " + capacity);
        }
        BlockPool pool = new BlockPool(capacity + 1, true, policy);
        Map<Long, Integer> blockOf = new HashMap<>();
        long[] idOf = new long[capacity + 1];
        pool.setEvictionListener(b -> blockOf.remove(idOf[b]));
        int[] blocks = new int[capacity];
        int[] reversed = new int[capacity];
        long total = 0;
        long hits = 0;
        for (TraceRequest r : trace) {
            long[] ids = r.hashIds();
            total += ids.length;
            int n = Math.min(ids.length, capacity);
            int hit = 0;
            while (hit < n && blockOf.containsKey(ids[hit])) {
                int b = blockOf.get(ids[hit]);
                pool.touch(b);
                pool.recordHit(b);
                blocks[hit++] = b;
            }
            hits += hit;
            int held = hit;
            for (int i = hit; i < n; i++) {
                Integer cached = blockOf.get(ids[i]);
                if (cached != null) {
                    if (pool.refCount(cached) > 0 && contains(blocks, held, cached)) {
                        continue; // the same id twice in one request: hold it once
                    }
                    pool.touch(cached); // present after a miss: no hit, but no second copy either
                    blocks[held++] = cached;
                    continue;
                }
                int b = pool.allocate();
                idOf[b] = ids[i];
                blockOf.put(ids[i], b);
                pool.markCached(b, held > 0 ? blocks[held - 1] : -1, mix(ids[i]));
                blocks[held++] = b;
            }
            for (int i = 0; i < held; i++) {
                reversed[i] = blocks[held - 1 - i];
            }
            pool.release(reversed, 0, held);
        }
        return new Result(total, hits);
    }

    /** An unbounded cache: a block hits if its id was seen before (leading run). */
    public static Result infinite(List<TraceRequest> trace) {
        Set<Long> seen = new HashSet<>();
        long total = 0;
        long hits = 0;
        for (TraceRequest r : trace) {
            long[] ids = r.hashIds();
            total += ids.length;
            int hit = 0;
            while (hit < ids.length && seen.contains(ids[hit])) {
                hit++;
            }
            hits += hit;
            for (long id : ids) {
                seen.add(id);
            }
        }
        return new Result(total, hits);
    }

    /**
     * Belady's MIN at the same capacity: on a miss with a full cache, evict the cached block whose next use is
     * furthest away (never used again first), the deepest one on ties so that chains shrink from the tail; the
     * request being served pins its blocks, as in the online replay.
     */
    public static Result belady(List<TraceRequest> trace, int capacity) {
        int numRequests = trace.size();
        // nextUse[r][i]: the next request after r that contains ids[i], or MAX_VALUE.
        int[][] nextUse = new int[numRequests][];
        Map<Long, Integer> upcoming = new HashMap<>();
        for (int r = numRequests - 1; r >= 0; r--) {
            long[] ids = trace.get(r).hashIds();
            nextUse[r] = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                nextUse[r][i] = upcoming.getOrDefault(ids[i], Integer.MAX_VALUE);
            }
            for (long id : ids) {
                upcoming.put(id, r);
            }
        }
        record Entry(int next, int depth, long id) {
        }
        TreeSet<Entry> evictable = new TreeSet<>((a, b) -> a.next != b.next ? Integer.compare(a.next, b.next)
                : a.depth != b.depth ? Integer.compare(a.depth, b.depth) : Long.compare(a.id, b.id));
        Map<Long, Entry> cached = new HashMap<>();
        long total = 0;
        long hits = 0;
        Set<Long> inRequest = new HashSet<>();
        for (int r = 0; r < numRequests; r++) {
            long[] ids = trace.get(r).hashIds();
            total += ids.length;
            int n = Math.min(ids.length, capacity);
            int hit = 0;
            while (hit < n && cached.containsKey(ids[hit])) {
                hit++;
            }
            hits += hit;
            inRequest.clear();
            for (int i = 0; i < n; i++) {
                Entry e = cached.get(ids[i]);
                if (e != null) {
                    evictable.remove(e); // pinned while the request is served
                }
            }
            for (int i = 0; i < n; i++) {
                if (!inRequest.add(ids[i]) || cached.containsKey(ids[i])) {
                    continue;
                }
                if (cached.size() == capacity) {
                    Entry victim = evictable.pollLast();
                    cached.remove(victim.id);
                }
                cached.put(ids[i], null);
            }
            inRequest.clear();
            for (int i = 0; i < n; i++) {
                if (inRequest.add(ids[i])) {
                    Entry e = new Entry(nextUse[r][i], i, ids[i]);
                    cached.put(ids[i], e);
                    evictable.add(e);
                }
            }
        }
        return new Result(total, hits);
    }

    private static boolean contains(int[] blocks, int n, int b) {
        for (int i = 0; i < n; i++) {
            if (blocks[i] == b) {
                return true;
            }
        }
        return false;
    }

    private static long mix(long id) {
        long h = id * 0x9E3779B97F4A7C15L;
        h ^= h >>> 31;
        return h == 0 ? 1 : h;
    }
}
