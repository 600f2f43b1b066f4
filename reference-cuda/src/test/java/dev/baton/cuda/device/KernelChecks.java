package dev.baton.cuda.device;

import dev.baton.accelerator.DType;
import dev.baton.accelerator.KvBlockAccess.Tier;
import dev.baton.accelerator.sampling.RejectionSampler;
import dev.baton.accelerator.sampling.TokenSampler;
import dev.baton.cuda.driver.CudaDriver;
import dev.baton.cuda.kernels.BatonKernels;
import dev.baton.cuda.kernels.KernelImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestReporter;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernels and the KV tiers against Java references, on whatever device {@link #driver()} gives: the emulator
 * ({@code EmulatedKernelChecksTest}, on every build machine with a C++ compiler and cuda.h) or a GPU
 * ({@code GpuKernelChecksTest}, tagged {@code gpu}, run by {@code gpu-check.sh}).
 * <ul>
 *   <li>block copy (copy-on-write) and swaps out and in are bit-exact on random data, through both copy paths;</li>
 *   <li>writing K/V rows at their slots is bit-exact (bfloat16: the round-to-nearest-even of the float);</li>
 *   <li>paged-attention decode equals a float64 reference within float32 rounding, for float32 and bfloat16 storage,
 *   grouped-query heads, block sizes 1 and 16 and contexts that end mid-block;</li>
 *   <li>the draft-verification kernel emits exactly the tokens of {@link RejectionSampler} (greedy and stochastic, with
 *   and without draft rows, with invalid drafts) for the same seeds.</li>
 * </ul>
 * Sizes come from {@link #scale()}: small enough for the emulator, large for a GPU.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class KernelChecks {

    /** The largest relative error paged attention may show against the float64 reference. */
    public static final double ATTENTION_TOLERANCE = 1e-4;

    /** How big the checks are. */
    protected record Scale(int attentionRows, int maxContext, int verifyRequests, int vocab, int poolBlocks) {
    }

    protected CudaDevice device;
    private SplittableRandom rnd;

    /** The driver to run on (the test is skipped inside when there is none). */
    protected abstract CudaDriver driver();

    protected abstract Scale scale();

    /** Opens the device once, before the first check (each check is skipped with the reason when there is none). */
    @BeforeEach
    void open() {
        if (device == null) {
            CudaDriver driver = driver();
            device = CudaDevice.open(driver, 0, KernelImage.load());
            rnd = new SplittableRandom(20260801);
        }
    }

    @AfterAll
    void close() {
        if (device != null) {
            device.close();
        }
    }

    // ------------------------------------------------------------------ block moves

    @Test
    @DisplayName("block copy by (src, dst) pairs is bit-exact in every layer's K and V (16-byte path)")
    void blockCopyIsBitExact() {
        checkCopy(3, 4, 24, DType.FP32);
    }

    @Test
    @DisplayName("block copy is bit-exact when slabs are not a multiple of 16 bytes (4-byte path)")
    void blockCopyOddSlabs() {
        checkCopy(2, 1, 6, DType.BF16);
    }

    private void checkCopy(int layers, int blockSize, int kvDim, DType storage) {
        int blocks = scale().poolBlocks();
        device.run(() -> {
            KvTiers kv = new KvTiers(device, layers, blockSize, kvDim, storage, blocks, 4);
            long total = 2L * layers * kv.tensorStride;
            byte[] before = randomBytes((int) total);
            upload(kv.base(), before);
            int[] pairs = disjointPairs(blocks, Math.min(blocks / 3, 200));
            Staging staging = new Staging(device, 1 << 16);
            long at = staging.put(pairs, pairs.length);
            staging.flush();
            kv.copyBlocks(staging.device(at), pairs.length / 2);
            byte[] after = download(kv.base(), (int) total);
            byte[] expected = before.clone();
            for (int t = 0; t < 2 * layers; t++) {
                for (int i = 0; i < pairs.length; i += 2) {
                    System.arraycopy(before, (int) (t * kv.tensorStride + pairs[i] * kv.slabBytes), expected,
                            (int) (t * kv.tensorStride + pairs[i + 1] * kv.slabBytes), (int) kv.slabBytes);
                }
            }
            assertThat(after).isEqualTo(expected);
        });
    }

    @Test
    @DisplayName("swap out and swap in move whole blocks bit-exactly between the device pool and the pinned tier")
    void swapsAreBitExact() {
        int layers = 3;
        int blockSize = 4;
        int kvDim = 16;
        int blocks = scale().poolBlocks();
        int hostBlocks = 12;
        device.run(() -> {
            KvTiers kv = new KvTiers(device, layers, blockSize, kvDim, DType.FP32, blocks, hostBlocks);
            long total = 2L * layers * kv.tensorStride;
            byte[] pool = randomBytes((int) total);
            upload(kv.base(), pool);
            byte[] block = new byte[(int) kv.bytesPerBlock];
            for (int h = 0; h < hostBlocks; h++) {
                int src = 1 + rnd.nextInt(blocks - 1);
                kv.swapOut(src, h);
                device.synchronize();
                MemorySegment.copy(kv.hostBlock(h), ValueLayout.JAVA_BYTE, 0, block, 0, block.length);
                assertThat(block).as("host block %d after SWAP_OUT of device block %d", h, src)
                        .isEqualTo(slabsOf(pool, kv, src));
                byte[] fresh = randomBytes(block.length);
                MemorySegment.copy(fresh, 0, kv.hostBlock(h), ValueLayout.JAVA_BYTE, 0, fresh.length);
                int dst = 1 + rnd.nextInt(blocks - 1);
                kv.swapIn(h, dst);
                device.synchronize();
                for (int t = 0; t < 2 * layers; t++) {
                    System.arraycopy(fresh, (int) (t * kv.slabBytes), pool, (int) (t * kv.tensorStride
                            + dst * kv.slabBytes), (int) kv.slabBytes);
                }
                assertThat(download(kv.base(), (int) total)).as("pool after SWAP_IN to device block %d", dst)
                        .isEqualTo(pool);
            }
            byte[] read = new byte[(int) kv.bytesPerBlock];
            MemorySegment buf = device.arena().allocate(kv.bytesPerBlock);
            kv.read(Tier.DEVICE, 5, buf);
            MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, read, 0, read.length);
            assertThat(read).isEqualTo(slabsOf(pool, kv, 5));
        });
    }

    // ------------------------------------------------------------------ K/V write

    @Test
    @DisplayName("new K/V rows land at their slots, float32 bit-exact and bfloat16 rounded to nearest even")
    void writeKvAtSlots() {
        for (DType storage : new DType[] {DType.FP32, DType.BF16}) {
            int layers = 1;
            int blockSize = 16;
            int kvDim = 48;
            int blocks = 24;
            int rows = 50;
            device.run(() -> {
                KvTiers kv = new KvTiers(device, layers, blockSize, kvDim, storage, blocks, 0);
                int elem = storage == DType.FP32 ? 4 : 2;
                long[] slots = new long[rows];
                List<Long> free = new ArrayList<>();
                for (long s = blockSize; s < (long) blocks * blockSize; s++) {
                    free.add(s);
                }
                for (int r = 0; r < rows; r++) {
                    slots[r] = r % 7 == 3 ? -1 : free.remove(rnd.nextInt(free.size()));
                }
                float[] k = randomFloats(rows * kvDim);
                float[] v = randomFloats(rows * kvDim);
                Staging staging = new Staging(device, 1 << 16);
                long kAt = staging.put(k, k.length);
                long vAt = staging.put(v, v.length);
                long sAt = staging.put(slots, rows);
                staging.flush();
                device.kernels().writeKv(storage, staging.device(kAt), staging.device(vAt), kv.kCache(0), kv.vCache(0),
                        staging.device(sAt), rows, kvDim, device.stream());
                byte[] pool = download(kv.base(), (int) (2 * kv.tensorStride));
                for (int r = 0; r < rows; r++) {
                    for (int e = 0; e < kvDim; e++) {
                        if (slots[r] < 0) {
                            continue;
                        }
                        long at = (slots[r] * kvDim + e) * elem;
                        assertThat(element(pool, at, storage)).isEqualTo(stored(k[r * kvDim + e], storage));
                        assertThat(element(pool, kv.tensorStride + at, storage))
                                .isEqualTo(stored(v[r * kvDim + e], storage));
                    }
                }
            });
        }
    }

    // ------------------------------------------------------------------ paged attention

    /** One attention case: its worst relative error against float64. */
    public record AttentionCase(DType storage, int heads, int kvHeads, int headDim, int blockSize, double error) {
    }

    @Test
    @DisplayName("paged-attention decode equals a float64 reference within float32 rounding (GQA, fp32 and bf16)")
    void pagedAttentionMatchesFloat64(TestReporter reporter) {
        List<AttentionCase> cases = new ArrayList<>();
        int[][] shapes = {{4, 4, 16}, {8, 2, 64}, {16, 2, 128}, {8, 1, 32}};
        for (DType storage : new DType[] {DType.FP32, DType.BF16}) {
            for (int[] shape : shapes) {
                for (int blockSize : new int[] {1, 16}) {
                    cases.add(attentionCase(storage, shape[0], shape[1], shape[2], blockSize));
                }
            }
        }
        for (DType storage : new DType[] {DType.FP32, DType.BF16}) {
            double worst = cases.stream().filter(c -> c.storage() == storage).mapToDouble(AttentionCase::error).max()
                    .orElse(0);
            reporter.publishEntry("max relative error, " + storage, String.format(java.util.Locale.ROOT,
                    "%.2e over %d cases of %d rows, contexts up to %d (tolerance %.0e)", worst, cases.size() / 2,
                    scale().attentionRows(), scale().maxContext(), ATTENTION_TOLERANCE));
        }
        for (AttentionCase c : cases) {
            assertThat(c.error()).as("%s", c).isLessThanOrEqualTo(ATTENTION_TOLERANCE);
        }
    }

    /** Runs one random attention case and returns it with its error. */
    public AttentionCase attentionCase(DType storage, int heads, int kvHeads, int headDim, int blockSize) {
        int rows = scale().attentionRows();
        int maxContext = scale().maxContext();
        int kvDim = kvHeads * headDim;
        int[] lens = new int[rows];
        int totalBlocks = 1;
        for (int r = 0; r < rows; r++) {
            lens[r] = r == 0 ? 1 : 1 + rnd.nextInt(maxContext);
            totalBlocks += (lens[r] + blockSize - 1) / blockSize;
        }
        int blocks = totalBlocks;
        return device.call(() -> {
            KvTiers kv = new KvTiers(device, 1, blockSize, kvDim, storage, blocks, 0);
            int elems = (int) (kv.tensorStride / (storage == DType.FP32 ? 4 : 2));
            float[] kData = new float[elems];
            float[] vData = new float[elems];
            for (int i = 0; i < elems; i++) {
                kData[i] = round(storage, (float) (rnd.nextDouble() * 2 - 1));
                vData[i] = round(storage, (float) (rnd.nextDouble() * 2 - 1));
            }
            upload(kv.kCache(0), encode(kData, storage));
            upload(kv.vCache(0), encode(vData, storage));
            // Block tables: a shuffled permutation of blocks 1 .. blocks - 1, handed out to the rows in turn.
            int[] perm = new int[blocks - 1];
            for (int i = 0; i < perm.length; i++) {
                perm[i] = i + 1;
            }
            for (int i = perm.length - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            int[] tableOffsets = new int[rows];
            int next = 0;
            for (int r = 0; r < rows; r++) {
                tableOffsets[r] = next;
                next += (lens[r] + blockSize - 1) / blockSize;
            }
            float[] q = randomFloats(rows * heads * headDim);
            Staging staging = new Staging(device, 1 << 20);
            long qAt = staging.put(q, q.length);
            long tAt = staging.put(perm, perm.length);
            long oAt = staging.put(tableOffsets, rows);
            long lAt = staging.put(lens, rows);
            staging.flush();
            long out = device.alloc(4L * rows * heads * headDim);
            float scale = (float) (1 / Math.sqrt(headDim));
            device.kernels().pagedAttention(storage, out, staging.device(qAt), kv.kCache(0), kv.vCache(0),
                    staging.device(tAt), staging.device(oAt), staging.device(lAt), rows, heads, kvHeads, headDim,
                    blockSize, scale, device.stream());
            float[] got = downloadFloats(out, rows * heads * headDim);
            double error = 0;
            int group = heads / kvHeads;
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < heads; h++) {
                    double[] ref = attention(q, (r * heads + h) * headDim, kData, vData, perm, tableOffsets[r],
                            lens[r], blockSize, kvDim, (h / group) * headDim, headDim, scale);
                    double norm = 0;
                    double diff = 0;
                    for (int d = 0; d < headDim; d++) {
                        norm = Math.max(norm, Math.abs(ref[d]));
                        diff = Math.max(diff, Math.abs(ref[d] - got[(r * heads + h) * headDim + d]));
                    }
                    error = Math.max(error, diff / Math.max(norm, 1e-6));
                }
            }
            device.free(out);
            return new AttentionCase(storage, heads, kvHeads, headDim, blockSize, error);
        });
    }

    /** Softmax attention of one query head in float64, KV rows found through the block table. */
    static double[] attention(float[] q, int qOff, float[] k, float[] v, int[] tables, int tableOff, int len,
                              int blockSize, int kvDim, int headOff, int headDim, float scale) {
        double[] s = new double[len];
        double max = Double.NEGATIVE_INFINITY;
        for (int p = 0; p < len; p++) {
            int row = tables[tableOff + p / blockSize] * blockSize + p % blockSize;
            double dot = 0;
            for (int d = 0; d < headDim; d++) {
                dot += (double) q[qOff + d] * k[row * kvDim + headOff + d];
            }
            s[p] = dot * scale;
            max = Math.max(max, s[p]);
        }
        double sum = 0;
        for (int p = 0; p < len; p++) {
            s[p] = Math.exp(s[p] - max);
            sum += s[p];
        }
        double[] out = new double[headDim];
        for (int p = 0; p < len; p++) {
            int row = tables[tableOff + p / blockSize] * blockSize + p % blockSize;
            for (int d = 0; d < headDim; d++) {
                out[d] += s[p] / sum * v[row * kvDim + headOff + d];
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ draft verification

    /** What the verification check found. */
    public record VerifyOutcome(int requests, int tokens, int mismatches, int accepted, int proposed) {
    }

    @Test
    @DisplayName("the draft-verification kernel emits the CPU verifier's tokens for the same seeds")
    void verifyKernelMatchesRejectionSampler(TestReporter reporter) {
        VerifyOutcome o = verifyCase(scale().verifyRequests(), scale().vocab());
        reporter.publishEntry("requests", o.requests() + " over a vocabulary of " + scale().vocab() + ": " + o.tokens()
                + " tokens, " + o.accepted() + " of " + o.proposed() + " drafts accepted, " + o.mismatches()
                + " requests differ from RejectionSampler");
        assertThat(o.mismatches()).as("%s", o).isZero();
        assertThat(o.accepted()).as("some drafts are accepted").isPositive();
        assertThat(o.accepted()).as("some drafts are rejected").isLessThan(o.proposed());
    }

    /** Random requests through the kernel and through {@link RejectionSampler}; counts disagreements. */
    public VerifyOutcome verifyCase(int n, int vocab) {
        int[] k = new int[n];
        int[] start = new int[n + 1];
        int[] flags = new int[n];
        long[] seeds = new long[n];
        int[] positions = new int[n];
        for (int r = 0; r < n; r++) {
            k[r] = rnd.nextInt(7);
            start[r + 1] = start[r] + k[r];
            int kind = rnd.nextInt(4);
            flags[r] = kind == 0 ? BatonKernels.VERIFY_GREEDY : kind == 1 ? BatonKernels.VERIFY_HAS_DRAFT_ROWS : 0;
            seeds[r] = rnd.nextLong();
            positions[r] = rnd.nextInt(100_000);
        }
        int drafts = start[n];
        float[] target = new float[(drafts + n) * vocab];
        float[] draftRows = new float[Math.max(1, drafts) * vocab];
        int[] draftTokens = new int[Math.max(1, drafts)];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j <= k[r]; j++) {
                distribution(target, (start[r] + r + j) * vocab, vocab);
            }
            for (int j = 0; j < k[r]; j++) {
                distribution(draftRows, (start[r] + j) * vocab, vocab);
                int pick = rnd.nextInt(10);
                int row = (start[r] + r + j) * vocab;
                draftTokens[start[r] + j] = pick == 0 ? -1 : pick < 6 ? argmaxOf(target, row, vocab)
                        : rnd.nextInt(vocab);
            }
        }
        int[] outTokens = new int[drafts + n];
        int[] outCounts = new int[n];
        device.run(() -> {
            Staging staging = new Staging(device, 1 << 20);
            long[] at = {staging.put(start, n + 1), staging.put(draftTokens, draftTokens.length),
                    staging.put(target, target.length), staging.put(draftRows, draftRows.length),
                    staging.put(seeds, n), staging.put(positions, n), staging.put(flags, n)};
            staging.flush();
            long tokensOut = device.alloc(4L * (drafts + n));
            long countsOut = device.alloc(4L * n);
            device.kernels().verifyDrafts(n, vocab, staging.device(at[0]), staging.device(at[1]),
                    staging.device(at[2]), staging.device(at[3]), staging.device(at[4]), staging.device(at[5]),
                    staging.device(at[6]), tokensOut, countsOut, device.stream());
            MemorySegment t = device.pinned(4L * (drafts + n));
            MemorySegment c = device.pinned(4L * n);
            device.driver().copyDtoHAsync(t, tokensOut, t.byteSize(), device.stream());
            device.driver().copyDtoHAsync(c, countsOut, c.byteSize(), device.stream());
            device.synchronize();
            MemorySegment.copy(t, ValueLayout.JAVA_INT, 0, outTokens, 0, outTokens.length);
            MemorySegment.copy(c, ValueLayout.JAVA_INT, 0, outCounts, 0, n);
            device.free(tokensOut);
            device.free(countsOut);
            device.freePinned(t);
            device.freePinned(c);
        });
        RejectionSampler verifier = new RejectionSampler(vocab);
        int[] expected = new int[8];
        int[] argmax = new int[8];
        int mismatches = 0;
        int tokens = 0;
        int accepted = 0;
        for (int r = 0; r < n; r++) {
            int count;
            int pOff = (start[r] + r) * vocab;
            if ((flags[r] & BatonKernels.VERIFY_GREEDY) != 0) {
                for (int j = 0; j <= k[r]; j++) {
                    argmax[j] = TokenSampler.argmax(target, pOff + j * vocab, vocab);
                }
                count = RejectionSampler.verifyGreedy(draftTokens, start[r], k[r], argmax, 0, expected, 0);
            } else {
                boolean rows = (flags[r] & BatonKernels.VERIFY_HAS_DRAFT_ROWS) != 0;
                count = verifier.verify(draftTokens, start[r], k[r], target, pOff, rows ? draftRows : null,
                        start[r] * vocab, seeds[r], positions[r], expected, 0);
            }
            int[] got = Arrays.copyOfRange(outTokens, start[r] + r, start[r] + r + Math.max(0, outCounts[r]));
            if (outCounts[r] != count || !Arrays.equals(got, Arrays.copyOf(expected, count))) {
                mismatches++;
            }
            tokens += count;
            accepted += count - 1;
        }
        return new VerifyOutcome(n, tokens, mismatches, accepted, drafts);
    }

    /** A random distribution: softmax of random logits, with a random share of tokens cut to 0 (top-k like). */
    private void distribution(float[] rows, int off, int vocab) {
        double[] w = new double[vocab];
        double sum = 0;
        double spread = 1 + rnd.nextDouble() * 4;
        int keep = 1 + rnd.nextInt(vocab);
        for (int v = 0; v < vocab; v++) {
            w[v] = v < keep || rnd.nextInt(4) == 0 ? Math.exp(spread * rnd.nextGaussian()) : 0;
            sum += w[v];
        }
        for (int v = 0; v < vocab; v++) {
            rows[off + v] = (float) (w[v] / sum);
        }
    }

    private static int argmaxOf(float[] rows, int off, int vocab) {
        return TokenSampler.argmax(rows, off, vocab);
    }

    // ------------------------------------------------------------------ helpers (device thread)

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) rnd.nextInt(256);
        }
        return b;
    }

    private float[] randomFloats(int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return f;
    }

    /** {@code n} distinct (src, dst) pairs over blocks 1 .. blocks - 1, no dst used twice or as a src. */
    private int[] disjointPairs(int blocks, int n) {
        List<Integer> ids = new ArrayList<>();
        for (int b = 1; b < blocks; b++) {
            ids.add(b);
        }
        java.util.Collections.shuffle(ids, new java.util.Random(rnd.nextLong()));
        int[] dsts = new int[n];
        for (int i = 0; i < n; i++) {
            dsts[i] = ids.get(i);
        }
        int[] pairs = new int[2 * n];
        for (int i = 0; i < n; i++) {
            // Sources among the blocks that are no dst; a source may serve several pairs (a fork).
            pairs[2 * i] = ids.get(n + rnd.nextInt(ids.size() - n));
            pairs[2 * i + 1] = dsts[i];
        }
        return pairs;
    }

    private static byte[] slabsOf(byte[] pool, KvTiers kv, int block) {
        byte[] b = new byte[(int) kv.bytesPerBlock];
        for (int t = 0; t < 2 * kv.layers; t++) {
            System.arraycopy(pool, (int) (t * kv.tensorStride + block * kv.slabBytes), b, (int) (t * kv.slabBytes),
                    (int) kv.slabBytes);
        }
        return b;
    }

    private void upload(long dst, byte[] data) {
        MemorySegment m = device.pinned(data.length);
        MemorySegment.copy(data, 0, m, ValueLayout.JAVA_BYTE, 0, data.length);
        device.driver().copyHtoDAsync(dst, m, data.length, device.stream());
        device.synchronize();
        device.freePinned(m);
    }

    private byte[] download(long src, int n) {
        MemorySegment m = device.pinned(n);
        device.driver().copyDtoHAsync(m, src, n, device.stream());
        device.synchronize();
        byte[] b = m.toArray(ValueLayout.JAVA_BYTE);
        device.freePinned(m);
        return b;
    }

    private float[] downloadFloats(long src, int n) {
        MemorySegment m = device.pinned(4L * n);
        device.driver().copyDtoHAsync(m, src, 4L * n, device.stream());
        device.synchronize();
        float[] f = m.toArray(ValueLayout.JAVA_FLOAT);
        device.freePinned(m);
        return f;
    }

    private static byte[] encode(float[] values, DType storage) {
        if (storage == DType.FP32) {
            MemorySegment m = MemorySegment.ofArray(new byte[4 * values.length]);
            MemorySegment.copy(values, 0, m, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, values.length);
            return m.toArray(ValueLayout.JAVA_BYTE);
        }
        byte[] b = new byte[2 * values.length];
        for (int i = 0; i < values.length; i++) {
            short h = toBf16(values[i]);
            b[2 * i] = (byte) h;
            b[2 * i + 1] = (byte) (h >>> 8);
        }
        return b;
    }

    private static float round(DType storage, float f) {
        return storage == DType.FP32 ? f : fromBf16(toBf16(f));
    }

    /** The bits a value is stored as: float32 bits, or the bfloat16 half. */
    private static int stored(float f, DType storage) {
        return storage == DType.FP32 ? Float.floatToRawIntBits(f) : toBf16(f) & 0xFFFF;
    }

    private static int element(byte[] pool, long at, DType storage) {
        int i = (int) at;
        int lo = (pool[i] & 0xFF) | (pool[i + 1] & 0xFF) << 8;
        return storage == DType.FP32 ? lo | (pool[i + 2] & 0xFF) << 16 | (pool[i + 3] & 0xFF) << 24 : lo;
    }

    /** bfloat16 of {@code f}, rounded to nearest even (NaN stays NaN), as the kernels store it. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7f800000) == 0x7f800000 && (bits & 0x007fffff) != 0) {
            return (short) ((bits >>> 16) | 0x40);
        }
        bits += 0x7fff + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }
}
