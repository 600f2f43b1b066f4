package dev.baton.scheduler.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.baton.api.Clock;
import dev.baton.api.Completion;
import dev.baton.api.SampleOutput;
import dev.baton.api.Submission;
import dev.baton.api.request.InferenceRequest;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * An opt-in, bounded, exact-match cache of finished completions. A deterministic request (greedy, or sampled with a
 * fixed seed) whose inputs are identical to one already finished -- prompt, every sampling parameter (seed and
 * {@code maxTokens} included), LoRA adapter, cache salt, number of samples, multimodal spans -- is answered from the
 * cache on the caller's thread, never reaching the engine: its completion is complete at once and its token stream
 * replays the cached tokens.
 *
 * <h2>Isolation</h2>
 * The cache salt is part of the key, so a hit never crosses salts (the same rule as the prefix cache). By default the
 * tenant is part of the key too ({@link Builder#shareAcrossTenants} lifts that, for deployments where tenants share
 * prompts on purpose): otherwise a fast answer would tell one tenant what another has asked.
 *
 * <h2>What is stored</h2>
 * Only completions whose every sample ended naturally ({@code STOP} or {@code LENGTH}); a cancelled, timed-out or
 * failed request is not an answer. Memory is bounded by entries and/or by weight, in tokens (prompt plus every
 * generated token, about four bytes each), with Caffeine's W-TinyLFU eviction (Einziger et al., TOS'17); entries can
 * expire a fixed time after they are written, on the engine clock.
 *
 * <p>Thread-safe (Caffeine); {@link #lookup} and {@link #record} never block the engine thread.
 */
public final class ResultCache {
    private final Cache<Key, Completion> cache;
    private final boolean shareAcrossTenants;

    private ResultCache(Builder b) {
        Caffeine<Object, Object> c = Caffeine.newBuilder().recordStats();
        if (b.maximumEntries > 0) {
            c.maximumSize(b.maximumEntries);
        } else {
            c.maximumWeight(b.maximumTokens).weigher((Key k, Completion v) -> weight(k, v));
        }
        if (b.expireAfterWrite != null) {
            c.expireAfterWrite(b.expireAfterWrite);
        }
        if (b.clock != null) {
            Clock clock = b.clock;
            c.ticker(clock::nanoTime);
        }
        if (b.executor != null) {
            c.executor(b.executor);
        }
        this.cache = c.build();
        this.shareAcrossTenants = b.shareAcrossTenants;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether a request's output is reproducible, so that a stored answer is its answer. */
    public static boolean cacheable(InferenceRequest r) {
        return r.sampling().isDeterministic();
    }

    /** The stored answer to {@code r}, or {@code null} (also for a request that is not deterministic). */
    public Hit lookup(InferenceRequest r) {
        if (!cacheable(r)) {
            return null;
        }
        Completion c = cache.getIfPresent(key(r));
        return c == null ? null : new Hit(r, c);
    }

    /** Stores {@code r}'s answer once it completes (if it is deterministic and ends naturally). */
    public void record(InferenceRequest r, CompletableFuture<Completion> completion) {
        if (cacheable(r)) {
            completion.thenAccept(c -> store(r, c));
        }
    }

    /** Stores a finished answer to {@code r}; ignored unless {@code r} is deterministic and every sample ended naturally. */
    public void store(InferenceRequest r, Completion completion) {
        if (!cacheable(r) || completion.samples().size() != r.parallelSamples()) {
            return;
        }
        for (SampleOutput s : completion.samples()) {
            if (!s.finishReason().isNatural()) {
                return;
            }
        }
        cache.put(key(r), completion);
    }

    /** Entries held now (approximate until pending maintenance runs). */
    public long estimatedSize() {
        return cache.estimatedSize();
    }

    /** Tokens held now (prompts plus outputs), after pending maintenance. */
    public long weightedSize() {
        cache.cleanUp();
        long w = 0;
        for (var e : cache.asMap().entrySet()) {
            w += weight(e.getKey(), e.getValue());
        }
        return w;
    }

    public CacheStats stats() {
        return cache.stats();
    }

    /** Drops every entry. */
    public void invalidateAll() {
        cache.invalidateAll();
    }

    private Key key(InferenceRequest r) {
        return new Key(r, shareAcrossTenants ? null : r.tenant());
    }

    private static int weight(Key k, Completion v) {
        long w = k.request.promptLength();
        for (SampleOutput s : v.samples()) {
            w += s.numTokens();
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, w));
    }

    /** A cache hit, ready to be replayed under a new request id. */
    public static final class Hit {
        private final InferenceRequest request;
        private final Completion stored;

        private Hit(InferenceRequest request, Completion stored) {
            this.request = request;
            this.stored = stored;
        }

        /** The stored completion (with the id and timings of the request that produced it). */
        public Completion stored() {
            return stored;
        }

        /**
         * A finished submission answering {@code id} at {@code nowNanos}: its completion is complete, and its token
         * stream replays the stored tokens on {@code executor}.
         */
        public Submission replay(String id, long nowNanos, Executor executor) {
            int tokens = 0;
            for (SampleOutput s : stored.samples()) {
                tokens += s.numTokens();
            }
            dev.baton.api.RequestTimings t = new dev.baton.api.RequestTimings(nowNanos, -1, nowNanos, nowNanos,
                    tokens);
            Completion c = new Completion(id, stored.samples(), t, request.promptLength(), 0);
            return new CachedSubmission(c, executor);
        }
    }

    /** The key: the request's inputs (compared with {@link InferenceRequest#sameInputs}) and, unless shared, tenant. */
    private static final class Key {
        final InferenceRequest request;
        final String tenant;
        final int hash;

        Key(InferenceRequest request, String tenant) {
            this.request = request;
            this.tenant = tenant;
            int h = request.sampling().hashCode();
            for (int i = 0; i < request.promptLength(); i++) {
                h = 31 * h + request.promptToken(i);
            }
            h = 31 * h + Objects.hashCode(request.loraAdapter());
            h = 31 * h + Objects.hashCode(request.cacheSalt());
            h = 31 * h + request.parallelSamples();
            h = 31 * h + request.multimodal().hashCode();
            this.hash = 31 * h + Objects.hashCode(tenant);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && hash == k.hash && Objects.equals(tenant, k.tenant)
                    && request.sameInputs(k.request);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Bounds and expiry of a result cache. */
    public static final class Builder {
        private long maximumEntries;
        private long maximumTokens = 16L << 20;
        private Duration expireAfterWrite;
        private Clock clock;
        private Executor executor;
        private boolean shareAcrossTenants;

        private Builder() {
        }

        /** Bound by number of completions (replaces the token bound). */
        public Builder maximumEntries(long entries) {
            if (entries < 1) {
                throw new IllegalArgumentException("maximumEntries must be positive, got " + entries);
            }
            this.maximumEntries = entries;
            return this;
        }

        /** Bound by tokens held, prompts plus outputs (default 16 Mi tokens, about 64 MiB). */
        public Builder maximumTokens(long tokens) {
            if (tokens < 1) {
                throw new IllegalArgumentException("maximumTokens must be positive, got " + tokens);
            }
            this.maximumTokens = tokens;
            this.maximumEntries = 0;
            return this;
        }

        /** Entries expire this long after they are stored (default: never). */
        public Builder expireAfterWrite(Duration ttl) {
            if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
                throw new IllegalArgumentException("the time to live must be positive, got " + ttl);
            }
            this.expireAfterWrite = ttl;
            return this;
        }

        /** The clock that expiry is measured on (default: the system's); pass the engine's. */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Where Caffeine runs its maintenance (default: the common pool); {@code Runnable::run} makes it inline. */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /** Let identical requests of different tenants share answers (the cache salt still separates them). */
        public Builder shareAcrossTenants(boolean share) {
            this.shareAcrossTenants = share;
            return this;
        }

        public ResultCache build() {
            return new ResultCache(this);
        }
    }
}
