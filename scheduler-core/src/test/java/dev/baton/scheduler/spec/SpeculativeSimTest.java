package dev.baton.scheduler.spec;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Accelerators;
import dev.baton.api.VirtualClock;
import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.SpecDecodeStats;
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.metrics.CountingSink;
import dev.baton.scheduler.metrics.MetricsSink;
import dev.baton.scheduler.metrics.VllmMetrics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.offset;

/** Speculative decoding on the simulated device, in virtual time: accounting, policies, metrics. */
class SpeculativeSimTest {

    private static ForwardingDevice sim(VirtualClock clock, String... options) {
        AcceleratorConfig.Builder b = AcceleratorConfig.builder().clock(clock).numGpuBlocksOverride(20_000);
        for (int i = 0; i < options.length; i += 2) {
            b.option(options[i], options[i + 1]);
        }
        return new ForwardingDevice(Accelerators.open("sim:h100/llama-3.1-8b", b.build()));
    }

    private static List<Request> requests(EngineCore core, int n, int prompt, int maxTokens) {
        List<Request> rs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] p = new int[prompt];
            for (int t = 0; t < prompt; t++) {
                p[t] = (i * 31 + t * 7) % 1000;
            }
            rs.add(SpecEngines.request(core, "r" + i, p, SamplingParams.greedy(maxTokens), 1000 + i));
        }
        return rs;
    }

    private static Map<String, int[]> baseline(EngineConfig cfg, int n, int prompt, int maxTokens) {
        VirtualClock clock = new VirtualClock();
        EngineCore core = SpecEngines.core(sim(clock), clock, cfg, null, MetricsSink.NONE);
        return SpecEngines.run(core, requests(core, n, prompt, maxTokens), c -> { });
    }

    @Test
    @DisplayName("sim.acceptance: mean acceptance length and per-position rates follow the configured rate; outputs "
            + "and metrics unchanged in meaning")
    void syntheticAcceptance() {
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(16).build();
        VirtualClock clock = new VirtualClock();
        ForwardingDevice dev = sim(clock, "sim.acceptance", "0.6");
        CountingSink sink = new CountingSink();
        EngineCore core = SpecEngines.core(dev, clock, cfg,
                SpeculativeConfig.fixed(new SyntheticProposer(1, 0, null), 4), sink);
        Map<String, int[]> out = SpecEngines.run(core, requests(core, 16, 64, 300), c -> { });
        SpecEngines.assertSameOutputs(out, baseline(cfg, 16, 64, 300));

        SpecDecodeStats st = core.scheduler().specDecodeStats();
        double expected = AcceptanceMath.expectedLength(0.6, 4);
        assertThat(st.meanAcceptanceLength()).isCloseTo(expected, offset(0.08));
        for (int i = 0; i < 4; i++) {
            assertThat(st.acceptanceRateAt(i)).as("a_%d", i + 1).isCloseTo(Math.pow(0.6, i + 1), offset(0.04));
        }
        assertThat(sink.counters.get(VllmMetrics.SPEC_DECODE_NUM_DRAFTS)).isEqualTo(st.drafts());
        assertThat(sink.counters.get(VllmMetrics.SPEC_DECODE_NUM_DRAFT_TOKENS)).isEqualTo(st.draftTokens());
        assertThat(sink.counters.get(VllmMetrics.SPEC_DECODE_NUM_ACCEPTED_TOKENS)).isEqualTo(st.acceptedTokens());
        assertThat(sink.counters.get(VllmMetrics.SPEC_DECODE_NUM_ACCEPTED_TOKENS_PER_POS + "{3}"))
                .isEqualTo(st.acceptedAt(3));
        assertThat(sink.counters.get(VllmMetrics.GENERATION_TOKENS)).isEqualTo(16L * 300);
        assertThat(core.scheduler().kv().usage()).isZero();
    }

    @Test
    @DisplayName("drafts are trimmed to the token budget and never ride with a prefill chunk (SCH-4)")
    void budgetAndPrefill() {
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(16).maxNumBatchedTokens(48).build();
        VirtualClock clock = new VirtualClock();
        ForwardingDevice dev = sim(clock, "sim.acceptance", "0.8");
        EngineCore core = SpecEngines.core(dev, clock, cfg,
                SpeculativeConfig.fixed(new SyntheticProposer(1, 0, null), 6), MetricsSink.NONE);
        Map<String, int[]> out = SpecEngines.run(core, requests(core, 16, 100, 40), c -> { });
        SpecEngines.assertSameOutputs(out, baseline(cfg, 16, 100, 40));
        assertThat(dev.maxPlanTokens).isLessThanOrEqualTo(48);
        assertThat(dev.plansWithDrafts).isPositive();
        assertThat(dev.maxDraftsSeen).isEqualTo(6);
        assertThat(dev.draftsWithPrefill).isZero();
    }

    @Test
    @DisplayName("SPEC-29: scheduled drafts = requests x K(batch size) under the schedule {(1,16,3),(64,128,2),"
            + "(256,4096,0)}")
    void spec29() {
        int[][] schedule = {{1, 16, 3}, {64, 128, 2}, {256, 4096, 0}};
        for (int[] c : new int[][] {{4, 12}, {64, 128}, {256, 0}}) {
            VirtualClock clock = new VirtualClock();
            ForwardingDevice dev = sim(clock);
            EngineConfig cfg = EngineConfig.builder().maxNumSeqs(256).maxNumBatchedTokens(8192).build();
            EngineCore core = SpecEngines.core(dev, clock, cfg, new SpeculativeConfig(new SyntheticProposer(1, 0, null),
                    BatchSizeSchedule.ofRanges(schedule, 3, 256), 3), MetricsSink.NONE);
            for (Request r : requests(core, c[0], 16, 20)) {
                core.submit(r);
            }
            core.step(); // every prompt in one step; drafts are proposed after it
            core.step();
            assertThat(dev.draftTokens).as("%d requests", c[0]).isEqualTo(c[1]);
        }
    }

    @Test
    @DisplayName("speculation with one-step-ahead scheduling is refused with a message that says what to change")
    void asyncRefused() {
        VirtualClock clock = new VirtualClock();
        assertThatIllegalArgumentException().isThrownBy(() -> Engines.builder().accelerator(sim(clock)).clock(clock)
                        .config(EngineConfig.builder().asyncScheduling(true).build())
                        .speculative(SpeculativeConfig.fixed(new NgramProposer(1, 3), 3)).buildCore())
                .withMessageContaining("asyncScheduling(false)");
    }

    @Test
    @DisplayName("K is rounded down to a draft length the device supports (sim.draft-lengths)")
    void supportedLengths() {
        VirtualClock clock = new VirtualClock();
        ForwardingDevice dev = sim(clock, "sim.draft-lengths", "0,2", "sim.acceptance", "0.9");
        EngineCore core = SpecEngines.core(dev, clock, EngineConfig.builder().build(),
                SpeculativeConfig.fixed(new SyntheticProposer(1, 0, null), 3), MetricsSink.NONE);
        SpecEngines.run(core, requests(core, 4, 32, 50), c -> { });
        assertThat(dev.maxDraftsSeen).isEqualTo(2);
        assertThat(core.speculative().lastDraftLength()).isEqualTo(2);
    }

    /** Runs {@code n} requests at acceptance {@code a} under the goodput policy; returns K after every step. */
    private static List<Integer> goodput(int n, double a, int maxTokens, GoodputPolicy policy) {
        VirtualClock clock = new VirtualClock();
        ForwardingDevice dev = sim(clock, "sim.acceptance", Double.toString(a));
        EngineCore core = SpecEngines.core(dev, clock, EngineConfig.builder().maxNumSeqs(256).build(),
                new SpeculativeConfig(new SyntheticProposer(1, 0.05, clock), policy, 8), MetricsSink.NONE);
        List<Integer> ks = new ArrayList<>();
        SpecEngines.run(core, requests(core, n, 128, maxTokens), c -> ks.add(policy.current()));
        return ks;
    }

    @Test
    @DisplayName("the goodput policy speculates deeply at batch 1 with high acceptance and not at all at batch 256 "
            + "with very low acceptance; its EMA tracks the device's acceptance")
    void goodputExtremes() {
        GoodputPolicy deep = new GoodputPolicy();
        List<Integer> low = goodput(1, 0.9, 400, deep);
        assertThat(low.subList(low.size() / 2, low.size())).allSatisfy(k -> assertThat(k).isGreaterThanOrEqualTo(6));
        assertThat(deep.estimate().conditional(0)).isCloseTo(0.9, offset(0.08));
        // 256 requests of equal length, prefilled over 4 steps: the batch is full for all but the last few steps. On
        // the calibrated H100 profile a verify step of 256 x 2 tokens costs 1.28x a plain decode step, so at
        // acceptance 0.3 one draft is break-even; at 0.1 it clearly does not pay.
        GoodputPolicy off = new GoodputPolicy();
        List<Integer> high = goodput(256, 0.1, 60, off);
        assertThat(high.subList(5, high.size() - 8)).allSatisfy(k -> assertThat(k).isZero());
        assertThat(off.estimate().conditional(0)).isCloseTo(0.1, offset(0.1));
    }

    @Test
    @DisplayName("the acceptance kill switch turns speculation off on a device that rejects nearly everything")
    void killSwitchInEngine() {
        VirtualClock clock = new VirtualClock();
        ForwardingDevice dev = sim(clock, "sim.acceptance", "0.02");
        AcceptanceKillSwitch ks = new AcceptanceKillSwitch(DraftLengthPolicy.fixed(4), 0.2, 10, 0);
        EngineCore core = SpecEngines.core(dev, clock, EngineConfig.builder().build(),
                new SpeculativeConfig(new SyntheticProposer(1, 0, null), ks, 4), MetricsSink.NONE);
        SpecEngines.run(core, requests(core, 2, 32, 200), c -> { });
        assertThat(ks.isOff()).isTrue();
        assertThat(dev.plansWithDrafts).isEqualTo(10);
    }
}
