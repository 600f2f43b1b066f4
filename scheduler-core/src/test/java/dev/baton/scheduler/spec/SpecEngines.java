package dev.baton.scheduler.spec;

import dev.baton.accelerator.Accelerator;
import dev.baton.api.Clock;
import dev.baton.api.FinishReason;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.metrics.MetricsSink;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** Drives engine cores in tests: builds them, submits requests with fixed seeds, runs them to the end. */
final class SpecEngines {

    private SpecEngines() {
    }

    static EngineCore core(Accelerator device, Clock clock, EngineConfig cfg, SpeculativeConfig spec,
                           MetricsSink sink) {
        return Engines.builder().accelerator(device).clock(clock).config(cfg).speculative(spec).metrics(sink)
                .buildCore();
    }

    /** A request with a fixed seed (sample 0's seed is {@code seed}). */
    static Request request(EngineCore core, String id, int[] prompt, SamplingParams sampling, long seed) {
        InferenceRequest ir = InferenceRequest.withPrompt(prompt).requestId(id).sampling(sampling).build();
        assertThat(core.admissionPolicy().admit(ir, core.admission())).as("admitted").isNull();
        return new Request(id, ir, core.clock().nanoTime(), seed, seed, 0, Long.MAX_VALUE, Long.MAX_VALUE, core);
    }

    /** Runs until idle, calling {@code afterStep} after every step; returns every request's sample-0 output. */
    static Map<String, int[]> run(EngineCore core, List<Request> requests, Consumer<EngineCore> afterStep) {
        for (Request r : requests) {
            core.submit(r);
        }
        for (int i = 0; i < 1_000_000 && core.hasWork(); i++) {
            core.step();
            afterStep.accept(core);
        }
        assertThat(core.hasWork()).isFalse();
        Map<String, int[]> out = new LinkedHashMap<>();
        for (Request r : requests) {
            Sequence s = r.sample(0);
            assertThat(s.finishReason()).as(r.id()).isIn(FinishReason.LENGTH, FinishReason.STOP);
            out.put(r.id(), s.outputTokens());
        }
        return out;
    }

    static void assertSameOutputs(Map<String, int[]> actual, Map<String, int[]> expected) {
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        for (String id : expected.keySet()) {
            assertThat(actual.get(id)).as("request %s", id).containsExactly(expected.get(id));
        }
    }
}
