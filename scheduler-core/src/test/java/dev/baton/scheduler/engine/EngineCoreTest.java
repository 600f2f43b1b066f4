package dev.baton.scheduler.engine;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.api.FinishReason;
import dev.baton.api.VirtualClock;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.core.SequenceListener;
import dev.baton.scheduler.metrics.LatencyStats;
import dev.baton.scheduler.metrics.MetricsSink;
import dev.baton.scheduler.metrics.VllmMetrics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The single-threaded engine core on the simulated device, in virtual time. */
class EngineCoreTest {

    /** Records metrics by name. */
    static final class RecordingSink implements MetricsSink {
        final Map<String, Double> gauges = new HashMap<>();
        final Map<String, Long> counters = new HashMap<>();
        final Map<String, List<Double>> observations = new HashMap<>();

        @Override
        public void gauge(String name, double value) {
            gauges.put(name, value);
        }

        @Override
        public void count(String name, String label, long delta) {
            counters.merge(label == null ? name : name + "{" + label + "}", delta, Long::sum);
        }

        @Override
        public void observe(String name, double value) {
            observations.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
    }

    private static EngineCore core(VirtualClock clock, EngineConfig cfg, MetricsSink sink) {
        return Engines.builder().device("sim:h100/llama-3.1-8b")
                .acceleratorConfig(AcceleratorConfig.builder().clock(clock).numGpuBlocksOverride(2000).build())
                .config(cfg).metrics(sink).buildCore();
    }

    private static Request request(EngineCore core, String id, int prompt, int maxTokens, Duration deadline,
                                   Duration queueTimeout, SequenceListener listener) {
        long now = core.clock().nanoTime();
        InferenceRequest ir = InferenceRequest.withPrompt(new int[prompt]).requestId(id)
                .sampling(SamplingParams.greedy(maxTokens)).build();
        assertThat(core.admissionPolicy().admit(ir, core.admission())).as("admitted").isNull();
        Request r = new Request(id, ir, now, Long.parseLong(id.replaceAll("\\D", "0")) + 1, 1, 0,
                deadline == null ? Long.MAX_VALUE : now + deadline.toNanos(),
                queueTimeout == null ? Long.MAX_VALUE : now + queueTimeout.toNanos(), core);
        r.attach(listener);
        return r;
    }

    private static void runToQuiescence(EngineCore core) {
        for (int i = 0; i < 100_000 && core.hasWork(); i++) {
            core.step();
        }
        assertThat(core.hasWork()).isFalse();
    }

    @Test
    @DisplayName("a request past its end-to-end deadline ends with DEADLINE_EXCEEDED and frees its blocks")
    void deadline() {
        VirtualClock clock = new VirtualClock();
        EngineCore core = core(clock, EngineConfig.builder().build(), MetricsSink.NONE);
        Request r = request(core, "1", 100, 10_000, Duration.ofMillis(200), null, SequenceListener.NONE);
        core.submit(r);
        runToQuiescence(core);
        assertThat(r.sample(0).finishReason()).isEqualTo(FinishReason.DEADLINE_EXCEEDED);
        assertThat(r.sample(0).numOutput()).isPositive().isLessThan(10_000);
        assertThat(clock.nanoTime()).isBetween(Duration.ofMillis(200).toNanos(), Duration.ofMillis(400).toNanos());
        assertThat(core.scheduler().kv().usage()).isZero();
    }

