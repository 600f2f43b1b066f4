package dev.baton.accelerator.cost;

import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.KvCapacityPlanner;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;
import dev.baton.accelerator.StepShape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Baton's step-time model: a sum of per-operator curves fitted to measured GPU profiles, bounded below by the
 * datasheet roofline.
 *
 * <h2>Design</h2>
 * A forward step of a Llama-style decoder is, per layer, a handful of dense operators over the step's tokens (norms,
 * QKV/O projections, rotary embedding, gate/up/down MLP, activation), one attention kernel over the whole mixed batch,
 * and (with tensor parallelism) two all-reduces; once per step an embedding lookup and a final norm over the tokens,
 * and the LM head plus sampler over the sampled positions only. This follows the per-layer decomposition of
 * LLMServingSim (Cho et al., 2024) and Vidur (Agrawal et al., MLSys 2024), whose public profiles calibrate it:
 *
 * <pre>
 *   T = layers x ( sum_layer-ops calls x op(tokens) + attention(batch) + 2 x allReduce(tokens x hidden) )
 *     + sum_model-ops op(tokens) + lmHead(sampled) + sampler(sampled) + (pp - 1) x sendRecv(tokens x hidden)
 *   step = max(T, roofline floor) + block moves
 * </pre>
 *
 * <ul>
 *   <li><b>Dense operators</b> are {@link OperatorCurve}s over each operator's roofline features (weight bytes,
 *       activation bytes and FLOPs per row, from {@link Operator}): launch + max(memory with a cache knee, compute).
 *       Where the (device, model, tp) was profiled, each operator has its own fitted curve; a device of the same
 *       class as a profiled one (H200 next to H100, {@link Calibration#BORROW_DISTANCE}) borrows its curves rescaled
 *       by the datasheet ratios; elsewhere the vLLM operator set runs at roofline efficiencies per operator kind
 *       fitted across all measured devices ({@link OperatorRoofline}).</li>
 *   <li><b>Attention</b> is an {@link AttentionCurve} per measured device (split-KV decode and varlen kernels, with
 *       wave quantisation and the grouped-query L2 spill), fitted jointly over all of that device's attention
 *       tables so that it carries to other models and TP degrees through the query-head count. A device without
 *       one borrows the curve of a measured device of the same compute class (within
 *       {@link Calibration#BORROW_DISTANCE}; H200 from H100), memory terms rescaled by the bandwidth ratio and
 *       compute terms by the peak ratio; any other device gets an {@link AttentionRoofline}.</li>
 *   <li><b>All-reduce</b> is fitted where a device's collective was measured (or one over a link of the same
 *       bandwidth), else the link's datasheet.</li>
 *   <li><b>Roofline floor</b>: no step is faster than streaming this device's weights and the KV it reads at
 *       datasheet bandwidth, nor than its FLOPs at datasheet peak ({@link #floorNanos}). A fitted curve sits above
 *       the floor on the data it was fitted to; the floor keeps extrapolations physical.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * Monotone: every term is a non-decreasing function of tokens, sequences, context, sampled positions and block
 * moves (non-negative coefficients, {@code max}/{@code min}/{@code ceil} of non-decreasing functions), so adding work
 * never makes a step faster. {@link #stepNanos} allocates nothing and costs a few dozen floating-point operations per
 * operator (about a dozen operators), so schedulers may call it for every candidate batch.
 *
 * <p>Pipeline parallelism: the step's latency runs through all stages in turn (each device holds {@code 1/pp} of the
 * layers), plus one activation transfer per stage boundary; overlap of concurrent micro-batches is not modelled.
 *
 * <p>Immutable and thread-safe.
 */
public final class CalibratedCostModel implements CostModel {

    /** Whether a part of the model was fitted to measurements of this very configuration or estimated. */
    public enum Fidelity {
        /** Fitted to profiles of this device (and, for operators, this model and TP degree). */
        MEASURED,
        /**
         * Fitted to a measured device of the same class ({@link Calibration#similarDevice}), rescaled by datasheet
         * ratios; for all-reduce, measured on a link of the same bandwidth.
         */
        BORROWED,
        /** Datasheet roofline at efficiencies fitted on other devices (for all-reduce: the link datasheet). */
        ROOFLINE
    }

    private final DeviceInfo device;
    private final ModelShape model;
    private final Parallelism par;
    private final Fidelity operatorFidelity;
    private final Fidelity attentionFidelity;
    private final Fidelity allReduceFidelity;

    private final Operator[] ops;
    private final OperatorCurve[] curves;
    private final double[] weightBytes;
    private final double[] bytesPerRow;
    private final double[] flopsPerRow;
    private final int[] calls;
    private final Operator.Scope[] scopes;

    private final AttentionCurve attention;
    private final AttentionRoofline attentionRoofline;
    private final String borrowedFrom;
    private final AllReduceCurve allReduce;
    private final Calibration calibration;

    private final int layers;
    private final double queryHeads;
    private final double kvBytesPerKeyLayer;
    private final double flopsPerPairLayer;
    private final double activationBytesPerToken;
    private final double bytesPerSecond;
    private final double flopsPerSecond;
    private final double floorWeightBytes;
    private final double floorKvBytesPerToken;
    private final double floorFlopsPerToken;
    private final double floorFlopsPerPair;
    private final double blockBytes;

    /**
     * The model for {@code model} on {@code device} split {@code par} ways, from {@code calibration}.
     *
     * @param blockSize tokens per KV block (sizes block moves)
     */
    public CalibratedCostModel(DeviceInfo device, ModelShape model, Parallelism par, int blockSize,
                               Calibration calibration) {
        this.device = Objects.requireNonNull(device, "device");
        this.model = Objects.requireNonNull(model, "model");
        this.par = Objects.requireNonNull(par, "par");
        this.calibration = Objects.requireNonNull(calibration, "calibration");
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be at least 1, got " + blockSize);
        }

        double peak = device.peakFlops(model.weightDtype());
        Calibration.MeasuredDevice similar = calibration.similarDevice(device).orElse(null);
        double memoryFactor = similar == null ? 1 : similar.bytesPerSecond() / device.memoryBandwidth();
        double computeFactor = similar == null ? 1 : similar.flopsPerSecond() / peak;

        List<Operator> opList = new ArrayList<>();
        List<OperatorCurve> curveList = new ArrayList<>();
        Map<Operator, OperatorCurve> measured =
                calibration.operators(device.name(), model.name(), par.tp()).orElse(null);
        Map<Operator, OperatorCurve> borrowed = measured != null || similar == null ? null
                : calibration.operators(similar.name(), model.name(), par.tp()).orElse(null);
        if (measured != null || borrowed != null) {
            operatorFidelity = measured != null ? Fidelity.MEASURED : Fidelity.BORROWED;
            (measured != null ? measured : borrowed).forEach((op, c) -> {
                opList.add(op);
                curveList.add(measured != null ? c : c.scaled(memoryFactor, computeFactor));
            });
            if (!opList.contains(Operator.SAMPLER)) {
                // Profiles of the model's own kernels (LLMServingSim v0) time no sampler; it is the serving engine's.
                opList.add(Operator.SAMPLER);
                curveList.add(calibration.fallback(Operator.Kind.SAMPLER).on(device, model.weightDtype()));
            }
        } else {
            operatorFidelity = Fidelity.ROOFLINE;
            for (Operator op : Operator.VLLM_LLAMA) {
                opList.add(op);
                curveList.add(calibration.fallback(op.kind()).on(device, model.weightDtype()));
            }
        }
        int n = opList.size();
        this.ops = opList.toArray(new Operator[0]);
        this.curves = curveList.toArray(new OperatorCurve[0]);
        this.weightBytes = new double[n];
        this.bytesPerRow = new double[n];
        this.flopsPerRow = new double[n];
        this.calls = new int[n];
        this.scopes = new Operator.Scope[n];
        for (int i = 0; i < n; i++) {
            weightBytes[i] = ops[i].weightBytes(model, par);
            bytesPerRow[i] = ops[i].bytesPerRow(model, par);
            flopsPerRow[i] = ops[i].flopsPerRow(model, par);
            calls[i] = ops[i].calls();
            scopes[i] = ops[i].scope();
        }

        this.attentionRoofline = calibration.fallbackAttention();
        AttentionCurve own = calibration.attention(device.name()).orElse(null);
        AttentionCurve near = own != null || similar == null ? null
                : calibration.attention(similar.name()).orElse(null);
        if (own != null) {
            this.attention = own;
            this.attentionFidelity = Fidelity.MEASURED;
        } else if (near != null) {
            this.attention = near.scaled(memoryFactor, computeFactor);
            this.attentionFidelity = Fidelity.BORROWED;
        } else {
            this.attention = null;
            this.attentionFidelity = Fidelity.ROOFLINE;
        }
        this.borrowedFrom = similar == null ? null : similar.name();

        AllReduceCurve ar = calibration.allReduce(device.name(), par.tp()).orElse(null);
        AllReduceCurve link = ar != null ? null
                : calibration.allReduceOverLink(device.deviceLink().bandwidthBytesPerSec(), par.tp()).orElse(null);
        this.allReduceFidelity = ar != null ? Fidelity.MEASURED : link != null ? Fidelity.BORROWED : Fidelity.ROOFLINE;
        this.allReduce = ar != null ? ar : link != null ? link : AllReduceCurve.of(device.deviceLink());

        this.layers = model.numLayers();
        this.queryHeads = Operator.qHeads(model, par);
        this.kvBytesPerKeyLayer = 2.0 * Operator.kvHeads(model, par) * model.headDim() * model.kvDtype().bytes();
        this.flopsPerPairLayer = 4.0 * queryHeads * model.headDim();
        this.activationBytesPerToken = model.hiddenSize() * Operator.activationBytes(model);
        this.bytesPerSecond = device.memoryBandwidth();
        this.flopsPerSecond = device.peakFlops(model.weightDtype());
        // The floor follows one token through every stage: all layers, this device's tensor-parallel share of each.
        this.floorWeightBytes = model.weightBytes() / par.tp();
        this.floorKvBytesPerToken = kvBytesPerKeyLayer * layers;
        this.floorFlopsPerToken = 2.0 * model.numParams() / par.tp();
        this.floorFlopsPerPair = flopsPerPairLayer * layers;
        this.blockBytes = KvCapacityPlanner.kvBytesPerTokenPerDevice(model, par) * blockSize;
    }

    @Override
    public long stepNanos(StepShape s) {
        double nanos = 0;
        if (s.numSeqs() > 0) {
            nanos = Math.max(forwardNanos(s), floorNanos(s));
        }
        return (long) Math.ceil(nanos) + moveNanos(s);
    }

    /** The fitted forward time of the step (no floor, no block moves), in nanoseconds. Allocation-free. */
    public double forwardNanos(StepShape s) {
        if (s.numSeqs() <= 0) {
            return 0;
        }
        double tokens = s.numTokens();
        double sampled = s.sampledPositions();
        double perLayer = 0;
        double perStep = 0;
        for (int i = 0; i < ops.length; i++) {
            switch (scopes[i]) {
                case LAYER -> perLayer += calls[i] * op(i, tokens);
                case MODEL -> perStep += calls[i] * op(i, tokens);
                case SAMPLED -> perStep += sampled > 0 ? calls[i] * op(i, sampled) : 0;
            }
        }
        perLayer += attentionNanos(s);
        perLayer += 2 * allReduceNanos(tokens * activationBytesPerToken);
        if (par.pp() > 1) {
            perStep += (par.pp() - 1) * (double) device.deviceLink().transferNanos(tokens * activationBytesPerToken);
        }
        return layers * perLayer + perStep;
    }

    /**
     * The datasheet roofline of the step: its weights and KV at full bandwidth, or its FLOPs at full peak, whichever
     * is slower. No real step beats it. Allocation-free.
     */
    public double floorNanos(StepShape s) {
        if (s.numSeqs() <= 0) {
            return 0;
        }
        double bytes = floorWeightBytes + s.kvTokensRead() * floorKvBytesPerToken;
        double flops = floorFlopsPerToken * s.numTokens()
                + floorFlopsPerPair * (s.prefillAttentionPairs() + s.decodeAttentionPairs());
        return Math.max(bytes / bytesPerSecond, flops / flopsPerSecond) * 1e9;
    }

    /**
     * Nanoseconds of one call of {@code op} over {@code rows} rows, as this model charges it. An operator outside
     * this model's set (a profile with unfused projections, on a device modelled by roofline) is charged at its
     * kind's fallback roofline, as every operator of a roofline-modelled device is.
     *
     * @throws IllegalArgumentException if the operator set was measured and does not contain {@code op}
     */
    public double operatorNanos(Operator op, double rows) {
        for (int i = 0; i < ops.length; i++) {
            if (ops[i] == op) {
                return op(i, rows);
            }
        }
        if (operatorFidelity == Fidelity.ROOFLINE) {
            return calibration.fallback(op.kind()).on(device, model.weightDtype()).nanos(
                    op.weightBytes(model, par) + op.bytesPerRow(model, par) * rows, op.flopsPerRow(model, par) * rows);
        }
        throw new IllegalArgumentException(op.profileName() + " is not one of this model's measured operators "
                + operators() + " (" + model.name() + " on " + device.name() + ", tp=" + par.tp() + ")");
    }

    /** Nanoseconds of one layer's attention for the batch {@code s}. Allocation-free. */
    public double attentionNanos(StepShape s) {
        if (attention != null) {
            return attention.nanos(queryHeads, s);
        }
        return attentionRoofline.nanos(s.numSeqs(), s.kvTokensRead(),
                s.prefillAttentionPairs() + s.decodeAttentionPairs(), s.maxSequenceLength(), kvBytesPerKeyLayer,
                flopsPerPairLayer, bytesPerSecond, flopsPerSecond);
    }

    /** Nanoseconds of one all-reduce of {@code bytes} over the tensor-parallel group (0 without TP). */
    public double allReduceNanos(double bytes) {
        return allReduce.nanos(bytes, par.tp());
    }

    /** Nanoseconds of the step's block moves: swaps over the host link, copies through device memory. */
    public long moveNanos(StepShape s) {
        long nanos = 0;
        int swaps = s.swapInBlocks() + s.swapOutBlocks();
        if (swaps > 0) {
            nanos += device.hostLink().transferNanos(swaps * blockBytes);
        }
        if (s.copyBlocks() > 0) {
            nanos += (long) Math.ceil(2 * s.copyBlocks() * blockBytes / bytesPerSecond * 1e9);
        }
        return nanos;
    }

    private double op(int i, double rows) {
        return curves[i].nanos(weightBytes[i] + bytesPerRow[i] * rows, flopsPerRow[i] * rows);
    }

    /** The operators this model charges, in order. */
    public List<Operator> operators() {
        List<Operator> l = new ArrayList<>();
        Collections.addAll(l, ops);
        return l;
    }

    public Fidelity operatorFidelity() {
        return operatorFidelity;
    }

    public Fidelity attentionFidelity() {
        return attentionFidelity;
    }

    public Fidelity allReduceFidelity() {
        return allReduceFidelity;
    }

    public DeviceInfo device() {
        return device;
    }

    public ModelShape model() {
        return model;
    }

    public Parallelism parallelism() {
        return par;
    }

    /** One line saying which parts are measured and which are roofline estimates. */
    public String describe() {
        return model.name() + " on " + device.name() + " tp=" + par.tp() + " pp=" + par.pp() + ": operators "
                + operatorFidelity + ", attention " + attentionFidelity + ", all-reduce "
                + (par.tp() > 1 ? allReduceFidelity : "n/a")
                + (borrowedFrom != null && (operatorFidelity == Fidelity.BORROWED
                        || attentionFidelity == Fidelity.BORROWED) ? " (borrowed from " + borrowedFrom + ")" : "");
    }

    @Override
    public String toString() {
        return "CalibratedCostModel[" + describe() + "]";
    }
}
