package dev.baton.accelerator.cost;

import dev.baton.accelerator.DType;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.Interconnect;
import dev.baton.accelerator.KvCapacityPlanner;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;
import dev.baton.accelerator.StepShape;
import dev.baton.accelerator.sim.HardwareProfiles;
import dev.baton.accelerator.sim.ModelProfiles;
import dev.baton.api.plan.BlockMoveKind;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cost model's contract, over the built-in device and model profiles (measured, borrowed and roofline tiers alike)
 * and over random devices and models: adding tokens, context, sequences or block moves never makes a step faster, and
 * no decode step beats streaming the device's weights at datasheet bandwidth.
 */
class CostModelPropertiesTest {

    /** One sequence of a batch, as a scheduler feeds {@link StepShape#addSequence}. */
    record Seq(int newTokens, int context, int drafts, boolean samples) {
        Seq withTokens(int extra) {
            return new Seq(newTokens + extra, context, drafts, samples);
        }

        Seq withContext(int extra) {
            return new Seq(newTokens, context + extra, drafts, samples);
        }
    }

    record Batch(List<Seq> seqs, int swapIn, int swapOut, int copies) {
        StepShape shape() {
            StepShape s = new StepShape();
            for (Seq q : seqs) {
                s.addSequence(q.newTokens, q.context, q.drafts, q.samples);
            }
            s.addMoves(BlockMoveKind.SWAP_IN, swapIn);
            s.addMoves(BlockMoveKind.SWAP_OUT, swapOut);
            s.addMoves(BlockMoveKind.COPY, copies);
            return s;
        }

        Batch with(int i, Seq q) {
            List<Seq> l = new ArrayList<>(seqs);
            l.set(i, q);
            return new Batch(l, swapIn, swapOut, copies);
        }
    }

    record Setup(DeviceInfo device, ModelShape model, Parallelism par) {
        CalibratedCostModel costModel() {
            return CostModels.forDevice(device, model, par, 16);
        }
    }

    @Property(tries = 4000)
    void adding_tokens_to_a_sequence_never_makes_a_step_faster(@ForAll("setups") Setup setup,
                                                                @ForAll("batches") Batch batch,
                                                                @ForAll @IntRange(min = 0, max = 1000) int pick,
                                                                @ForAll @IntRange(min = 1, max = 600) int extra) {
        CalibratedCostModel m = setup.costModel();
        int i = pick % batch.seqs().size();
        Batch more = batch.with(i, batch.seqs().get(i).withTokens(extra));
        assertThat(m.stepNanos(more.shape())).isGreaterThanOrEqualTo(m.stepNanos(batch.shape()));
    }

    @Property(tries = 4000)
    void longer_kv_never_makes_a_step_faster(@ForAll("setups") Setup setup, @ForAll("batches") Batch batch,
                                             @ForAll @IntRange(min = 0, max = 1000) int pick,
                                             @ForAll @IntRange(min = 1, max = 20_000) int extra) {
        CalibratedCostModel m = setup.costModel();
        int i = pick % batch.seqs().size();
        Batch more = batch.with(i, batch.seqs().get(i).withContext(extra));
        assertThat(m.stepNanos(more.shape())).isGreaterThanOrEqualTo(m.stepNanos(batch.shape()));
    }

    @Property(tries = 4000)
    void another_sequence_never_makes_a_step_faster(@ForAll("setups") Setup setup, @ForAll("batches") Batch batch,
                                                    @ForAll("seqs") Seq extra) {
        CalibratedCostModel m = setup.costModel();
        List<Seq> l = new ArrayList<>(batch.seqs());
        l.add(extra);
        Batch more = new Batch(l, batch.swapIn(), batch.swapOut(), batch.copies());
        assertThat(m.stepNanos(more.shape())).isGreaterThanOrEqualTo(m.stepNanos(batch.shape()));
    }

    @Property(tries = 3000)
    void block_moves_never_make_a_step_faster(@ForAll("setups") Setup setup, @ForAll("batches") Batch batch,
                                              @ForAll @IntRange(min = 1, max = 64) int moves,
                                              @ForAll BlockMoveKind kind) {
        CalibratedCostModel m = setup.costModel();
        StepShape s = batch.shape();
        long before = m.stepNanos(s);
        s.addMoves(kind, moves);
        assertThat(m.stepNanos(s)).isGreaterThan(before);
    }

