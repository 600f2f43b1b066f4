package dev.baton.accelerator.cost;

import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.KvCapacityPlanner;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;
import dev.baton.accelerator.StepShape;
import dev.baton.accelerator.sim.HardwareProfiles;
import dev.baton.accelerator.sim.ModelProfiles;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The shipped calibration, checked without the profiles it was fitted to: a few published measurements reproduced
 * from the committed coefficients, physical bounds, and which tier each configuration gets.
 *
 * <p>The measured values quoted here are single rows of the public profiles (LLMServingSim, MIT; Vidur, MIT), named
 * by table and row; {@code baton calibrate} compares against every row.
 */
class CalibratedCostModelTest {

    private static final ModelShape LLAMA_8B = ModelProfiles.get("llama-3.1-8b");
    private static final ModelShape LLAMA_70B = ModelProfiles.get("llama-3.1-70b");

    private static CalibratedCostModel model(String device, ModelShape m, int tp) {
        return CostModels.forDevice(HardwareProfiles.get(device), m, Parallelism.tp(tp), 16);
    }

    @Test
    void reproduces_measured_operator_calls_from_the_committed_coefficients() {
        CalibratedCostModel rtx = model("rtxpro6000", LLAMA_8B, 1);
        // LLMServingSim perf/RTXPRO6000/.../tp1/per_sequence.csv: lm_head,1,714.006
        assertThat(rtx.operatorNanos(Operator.LM_HEAD, 1)).isCloseTo(714_006, within(0.10 * 714_006));
        // dense.csv: gate_up_proj,2048,1152.8 (us)
        assertThat(rtx.operatorNanos(Operator.GATE_UP_PROJ, 2048)).isCloseTo(1_152_800, within(0.10 * 1_152_800));
        // LLMServingSim v0/H100/Llama-3.1-8B/tp1/layers.csv: lm_head,2048,0,1,2866336 (ns)
        CalibratedCostModel h100 = model("h100", LLAMA_8B, 1);
        assertThat(h100.operatorNanos(Operator.LM_HEAD, 2048)).isCloseTo(2_866_336, within(0.10 * 2_866_336));
    }

    @Test
    void reproduces_measured_attention_batches_from_the_committed_coefficients() {
        CalibratedCostModel rtx = model("rtxpro6000", LLAMA_8B, 1);
        // attention.csv: 1024,0,0,0,61.1 (one 1024-token prefill chunk)
        StepShape prefill = new StepShape().addSequence(1024, 0, 0, false);
        assertThat(rtx.attentionNanos(prefill)).isCloseTo(61_100, within(0.10 * 61_100));
        // attention.csv: 16,0,16,16384,1100.5 (a 16-token chunk with 16 decodes at 16k context: a mixed batch)
        StepShape mixed = new StepShape().addSequence(16, 0, 0, false);
        for (int i = 0; i < 16; i++) {
            mixed.addSequence(1, 16_384, 0, false);
        }
        assertThat(rtx.attentionNanos(mixed)).isCloseTo(1_100_500, within(0.10 * 1_100_500));
    }

    @Test
    void a_mixed_batch_pays_the_varlen_kernel_where_decodes_alone_split_their_kv() {
        CalibratedCostModel rtx = model("rtxpro6000", LLAMA_8B, 1);
        StepShape decodes = new StepShape();
        for (int i = 0; i < 16; i++) {
            decodes.addDecode(16_384);
        }
        StepShape mixed = new StepShape().addSequence(16, 0, 0, false);
        for (int i = 0; i < 16; i++) {
            mixed.addDecode(16_384);
        }
        // Measured: 16 decodes at 16k alone 729 us (split-KV); with a 16-token chunk 1100 us (varlen).
        assertThat(rtx.attentionNanos(mixed)).isGreaterThan(1.3 * rtx.attentionNanos(decodes));
    }

