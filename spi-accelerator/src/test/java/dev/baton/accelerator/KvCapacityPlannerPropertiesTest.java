package dev.baton.accelerator;

import dev.baton.accelerator.sim.HardwareProfiles;
import dev.baton.accelerator.sim.ModelProfiles;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * KV capacity planning never hands out more bytes than the device has, for random devices, models, parallelism and
 * utilisation; and every argument it refuses gets a typed error that says what to change.
 */
class KvCapacityPlannerPropertiesTest {

    @Property(tries = 1000)
    void a_plan_never_hands_out_more_bytes_than_the_budget_or_the_device(
            @ForAll("devices") DeviceInfo device, @ForAll("models") ModelShape model,
            @ForAll("parallelisms") Parallelism par,
            @ForAll @DoubleRange(min = 0.01, max = 1.0) double utilization,
            @ForAll @LongRange(min = 0, max = 16L << 30) long activations,
            @ForAll @IntRange(min = 1, max = 256) int blockSize) {
        KvCapacity cap;
        try {
            cap = KvCapacityPlanner.plan(device, model, par, utilization, activations, blockSize);
        } catch (InsufficientDeviceMemoryException e) {
            // Refusing is allowed only when not even one block fits.
            long budget = (long) Math.floor(device.memoryBytes() * utilization);
            long perBlock = (long) Math.ceil(KvCapacityPlanner.kvBytesPerTokenPerDevice(model, par) * blockSize);
            assertThat(budget - KvCapacityPlanner.weightBytesPerDevice(model, par) - activations)
                    .isLessThan(perBlock);
            assertThat(e.getMessage()).contains(model.name()).contains("Raise tensor parallelism");
            return;
        }
        assertThat(cap.numBlocks()).isPositive();
        assertThat(cap.plannedBytes()).isLessThanOrEqualTo(cap.budgetBytes());
        assertThat(cap.weightBytes() + cap.activationBytes() + (long) cap.numBlocks() * cap.bytesPerBlock())
                .isLessThanOrEqualTo(cap.budgetBytes());
        assertThat(cap.budgetBytes()).isLessThanOrEqualTo(device.memoryBytes());
        assertThat(cap.deviceBytes()).isEqualTo(device.memoryBytes());
        if (cap.numBlocks() < Integer.MAX_VALUE - 1) {
            // One block more would not have fitted (the plan leaves no whole block unused unless capped).
            assertThat(cap.plannedBytes() + cap.bytesPerBlock()).isGreaterThan(cap.budgetBytes());
        }
    }

    @Property(tries = 200)
    void more_utilisation_never_plans_fewer_blocks(@ForAll("devices") DeviceInfo device,
                                                   @ForAll("models") ModelShape model,
                                                   @ForAll @DoubleRange(min = 0.05, max = 0.9) double utilization) {
        Parallelism par = Parallelism.tp(8);
        int lo = blocksOrZero(device, model, par, utilization);
        int hi = blocksOrZero(device, model, par, Math.min(1.0, utilization + 0.1));
        assertThat(hi).isGreaterThanOrEqualTo(lo);
    }

    private static int blocksOrZero(DeviceInfo d, ModelShape m, Parallelism p, double u) {
        try {
            return KvCapacityPlanner.plan(d, m, p, u, 1L << 30, 16).numBlocks();
        } catch (InsufficientDeviceMemoryException e) {
            return 0;
        }
    }

    @Example
    void utilisation_outside_zero_to_one_is_refused_with_its_range() {
        DeviceInfo h100 = HardwareProfiles.get("h100");
        ModelShape m = ModelProfiles.get("llama-3.1-8b");
        for (double bad : new double[] {0, -0.1, 1.01, Double.NaN}) {
            assertThatThrownBy(() -> KvCapacityPlanner.plan(h100, m, Parallelism.NONE, bad, 0, 16))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("gpu-memory-utilization must be in (0, 1]");
        }
    }

