package dev.baton.accelerator;

import dev.baton.api.VirtualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Configuration follows vLLM's engine-argument names and defaults, and refuses values out of range by that name. */
class AcceleratorConfigTest {

    /** Asserts {@code build} fails with an {@link IllegalArgumentException} whose message has every part. */
    static void refused(Executable build, String... messageParts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertThat(e.getMessage()).contains(messageParts);
    }

    @Test
    void defaults_are_vllms() {
        AcceleratorConfig c = AcceleratorConfig.builder().build();
        assertThat(c.profile()).isEmpty();
        assertThat(c.parallelism()).isEqualTo(Parallelism.NONE);
        assertThat(c.blockSize()).isEqualTo(16);
        assertThat(c.gpuMemoryUtilization()).isEqualTo(0.9);
        assertThat(c.numGpuBlocksOverride()).isZero();
        assertThat(c.maxNumBatchedTokens()).isEqualTo(8192);
        assertThat(c.hostKvBytes()).isEqualTo(4L << 30);
        assertThat(c.seed()).isZero();
        assertThat(c.options()).isEmpty();
        assertThat(c.clock()).isNotNull();
    }

    @Test
    void to_builder_round_trips_every_field() {
        AcceleratorConfig c = AcceleratorConfig.builder().profile("h200/llama-3.1-70b").parallelism(Parallelism.tp(4))
                .clock(new VirtualClock(5)).blockSize(32).gpuMemoryUtilization(0.85).numGpuBlocksOverride(1000)
                .maxNumBatchedTokens(2048).hostKvBytes(1L << 20).seed(-3).option("sim.realtime", "true").build();
        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(c.toBuilder().blockSize(64).build().blockSize()).isEqualTo(64);
        assertThat(c.blockSize()).isEqualTo(32);
    }

    @Test
    void options_are_copied_and_read_with_a_fallback() {
        AcceleratorConfig.Builder b = AcceleratorConfig.builder().option("a", "1");
        AcceleratorConfig c = b.build();
        b.option("b", "2");
        assertThat(c.options()).containsExactly(Map.entry("a", "1"));
        assertThat(c.option("a", "x")).isEqualTo("1");
        assertThat(c.option("missing", "x")).isEqualTo("x");
        assertThatThrownBy(() -> c.options().put("c", "3")).isInstanceOf(UnsupportedOperationException.class);

        Map<String, String> mine = new LinkedHashMap<>(Map.of("k", "v"));
        AcceleratorConfig direct = new AcceleratorConfig("", Parallelism.NONE, System::nanoTime, 16, 0.9, 0, 1, 0, 0,
                mine);
        mine.put("k", "changed");
        assertThat(direct.option("k", null)).isEqualTo("v");
    }

    @Test
    void block_size_outside_one_to_1024_is_refused() {
        refused(() -> AcceleratorConfig.builder().blockSize(0).build(), "block-size", "[1, 1024]", "got 0");
        refused(() -> AcceleratorConfig.builder().blockSize(-16).build(), "block-size", "-16");
        refused(() -> AcceleratorConfig.builder().blockSize(1025).build(), "block-size", "1025");
        assertThat(AcceleratorConfig.builder().blockSize(1).build().blockSize()).isEqualTo(1);
        assertThat(AcceleratorConfig.builder().blockSize(1024).build().blockSize()).isEqualTo(1024);
    }

    @Test
    void memory_utilisation_outside_zero_one_is_refused() {
        for (double bad : new double[] {0, -0.1, 1.01, Double.NaN, Double.POSITIVE_INFINITY}) {
            refused(() -> AcceleratorConfig.builder().gpuMemoryUtilization(bad).build(), "gpu-memory-utilization",
                    "(0, 1]", String.valueOf(bad));
        }
        assertThat(AcceleratorConfig.builder().gpuMemoryUtilization(1).build().gpuMemoryUtilization()).isEqualTo(1);
    }

    @Test
    void negative_overrides_and_sizes_are_refused() {
        refused(() -> AcceleratorConfig.builder().numGpuBlocksOverride(-1).build(), "num-gpu-blocks-override",
                "negative", "-1");
        refused(() -> AcceleratorConfig.builder().maxNumBatchedTokens(0).build(), "max-num-batched-tokens",
                "positive", "got 0");
        refused(() -> AcceleratorConfig.builder().hostKvBytes(-1).build(), "swap-space", "negative", "-1");
        assertThat(AcceleratorConfig.builder().hostKvBytes(0).build().hostKvBytes()).isZero();
    }

    @Test
    void missing_parts_are_refused_by_name() {
        assertThatThrownBy(() -> AcceleratorConfig.builder().profile(null).build())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("profile");
        assertThatThrownBy(() -> AcceleratorConfig.builder().parallelism(null).build())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("parallelism");
        assertThatThrownBy(() -> AcceleratorConfig.builder().clock(null).build())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("clock");
        assertThatThrownBy(() -> AcceleratorConfig.builder().option(null, "v"))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("key");
        assertThatThrownBy(() -> AcceleratorConfig.builder().option("k", null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("value");
    }
}