    @Test
    void h100_llama_8b_decode_at_batch_one_sits_in_a_plausible_band_above_the_weights_bound() {
        CalibratedCostModel h100 = model("h100", LLAMA_8B, 1);
        long step = h100.stepNanos(new StepShape().addDecode(1000));
        double weightsBound = LLAMA_8B.weightBytes() / HardwareProfiles.get("h100").memoryBandwidth() * 1e9;
        assertThat(weightsBound).isCloseTo(4.79e6, within(0.02e6));
        // At least the 4.8 ms of streaming 16 GB at 3.35 TB/s; at most that over an efficiency of 0.4 (the H100
        // profile times eager Hugging Face modules, which land near 0.48).
        assertThat((double) step).isBetween(weightsBound, weightsBound / 0.4);
    }

    @Test
    void every_step_sits_on_or_above_the_datasheet_roofline() {
        for (String device : HardwareProfiles.names()) {
            for (ModelShape m : new ModelShape[] {LLAMA_8B, LLAMA_70B}) {
                for (int tp : new int[] {1, 2, 4, 8}) {
                    CalibratedCostModel cm = model(device, m, tp);
                    for (StepShape s : shapes()) {
                        assertThat((double) cm.stepNanos(s)).as(cm.describe() + " " + s)
                                .isGreaterThanOrEqualTo(cm.floorNanos(s));
                        // The fitted forward pass itself is not absurdly far above the roofline either.
                        assertThat(cm.forwardNanos(s)).as(cm.describe() + " " + s)
                                .isLessThan(40 * cm.floorNanos(s));
                    }
                }
            }
        }
    }

    @Test
    void a_larger_batch_of_decodes_costs_less_per_token() {
        CalibratedCostModel cm = model("rtxpro6000", LLAMA_8B, 1);
        StepShape one = new StepShape().addDecode(2000);
        StepShape many = new StepShape();
        for (int i = 0; i < 64; i++) {
            many.addDecode(2000);
        }
        assertThat(cm.stepNanos(many) / 64.0).isLessThan(cm.stepNanos(one) / 4.0);
    }

    @Test
    void measured_configurations_use_their_curves_and_others_say_where_theirs_come_from() {
        assertThat(model("h100", LLAMA_8B, 1).operatorFidelity()).isEqualTo(CalibratedCostModel.Fidelity.MEASURED);
        assertThat(model("h100", LLAMA_8B, 1).attentionFidelity()).isEqualTo(CalibratedCostModel.Fidelity.MEASURED);
        assertThat(model("rtxpro6000", LLAMA_8B, 2).operatorFidelity())
                .isEqualTo(CalibratedCostModel.Fidelity.MEASURED);
        assertThat(model("h100", LLAMA_70B, 4).allReduceFidelity()).isEqualTo(CalibratedCostModel.Fidelity.MEASURED);
        // H200 is an H100 with 1.43x the bandwidth: it borrows the H100 curves, rescaled.
        CalibratedCostModel h200 = model("h200", LLAMA_8B, 1);
        assertThat(h200.operatorFidelity()).isEqualTo(CalibratedCostModel.Fidelity.BORROWED);
        assertThat(h200.attentionFidelity()).isEqualTo(CalibratedCostModel.Fidelity.BORROWED);
        assertThat(h200.describe()).contains("borrowed from NVIDIA H100");
        // An A100 is like no measured device: rooflines at fitted efficiencies.
        CalibratedCostModel a100 = model("a100-80gb", LLAMA_8B, 1);
        assertThat(a100.operatorFidelity()).isEqualTo(CalibratedCostModel.Fidelity.ROOFLINE);
        assertThat(a100.attentionFidelity()).isEqualTo(CalibratedCostModel.Fidelity.ROOFLINE);
        // Unmeasured (model, tp) on a measured device: operator rooflines, the device's own attention curve.
        CalibratedCostModel tp8 = model("h100", LLAMA_70B, 8);
        assertThat(tp8.operatorFidelity()).isEqualTo(CalibratedCostModel.Fidelity.ROOFLINE);
        assertThat(tp8.attentionFidelity()).isEqualTo(CalibratedCostModel.Fidelity.MEASURED);
    }

