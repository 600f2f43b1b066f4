package dev.baton.accelerator;

import dev.baton.accelerator.sim.HardwareProfiles;
import dev.baton.accelerator.sim.ModelProfiles;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

import static dev.baton.accelerator.AcceleratorConfigTest.refused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Hardware and model descriptions refuse impossible values, naming the field and the value given. */
class SpiValueValidationTest {

    private static final Interconnect LINK = new Interconnect("PCIe5", 55e9, 10_000);
    private static final Map<DType, Double> FLOPS = Map.of(DType.BF16, 989e12);

    private static DeviceInfo device(long memory, double bandwidth, Map<DType, Double> flops, long hostMemory,
                                     double price) {
        return new DeviceInfo("test GPU", memory, bandwidth, flops, LINK, LINK, hostMemory, price);
    }

    private static ModelShape model(int heads, int kvHeads, int vocab, int eos) {
        return new ModelShape("m", 32, 4096, heads, kvHeads, 128, 14336, vocab, 8_000_000_000L, DType.BF16,
                DType.BF16, 8192, eos);
    }

    // ---------------------------------------------------------------- DeviceInfo and Interconnect

    @Test
    void device_memory_and_bandwidth_must_be_positive_and_finite() {
        refused(() -> device(0, 1e12, FLOPS, 0, 0), "memoryBytes", "positive", "got 0");
        refused(() -> device(-1, 1e12, FLOPS, 0, 0), "memoryBytes", "-1");
        refused(() -> device(1, 0, FLOPS, 0, 0), "memoryBandwidth", "positive", "0.0");
        refused(() -> device(1, Double.NaN, FLOPS, 0, 0), "memoryBandwidth", "NaN");
        refused(() -> device(1, Double.POSITIVE_INFINITY, FLOPS, 0, 0), "memoryBandwidth", "finite", "Infinity");
    }

    @Test
    void peak_flops_must_name_a_type_with_positive_finite_rates() {
        refused(() -> device(1, 1, Map.of(), 0, 0), "peakFlops", "at least one data type");
        refused(() -> device(1, 1, Map.of(DType.FP8, 0.0), 0, 0), "peakFlops", "positive finite", "FP8=0.0");
        refused(() -> device(1, 1, Map.of(DType.FP8, -1.0), 0, 0), "peakFlops", "FP8=-1.0");
        refused(() -> device(1, 1, Map.of(DType.BF16, Double.NaN), 0, 0), "peakFlops", "BF16=NaN");
        refused(() -> device(1, 1, Map.of(DType.BF16, Double.POSITIVE_INFINITY), 0, 0), "peakFlops",
                "BF16=Infinity");
        Map<DType, Double> withNull = new HashMap<>();
        withNull.put(DType.BF16, null);
        refused(() -> device(1, 1, withNull, 0, 0), "peakFlops", "BF16=null");
        assertThatThrownBy(() -> device(1, 1, null, 0, 0)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("peakFlops");
    }

    @Test
    void host_memory_and_price_must_not_be_negative() {
        refused(() -> device(1, 1, FLOPS, -1, 0), "hostMemoryBytes", "negative", "-1");
        refused(() -> device(1, 1, FLOPS, 0, -0.5), "pricePerHour", ">= 0", "-0.5");
        refused(() -> device(1, 1, FLOPS, 0, Double.NaN), "pricePerHour", "NaN");
        refused(() -> device(1, 1, FLOPS, 0, Double.POSITIVE_INFINITY), "pricePerHour", "finite");
        assertThat(device(1, 1, FLOPS, 0, 0).withPricePerHour(2.5).pricePerHour()).isEqualTo(2.5);
        refused(() -> device(1, 1, FLOPS, 0, 0).withPricePerHour(-1), "pricePerHour");
    }

    @Test
    void missing_device_parts_are_refused_by_name() {
        assertThatThrownBy(() -> new DeviceInfo(null, 1, 1, FLOPS, LINK, LINK, 0, 0))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> new DeviceInfo("d", 1, 1, FLOPS, null, LINK, 0, 0))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("deviceLink");
        assertThatThrownBy(() -> new DeviceInfo("d", 1, 1, FLOPS, LINK, null, 0, 0))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("hostLink");
    }

