package dev.baton.examples.replay;

import dev.baton.accelerator.sim.HardwareProfiles;
import dev.baton.scheduler.EngineConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Engine knobs: vLLM's names, meanings and per-device defaults. */
class EngineKnobsTest {

    @ParameterizedTest(name = "{0}: budget {1}, {2} sequences")
    @CsvSource({"h100, 8192, 1024", "h200, 8192, 1024", "rtxpro6000, 8192, 1024", "a100-80gb, 2048, 256",
        "rtx4090, 2048, 256"})
    @DisplayName("the token budget and sequence limit default to vllm serve's for the device")
    void deviceDefaults(String device, int budget, int seqs) {
        EngineKnobs.Resolved r = EngineKnobs.defaults().resolve(HardwareProfiles.get(device));
        assertThat(r.maxNumBatchedTokens()).isEqualTo(budget);
        assertThat(r.maxNumSeqs()).isEqualTo(seqs);
        assertThat(r.pricePerGpuHour()).isEqualTo(HardwareProfiles.get(device).pricePerHour());
    }

    @Test
    @DisplayName("vLLM 0.19 defaults: async scheduling, prefix caching, one partial prefill, whole prompt must fit")
    void vllmDefaults() {
        EngineConfig c = EngineKnobs.defaults().resolve(HardwareProfiles.get("h100")).engineConfig().build();
        assertThat(c.asyncScheduling()).isTrue();
        assertThat(c.enablePrefixCaching()).isTrue();
        assertThat(c.enableChunkedPrefill()).isTrue();
        assertThat(c.maxNumPartialPrefills()).isEqualTo(1);
        assertThat(c.admitOnlyIfPromptFits()).isTrue();
        assertThat(c.swapPreemption()).isFalse();
    }

    @Test
    @DisplayName("explicit knobs win over the device defaults and reach the engine and the device")
    void explicit() {
        EngineKnobs k = EngineKnobs.parse("max-num-seqs=64, max_num_batched_tokens=512,async-scheduling=false,"
                + "block-size=32,num-gpu-blocks-override=900,tensor-parallel-size=2,price-per-gpu-hour=1.5");
        EngineKnobs.Resolved r = k.resolve(HardwareProfiles.get("h100"));
        EngineConfig c = r.engineConfig().build();
        assertThat(c.maxNumSeqs()).isEqualTo(64);
        assertThat(c.maxNumBatchedTokens()).isEqualTo(512);
        assertThat(c.asyncScheduling()).isFalse();
        var ac = r.acceleratorConfig(new dev.baton.api.VirtualClock(), 512);
        assertThat(ac.blockSize()).isEqualTo(32);
        assertThat(ac.numGpuBlocksOverride()).isEqualTo(900);
        assertThat(ac.parallelism().tp()).isEqualTo(2);
        assertThat(r.pricePerGpuHour()).isEqualTo(1.5);
        assertThat(k.explicitNames()).contains("max-num-seqs", "max-num-batched-tokens");
    }

    @Test
    @DisplayName("unknown knobs are refused with the list of known ones; malformed values say what is expected")
    void errors() {
        assertThatThrownBy(() -> EngineKnobs.parse("max-num-sequences=3")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown engine knob 'max-num-sequences'")
                .hasMessageContaining("max-num-seqs, max-num-batched-tokens");
        assertThatThrownBy(() -> EngineKnobs.parse("max-num-seqs=many")).hasMessageContaining("must be an integer");
        assertThatThrownBy(() -> EngineKnobs.parse("async-scheduling=yes")).hasMessageContaining("true or false");
        assertThatThrownBy(() -> EngineKnobs.parse("block-size")).hasMessageContaining("key=value");
        assertThatThrownBy(() -> EngineKnobs.parse("preemption-mode=drop")).hasMessageContaining("recompute or swap");
        assertThatThrownBy(() -> EngineKnobs.parse("tensor-parallel-size=3").resolve(HardwareProfiles.get("h100")))
                .hasMessageContaining("power of two");
    }

    @Test
    @DisplayName("policies: unknown names list the known ones; 'all' is every registered policy")
    void policies() {
        assertThatThrownBy(() -> ReplayPolicies.parseList("vllm,fifo")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown policy 'fifo'").hasMessageContaining("vllm, priority");
        assertThat(ReplayPolicies.parseList("all")).extracting(ReplayPolicy::name)
                .containsExactlyElementsOf(ReplayPolicies.names());
        assertThat(ReplayPolicies.parseList("priority,vllm,priority")).extracting(ReplayPolicy::name)
                .containsExactly("priority", "vllm");
    }

    @Test
    @DisplayName("durations and SLO targets parse with units; bad ones say how to write them")
    void durations() {
        assertThat(Durations.parse("100ms").toMillis()).isEqualTo(100);
        assertThat(Durations.parse("1.5s").toMillis()).isEqualTo(1500);
        assertThat(Durations.parse("10m").toSeconds()).isEqualTo(600);
        assertThat(Durations.parse("2").toSeconds()).isEqualTo(2);
        var slo = Durations.parseSlo("ttft=500ms", ReplayConfig.DEFAULT_SLO);
        assertThat(slo.ttft().toMillis()).isEqualTo(500);
        assertThat(slo.tpot().toMillis()).isEqualTo(100);
        assertThat(Durations.parseSlo("tpot=none", ReplayConfig.DEFAULT_SLO).tpot()).isNull();
        assertThatThrownBy(() -> Durations.parse("10 parsecs")).hasMessageContaining("unknown unit");
        assertThatThrownBy(() -> Durations.parseSlo("latency=2s", ReplayConfig.DEFAULT_SLO))
                .hasMessageContaining("known: ttft, tpot");
    }
}
