package dev.baton.cuda.device;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.DType;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.KvBlockAccess;
import dev.baton.accelerator.KvCacheLayout;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;
import dev.baton.accelerator.StepShape;
import dev.baton.accelerator.cost.CostModels;
import dev.baton.accelerator.cpu.CpuAccelerator;
import dev.baton.accelerator.cpu.CpuModel;
import dev.baton.accelerator.cpu.CpuModelConfig;
import dev.baton.accelerator.runner.KvBlockBounds;
import dev.baton.accelerator.runner.StepRunner;
import dev.baton.api.Clock;
import dev.baton.api.VirtualClock;
import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.cuda.driver.CudaDriver;
import dev.baton.cuda.kernels.KernelImage;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The CUDA device: executes {@link StepPlan}s on the GPU with the CPU reference device's transformer (same options,
 * same seed, same weights), its KV cache in device memory in the layout of {@link KvCacheLayout}, with a pinned host
 * tier for swaps.
 *
 * <h2>Design</h2>
 * The division of labour is vLLM v1's GPU model runner: block moves, then one forward pass over every scheduled token,
 * then sampling and draft verification. The host half of a step (plan checks, placeholders, sampling and verification
 * from the logits, results) is {@link StepRunner}, shared with the CPU device, so both accept the same plans and draw
 * the same random numbers; the GPU half is {@link KvTiers} (moves) and {@link DeviceForwardPass}. With
 * {@code cuda.attention=exact} (the default) the forward pass reproduces the CPU device's arithmetic, so greedy tokens
 * and seeded samples match the CPU device's; every kernel computes each row from its own inputs only, so results never
 * depend on the batch, chunking or which blocks hold the KV.
 *
 * <h2>One step</h2>
 * {@link #launch} hands the step to the device thread, which checks the plan (a malformed plan throws
 * {@link IllegalArgumentException} before anything is queued), stages the step's inputs in pinned memory, and queues
 * on the device's stream, in order: one input copy, the block moves (SWAP_OUT and SWAP_IN as 2D copies between the
 * device and the pinned tier, runs of COPY as one copy-kernel launch each), the forward pass, and the copy of the
 * logits back. It returns while the GPU works, so the engine can build the next plan. {@link #await} waits for the
 * stream, samples on the host and writes the result. {@link StepResult#deviceNanos()} is measured with CUDA events
 * (or predicted by the cost model, which also advances the clock, when the clock is a {@link VirtualClock}).
 *
 * <h2>Threads</h2>
 * Confined to the engine thread like every {@link Accelerator}; all driver work runs on the device's own platform
 * thread ({@link dev.baton.cuda.driver.DeviceThread}).
 */
public final class CudaAccelerator implements Accelerator, KvBlockAccess {

    /** Options this provider understands ({@code cuda.*}); other {@code cuda.*} keys are rejected. */
    public static final List<String> OPTIONS = List.of("cuda.layers", "cuda.hidden", "cuda.heads", "cuda.kv-heads",
            "cuda.intermediate", "cuda.vocab", "cuda.max-model-len", "cuda.rope-theta", "cuda.eos-token",
            "cuda.kv-blocks", "cuda.host-blocks", "cuda.device", "cuda.attention");

    /** Token capacity of the device tier when neither num-gpu-blocks-override nor cuda.kv-blocks is given. */
    public static final int DEFAULT_KV_TOKENS = CpuAccelerator.DEFAULT_KV_TOKENS;

    private static final long STAGING_BYTES = 1L << 20;

    private final String providerName;
    private final ModelShape shape;
    private final KvCacheLayout layout;
    private final CostModel costModel;
    private final Clock clock;
    private final int vocab;
    private final CudaDevice device;
    private final StepRunner runner;
    private final StepShape stepShape = new StepShape();

    // Owned by the device thread.
    private KvTiers kv;
    private Staging staging;
    private DeviceForwardPass pass;
    private MemorySegment started;
    private MemorySegment finished;
    private MemorySegment blockBuffer;
    private int[] pairs = new int[16];

    // Owned by the engine thread.
    private CpuAccelerator.LogitsSink sink;
    private boolean launched;
    private long predictedNanos;
    private float[] logits = new float[0];

    /**
     * Opens device {@code cuda.device} (default 0) of an initialised {@code driver}.
     *
     * @param providerName the name this device reports ({@code "cuda"})
     * @throws IllegalArgumentException on an unknown option or profile, or an invalid model size
     */
    public CudaAccelerator(AcceleratorConfig config, CudaDriver driver, String providerName) {
        this.providerName = providerName;
        Map<String, String> modelOptions = new HashMap<>();
        for (Map.Entry<String, String> e : config.options().entrySet()) {
            String key = e.getKey();
            if (key.startsWith("cuda.") && !OPTIONS.contains(key)) {
                throw new IllegalArgumentException("unknown cuda option '" + key + "'; known: " + OPTIONS);
            }
            if (key.startsWith("cuda.")) {
                modelOptions.put("cpu." + key.substring("cuda.".length()), e.getValue());
            }
        }
        if (!config.profile().isEmpty()) {
            throw new IllegalArgumentException("the cuda provider has no profiles (got '" + config.profile()
                    + "'); size the model with options instead: " + OPTIONS);
        }
        if (!config.parallelism().equals(Parallelism.NONE)) {
            throw new IllegalArgumentException("the cuda provider runs on one device; use tensor/pipeline"
                    + " parallelism 1 (got " + config.parallelism() + ")");
        }
        String attention = config.option("cuda.attention", "exact");
        if (!attention.equals("exact") && !attention.equals("fast")) {
            throw new IllegalArgumentException("cuda.attention must be 'exact' (the CPU device's arithmetic) or"
                    + " 'fast' (the paged-attention decode kernel), got '" + attention + "'");
        }
        CpuModelConfig mc;
        try {
            mc = CpuModelConfig.fromOptions(modelOptions);
        } catch (IllegalArgumentException e) {
            // The model is the CPU device's; its checks name cpu.* keys where the user wrote cuda.* ones.
            throw new IllegalArgumentException(e.getMessage().replace("cpu.", "cuda."), e);
        }
        if (attention.equals("fast") && (mc.heads() / mc.kvHeads() > 8 || mc.headDim() > 256)) {
            throw new IllegalArgumentException("cuda.attention=fast supports at most 8 query heads per KV head and"
                    + " head dimension 256; use cuda.attention=exact for this model");
        }
        CpuModel model = new CpuModel(mc, config.seed());
        this.shape = mc.shape();
        this.vocab = mc.vocab();
        this.clock = config.clock();
        int bs = config.blockSize();
        long bytesPerBlock = 2L * mc.layers() * bs * mc.kvDim() * Float.BYTES;
        int usable = config.numGpuBlocksOverride() > 0 ? config.numGpuBlocksOverride()
                : CpuModelConfig.intOption(config.options(), "cuda.kv-blocks", (DEFAULT_KV_TOKENS + bs - 1) / bs);
        if (usable < 1 || usable > Integer.MAX_VALUE - 2) {
            throw new IllegalArgumentException("cuda.kv-blocks must be in [1, " + (Integer.MAX_VALUE - 2) + "], got "
                    + usable);
        }
        long hostDefault = Math.min(Integer.MAX_VALUE - 1L, config.hostKvBytes() / bytesPerBlock);
        int hostBlocks = CpuModelConfig.intOption(config.options(), "cuda.host-blocks", (int) hostDefault);
        if (hostBlocks < 0) {
            throw new IllegalArgumentException("cuda.host-blocks must not be negative, got " + hostBlocks);
        }
        int ordinal = deviceOrdinal(config);
        this.layout = new KvCacheLayout(bs, usable + 1, hostBlocks, bytesPerBlock);
        this.runner = new StepRunner(providerName, layout, vocab, shape.maxModelLen(),
                "set swap space or cuda.host-blocks");
        KernelImage image = KernelImage.load();
        this.device = CudaDevice.open(driver, ordinal, image);
        try {
            device.run(() -> {
                kv = new KvTiers(device, mc.layers(), bs, mc.kvDim(), DType.FP32, usable + 1, hostBlocks);
                staging = new Staging(device, STAGING_BYTES);
                DeviceModel weights = new DeviceModel(device, model);
                pass = new DeviceForwardPass(device, weights, kv, staging, attention.equals("exact"));
                started = device.event();
                finished = device.event();
                blockBuffer = device.arena().allocate(bytesPerBlock, 16);
                device.synchronize();
            });
        } catch (RuntimeException | Error e) {
            device.close();
            throw e;
        }
        this.costModel = CostModels.forDevice(device.info(), shape, Parallelism.NONE, bs);
    }

    /** The device {@code config} opens: option {@code cuda.device}, default 0. */
    static int deviceOrdinal(AcceleratorConfig config) {
        int ordinal = CpuModelConfig.intOption(config.options(), "cuda.device", 0);
        if (ordinal < 0) {
            throw new IllegalArgumentException("cuda.device must be a device ordinal >= 0, got " + ordinal);
        }
        return ordinal;
    }

    /** While {@code sink} is set, every input position's logits are passed to it in plan order, before sampling. */
    public void captureLogits(CpuAccelerator.LogitsSink sink) {
        this.sink = sink;
    }

    @Override
    public String providerName() {
        return providerName;
    }

    @Override
    public DeviceInfo deviceInfo() {
        return device.info();
    }

    @Override
    public ModelShape model() {
        return shape;
    }

    @Override
    public Parallelism parallelism() {
        return Parallelism.NONE;
    }

    @Override
    public KvCacheLayout kvLayout() {
        return layout;
    }

    @Override
    public CostModel costModel() {
        return costModel;
    }

    @Override
    public void launch(StepPlan plan) {
        if (launched) {
            throw new IllegalStateException("launch called twice without await");
        }
        boolean all = sink != null;
        device.run(() -> queueStep(plan, all));
        launched = true;
        predictedNanos = clock instanceof VirtualClock ? costModel.stepNanos(plan, stepShape) : 0;
    }

    private void queueStep(StepPlan plan, boolean allLogits) {
        pass.batch().clear();
        runner.prepare(plan, pass.batch(), allLogits);
        runner.forgetReleased();
        staging.reset();
        long[] runs = stageCopyRuns(plan);
        long[] inputs = pass.stage();
        var driver = device.driver();
        MemorySegment stream = device.stream();
        driver.eventRecord(started, stream);
        staging.flush();
        int run = 0;
        for (int m = 0; m < plan.numMoves(); ) {
            BlockMoveKind kind = plan.moveKind(m);
            if (kind == BlockMoveKind.COPY) {
                int n = (int) runs[2 * run + 1];
                kv.copyBlocks(staging.device(runs[2 * run]), n);
                run++;
                m += n;
            } else {
                if (kind == BlockMoveKind.SWAP_OUT) {
                    kv.swapOut(plan.moveSrc(m), plan.moveDst(m));
                } else {
                    kv.swapIn(plan.moveSrc(m), plan.moveDst(m));
                }
                m++;
            }
        }
        pass.run(inputs);
        driver.eventRecord(finished, stream);
    }

    /**
     * Stages the plan's COPY moves as runs of (src, dst) pairs that one kernel launch may copy together: a run ends at
     * a move of another kind, and before a pair whose src or dst is the dst of an earlier pair of the run (or whose dst
     * is an earlier src), so that the result equals copying in plan order. Returns (offset, pairs) per run.
     */
    private long[] stageCopyRuns(StepPlan plan) {
        long[] runs = new long[0];
        int numRuns = 0;
        int m = 0;
        while (m < plan.numMoves()) {
            if (plan.moveKind(m) != BlockMoveKind.COPY) {
                m++;
                continue;
            }
            int n = 0;
            while (m + n < plan.numMoves() && plan.moveKind(m + n) == BlockMoveKind.COPY
                    && independent(plan, m, n)) {
                if (pairs.length < 2 * (n + 1)) {
                    pairs = Arrays.copyOf(pairs, 4 * (n + 1));
                }
                pairs[2 * n] = plan.moveSrc(m + n);
                pairs[2 * n + 1] = plan.moveDst(m + n);
                n++;
            }
            if (runs.length < 2 * (numRuns + 1)) {
                runs = Arrays.copyOf(runs, 4 * (numRuns + 1));
            }
            runs[2 * numRuns] = staging.put(pairs, 2 * n);
            runs[2 * numRuns + 1] = n;
            numRuns++;
            m += n;
        }
        return runs;
    }

    /** Whether COPY move {@code first + n} can join the run of moves {@code first .. first + n - 1}. */
    private static boolean independent(StepPlan plan, int first, int n) {
        int src = plan.moveSrc(first + n);
        int dst = plan.moveDst(first + n);
        for (int j = first; j < first + n; j++) {
            int s = plan.moveSrc(j);
            int d = plan.moveDst(j);
            if (src == d || dst == d || dst == s) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void await(StepResult result) {
        if (!launched) {
            throw new IllegalStateException("await called without launch");
        }
        launched = false;
        long nanos = device.call(() -> {
            var driver = device.driver();
            driver.eventSynchronize(finished);
            int rows = pass.numLogits();
            if (logits.length < rows * vocab) {
                logits = new float[Math.max(rows * vocab, 2 * logits.length)];
            }
            pass.copyLogits(logits);
            return (long) (driver.eventElapsedMillis(started, finished) * 1e6);
        });
        if (sink != null) {
            for (int i = 0; i < runner.numSeqs(); i++) {
                for (int k = 0; k < runner.numTokens(i); k++) {
                    sink.accept(i, runner.position(i) + k, logits, (runner.firstLogitRow(i) + k) * vocab);
                }
            }
        }
        runner.sample(logits);
        if (clock instanceof VirtualClock vc) {
            nanos = predictedNanos;
            vc.advance(nanos);
        }
        runner.deliver(result);
        result.setDeviceNanos(nanos);
    }

    // ---------------------------------------------------------------- KvBlockAccess

    @Override
    public void readBlock(Tier tier, int blockId, byte[] dst, int offset) {
        checkBlock(tier, blockId, dst, offset, false);
        device.run(() -> {
            kv.read(tier, blockId, blockBuffer);
            MemorySegment.copy(blockBuffer, ValueLayout.JAVA_BYTE, 0, dst, offset, (int) layout.bytesPerBlock());
        });
    }

    @Override
    public void writeBlock(Tier tier, int blockId, byte[] src, int offset) {
        checkBlock(tier, blockId, src, offset, true);
        device.run(() -> {
            MemorySegment.copy(src, offset, blockBuffer, ValueLayout.JAVA_BYTE, 0, (int) layout.bytesPerBlock());
            kv.write(tier, blockId, blockBuffer);
        });
    }

    private void checkBlock(Tier tier, int blockId, byte[] buf, int offset, boolean write) {
        if (launched) {
            throw new IllegalStateException("KV blocks are accessible only between steps (a step is launched)");
        }
        KvBlockBounds.check(layout, tier, blockId, buf, offset, write);
    }

    /** Waits for queued work, then frees the pool, the weights, the kernels and the context, and stops the thread. */
    @Override
    public void close() {
        device.close();
    }
}
