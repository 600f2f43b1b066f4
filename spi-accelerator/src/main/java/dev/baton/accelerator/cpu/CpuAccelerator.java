package dev.baton.accelerator.cpu;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.DeviceException;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.KvBlockAccess;
import dev.baton.accelerator.KvCacheLayout;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;
import dev.baton.accelerator.StepShape;
import dev.baton.accelerator.runner.KvBlockBounds;
import dev.baton.accelerator.runner.StepRunner;
import dev.baton.api.Clock;
import dev.baton.api.VirtualClock;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;

import java.util.List;

/**
 * The CPU reference device: executes {@link StepPlan}s on a small Llama-style transformer ({@link CpuModel}) in plain
 * Java float32, with its KV cache in a paged pool laid out as a GPU engine lays it out ({@link KvPool}).
 *
 * <h2>Design</h2>
 * The device exists to prove that Baton's bookkeeping is invisible in the output: batching, chunked prefill,
 * preemption by recompute or swap, prefix-cache hits, copy-on-write and speculative decoding must leave the generated
 * tokens unchanged. It is therefore exact where a GPU engine is merely close: every kernel computes a row with an order
 * of operations that depends on nothing but that row ({@link Kernels}), so the logits of a token are bit-identical
 * whatever else is in the batch, how its prompt was chunked, and which physical blocks hold its KV. Sampling draws from
 * a counter-based stream keyed by {@code (seed, position)} ({@link dev.baton.accelerator.sampling.SamplingStream}), so
 * seeded sampling is reproducible under any schedule. vLLM v1's GPU model runner is the model for the division of
 * labour (block moves, then one forward pass over all scheduled tokens, then sampling and draft verification on the
 * device); FlashAttention's paged KV layout ({@code [num_blocks, block_size, kv_heads, head_dim]}) is the memory
 * layout.
 *
 * <h2>One step</h2>
 * {@link #launch} validates the whole plan first (a malformed plan is a scheduler bug and fails with an
 * {@link IllegalArgumentException} before anything happens), then, in order: forgets the released slots, performs the
 * block moves (SWAP_OUT, SWAP_IN, COPY) on the data, runs the forward pass over every sequence's input tokens (a
 * {@link StepPlan#PLACEHOLDER_TOKEN} among the non-draft inputs is the token this device last returned for the slot),
 * and samples or verifies drafts ({@link dev.baton.accelerator.sampling.RejectionSampler}) for sequences flagged
 * {@link StepPlan#FLAG_SAMPLE}. Work is done synchronously inside {@code launch}; {@link #await} hands over the result.
 * A draft input that is not a token id ({@code -1}) is computed as token 0 and always rejected. The checks, the
 * placeholders and the sampling are {@link StepRunner}'s, shared with the CUDA binding.
 *
 * <h2>Randomness</h2>
 * Greedy requests draw nothing. A sampled request's draws come from
 * {@link dev.baton.accelerator.sampling.SamplingStream} with the plan's {@linkplain StepPlan#seed(int) seed}, keyed by
 * the position of the token being produced: with {@code n} inputs of which {@code k} are drafts starting at position
 * {@code c}, the first produced token is at {@code P = c + n - k}; a plain sample uses {@code (seed, P, SAMPLE)}; draft
 * {@code j} uses {@code (seed, P + j, ACCEPT)} and, if rejected, {@code (seed, P + j, RECOVER)}; the bonus token
 * {@code (seed, P + k, SAMPLE)}. Nothing depends on the step, the batch, or the order of sequences in the plan.
 *
 * <h2>Results</h2>
 * Per sequence: nothing for a prefill chunk that does not sample; 1 token for a decode; {@code 1 .. k + 1} after
 * verifying {@code k} drafts (the accepted drafts, then the recovered or bonus token). With
 * {@link StepPlan#FLAG_WANT_PROBS}, probability row {@code j} is the target distribution (after temperature, top-k,
 * top-p; a point mass on the argmax for greedy requests) of the token at the {@code j}-th returned position.
 * {@link StepResult#deviceNanos()} is the cost model's prediction when the configured clock is a
 * {@link VirtualClock} (which it advances, keeping runs reproducible), else the measured time.
 *
 * <p>Confined to the engine thread, like every {@link Accelerator}; not thread-safe.
 */
public final class CpuAccelerator implements Accelerator, KvBlockAccess {