    @Test
    void peak_flops_are_copied_and_fall_back_to_the_nearest_wider_type() {
        Map<DType, Double> flops = new EnumMap<>(DType.class);
        flops.put(DType.BF16, 100.0);
        flops.put(DType.FP32, 10.0);
        DeviceInfo d = device(1, 1, flops, 0, 0);
        flops.put(DType.BF16, 1.0);
        assertThat(d.peakFlops(DType.BF16)).isEqualTo(100.0);
        assertThat(d.peakFlops(DType.FP8)).as("no FP8 units: runs at BF16").isEqualTo(100.0);
        assertThat(d.peakFlops(DType.FP32)).isEqualTo(10.0);
        assertThat(device(1, 1, Map.of(DType.INT8, 7.0), 0, 0).peakFlops(DType.FP16)).isEqualTo(7.0);
    }

    @Test
    void interconnect_bandwidth_must_be_positive_and_finite_and_latency_not_negative() {
        refused(() -> new Interconnect("x", 0, 0), "bandwidth", "positive", "0.0");
        refused(() -> new Interconnect("x", Double.NaN, 0), "bandwidth", "NaN");
        refused(() -> new Interconnect("x", Double.POSITIVE_INFINITY, 0), "bandwidth", "finite");
        refused(() -> new Interconnect("x", 1e9, -1), "latency", "negative", "-1");
        assertThatThrownBy(() -> new Interconnect(null, 1, 0)).isInstanceOf(NullPointerException.class);
        assertThat(new Interconnect("x", 1e9, 100).transferNanos(1e9)).isEqualTo(1_000_000_100L);
    }

    // ---------------------------------------------------------------- ModelShape

    @Test
    void model_dimensions_must_be_positive_naming_the_field() {
        String[] fields = {"numLayers", "hiddenSize", "numHeads", "numKvHeads", "headDim", "intermediateSize",
                "vocabSize", "maxModelLen"};
        for (int f = 0; f < fields.length; f++) {
            int[] v = {32, 4096, 32, 8, 128, 14336, 1000, 8192};
            v[f] = 0;
            refused(() -> new ModelShape("m", v[0], v[1], v[2], v[3], v[4], v[5], v[6], 1L, DType.BF16, DType.BF16,
                    v[7], 0), fields[f] + " must be positive, got 0");
        }
        refused(() -> new ModelShape("m", 1, 1, 1, 1, 1, 1, 10, 0, DType.BF16, DType.BF16, 1, 0), "numParams",
                "got 0");
        assertThatThrownBy(() -> new ModelShape("m", 1, 1, 1, 1, 1, 1, 10, 1, null, DType.BF16, 1, 0))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("weightDtype");
        assertThatThrownBy(() -> new ModelShape("m", 1, 1, 1, 1, 1, 1, 10, 1, DType.BF16, null, 1, 0))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("kvDtype");
    }

    @Test
    void query_heads_must_be_a_multiple_of_kv_heads() {
        refused(() -> model(32, 5, 1000, 0), "numHeads (32) must be a multiple of numKvHeads (5)");
        refused(() -> model(8, 16, 1000, 0), "numHeads (8)", "numKvHeads (16)");
        assertThat(model(32, 8, 1000, 0).numKvHeads()).isEqualTo(8);
    }

    @Test
    void the_eos_token_must_lie_in_the_vocabulary() {
        refused(() -> model(32, 8, 1000, 1000), "eosTokenId", "[0, vocabSize = 1000)", "got 1000");
        refused(() -> model(32, 8, 1000, -1), "eosTokenId", "got -1");
    }

    @Test
    void kv_bytes_per_token_and_weight_bytes_follow_the_shape() {
        ModelShape llama8b = ModelProfiles.get("llama-3.1-8b");
        assertThat(llama8b.kvBytesPerToken()).isEqualTo(2.0 * 32 * 8 * 128 * 2);
        assertThat(llama8b.weightBytes()).isEqualTo(llama8b.numParams() * 2.0);
    }

    // ---------------------------------------------------------------- Parallelism