    @Test
    void the_borrowed_h200_is_faster_than_the_h100_it_borrows_from_but_not_beyond_the_bandwidth_ratio() {
        StepShape decode = new StepShape();
        for (int i = 0; i < 8; i++) {
            decode.addDecode(1500);
        }
        double h100 = model("h100", LLAMA_8B, 1).stepNanos(decode);
        double h200 = model("h200", LLAMA_8B, 1).stepNanos(decode);
        assertThat(h200).isLessThan(h100).isGreaterThan(h100 * 3.35 / 4.8);
    }

    @Test
    void an_operator_outside_a_measured_set_is_refused_with_the_set() {
        assertThatThrownBy(() -> model("rtxpro6000", LLAMA_8B, 1).operatorNanos(Operator.Q_PROJ, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("q_proj is not one of this model's measured operators");
        // A roofline-modelled device charges any operator at its kind's roofline.
        assertThat(model("a100-80gb", LLAMA_8B, 1).operatorNanos(Operator.Q_PROJ, 1)).isPositive();
    }

    @Test
    void the_weights_bound_holds_for_every_built_in_configuration() {
        for (String device : HardwareProfiles.names()) {
            DeviceInfo d = HardwareProfiles.get(device);
            for (ModelShape m : new ModelShape[] {LLAMA_8B, LLAMA_70B}) {
                for (int tp : new int[] {1, 2, 4, 8}) {
                    Parallelism p = Parallelism.tp(tp);
                    double bound = KvCapacityPlanner.weightBytesPerDevice(m, p) / d.memoryBandwidth() * 1e9;
                    assertThat((double) model(device, m, tp).stepNanos(new StepShape().addDecode(1)))
                            .isGreaterThanOrEqualTo(bound);
                }
            }
        }
    }

    @Test
    void step_time_allocates_nothing() throws Exception {
        CalibratedCostModel cm = model("rtxpro6000", LLAMA_8B, 1);
        StepShape s = new StepShape().addSequence(512, 3000, 0, true);
        for (int i = 0; i < 32; i++) {
            s.addDecode(1500 + i);
        }
        long sink = 0;
        for (int i = 0; i < 20_000; i++) {
            sink += cm.stepNanos(s);
        }
        for (int i = 0; i < 3; i++) {
            allocatedBytes();
        }
        long a0 = allocatedBytes();
        long reading = allocatedBytes() - a0;
        long before = allocatedBytes();
        for (int i = 0; i < 20_000; i++) {
            sink += cm.stepNanos(s);
        }
        long allocated = allocatedBytes() - before - reading;
        assertThat(sink).isPositive();
        // Reading the counter allocates a little (subtracted, but it varies by a few hundred bytes); 20,000 calls
        // allocating even one 16-byte object each would be 320 KB.
        assertThat(allocated).isLessThan(16 * 1024);
    }

    /**
     * This thread's allocated bytes (HotSpot's {@code com.sun.management.ThreadMXBean}), read reflectively: the test
     * sources compile inside the module, which does not read the management modules; the tests run on the class path.
     */
    private static long allocatedBytes() throws Exception {
        Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        return (long) Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes")
                .invoke(bean);
    }

    private static StepShape[] shapes() {
        StepShape decode1 = new StepShape().addDecode(1);
        StepShape decodes = new StepShape();
        for (int i = 0; i < 128; i++) {
            decodes.addDecode(100 + 37 * i);
        }
        StepShape prefill = new StepShape().addSequence(8192, 0, 0, true);
        StepShape mixed = new StepShape().addSequence(1024, 6000, 0, false);
        for (int i = 0; i < 48; i++) {
            mixed.addSequence(4, 2000 + i, 3, true);
        }
        return new StepShape[] {decode1, decodes, prefill, mixed};
    }
}
