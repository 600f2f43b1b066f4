package dev.baton.benchmarks.kv;

import dev.baton.kv.CacheKeyContext;
import dev.baton.kv.KvCacheConfig;
import dev.baton.kv.KvCacheManager;
import dev.baton.kv.KvSequence;
import dev.baton.kv.prefix.BlockHasher;
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

import java.util.concurrent.TimeUnit;

/**
 * Prefix lookup per block: read 16 tokens, hash them into the chain, probe the prefix index and verify the hit
 * against the stored tokens, through {@link KvCacheManager#lookupPrefix} on a 64-block prompt that is fully cached;
 * plus the bare block hash. Reference: vLLM v1, about 1.1 us to hash one 16-token block with SHA-256 (its default).
 *
 * <p>Scores are ns per block; {@code gc.alloc.rate.norm} must be 0 B/op. {@code lookupPerBlock} handles 64 blocks
 * per invocation, so {@code -bm sample} gives the median of undisturbed lookups on a shared machine.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PrefixLookupBenchmark {

    private static final int BLOCKS = 64;
    private static final int BLOCK_SIZE = 16;

    @Param({"FAST_128", "SHA_256"})
    public KvCacheConfig.HashAlgorithm hash;

    private KvCacheManager manager;
    private KvSequence seq;
    private ArrayTokens tokens;
    private BlockHasher hasher;
    private final int[] block = new int[BLOCK_SIZE];
    private long parent;

    @Setup
    public void setup() {
        manager = KvCacheManager.create(KvCacheConfig.builder().blockSize(BLOCK_SIZE).numDeviceBlocks(8192)
                .hashAlgorithm(hash).build());
        tokens = new ArrayTokens(BLOCKS * BLOCK_SIZE + 1, BLOCKS * BLOCK_SIZE + 1);
        KvSequence warm = manager.open(tokens, CacheKeyContext.NONE);
        manager.lookupPrefix(warm);
        manager.allocateSlots(warm, 0, tokens.length(), 0);
        manager.commit(warm, tokens.length());
        manager.free(warm);
        seq = manager.open(tokens, CacheKeyContext.NONE);
        if (manager.lookupPrefix(seq) != BLOCKS * BLOCK_SIZE) {
            throw new IllegalStateException("the prompt should be fully cached");
        }
        hasher = hash == KvCacheConfig.HashAlgorithm.SHA_256 ? BlockHasher.sha256(0) : BlockHasher.fast128(0);
        for (int i = 0; i < BLOCK_SIZE; i++) {
            block[i] = i * 31;
        }
    }

    /** Hash + index probe + token verification, per block, through the manager's lookup. */
    @Benchmark
    @OperationsPerInvocation(BLOCKS)
    public int lookupPerBlock() {
        manager.reopen(seq, tokens, CacheKeyContext.NONE); // forget the cached hashes: hash again
        return manager.lookupPrefix(seq);
    }

    /** The chain hash of one 16-token block alone. */
    @Benchmark
    public long hashOneBlock() {
        hasher.hashBlock(parent, ~parent, block, 0, BLOCK_SIZE, false, 0, 0);
        parent = hasher.lo();
        return parent;
    }
}
