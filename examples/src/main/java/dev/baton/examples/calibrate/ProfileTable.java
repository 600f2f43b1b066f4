package dev.baton.examples.calibrate;

import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;

import java.nio.file.Path;
import java.util.List;

/**
 * One public profile table read from disk, as measurements Baton's cost model can predict.
 *
 * @param engine      whose kernels the profile timed
 * @param hardware    the profile's hardware label, e.g. {@code RTXPRO6000}
 * @param device      Baton's device profile for it
 * @param model       Baton's model profile
 * @param tp          tensor-parallel degree the table was measured at
 * @param table       file name, e.g. {@code attention.csv}
 * @param path        where it was read from
 * @param rows        every row that describes a real computation
 * @param skippedRows rows left out, with {@code skipReason}
 * @param skipReason  why rows were left out (empty when none were)
 */
public record ProfileTable(Engine engine, String hardware, DeviceInfo device, ModelShape model, int tp, String table,
                           Path path,
                           List<Measurement> rows, int skippedRows, String skipReason) {

    /** Whose kernels a profile times. */
    public enum Engine {
        /** vLLM's model executor (LLMServingSim's current profiler drives a real vLLM engine). */
        VLLM,
        /** Hugging Face transformer modules run eagerly (LLMServingSim v0 layer profiles). */
        HF_EAGER,
        /** Sarathi-Serve's attention wrapper (Vidur's profiler). */
        SARATHI,
        /** A collective library (NCCL through torch.distributed). */
        NCCL
    }

    public Parallelism parallelism() {
        return Parallelism.tp(tp);
    }

    /** {@code hardware/model/tp/table}, for reports. */
    public String label() {
        return hardware + " " + shortModel() + " tp" + tp + " " + table;
    }

    public String shortModel() {
        String n = model.name();
        return n.substring(n.lastIndexOf('/') + 1);
    }
}