    @Property(tries = 200)
    void tensor_parallelism_that_is_not_a_power_of_two_is_refused(@ForAll("notPowersOfTwo") int tp) {
        refused(() -> Parallelism.tp(tp), "power of two", "got " + tp);
    }

    @Provide
    Arbitrary<Integer> notPowersOfTwo() {
        return Arbitraries.integers().filter(n -> n < 1 || Integer.bitCount(n) != 1);
    }

    @Property(tries = 31)
    void every_power_of_two_is_a_tensor_parallel_degree(@ForAll @IntRange(min = 0, max = 30) int log2) {
        assertThat(Parallelism.tp(1 << log2).devices()).isEqualTo(1 << log2);
    }

    @Test
    void pipeline_parallelism_below_one_is_refused() {
        refused(() -> new Parallelism(1, 0), "pipeline", ">= 1", "got 0");
        refused(() -> new Parallelism(1, -2), "pipeline", "-2");
        assertThat(new Parallelism(2, 3).devices()).isEqualTo(6);
    }

    // ---------------------------------------------------------------- KvCacheLayout and capacity planning

    @Test
    void kv_layouts_refuse_impossible_sizes() {
        refused(() -> new KvCacheLayout(0, 10, 0, 1), "blockSize", "at least 1", "got 0");
        refused(() -> new KvCacheLayout(16, 1, 0, 1), "numDeviceBlocks", "at least 2", "null block", "got 1");
        refused(() -> new KvCacheLayout(16, 10, -1, 1), "numHostBlocks", "negative", "-1");
        refused(() -> new KvCacheLayout(16, 10, 0, 0), "bytesPerBlock", "positive", "got 0");
        assertThat(new KvCacheLayout(16, 11, 0, 1).deviceTokenCapacity()).isEqualTo(160);
        assertThat(new KvCacheLayout(1024, Integer.MAX_VALUE, 0, 1).deviceTokenCapacity())
                .isEqualTo((Integer.MAX_VALUE - 1L) * 1024);
    }

    @Test
    void capacity_planning_refuses_out_of_range_arguments() {
        DeviceInfo h100 = HardwareProfiles.get("h100");
        ModelShape m = ModelProfiles.get("llama-3.1-8b");
        for (double bad : new double[] {0, -1, 1.5, Double.NaN}) {
            refused(() -> KvCapacityPlanner.plan(h100, m, Parallelism.NONE, bad, 0, 16), "gpu-memory-utilization",
                    "(0, 1]");
        }
        refused(() -> KvCapacityPlanner.plan(h100, m, Parallelism.NONE, 0.9, -1, 16), "activation reserve",
                "negative", "-1");
        refused(() -> KvCapacityPlanner.plan(h100, m, Parallelism.NONE, 0.9, 0, 0), "block-size", "at least 1",
                "got 0");
    }

    @Test
    void a_model_too_large_for_the_device_is_refused_with_the_memory_breakdown_and_what_to_change() {
        DeviceInfo rtx4090 = HardwareProfiles.get("rtx4090");
        ModelShape m = ModelProfiles.get("llama-3.1-70b");
        assertThatThrownBy(() -> KvCapacityPlanner.plan(rtx4090, m, Parallelism.NONE, 0.9, 0, 16))
                .isExactlyInstanceOf(InsufficientDeviceMemoryException.class)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tp=1").hasMessageContaining("minus weights")
                .hasMessageContaining("Raise tensor parallelism, raise gpu-memory-utilization");
    }

    @Test
    void a_plan_stays_within_its_budget() {
        KvCapacity c = KvCapacityPlanner.plan(HardwareProfiles.get("h100"), ModelProfiles.get("llama-3.1-8b"),
                Parallelism.NONE, 0.9, 2L << 30, 16);
        assertThat(c.numBlocks()).isPositive();
        assertThat(c.plannedBytes()).isLessThanOrEqualTo(c.budgetBytes());
        assertThat(c.budgetBytes()).isLessThanOrEqualTo(c.deviceBytes());
        assertThat(c.kvBytes()).isEqualTo(c.bytesPerBlock() * c.numBlocks());
    }
}
