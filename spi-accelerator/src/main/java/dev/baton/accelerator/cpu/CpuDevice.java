package dev.baton.accelerator.cpu;

import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.DType;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.Interconnect;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;
import dev.baton.accelerator.cost.RooflineCostModel;

import java.util.Map;

/**
 * What the CPU reference device reports about itself, and how it predicts its step times.
 *
 * <h2>Cost model</h2>
 * A roofline ({@link RooflineCostModel}) over a notional single-threaded Java core, not a measurement: the forward
 * pass runs on one thread with scalar float32 arithmetic, which the JIT sustains at roughly
 * {@value #FLOPS_PER_SECOND} FLOP/s (a multiply-add is 2 FLOP) while streaming weights and KV at
 * {@value #BYTES_PER_SECOND} bytes/s. Coefficients are 1 (the notional figures already are sustained rates); a step
 * costs {@value #STEP_OVERHEAD_NANOS} ns of fixed overhead and {@value #PER_SEQ_NANOS} ns per sequence (sampling,
 * block-table copies), and a block move goes through a {@value #MEMCPY_BYTES_PER_SECOND} bytes/s memcpy. The model
 * is monotone and cheap, which is what schedulers need; the CPU device's own measured step time is reported in
 * {@link dev.baton.api.plan.StepResult#deviceNanos()} when it runs on a real clock.
 */
final class CpuDevice {

    static final double FLOPS_PER_SECOND = 2e9;
    static final double BYTES_PER_SECOND = 10e9;
    static final double MEMCPY_BYTES_PER_SECOND = 8e9;
    static final long STEP_OVERHEAD_NANOS = 20_000;
    static final long PER_SEQ_NANOS = 5_000;

    private CpuDevice() {
    }

    static DeviceInfo info() {
        long heap = Runtime.getRuntime().maxMemory();
        Interconnect memcpy = new Interconnect("memcpy", MEMCPY_BYTES_PER_SECOND, 1_000);
        return new DeviceInfo("CPU (Java float32 reference transformer, 1 thread)", heap, BYTES_PER_SECOND,
                Map.of(DType.FP32, FLOPS_PER_SECOND), memcpy, memcpy, heap, 0);
    }

    static CostModel costModel(DeviceInfo device, ModelShape shape, int blockSize) {
        return new RooflineCostModel(device, shape, Parallelism.NONE, blockSize,
                new RooflineCostModel.Coefficients(1.0, 1.0, STEP_OVERHEAD_NANOS, PER_SEQ_NANOS));
    }
}