    /** Options this provider understands ({@code cpu.*}); other {@code cpu.*} keys are rejected. */
    public static final List<String> OPTIONS = List.of("cpu.layers", "cpu.hidden", "cpu.heads", "cpu.kv-heads",
            "cpu.intermediate", "cpu.vocab", "cpu.max-model-len", "cpu.rope-theta", "cpu.eos-token", "cpu.kv-blocks",
            "cpu.host-blocks", "cpu.fail-step");

    /** Token capacity of the device tier when neither num-gpu-blocks-override nor cpu.kv-blocks is given. */
    public static final int DEFAULT_KV_TOKENS = 8192;

    /** Receives logits of computed positions, for tests and diagnostics (see {@link #captureLogits}). */
    @FunctionalInterface
    public interface LogitsSink {
        /** Logits of sequence {@code seq}'s token at {@code position}: {@code logits[offset .. offset + vocab)}. */
        void accept(int seq, int position, float[] logits, int offset);
    }

    /** Default cap of host blocks per device block (see the constructor); {@code cpu.host-blocks} overrides it. */
    static final int HOST_TO_DEVICE_RATIO = 8;

    private final CpuModel model;
    private final ModelShape shape;
    private final DeviceInfo device;
    private final KvCacheLayout layout;
    private final CostModel costModel;
    private final Clock clock;
    private final long failStep;
    private final KvPool pool;
    private final ForwardPass pass;
    private final StepRunner runner;
    private final int vocab;
    private final StepShape stepShape = new StepShape();

    private LogitsSink sink;
    private boolean launched;
    private boolean failed;
    private long pendingNanos;
    private final float[] blockScratch;

    public CpuAccelerator(AcceleratorConfig config) {
        for (String key : config.options().keySet()) {
            if (key.startsWith("cpu.") && !OPTIONS.contains(key)) {
                throw new IllegalArgumentException("unknown cpu option '" + key + "'; known: " + OPTIONS);
            }
        }
        if (!config.profile().isEmpty()) {
            throw new IllegalArgumentException("the cpu provider has no profiles (got '" + config.profile()
                    + "'); size the model with options instead: " + OPTIONS);
        }
        if (!config.parallelism().equals(Parallelism.NONE)) {
            throw new IllegalArgumentException("the cpu provider runs on one device; use tensor/pipeline parallelism 1"
                    + " (got " + config.parallelism() + ")");
        }
        CpuModelConfig mc = CpuModelConfig.fromOptions(config.options());
        this.model = new CpuModel(mc, config.seed());
        this.shape = mc.shape();
        this.vocab = mc.vocab();
        this.clock = config.clock();
        this.failStep = CpuModelConfig.intOption(config.options(), "cpu.fail-step", -1);
        int bs = config.blockSize();
        long bytesPerBlock = 2L * mc.layers() * bs * mc.kvDim() * Float.BYTES;
        int usable;
        if (config.numGpuBlocksOverride() > 0) {
            usable = config.numGpuBlocksOverride();
        } else {
            usable = CpuModelConfig.intOption(config.options(), "cpu.kv-blocks", (DEFAULT_KV_TOKENS + bs - 1) / bs);
            if (usable < 1) {
                throw new IllegalArgumentException("cpu.kv-blocks must be positive, got " + usable);
            }
        }
        // Swap space sized for a GPU model (4 GiB by default) holds millions of this small model's blocks, which only
        // costs bookkeeping: by default the host tier holds at most HOST_TO_DEVICE_RATIO times the device tier.
        long hostDefault = Math.min((long) usable * HOST_TO_DEVICE_RATIO,
                Math.min(Integer.MAX_VALUE - 1L, config.hostKvBytes() / bytesPerBlock));
        int hostBlocks = CpuModelConfig.intOption(config.options(), "cpu.host-blocks", (int) hostDefault);
        if (hostBlocks < 0) {
            throw new IllegalArgumentException("cpu.host-blocks must not be negative, got " + hostBlocks);
        }
        if (usable > Integer.MAX_VALUE - 2) {
            throw new IllegalArgumentException("too many device KV blocks: " + usable);
        }
        // +1: block 0 is the null block, so `usable` blocks remain for sequences (as the sim provider counts).
        this.pool = new KvPool(mc.layers(), bs, mc.kvDim(), usable + 1, hostBlocks);
        this.layout = new KvCacheLayout(bs, usable + 1, hostBlocks, bytesPerBlock);
        this.device = CpuDevice.info();
        this.costModel = CpuDevice.costModel(device, shape, bs);
        this.pass = new ForwardPass(model);
        this.runner = new StepRunner(CpuAcceleratorProvider.NAME, layout, vocab, shape.maxModelLen(),
                "set swap space or cpu.host-blocks");
        this.blockScratch = new float[pool.blockFloats()];
    }

