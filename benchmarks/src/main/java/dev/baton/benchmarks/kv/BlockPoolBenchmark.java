package dev.baton.benchmarks.kv;

import dev.baton.kv.pool.BlockPool;
import dev.baton.kv.pool.EvictionPolicy;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * Allocate + free of KV blocks on {@link BlockPool} against a bare {@code int[]} free stack in the same run (the
 * floor any allocator with a free list pays). Reference: vLLM v1's Python pool, about 1 us per single-block
 * allocate+free and 0.4 us per block in batches of 16 on a 2-core machine.
 *
 * <p>Run: {@code java -jar benchmarks/target/baton-benchmarks.jar 'kv.BlockPool' -prof gc}; the score is ns per
 * block (allocate and free), and {@code gc.alloc.rate.norm} must be 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BlockPoolBenchmark {

    private static final int BLOCKS = 4096;

    @Param({"lru", "frequency"})
    public String policy;

    private BlockPool pool;
    private int[] stack;
    private int top;
    private final int[] batch = new int[16];
    private final int[] reversed = new int[16];

    @Setup
    public void setup() {
        pool = new BlockPool(BLOCKS + 1, true, policy.equals("lru") ? EvictionPolicy.lru() : EvictionPolicy.frequency());
        stack = new int[BLOCKS];
        for (int i = 0; i < BLOCKS; i++) {
            stack[i] = BLOCKS - i;
        }
        top = BLOCKS;
    }

    @Benchmark
    public void poolOneBlock(Blackhole bh) {
        int b = pool.allocate();
        bh.consume(b);
        pool.release(b);
    }

    @Benchmark
    public void stackOneBlock(Blackhole bh) {
        int b = stack[--top];
        bh.consume(b);
        stack[top++] = b;
    }

    @Benchmark
    @OperationsPerInvocation(16)
    public void poolBatch16(Blackhole bh) {
        pool.allocate(16, batch, 0);
        bh.consume(batch);
        for (int i = 0; i < 16; i++) {
            reversed[i] = batch[15 - i];
        }
        pool.release(reversed, 0, 16);
    }

    @Benchmark
    @OperationsPerInvocation(16)
    public void stackBatch16(Blackhole bh) {
        int t = top - 16;
        System.arraycopy(stack, t, batch, 0, 16);
        bh.consume(batch);
        for (int i = 0; i < 16; i++) {
            stack[t + i] = batch[15 - i];
        }
    }
}
