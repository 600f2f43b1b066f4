package dev.baton.benchmarks.cost;

import dev.baton.accelerator.Parallelism;
import dev.baton.accelerator.StepShape;
import dev.baton.accelerator.cost.CalibratedCostModel;
import dev.baton.accelerator.cost.CostModels;
import dev.baton.accelerator.sim.HardwareProfiles;
import dev.baton.accelerator.sim.ModelProfiles;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * What a scheduler pays to ask the cost model about a batch: {@code stepNanos} of a mixed batch (one prompt chunk
 * plus decodes), against the baseline of building that batch's {@link StepShape}, which a scheduler does anyway.
 *
 * <pre>java -jar benchmarks/target/baton-benchmarks.jar StepCostBenchmark -f 1 -wi 2 -w 1s -i 3 -r 1s</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StepCostBenchmark {

    @Param({"h100/llama-3.1-8b/1", "rtxpro6000/llama-3.1-8b/1", "a100-80gb/llama-3.1-70b/4"})
    public String config;

    @Param({"64"})
    public int decodes;

    private CalibratedCostModel model;
    private final StepShape shape = new StepShape();
    private int[] contexts;

    @Setup
    public void setUp() {
        String[] c = config.split("/");
        model = CostModels.forDevice(HardwareProfiles.get(c[0]), ModelProfiles.get(c[1]),
                Parallelism.tp(Integer.parseInt(c[2])), 16);
        contexts = new int[decodes];
        for (int i = 0; i < decodes; i++) {
            contexts[i] = 200 + 97 * i;
        }
        fill();
    }

    private StepShape fill() {
        shape.clear().addSequence(512, 3000, 0, true);
        for (int ctx : contexts) {
            shape.addDecode(ctx);
        }
        return shape;
    }

    /** Baseline: accumulating the batch's shape. */
    @Benchmark
    public StepShape buildShape() {
        return fill();
    }

    /** The cost model's answer for an already built shape. */
    @Benchmark
    public long stepNanos() {
        return model.stepNanos(shape);
    }
}