    @Example
    void a_negative_activation_reserve_is_refused() {
        assertThatThrownBy(() -> KvCapacityPlanner.plan(HardwareProfiles.get("h100"),
                ModelProfiles.get("llama-3.1-8b"), Parallelism.NONE, 0.9, -1, 16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("activation reserve must not be negative");
    }

    @Example
    void a_block_size_below_one_is_refused() {
        assertThatThrownBy(() -> KvCapacityPlanner.plan(HardwareProfiles.get("h100"),
                ModelProfiles.get("llama-3.1-8b"), Parallelism.NONE, 0.9, 0, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("block-size must be at least 1");
    }

    @Example
    void missing_arguments_are_named() {
        DeviceInfo h100 = HardwareProfiles.get("h100");
        ModelShape m = ModelProfiles.get("llama-3.1-8b");
        assertThatThrownBy(() -> KvCapacityPlanner.plan(null, m, Parallelism.NONE, 0.9, 0, 16))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("device must be given");
        assertThatThrownBy(() -> KvCapacityPlanner.plan(h100, null, Parallelism.NONE, 0.9, 0, 16))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("model must be given");
        assertThatThrownBy(() -> KvCapacityPlanner.plan(h100, m, null, 0.9, 0, 16))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("parallelism must be given");
    }

    @Example
    void a_model_that_does_not_fit_is_refused_with_the_breakdown_and_the_remedy() {
        // Llama-3.1-70B in BF16 is ~141 GB: it cannot fit one RTX 4090 (24 GB).
        assertThatThrownBy(() -> KvCapacityPlanner.plan(HardwareProfiles.get("rtx4090"),
                ModelProfiles.get("llama-3.1-70b"), Parallelism.NONE, 0.9, 1L << 30, 16))
                .isInstanceOf(InsufficientDeviceMemoryException.class)
                .hasMessageContaining("does not fit on NVIDIA GeForce RTX 4090")
                .hasMessageContaining("minus weights")
                .hasMessageContaining("Raise tensor parallelism, raise gpu-memory-utilization, or use a larger device");
    }

    @Example
    void invalid_parallelism_is_refused_before_planning() {
        assertThatThrownBy(() -> Parallelism.tp(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("power of two");
        assertThatThrownBy(() -> new Parallelism(1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pipeline parallel degree must be >= 1");
    }

    // ------------------------------------------------------------------ generators

    @Provide
    Arbitrary<DeviceInfo> devices() {
        Arbitrary<DeviceInfo> builtIn = Arbitraries.of("h100", "h200", "a100-80gb", "rtxpro6000", "rtx4090")
                .map(HardwareProfiles::get);
        Arbitrary<DeviceInfo> random = Combinators.combine(
                        Arbitraries.longs().between(1L << 30, 512L << 30),
                        Arbitraries.doubles().between(0.1e12, 10e12))
                .as((mem, bw) -> new DeviceInfo("random", mem, bw, Map.of(DType.BF16, 100e12),
                        new Interconnect("link", 100e9, 1000), new Interconnect("host", 25e9, 1000), 0, 0));
        return Arbitraries.oneOf(builtIn, random);
    }

    @Provide
    Arbitrary<ModelShape> models() {
        Arbitrary<ModelShape> builtIn = Arbitraries.of("llama-3.1-8b", "llama-3.1-70b").map(ModelProfiles::get);
        Arbitrary<ModelShape> random = Combinators.combine(
                        Arbitraries.integers().between(1, 128),
                        Arbitraries.of(1, 2, 4, 8, 16),
                        Arbitraries.of(64, 128, 256),
                        Arbitraries.longs().between(1_000_000L, 400_000_000_000L),
                        Arbitraries.of(DType.BF16, DType.FP8, DType.INT4, DType.FP32))
                .as((layers, kvHeads, headDim, params, dtype) -> new ModelShape("random-model", layers,
                        kvHeads * headDim * 4, kvHeads * 4, kvHeads, headDim, 4 * kvHeads * headDim, 32_000, params,
                        dtype, dtype == DType.INT4 ? DType.FP8 : dtype, 8192, 0));
        return Arbitraries.oneOf(builtIn, random);
    }

    @Provide
    Arbitrary<Parallelism> parallelisms() {
        return Combinators.combine(Arbitraries.of(1, 2, 4, 8, 16), Arbitraries.integers().between(1, 4))
                .as(Parallelism::new);
    }
}
