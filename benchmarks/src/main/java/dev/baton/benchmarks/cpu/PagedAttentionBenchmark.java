package dev.baton.benchmarks.cpu;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.KvBlockAccess;
import dev.baton.accelerator.cpu.CpuAccelerator;
import dev.baton.accelerator.cpu.Kernels;
import dev.baton.api.VirtualClock;
import dev.baton.api.plan.BlockTable;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.api.request.SamplingParams;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Is paging a tax? One decode token's attention over every layer of the CPU reference model (4 layers, 8 query heads,
 * 2 KV heads, head dimension 32) at context 512 and 4096, reading the same K/V values either from a contiguous
 * {@code [context, kvHeads, headDim]} tensor per layer ({@link #contiguous}, the baseline) or through a block table of
 * shuffled ids into a paged pool {@code [numBlocks, 16, kvHeads, headDim]} four times larger than the sequence
 * ({@link #paged}). The ratio {@code paged / contiguous} is the overhead of paging; the aim is at most 1.3.
 *
 * <p>{@link #decodeStep} runs one whole decode step of the default CPU model through the SPI at the same contexts, to
 * show how much of a step attention is.
 *
 * <pre>
 *   ./mvnw -B -q -pl benchmarks -am package -DskipTests
 *   java -jar benchmarks/target/baton-benchmarks.jar 'cpu.*' -f 1 -wi 3 -w 1s -i 5 -r 1s
 * </pre>
 * On a machine shared with other work, averages of separate forks mostly measure the neighbours; compare the minima of
 * sampling mode instead ({@code -bm sample -tu us}, rows {@code :p0.00}), which interference can only raise.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PagedAttentionBenchmark {

    private static final int LAYERS = 4;
    private static final int HEADS = 8;
    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 32;
    private static final int KV_DIM = KV_HEADS * HEAD_DIM;
    private static final int BLOCK = 16;

    @Param({"512", "4096"})
    public int context;

    private float[][] kPaged;
    private float[][] vPaged;
    private float[][] kContiguous;
    private float[][] vContiguous;
    private int[] table;
    private final float[] q = new float[HEADS * HEAD_DIM];
    private final float[] out = new float[HEADS * HEAD_DIM];
    private float[] scores;
    private final float scale = (float) (1 / Math.sqrt(HEAD_DIM));

    private CpuAccelerator device;
    private StepPlan plan;
    private StepResult result;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(42);
        int blocks = (context + BLOCK - 1) / BLOCK;
        int poolBlocks = 4 * blocks + 1;
        List<Integer> ids = new ArrayList<>();
        for (int b = 1; b < poolBlocks; b++) {
            ids.add(b);
        }
        Collections.shuffle(ids, new Random(7));
        table = new int[blocks];
        for (int b = 0; b < blocks; b++) {
            table[b] = ids.get(b);
        }
        kPaged = new float[LAYERS][poolBlocks * BLOCK * KV_DIM];
        vPaged = new float[LAYERS][poolBlocks * BLOCK * KV_DIM];
        kContiguous = new float[LAYERS][context * KV_DIM];
        vContiguous = new float[LAYERS][context * KV_DIM];
        for (int l = 0; l < LAYERS; l++) {
            for (int p = 0; p < context; p++) {
                int paged = (table[p / BLOCK] * BLOCK + p % BLOCK) * KV_DIM;
                for (int d = 0; d < KV_DIM; d++) {
                    float k = (float) rnd.nextGaussian();
                    float v = (float) rnd.nextGaussian();
                    kContiguous[l][p * KV_DIM + d] = k;
                    vContiguous[l][p * KV_DIM + d] = v;
                    kPaged[l][paged + d] = k;
                    vPaged[l][paged + d] = v;
                }
            }
        }
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) rnd.nextGaussian();
        }
        scores = new float[(context + 1) * HEADS];

        // A whole decode step of the default model at this context: KV filled with data through KvBlockAccess.
        device = new CpuAccelerator(AcceleratorConfig.builder().clock(new VirtualClock()).blockSize(BLOCK)
                .numGpuBlocksOverride(poolBlocks).option("cpu.max-model-len", String.valueOf(context + 1)).build());
        byte[] data = new byte[(int) device.kvLayout().bytesPerBlock()];
        for (int b = 0; b < blocks + 1; b++) {
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) rnd.nextInt(0x40);
            }
            device.writeBlock(KvBlockAccess.Tier.DEVICE, ids.get(b), data, 0);
        }
        int[] decodeTable = new int[blocks + 1];
        for (int b = 0; b <= blocks; b++) {
            decodeTable[b] = ids.get(b);
        }
        BlockTable bt = new BlockTable() {
            @Override
            public int size() {
                return decodeTable.length;
            }

            @Override
            public int blockId(int index) {
                return decodeTable[index];
            }
        };
        plan = new StepPlan();
        plan.clear(0);
        int i = plan.addSequence(0, 1, SamplingParams.greedy(1), 0, context, 0, StepPlan.FLAG_SAMPLE);
        plan.addToken(1);
        plan.setBlockTable(i, 0, bt, decodeTable.length);
        result = new StepResult(device.model().vocabSize(), 0);
    }

    @Benchmark
    public float contiguous() {
        for (int l = 0; l < LAYERS; l++) {
            Kernels.attendContiguous(q, 0, kContiguous[l], vContiguous[l], 0, context, HEADS, KV_HEADS, HEAD_DIM,
                    scale, scores, out, 0);
        }
        return out[0];
    }

    @Benchmark
    public float paged() {
        for (int l = 0; l < LAYERS; l++) {
            Kernels.attendPaged(q, 0, kPaged[l], vPaged[l], table, 0, BLOCK, context, HEADS, KV_HEADS, HEAD_DIM,
                    scale, scores, out, 0);
        }
        return out[0];
    }

    @Benchmark
    public int decodeStep() {
        device.execute(plan, result);
        return result.sampled(0, 0);
    }
}