    @Property(tries = 4000)
    void a_decode_step_never_beats_streaming_the_weights(@ForAll("setups") Setup setup,
                                                         @ForAll @IntRange(min = 1, max = 256) int seqs,
                                                         @ForAll @IntRange(min = 1, max = 32_768) int context) {
        CalibratedCostModel m = setup.costModel();
        StepShape s = new StepShape();
        for (int i = 0; i < seqs; i++) {
            s.addDecode(context - i % Math.max(1, context));
        }
        double weightsBound = KvCapacityPlanner.weightBytesPerDevice(setup.model(), setup.par())
                / setup.device().memoryBandwidth() * 1e9;
        assertThat((double) m.stepNanos(s)).isGreaterThanOrEqualTo(weightsBound);
    }

    @Property(tries = 100)
    void an_empty_step_costs_only_its_moves(@ForAll("setups") Setup setup,
                                            @ForAll @IntRange(min = 0, max = 8) int copies) {
        StepShape s = new StepShape().addMoves(BlockMoveKind.COPY, copies);
        CalibratedCostModel m = setup.costModel();
        assertThat(m.stepNanos(s)).isEqualTo(m.moveNanos(s));
    }

    // ------------------------------------------------------------------ generators

    @Provide
    Arbitrary<Setup> setups() {
        Arbitrary<Setup> builtIn = Combinators.combine(
                Arbitraries.of(names(HardwareProfiles.names())).map(HardwareProfiles::get),
                Arbitraries.of(names(ModelProfiles.names())).map(ModelProfiles::get),
                Arbitraries.of(1, 2, 4, 8), Arbitraries.of(1, 1, 2))
                .as((d, m, tp, pp) -> new Setup(d, m, new Parallelism(tp, pp)));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, builtIn),
                net.jqwik.api.Tuple.of(1, randomSetups()));
    }

    private static Arbitrary<Setup> randomSetups() {
        Arbitrary<DeviceInfo> devices = Combinators.combine(
                Arbitraries.longs().between(8L << 30, 256L << 30),
                Arbitraries.doubles().between(0.3e12, 8e12),
                Arbitraries.doubles().between(20e12, 2500e12),
                Arbitraries.doubles().between(10e9, 900e9))
                .as((mem, bw, flops, link) -> new DeviceInfo("synthetic", mem, bw, Map.of(DType.BF16, flops),
                        new Interconnect("link", link, 5_000), new Interconnect("host", 25e9, 10_000), 64L << 30, 0));
        Arbitrary<ModelShape> models = Combinators.combine(
                Arbitraries.integers().between(1, 96),
                Arbitraries.of(1024, 2048, 4096, 8192),
                Arbitraries.of(1, 2, 4, 8),
                Arbitraries.of(2048, 8192, 28_672),
                Arbitraries.of(32_000, 128_256))
                .as((layers, hidden, kvHeads, inter, vocab) -> {
                    int heads = hidden / 128;
                    long params = (long) layers * (4L * hidden * hidden + 3L * hidden * inter) + 2L * vocab * hidden;
                    return new ModelShape("synthetic", layers, hidden, heads, Math.min(kvHeads, heads), 128, inter,
                            vocab, params, DType.BF16, DType.BF16, 32_768, 0);
                });
        return Combinators.combine(devices, models, Arbitraries.of(1, 2, 4, 8))
                .as((d, m, tp) -> new Setup(d, m, Parallelism.tp(tp)));
    }

    @Provide
    Arbitrary<Seq> seqs() {
        Arbitrary<Seq> decode = Combinators.combine(Arbitraries.integers().between(1, 32_768),
                        Arbitraries.integers().between(0, 4), Arbitraries.of(true, true, false))
                .as((ctx, drafts, samples) -> new Seq(1 + drafts, ctx, drafts, samples));
        Arbitrary<Seq> prefill = Combinators.combine(Arbitraries.integers().between(1, 4096),
                        Arbitraries.integers().between(0, 16_384), Arbitraries.of(true, false))
                .as((n, ctx, samples) -> new Seq(n, ctx, 0, samples));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, decode), net.jqwik.api.Tuple.of(1, prefill));
    }

    @Provide
    Arbitrary<Batch> batches() {
        return Combinators.combine(seqs().list().ofMinSize(1).ofMaxSize(48),
                        Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 4),
                        Arbitraries.integers().between(0, 4))
                .as(Batch::new);
    }

    private static List<String> names(Iterable<String> it) {
        List<String> l = new ArrayList<>();
        it.forEach(l::add);
        return l;
    }
}
