package dev.baton.cuda.device;

import dev.baton.accelerator.cpu.CpuModel;
import dev.baton.accelerator.cpu.CpuModel.Tensor;
import dev.baton.accelerator.cpu.CpuModelConfig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The CPU reference device's transformer ({@link CpuModel}: same configuration, same seed, same weights) in device
 * memory, uploaded once when the device opens. Rotary tables are uploaded as the CPU computed them, so that both
 * devices rotate by the very same floats.
 *
 * <p>Immutable after construction; the addresses are valid until the device closes.
 */
final class DeviceModel {

    final CpuModelConfig config;
    final long embedding;
    final long[] attnNorm;
    final long[] wq;
    final long[] wk;
    final long[] wv;
    final long[] wo;
    final long[] mlpNorm;
    final long[] gate;
    final long[] up;
    final long[] down;
    final long finalNorm;
    final long lmHead;
    final long ropeCos;
    final long ropeSin;

    /** Uploads {@code model}'s weights; runs on the device thread. */
    DeviceModel(CudaDevice device, CpuModel model) {
        this.config = model.config();
        int l = config.layers();
        attnNorm = new long[l];
        wq = new long[l];
        wk = new long[l];
        wv = new long[l];
        wo = new long[l];
        mlpNorm = new long[l];
        gate = new long[l];
        up = new long[l];
        down = new long[l];
        try (Arena scratch = Arena.ofConfined()) {
            Uploader u = new Uploader(device, model, scratch);
            embedding = u.upload(Tensor.EMBEDDING, 0);
            for (int i = 0; i < l; i++) {
                attnNorm[i] = u.upload(Tensor.ATTN_NORM, i);
                wq[i] = u.upload(Tensor.WQ, i);
                wk[i] = u.upload(Tensor.WK, i);
                wv[i] = u.upload(Tensor.WV, i);
                wo[i] = u.upload(Tensor.WO, i);
                mlpNorm[i] = u.upload(Tensor.MLP_NORM, i);
                gate[i] = u.upload(Tensor.GATE, i);
                up[i] = u.upload(Tensor.UP, i);
                down[i] = u.upload(Tensor.DOWN, i);
            }
            finalNorm = u.upload(Tensor.FINAL_NORM, 0);
            lmHead = u.upload(Tensor.LM_HEAD, 0);
            ropeCos = u.upload(Tensor.ROPE_COS, 0);
            ropeSin = u.upload(Tensor.ROPE_SIN, 0);
        }
    }

    private record Uploader(CudaDevice device, CpuModel model, Arena scratch) {
        long upload(Tensor t, int layer) {
            float[] w = model.weights(t, layer);
            MemorySegment host = scratch.allocate(ValueLayout.JAVA_FLOAT, w.length);
            MemorySegment.copy(w, 0, host, ValueLayout.JAVA_FLOAT, 0, w.length);
            long p = device.alloc(4L * w.length);
            device.driver().copyHtoD(p, host, 4L * w.length);
            return p;
        }
    }
}
