package dev.baton.scheduler.cache;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.api.Completion;
import dev.baton.api.FinishReason;
import dev.baton.api.RequestTimings;
import dev.baton.api.SampleOutput;
import dev.baton.api.Submission;
import dev.baton.api.TokenEvent;
import dev.baton.api.VirtualClock;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.engine.ThreadedEngine;
import dev.baton.scheduler.metrics.MetricsSink;
import dev.baton.scheduler.metrics.VllmMetrics;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/** The exact-match result cache: identical answers, never across salts, adapters or parameters, bounded. */
class ResultCacheTest {

    private static InferenceRequest.Builder base() {
        return InferenceRequest.withPrompt(5, 6, 7, 8).sampling(SamplingParams.greedy(8));
    }

    private static Completion answer(String id, int n, FinishReason reason, int tokens) {
        List<SampleOutput> samples = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            int[] t = new int[tokens];
            for (int i = 0; i < tokens; i++) {
                t[i] = 100 * s + i;
            }
            samples.add(new SampleOutput(s, t, reason, -1));
        }
        return new Completion(id, samples, new RequestTimings(0, 1, 2, 3, n * tokens), 0, 0);
    }

    /** Collects a token stream, asking for one token at a time from inside onNext (re-entrant demand). */
    static final class Collector implements Flow.Subscriber<TokenEvent> {
        final List<TokenEvent> events = new ArrayList<>();
        boolean completed;
        Flow.Subscription sub;

        @Override
        public void onSubscribe(Flow.Subscription s) {
            sub = s;
            s.request(1);
        }

        @Override
        public void onNext(TokenEvent e) {
            events.add(e);
            sub.request(1);
        }

        @Override
        public void onError(Throwable t) {
            throw new AssertionError(t);
        }

        @Override
        public void onComplete() {
            completed = true;
        }

        int[] tokens(int sample) {
            return events.stream().filter(e -> e.sampleIndex() == sample).mapToInt(TokenEvent::tokenId).toArray();
        }
    }

    @Test
    @DisplayName("a hit completes at once with the identical tokens, replays them as a stream, and skips the engine")
    void hitOnTheEngine() throws Exception {
        ResultCache cache = ResultCache.builder().maximumEntries(100).executor(Runnable::run).build();
        // Requests the engine thread started (counted there, before any completion is delivered).
        java.util.concurrent.atomic.AtomicLong started = new java.util.concurrent.atomic.AtomicLong();
        MetricsSink sink = new MetricsSink() {
            @Override
            public void gauge(String name, double value) {
            }

            @Override
            public void count(String name, String label, long delta) {
                if (name.equals(VllmMetrics.PROMPT_TOKENS)) {
                    started.incrementAndGet();
                }
            }

            @Override
            public void observe(String name, double value) {
            }
        };
        try (ThreadedEngine engine = Engines.builder().device("sim:h100/llama-3.1-8b").metrics(sink)
                .acceleratorConfig(AcceleratorConfig.builder().clock(new VirtualClock()).numGpuBlocksOverride(2000)
                        .build())
                .config(EngineConfig.builder().maxNumSeqs(8).maxNumBatchedTokens(512).build())
                .resultCache(cache).buildThreaded()) {
            InferenceRequest r = InferenceRequest.withPrompt(11, 12, 13, 14, 15)
                    .sampling(SamplingParams.builder().temperature(0.8).seed(42).maxTokens(24).build())
                    .parallelSamples(2).build();
            Completion first = engine.submit(r).orThrow().completion().get(30, TimeUnit.SECONDS);
            assertThat(first.finishReason()).isEqualTo(FinishReason.LENGTH);
            // Recording happens on completion; wait until the entry is visible.
            for (int i = 0; i < 1000 && cache.lookup(r) == null; i++) {
                Thread.sleep(1);
            }
            assertThat(started.get()).isEqualTo(1);

            Submission again = engine.submit(r.toBuilder().requestId("again").build()).orThrow();
            assertThat(again.isDone()).as("answered on the caller's thread").isTrue();
            Completion hit = again.completion().get();
            assertThat(hit.requestId()).isEqualTo("again");
            for (int s = 0; s < 2; s++) {
                assertThat(hit.samples().get(s).tokens()).isEqualTo(first.samples().get(s).tokens());
                assertThat(hit.samples().get(s).finishReason()).isEqualTo(first.samples().get(s).finishReason());
            }
            assertThat(hit.cachedPromptTokens()).isEqualTo(5);
            Collector c = new Collector();
            again.tokens().subscribe(c);
            assertThat(c.completed).isTrue();
            assertThat(c.tokens(0)).isEqualTo(first.samples().get(0).tokens());
            assertThat(c.tokens(1)).isEqualTo(first.samples().get(1).tokens());
            assertThat(again.cancel()).isFalse();
            assertThat(started.get()).as("the hit never reached the engine thread").isEqualTo(1);
            assertThat(hit.timings().firstScheduledNanos()).isEqualTo(-1);
            assertThat(cache.stats().hitCount()).isGreaterThanOrEqualTo(1);

            // Different salt: a miss, served by the engine, with (here) the same tokens.
            Completion salted = engine.submit(r.toBuilder().cacheSalt("other").build()).orThrow().completion()
                    .get(30, TimeUnit.SECONDS);
            assertThat(started.get()).isEqualTo(2);
            assertThat(salted.tokens()).isEqualTo(first.tokens());
        }
    }

    @Property(tries = 200)
    void never_a_hit_when_any_input_differs(@ForAll("variations") UnaryOperator<InferenceRequest.Builder> change) {
        ResultCache cache = ResultCache.builder().executor(Runnable::run).build();
        InferenceRequest stored = base().build();
        cache.store(stored, answer("a", 1, FinishReason.LENGTH, 8));
        InferenceRequest other = change.apply(base()).build();
        assertThat(cache.lookup(other)).isNull();
        assertThat(cache.lookup(base().requestId("same-inputs").priority(3).build())).isNotNull();
    }

    @Provide
    Arbitrary<UnaryOperator<InferenceRequest.Builder>> variations() {
        return Arbitraries.of(
                b -> b.cacheSalt("tenant-secret"),
                b -> b.loraAdapter("adapter-1"),
                b -> b.maxTokens(9),
                b -> b.promptTokens(5, 6, 7, 9),
                b -> b.promptTokens(5, 6, 7),
                b -> b.tenant("someone-else"),
                b -> b.parallelSamples(2),
                b -> b.sampling(SamplingParams.builder().maxTokens(8).seed(1).build()),
                b -> b.sampling(SamplingParams.builder().maxTokens(8).stopTokenIds(3).build()),
                b -> b.sampling(SamplingParams.builder().maxTokens(8).ignoreEos(true).build()),
                b -> b.sampling(SamplingParams.builder().maxTokens(8).temperature(0.5).seed(1).build()),
                b -> b.sampling(SamplingParams.builder().maxTokens(8).temperature(0.5).seed(2).topK(5).build()),
                b -> b.sampling(SamplingParams.builder().maxTokens(8).minTokens(2).build()),
                b -> b.sampling(SamplingParams.builder().maxTokens(8).logprobs(2).build()));
    }

    @Test
    @DisplayName("salts separate answers both ways, and sampled requests with a fixed seed are cached per seed")
    void salts() {
        ResultCache cache = ResultCache.builder().executor(Runnable::run).build();
        InferenceRequest a = base().cacheSalt("a").build();
        InferenceRequest b = base().cacheSalt("b").build();
        cache.store(a, answer("a", 1, FinishReason.LENGTH, 8));
        assertThat(cache.lookup(a)).isNotNull();
        assertThat(cache.lookup(b)).isNull();
        assertThat(cache.lookup(base().build())).isNull();
        SamplingParams seeded = SamplingParams.builder().temperature(1).seed(7).maxTokens(8).build();
        cache.store(base().sampling(seeded).build(), answer("s", 1, FinishReason.STOP, 3));
        assertThat(cache.lookup(base().sampling(seeded).build()).stored().tokens()).containsExactly(0, 1, 2);
    }

    @Test
    @DisplayName("only deterministic requests that ended naturally are stored; sharing across tenants is opt-in")
    void whatIsStored() {
        ResultCache cache = ResultCache.builder().executor(Runnable::run).build();
        InferenceRequest random = base().sampling(SamplingParams.builder().temperature(1).maxTokens(8).build()).build();
        assertThat(ResultCache.cacheable(random)).isFalse();
        cache.store(random, answer("r", 1, FinishReason.LENGTH, 8));
        assertThat(cache.lookup(random)).isNull();
        for (FinishReason cut : List.of(FinishReason.CANCELLED, FinishReason.QUEUE_TIMEOUT,
                FinishReason.DEADLINE_EXCEEDED, FinishReason.DEVICE_ERROR, FinishReason.SHUTDOWN)) {
            cache.store(base().build(), answer("x", 1, cut, 2));
            assertThat(cache.lookup(base().build())).as(cut.name()).isNull();
        }
        cache.store(base().build(), answer("x", 1, FinishReason.STOP, 2));
        assertThat(cache.lookup(base().build())).isNotNull();
        assertThat(cache.lookup(base().tenant("other").build())).isNull();
        ResultCache shared = ResultCache.builder().shareAcrossTenants(true).executor(Runnable::run).build();
        shared.store(base().tenant("one").build(), answer("x", 1, FinishReason.STOP, 2));
        assertThat(shared.lookup(base().tenant("two").build())).isNotNull();
        assertThat(shared.lookup(base().tenant("two").cacheSalt("s").build())).isNull();
    }

    @Test
    @DisplayName("memory is bounded: by tokens held (prompt plus outputs) or by entries; entries expire on the engine clock")
    void bounded() {
        ResultCache byTokens = ResultCache.builder().maximumTokens(10_000).executor(Runnable::run).build();
        for (int i = 0; i < 1000; i++) {
            byTokens.store(InferenceRequest.withPrompt(i, i + 1).sampling(SamplingParams.greedy(98)).build(),
                    answer("t" + i, 1, FinishReason.LENGTH, 98));
            assertThat(byTokens.weightedSize()).isLessThanOrEqualTo(10_000);
        }
        assertThat(byTokens.estimatedSize()).isBetween(50L, 100L);

        ResultCache byEntries = ResultCache.builder().maximumEntries(10).executor(Runnable::run).build();
        for (int i = 0; i < 500; i++) {
            byEntries.store(InferenceRequest.withPrompt(i).sampling(SamplingParams.greedy(4)).build(),
                    answer("e" + i, 1, FinishReason.LENGTH, 4));
        }
        byEntries.weightedSize(); // runs pending maintenance
        assertThat(byEntries.estimatedSize()).isLessThanOrEqualTo(10);

        VirtualClock clock = new VirtualClock();
        ResultCache ttl = ResultCache.builder().expireAfterWrite(Duration.ofSeconds(10)).clock(clock)
                .executor(Runnable::run).build();
        ttl.store(base().build(), answer("x", 1, FinishReason.LENGTH, 8));
        clock.advance(Duration.ofSeconds(9).toNanos());
        assertThat(ttl.lookup(base().build())).isNotNull();
        clock.advance(Duration.ofSeconds(2).toNanos());
        assertThat(ttl.lookup(base().build())).isNull();
    }

    @Test
    @DisplayName("the replayed stream honours demand and never recurses, however long the output")
    void replayDemand() {
        ResultCache cache = ResultCache.builder().executor(Runnable::run).build();
        InferenceRequest r = base().maxTokens(50_000).build();
        cache.store(r, answer("big", 1, FinishReason.LENGTH, 50_000));
        Submission s = cache.lookup(r).replay("z", 5, Runnable::run);
        Collector c = new Collector();
        s.tokens().subscribe(c);
        assertThat(c.events).hasSize(50_000);
        assertThat(c.events.get(49_999).index()).isEqualTo(49_999);
        assertThat(c.completed).isTrue();

        List<TokenEvent> got = new ArrayList<>();
        Flow.Subscription[] sub = new Flow.Subscription[1];
        s.tokens().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                sub[0] = subscription;
            }

            @Override
            public void onNext(TokenEvent item) {
                got.add(item);
            }

            @Override
            public void onError(Throwable throwable) {
            }

            @Override
            public void onComplete() {
            }
        });
        assertThat(got).isEmpty();
        sub[0].request(3);
        assertThat(got).hasSize(3);
        sub[0].cancel();
        sub[0].request(10);
        assertThat(got).hasSize(3);
    }
}
