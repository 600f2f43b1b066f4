package dev.baton.cuda.kernels;

import dev.baton.accelerator.DType;
import dev.baton.cuda.driver.CudaDriver;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The kernels, loaded into the current context ({@code cuModuleLoadData} of the {@link KernelImage}), with a typed
 * launch method for each standalone operation. Other serving frameworks can use these on their own device pointers:
 * every method takes device addresses and a stream, queues the kernel and returns.
 *
 * <h2>Operations</h2>
 * <ul>
 *   <li>{@link #copyBlocks}: copy-on-write of whole KV blocks by (src, dst) id pairs, in every layer's K and V.</li>
 *   <li>{@link #writeKv}: a step's new K/V rows into the paged pool at the slots the plan names.</li>
 *   <li>{@link #pagedAttention}: decode attention of one query row per sequence position over the paged pool
 *   (grouped-query, float32 or bfloat16 storage, float32 arithmetic).</li>
 *   <li>{@link #verifyDrafts}: the speculative-decoding acceptance rule of
 *   {@link dev.baton.accelerator.sampling.RejectionSampler}, greedy and stochastic, draw for draw.</li>
 * </ul>
 * The pool layout is {@link dev.baton.accelerator.KvCacheLayout}'s: per layer, K and V each
 * {@code [numBlocks, blockSize, kvHeads, headDim]}.
 *
 * <p>Confined to the device thread that loaded it (its argument buffer is reused by every launch).
 */
public final class BatonKernels implements AutoCloseable {

    /** The largest grid this binding launches for 1-D kernels; they stride over the rest. */
    static final int MAX_BLOCKS = 65_535;
    /** {@link #pagedAttention}'s limits, as compiled into the kernel. */
    public static final int ATTENTION_MAX_GROUP = 8;
    public static final int ATTENTION_MAX_HEAD_DIM = 256;
    /** {@link #verifyDrafts} request flags. */
    public static final int VERIFY_GREEDY = 1;
    public static final int VERIFY_HAS_DRAFT_ROWS = 2;

    private final CudaDriver driver;
    private final Arena arena;
    private final MemorySegment module;
    private final MemorySegment[] functions;
    private final KernelArgs args;

    private BatonKernels(CudaDriver driver, Arena arena, MemorySegment module, MemorySegment[] functions) {
        this.driver = driver;
        this.arena = arena;
        this.module = module;
        this.functions = functions;
        this.args = new KernelArgs(arena);
    }

    /** Loads {@code image} into the context current on the calling thread and looks up every {@link Kernel}. */
    public static BatonKernels load(CudaDriver driver, KernelImage image) {
        Arena arena = Arena.ofConfined();
        try {
            byte[] bytes = image.bytes();
            MemorySegment fatbin = arena.allocate(bytes.length, 16);
            MemorySegment.copy(bytes, 0, fatbin, ValueLayout.JAVA_BYTE, 0, bytes.length);
            MemorySegment module = driver.moduleLoadData(fatbin);
            MemorySegment[] functions = new MemorySegment[Kernel.values().length];
            try {
                for (Kernel k : Kernel.values()) {
                    functions[k.ordinal()] = driver.moduleGetFunction(module, k.entry());
                }
            } catch (RuntimeException e) {
                driver.moduleUnload(module);
                throw e;
            }
            return new BatonKernels(driver, arena, module, functions);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The argument buffer of the next launch ({@link KernelArgs#begin()} it). */
    public KernelArgs args() {
        return args.begin();
    }

    /** Launches {@code kernel} on a {@code gridX x gridY} grid with its {@link Kernel#threads()} per block. */
    public void launch(Kernel kernel, int gridX, int gridY, MemorySegment stream, KernelArgs arguments) {
        arguments.checkFor(kernel);
        if (gridX < 1 || gridY < 1) {
            throw new IllegalArgumentException(kernel.entry() + ": empty grid " + gridX + " x " + gridY);
        }
        driver.launchKernel(functions[kernel.ordinal()], gridX, gridY, 1, kernel.threads(), 1, 1, stream,
                arguments.pointers());
    }

    /** Launches a grid-stride kernel over {@code total} elements (nothing when {@code total} is 0). */
    public void launchOver(Kernel kernel, long total, MemorySegment stream, KernelArgs arguments) {
        if (total <= 0) {
            return;
        }
        long blocks = Math.min(MAX_BLOCKS, (total + kernel.threads() - 1) / kernel.threads());
        launch(kernel, (int) blocks, 1, stream, arguments);
    }

    // ---------------------------------------------------------------- standalone operations

    /**
     * Copies whole blocks: for each pair {@code i}, block {@code pairs[2i]} to block {@code pairs[2i + 1]} in each of
     * {@code numTensors} tensors that start {@code tensorStride} bytes apart from {@code base}, a block being
     * {@code slabBytes} bytes of a tensor. No dst may be the src or dst of another pair of the same call.
     *
     * @param pairs device address of {@code 2 * numPairs} ints
     */
    public void copyBlocks(long pairs, int numPairs, long base, long tensorStride, int numTensors, long slabBytes,
                           MemorySegment stream) {
        if (numPairs == 0) {
            return;
        }
        if (numTensors > MAX_BLOCKS) {
            throw new IllegalArgumentException("at most " + MAX_BLOCKS + " tensors, got " + numTensors);
        }
        if (slabBytes % 4 != 0 || tensorStride % 4 != 0) {
            throw new IllegalArgumentException("blocks are whole 4-byte words: slab " + slabBytes + " bytes, stride "
                    + tensorStride);
        }
        launch(Kernel.COPY_BLOCKS, numPairs, numTensors, stream,
                args().ptr(pairs).i32(numPairs).ptr(base).i64(tensorStride).i32(numTensors).i64(slabBytes));
    }

    /**
     * Writes {@code rows} new K and V rows ({@code [rows, kvDim]} float32 at {@code k}, {@code v}) into one layer's
     * pool tensors at {@code slots} ({@code rows} long longs: block * blockSize + offset; negative skips the row).
     */
    public void writeKv(DType storage, long k, long v, long kCache, long vCache, long slots, int rows, int kvDim,
                        MemorySegment stream) {
        Kernel kernel = storage(storage, Kernel.WRITE_KV_F32, Kernel.WRITE_KV_BF16);
        launchOver(kernel, (long) rows * kvDim, stream,
                args().ptr(k).ptr(v).ptr(kCache).ptr(vCache).ptr(slots).i32(rows).i32(kvDim));
    }

    /**
     * Decode attention: row {@code r} of {@code q} ({@code [rows, heads, headDim]} float32) attends positions
     * {@code [0, contextLens[r])} found through the block table at {@code tables + 4 * tableOffsets[r]}; the result goes
     * to {@code out} ({@code [rows, heads, headDim]} float32).
     */
    public void pagedAttention(DType storage, long out, long q, long kCache, long vCache, long tables,
                               long tableOffsets, long contextLens, int rows, int heads, int kvHeads, int headDim,
                               int blockSize, float scale, MemorySegment stream) {
        if (heads % kvHeads != 0 || heads / kvHeads > ATTENTION_MAX_GROUP || headDim > ATTENTION_MAX_HEAD_DIM
                || kvHeads > MAX_BLOCKS) {
            throw new IllegalArgumentException("paged attention supports heads / kvHeads <= " + ATTENTION_MAX_GROUP
                    + " (a whole number) and headDim <= " + ATTENTION_MAX_HEAD_DIM + "; got " + heads + " / " + kvHeads
                    + " heads of " + headDim);
        }
        if (rows == 0) {
            return;
        }
        Kernel kernel = storage(storage, Kernel.PAGED_ATTENTION_F32, Kernel.PAGED_ATTENTION_BF16);
        launch(kernel, rows, kvHeads, stream, args().ptr(out).ptr(q).ptr(kCache).ptr(vCache).ptr(tables)
                .ptr(tableOffsets).ptr(contextLens).i32(heads).i32(kvHeads).i32(headDim).i32(blockSize).f32(scale));
    }

    /**
     * Verifies the drafts of {@code numRequests} requests (see {@code baton_verify_drafts} in the kernel source for the
     * layout of each array): request {@code r}'s drafts are {@code drafts[draftStart[r] .. draftStart[r + 1])}, its
     * {@code k + 1} target rows start at row {@code draftStart[r] + r} of {@code target}, its tokens are written from
     * {@code outTokens[draftStart[r] + r]} and their number to {@code outCounts[r]} ({@code -1}: a target row has no
     * positive entry).
     */
    public void verifyDrafts(int numRequests, int vocab, long draftStart, long drafts, long target, long draftRows,
                             long seeds, long firstPositions, long flags, long outTokens, long outCounts,
                             MemorySegment stream) {
        if (numRequests == 0) {
            return;
        }
        launch(Kernel.VERIFY_DRAFTS, numRequests, 1, stream, args().i32(vocab).ptr(draftStart).ptr(drafts).ptr(target)
                .ptr(draftRows).ptr(seeds).ptr(firstPositions).ptr(flags).ptr(outTokens).ptr(outCounts));
    }

    private static Kernel storage(DType dtype, Kernel f32, Kernel bf16) {
        return switch (dtype) {
            case FP32 -> f32;
            case BF16 -> bf16;
            default -> throw new IllegalArgumentException("KV storage must be FP32 or BF16, got " + dtype);
        };
    }

    /** Unloads the module. */
    @Override
    public void close() {
        try {
            driver.moduleUnload(module);
        } finally {
            arena.close();
        }
    }
}