    /** The model this device runs (its weights, for reference computations in tests). */
    public CpuModel cpuModel() {
        return model;
    }

    /**
     * While {@code sink} is set, every step computes the logits of every input position (not only sampled ones) and
     * passes them to {@code sink} in plan order, before sampling. {@code null} turns capture off.
     */
    public void captureLogits(LogitsSink sink) {
        this.sink = sink;
    }

    @Override
    public String providerName() {
        return CpuAcceleratorProvider.NAME;
    }

    @Override
    public DeviceInfo deviceInfo() {
        return device;
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
        pass.batch().clear();
        try {
            runner.prepare(plan, pass.batch(), sink != null);
        } catch (IllegalArgumentException e) {
            pass.batch().clear();
            throw e;
        }
        launched = true;
        failed = failStep >= 0 && plan.stepId() == failStep;
        if (failed) {
            return;
        }
        long t0 = System.nanoTime();
        runner.forgetReleased();
        for (int m = 0; m < plan.numMoves(); m++) {
            switch (plan.moveKind(m)) {
                case SWAP_OUT -> pool.swapOut(plan.moveSrc(m), plan.moveDst(m));
                case SWAP_IN -> pool.swapIn(plan.moveSrc(m), plan.moveDst(m));
                case COPY -> pool.copy(plan.moveSrc(m), plan.moveDst(m));
            }
        }
        pass.run(pool);
        if (sink != null) {
            for (int i = 0; i < runner.numSeqs(); i++) {
                for (int k = 0; k < runner.numTokens(i); k++) {
                    sink.accept(i, runner.position(i) + k, pass.logits(), (runner.firstLogitRow(i) + k) * vocab);
                }
            }
        }
        runner.sample(pass.logits());
        long elapsed = System.nanoTime() - t0;
        if (clock instanceof VirtualClock) {
            pendingNanos = costModel.stepNanos(plan, stepShape);
        } else {
            pendingNanos = elapsed;
        }
    }

    @Override
    public void await(StepResult result) {
        if (!launched) {
            throw new IllegalStateException("await called without launch");
        }
        launched = false;
        if (failed) {
            throw new DeviceException("injected cpu device failure at step " + result.stepId() + " (cpu.fail-step)",
                    false);
        }
        if (clock instanceof VirtualClock vc) {
            vc.advance(pendingNanos);
        }
        runner.deliver(result);
        result.setDeviceNanos(pendingNanos);
    }

    @Override
    public void close() {
        // Heap memory only; nothing to release.
    }

    // ---------------------------------------------------------------- KvBlockAccess

    @Override
    public void readBlock(Tier tier, int blockId, byte[] dst, int offset) {
        checkBlock(tier, blockId, dst, offset, false);
        pool.read(tier, blockId, blockScratch);
        for (int i = 0; i < blockScratch.length; i++) {
            int bits = Float.floatToRawIntBits(blockScratch[i]);
            int at = offset + 4 * i;
            dst[at] = (byte) bits;
            dst[at + 1] = (byte) (bits >>> 8);
            dst[at + 2] = (byte) (bits >>> 16);
            dst[at + 3] = (byte) (bits >>> 24);
        }
    }

    @Override
    public void writeBlock(Tier tier, int blockId, byte[] src, int offset) {
        checkBlock(tier, blockId, src, offset, true);
        for (int i = 0; i < blockScratch.length; i++) {
            int at = offset + 4 * i;
            int bits = (src[at] & 0xFF) | (src[at + 1] & 0xFF) << 8 | (src[at + 2] & 0xFF) << 16
                    | (src[at + 3] & 0xFF) << 24;
            blockScratch[i] = Float.intBitsToFloat(bits);
        }
        pool.write(tier, blockId, blockScratch);
    }

    private void checkBlock(Tier tier, int blockId, byte[] buf, int offset, boolean write) {
        if (launched) {
            throw new IllegalStateException("KV blocks are accessible only between steps (a step is launched)");
        }
        KvBlockBounds.check(layout, tier, blockId, buf, offset, write);
    }
}
