package dev.baton.accelerator.cost;

import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.KvCapacityPlanner;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;
import dev.baton.accelerator.StepShape;

/**
 * A roofline step-time model (LLM-Viewer, arXiv 2402.16363): a step is bound by whichever is slower, moving its bytes
 * through device memory or doing its arithmetic, each at a calibrated fraction of the datasheet peak, plus a fixed
 * per-step and per-sequence overhead, tensor-parallel all-reduces and block moves.
 *
 * <pre>
 *   bytes = weights / devices + kvTokensRead x kvBytesPerToken / tp
 *   flops = (2 x params x tokens + 4 x layers x heads x headDim x attentionPairs) / devices
 *   T     = max(bytes / (BW x etaBw), flops / (F x etaF)) + overhead + perSeq x seqs + comm + moves
 * </pre>
 *
 * Monotone in every input by construction (every term is non-decreasing in tokens, context, sequences and moves).
 */
public final class RooflineCostModel implements CostModel {

    /**
     * Calibration constants.
     *
     * @param bandwidthEfficiency fraction of peak memory bandwidth reached, in (0, 1]
     * @param computeEfficiency   fraction of peak FLOP/s reached, in (0, 1]
     * @param stepOverheadNanos   fixed cost of one step (launches, sampling, host work not overlapped)
     * @param perSeqNanos         cost per scheduled sequence (sampling, metadata)
     */
    public record Coefficients(double bandwidthEfficiency, double computeEfficiency, long stepOverheadNanos,
                               long perSeqNanos) {
        public static final Coefficients DEFAULT = new Coefficients(0.8, 0.6, 1_500_000, 5_000);

        public Coefficients {
            if (!(bandwidthEfficiency > 0 && bandwidthEfficiency <= 1)) {
                throw new IllegalArgumentException("bandwidthEfficiency must be in (0, 1], got " + bandwidthEfficiency);
            }
            if (!(computeEfficiency > 0 && computeEfficiency <= 1)) {
                throw new IllegalArgumentException("computeEfficiency must be in (0, 1], got " + computeEfficiency);
            }
            if (stepOverheadNanos < 0 || perSeqNanos < 0) {
                throw new IllegalArgumentException("overheads must not be negative");
            }
        }
    }

    private final DeviceInfo device;
    private final ModelShape model;
    private final Parallelism par;
    private final Coefficients k;
    private final double weightBytesPerDevice;
    private final double kvBytesPerTokenPerDevice;
    private final double flopsPerTokenPerDevice;
    private final double attnFlopsPerPairPerDevice;
    private final double bytesPerSecond;
    private final double flopsPerSecond;
    private final double blockBytes;

    public RooflineCostModel(DeviceInfo device, ModelShape model, Parallelism par, int blockSize, Coefficients k) {
        this.device = device;
        this.model = model;
        this.par = par;
        this.k = k;
        this.weightBytesPerDevice = KvCapacityPlanner.weightBytesPerDevice(model, par);
        this.kvBytesPerTokenPerDevice = KvCapacityPlanner.kvBytesPerTokenPerDevice(model, par);
        this.flopsPerTokenPerDevice = 2.0 * model.numParams() / par.devices();
        this.attnFlopsPerPairPerDevice = 4.0 * model.numLayers() * model.numHeads() * model.headDim() / par.devices();
        this.bytesPerSecond = device.memoryBandwidth() * k.bandwidthEfficiency();
        this.flopsPerSecond = device.peakFlops(model.weightDtype()) * k.computeEfficiency();
        this.blockBytes = kvBytesPerTokenPerDevice * blockSize;
    }

    @Override
    public long stepNanos(StepShape s) {
        double seconds = 0;
        if (s.numTokens() > 0) {
            double bytes = weightBytesPerDevice + s.kvTokensRead() * kvBytesPerTokenPerDevice;
            double flops = flopsPerTokenPerDevice * s.numTokens()
                    + attnFlopsPerPairPerDevice * (s.prefillAttentionPairs() + s.decodeAttentionPairs());
            seconds = Math.max(bytes / bytesPerSecond, flops / flopsPerSecond);
            if (par.tp() > 1) {
                // Two all-reduces per layer of tokens x hidden activations (ring: 2 (t-1)/t of the data).
                double allReduceBytes = 2.0 * (par.tp() - 1) / par.tp() * s.numTokens() * model.hiddenSize() * 2;
                seconds += 2.0 * model.numLayers() * (allReduceBytes / device.deviceLink().bandwidthBytesPerSec()
                        + device.deviceLink().latencyNanos() * 1e-9);
            }
        }
        long nanos = (long) (seconds * 1e9);
        if (s.numSeqs() > 0) {
            nanos += k.stepOverheadNanos() + k.perSeqNanos() * s.numSeqs();
        }
        int swaps = s.swapInBlocks() + s.swapOutBlocks();
        if (swaps > 0) {
            nanos += device.hostLink().transferNanos(swaps * blockBytes);
        }
        if (s.copyBlocks() > 0) {
            nanos += (long) (2 * s.copyBlocks() * blockBytes / bytesPerSecond * 1e9);
        }
        return nanos;
    }

    public DeviceInfo device() {
        return device;
    }

    public ModelShape model() {
        return model;
    }
}