    @Test
    @DisplayName("a request never scheduled within its queue timeout ends with QUEUE_TIMEOUT; a started one does not")
    void queueTimeout() {
        VirtualClock clock = new VirtualClock();
        EngineCore core = core(clock, EngineConfig.builder().maxNumSeqs(1).maxNumBatchedTokens(256).build(),
                MetricsSink.NONE);
        Request first = request(core, "1", 100, 200, null, Duration.ofMillis(50), SequenceListener.NONE);
        Request second = request(core, "2", 100, 5, null, Duration.ofMillis(50), SequenceListener.NONE);
        core.submit(first);
        core.submit(second);
        runToQuiescence(core);
        assertThat(first.sample(0).finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(second.sample(0).finishReason()).isEqualTo(FinishReason.QUEUE_TIMEOUT);
        assertThat(second.sample(0).numOutput()).isZero();
        assertThat(core.admission().queuedRequests()).isZero();
    }

    @Test
    @DisplayName("sync and one-step-ahead stepping produce the same tokens on the simulated device")
    void asyncMatchesSync() {
        Map<String, int[]> sync = generate(false);
        Map<String, int[]> async = generate(true);
        assertThat(async.keySet()).isEqualTo(sync.keySet());
        for (String id : sync.keySet()) {
            assertThat(async.get(id)).as(id).containsExactly(sync.get(id));
        }
    }

    private static Map<String, int[]> generate(boolean async) {
        VirtualClock clock = new VirtualClock();
        EngineCore core = core(clock, EngineConfig.builder().asyncScheduling(async).maxNumBatchedTokens(512).build(),
                MetricsSink.NONE);
        List<Request> rs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Request r = request(core, "r" + i, 50 + 37 * i, 5 + i, null, null, SequenceListener.NONE);
            rs.add(r);
            core.submit(r);
        }
        runToQuiescence(core);
        Map<String, int[]> out = new HashMap<>();
        for (Request r : rs) {
            assertThat(r.sample(0).finishReason()).isEqualTo(FinishReason.LENGTH);
            out.put(r.id(), r.sample(0).outputTokens());
        }
        assertThat(core.scheduler().kv().usage()).isZero();
        return out;
    }

    @Test
    @DisplayName("metrics are reported under vLLM's names with vLLM's interval definitions")
    void metricsNames() {
        VirtualClock clock = new VirtualClock();
        RecordingSink sink = new RecordingSink();
        EngineCore core = core(clock, EngineConfig.builder().build(), sink);
        List<Sequence> done = new ArrayList<>();
        SequenceListener l = new SequenceListener() {
            @Override
            public void tokensAppended(Sequence seq, int from, int count, long nowNanos) {
            }

            @Override
            public void sequenceFinished(Sequence seq, long nowNanos) {
                done.add(seq);
            }
        };
        for (int i = 0; i < 4; i++) {
            core.submit(request(core, "m" + i, 200, 20, null, null, l));
        }
        runToQuiescence(core);
        assertThat(done).hasSize(4);
        assertThat(sink.observations.get(VllmMetrics.TIME_TO_FIRST_TOKEN)).hasSize(4);
        assertThat(sink.observations.get(VllmMetrics.E2E_REQUEST_LATENCY)).hasSize(4);
        assertThat(sink.observations.get(VllmMetrics.INTER_TOKEN_LATENCY)).hasSize(4 * 19);
        assertThat(sink.counters.get(VllmMetrics.GENERATION_TOKENS)).isEqualTo(80);
        assertThat(sink.counters.get(VllmMetrics.PROMPT_TOKENS)).isEqualTo(800);
        assertThat(sink.counters.get(VllmMetrics.REQUEST_SUCCESS + "{length}")).isEqualTo(4);
        assertThat(sink.gauges).containsKeys(VllmMetrics.NUM_REQUESTS_RUNNING, VllmMetrics.NUM_REQUESTS_WAITING,
                VllmMetrics.KV_CACHE_USAGE_PERC);
        // TTFT <= e2e for every request, and the HdrHistogram view agrees on counts.
        assertThat(core.latency().count(LatencyStats.Kind.TTFT)).isEqualTo(4);
        assertThat(core.latency().percentileNanos(LatencyStats.Kind.TTFT, 100))
                .isLessThanOrEqualTo(core.latency().percentileNanos(LatencyStats.Kind.E2E, 100));
        double ttft = sink.observations.get(VllmMetrics.TIME_TO_FIRST_TOKEN).get(0);
        double e2e = sink.observations.get(VllmMetrics.E2E_REQUEST_LATENCY).get(0);
        double tpot = sink.observations.get(VllmMetrics.REQUEST_TIME_PER_OUTPUT_TOKEN).get(0);
        assertThat(tpot).isCloseTo((e2e - ttft) / 19, org.assertj.core.data.Offset.offset(1e-6));
    }
}
