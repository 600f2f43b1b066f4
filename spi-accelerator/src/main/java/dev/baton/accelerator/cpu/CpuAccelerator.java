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
import dev.baton.accelerator.sampling.RejectionSampler;
import dev.baton.accelerator.sampling.TokenSampler;
import dev.baton.api.Clock;
import dev.baton.api.VirtualClock;
import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.BlockTable;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.api.request.SamplingParams;

import java.util.Arrays;
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
 * and samples or verifies drafts ({@link RejectionSampler}) for sequences flagged {@link StepPlan#FLAG_SAMPLE}. Work is
 * done synchronously inside {@code launch}; {@link #await} hands over the result. A draft input that is not a token id
 * ({@code -1}) is computed as token 0 and always rejected.
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

    private static final int UNKNOWN = Integer.MIN_VALUE;
    private static final int MAX_SLOTS = 1 << 24;

    private final CpuModel model;
    private final ModelShape shape;
    private final DeviceInfo device;
    private final KvCacheLayout layout;
    private final CostModel costModel;
    private final Clock clock;
    private final long failStep;
    private final KvPool pool;
    private final ForwardPass pass;
    private final TokenSampler sampler;
    private final RejectionSampler verifier;
    private final int vocab;
    private final StepShape stepShape = new StepShape();

    private LogitsSink sink;
    private int[] lastSampled = new int[64];
    private int[] slotStamp = new int[64];
    private int stamp;

    // Per step: each sequence's first logits row.
    private int[] seqFirstLogit = new int[16];

    // Pending result.
    private boolean launched;
    private boolean failed;
    private int pendingSeqs;
    private int[] pendingCount = new int[16];
    private int[] pendingTokens = new int[64];
    private int[] pendingTokenOff = new int[16];
    private int[] pendingProbOff = new int[16];
    private float[] pendingProbs = new float[0];
    private long pendingNanos;

    // Verification scratch.
    private int[] drafts = new int[8];
    private int[] argmax = new int[8];
    private float[] p = new float[0];
    private float[] q = new float[0];
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
        long hostDefault = Math.min(Integer.MAX_VALUE - 1L, config.hostKvBytes() / bytesPerBlock);
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
        this.sampler = new TokenSampler(vocab);
        this.verifier = new RejectionSampler(vocab);
        this.blockScratch = new float[pool.blockFloats()];
        Arrays.fill(lastSampled, UNKNOWN);
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
        int n = plan.numSeqs();
        ensureSeqs(n);
        pass.clear();
        try {
            validateMovesAndReleases(plan);
            buildBatch(plan);
        } catch (IllegalArgumentException e) {
            pass.clear();
            throw e;
        }
        launched = true;
        pendingSeqs = n;
        failed = failStep >= 0 && plan.stepId() == failStep;
        if (failed) {
            return;
        }
        long t0 = System.nanoTime();
        for (int r = 0; r < plan.numReleased(); r++) {
            int slot = plan.releasedSlot(r);
            if (slot < lastSampled.length) {
                lastSampled[slot] = UNKNOWN;
            }
        }
        for (int m = 0; m < plan.numMoves(); m++) {
            switch (plan.moveKind(m)) {
                case SWAP_OUT -> pool.swapOut(plan.moveSrc(m), plan.moveDst(m));
                case SWAP_IN -> pool.swapIn(plan.moveSrc(m), plan.moveDst(m));
                case COPY -> pool.copy(plan.moveSrc(m), plan.moveDst(m));
            }
        }
        pass.run(pool);
        if (sink != null) {
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < plan.numTokens(i); k++) {
                    sink.accept(i, plan.position(i) + k, pass.logits(), (seqFirstLogit[i] + k) * vocab);
                }
            }
        }
        sampleAll(plan);
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
        float[] probs = result.probabilityArray();
        for (int i = 0; i < pendingSeqs; i++) {
            int off = pendingTokenOff[i];
            for (int k = 0; k < pendingCount[i]; k++) {
                result.addSampled(i, pendingTokens[off + k]);
            }
            if (pendingProbOff[i] >= 0 && result.hasProbabilities(i)) {
                for (int k = 0; k < pendingCount[i]; k++) {
                    System.arraycopy(pendingProbs, pendingProbOff[i] + k * vocab, probs,
                            result.probabilityRowOffset(i, k), vocab);
                }
            }
        }
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
        int limit = tier == Tier.DEVICE ? layout.numDeviceBlocks() : layout.numHostBlocks();
        if (blockId < 0 || blockId >= limit) {
            throw new IllegalArgumentException(tier + " block " + blockId + " is outside [0, " + limit + ")");
        }
        if (write && tier == Tier.DEVICE && blockId == 0) {
            throw new IllegalArgumentException("device block 0 is the null block and is never written");
        }
        if (offset < 0 || buf.length - offset < layout.bytesPerBlock()) {
            throw new IllegalArgumentException("a block is " + layout.bytesPerBlock() + " bytes; the buffer has "
                    + (buf.length - offset) + " from offset " + offset);
        }
    }

    // ---------------------------------------------------------------- one step

    private void validateMovesAndReleases(StepPlan plan) {
        if (plan.numKvGroups() != 1) {
            throw invalid(plan, "the cpu model has one KV-cache group (full attention in every layer), the plan has "
                    + plan.numKvGroups());
        }
        int dev = layout.numDeviceBlocks();
        int host = layout.numHostBlocks();
        for (int m = 0; m < plan.numMoves(); m++) {
            BlockMoveKind kind = plan.moveKind(m);
            int src = plan.moveSrc(m);
            int dst = plan.moveDst(m);
            boolean ok = switch (kind) {
                case SWAP_OUT -> src >= 1 && src < dev && dst >= 0 && dst < host;
                case SWAP_IN -> src >= 0 && src < host && dst >= 1 && dst < dev;
                case COPY -> src >= 1 && src < dev && dst >= 1 && dst < dev && src != dst;
            };
            if (!ok) {
                throw invalid(plan, "move " + m + " " + kind + " " + src + " -> " + dst + " is out of range (device"
                        + " blocks 1.." + (dev - 1) + ", block 0 is the null block; host blocks 0.." + (host - 1)
                        + (host == 0 ? ": this device has no host tier, set swap space or cpu.host-blocks" : "")
                        + ")");
            }
        }
        stamp++;
        for (int r = 0; r < plan.numReleased(); r++) {
            int slot = plan.releasedSlot(r);
            if (slot < 0) {
                throw invalid(plan, "released slot " + slot + " is negative");
            }
            if (slot < slotStamp.length) {
                // Mark released slots with the negated stamp: a placeholder for them cannot be resolved.
                slotStamp[slot] = -stamp;
            }
        }
    }

    private void buildBatch(StepPlan plan) {
        int bs = layout.blockSize();
        int maxLen = shape.maxModelLen();
        boolean all = sink != null;
        for (int i = 0; i < plan.numSeqs(); i++) {
            int slot = plan.slot(i);
            int n = plan.numTokens(i);
            int k = plan.numDrafts(i);
            int pos = plan.position(i);
            if (slot < 0 || slot >= MAX_SLOTS) {
                throw invalid(plan, i, "slot must be in [0, " + MAX_SLOTS + ")");
            }
            ensureSlot(slot);
            if (slotStamp[slot] == stamp) {
                throw invalid(plan, i, "the slot appears twice in one plan");
            }
            boolean released = slotStamp[slot] == -stamp;
            slotStamp[slot] = stamp;
            if (n < 1) {
                throw invalid(plan, i, "computes no token; leave it out of the plan");
            }
            if (k < 0 || k >= n) {
                throw invalid(plan, i, "numDrafts " + k + " must be in [0, numTokens - 1 = " + (n - 1) + "]");
            }
            if (k > 0 && !plan.samples(i)) {
                throw invalid(plan, i, "carries " + k + " drafts but does not sample; set FLAG_SAMPLE to verify them");
            }
            if (pos < 0 || (long) pos + n > maxLen) {
                throw invalid(plan, i, "positions " + pos + " .. " + (pos + n - 1) + " exceed max-model-len " + maxLen);
            }
            if (plan.samples(i) && plan.sampling(i) == null) {
                throw invalid(plan, i, "samples but has no sampling parameters");
            }
            if (plan.hasDraftProbabilities(i) && plan.draftProbabilityVocabSize() != vocab) {
                throw invalid(plan, i, "draft probability rows have " + plan.draftProbabilityVocabSize()
                        + " entries; the model's vocabulary is " + vocab);
            }
            BlockTable table = plan.blockTable(i, 0);
            int needed = (pos + n + bs - 1) / bs;
            if (table == null || plan.blockTableLength(i, 0) < needed || table.size() < needed) {
                throw invalid(plan, i, "needs " + needed + " blocks of " + bs + " tokens for positions up to "
                        + (pos + n - 1) + ", its block table has "
                        + (table == null ? "none" : Math.min(table.size(), plan.blockTableLength(i, 0))));
            }
            int tableOff = pass.addTable(table, needed);
            for (int b = 0; b < needed; b++) {
                int id = pass.tableBlock(tableOff, b);
                if (id < 1 || id >= layout.numDeviceBlocks()) {
                    throw invalid(plan, i, "block table entry " + b + " is " + id + "; entries must be device blocks"
                            + " 1.." + (layout.numDeviceBlocks() - 1) + " (block 0, the null block, holds no KV)");
                }
            }
            int firstLogit = -1;
            int firstSampledRow = plan.samples(i) ? n - 1 - k : n;
            for (int j = 0; j < n; j++) {
                int t = plan.token(i, j);
                boolean draft = j >= n - k;
                if (draft) {
                    if (t < -1 || t >= vocab) {
                        throw invalid(plan, i, "draft token " + t + " is neither a token id in [0, " + vocab
                                + ") nor the placeholder -1");
                    }
                    t = Math.max(t, 0);
                } else if (t == StepPlan.PLACEHOLDER_TOKEN) {
                    if (released || lastSampled[slot] == UNKNOWN) {
                        throw invalid(plan, i, "input " + j + " is a placeholder, but this device has not sampled a"
                                + " token for the slot" + (released ? " (it is released in this plan)" : ""));
                    }
                    t = lastSampled[slot];
                } else if (t < 0 || t >= vocab) {
                    throw invalid(plan, i, "input token " + t + " is outside the vocabulary [0, " + vocab + ")");
                }
                int row = pass.addRow(t, pos + j, tableOff, all || j >= firstSampledRow);
                if (firstLogit < 0) {
                    firstLogit = row;
                }
            }
            seqFirstLogit[i] = firstLogit;
        }
    }

    private void sampleAll(StepPlan plan) {
        int n = plan.numSeqs();
        int tokenOff = 0;
        int probOff = 0;
        float[] logits = pass.logits();
        for (int i = 0; i < n; i++) {
            pendingTokenOff[i] = tokenOff;
            pendingCount[i] = 0;
            pendingProbOff[i] = -1;
            if (!plan.samples(i)) {
                continue;
            }
            int k = plan.numDrafts(i);
            int numTokens = plan.numTokens(i);
            ensureVerify(k, tokenOff, probOff, plan.wantsProbabilities(i));
            // Logits rows of the last k + 1 inputs: the draft positions and the bonus position.
            int firstRow = seqFirstLogit[i] + (sink != null ? numTokens - 1 - k : 0);
            for (int j = 0; j < k; j++) {
                drafts[j] = plan.token(i, numTokens - k + j);
            }
            int firstPosition = plan.position(i) + numTokens - k;
            SamplingParams params = plan.sampling(i);
            int count;
            if (params.isGreedy()) {
                for (int j = 0; j <= k; j++) {
                    argmax[j] = TokenSampler.argmax(logits, (firstRow + j) * vocab, vocab);
                }
                count = RejectionSampler.verifyGreedy(drafts, 0, k, argmax, 0, pendingTokens, tokenOff);
                if (plan.wantsProbabilities(i)) {
                    Arrays.fill(pendingProbs, probOff, probOff + count * vocab, 0f);
                    for (int j = 0; j < count; j++) {
                        pendingProbs[probOff + j * vocab + argmax[j]] = 1f;
                    }
                }
            } else {
                for (int j = 0; j <= k; j++) {
                    sampler.distribution(logits, (firstRow + j) * vocab, params, p, j * vocab);
                }
                float[] draftRows = null;
                if (k > 0 && plan.hasDraftProbabilities(i)) {
                    for (int j = 0; j < k; j++) {
                        for (int t = 0; t < vocab; t++) {
                            q[j * vocab + t] = plan.draftProbability(i, j, t);
                        }
                    }
                    draftRows = q;
                }
                count = verifier.verify(drafts, 0, k, p, 0, draftRows, 0, plan.seed(i), firstPosition, pendingTokens,
                        tokenOff);
                if (plan.wantsProbabilities(i)) {
                    System.arraycopy(p, 0, pendingProbs, probOff, count * vocab);
                }
            }
            pendingCount[i] = count;
            if (plan.wantsProbabilities(i)) {
                pendingProbOff[i] = probOff;
                probOff += count * vocab;
            }
            lastSampled[plan.slot(i)] = pendingTokens[tokenOff + count - 1];
            tokenOff += count;
        }
    }

    private void ensureVerify(int k, int tokenOff, int probOff, boolean wantsProbs) {
        if (drafts.length < k + 1) {
            drafts = new int[2 * (k + 1)];
            argmax = new int[2 * (k + 1)];
        }
        if (p.length < (k + 1) * vocab) {
            p = new float[2 * (k + 1) * vocab];
            q = new float[2 * (k + 1) * vocab];
        }
        if (pendingTokens.length < tokenOff + k + 1) {
            pendingTokens = Arrays.copyOf(pendingTokens, Math.max(2 * pendingTokens.length, tokenOff + k + 1));
        }
        if (wantsProbs && pendingProbs.length < probOff + (k + 1) * vocab) {
            pendingProbs = Arrays.copyOf(pendingProbs, Math.max(2 * pendingProbs.length, probOff + (k + 1) * vocab));
        }
    }

    private void ensureSeqs(int n) {
        if (seqFirstLogit.length < n) {
            int c = Math.max(n, 2 * seqFirstLogit.length);
            seqFirstLogit = new int[c];
            pendingCount = new int[c];
            pendingTokenOff = new int[c];
            pendingProbOff = new int[c];
        }
    }

    private void ensureSlot(int slot) {
        if (slot >= lastSampled.length) {
            int n = Math.max(slot + 1, 2 * lastSampled.length);
            int old = lastSampled.length;
            lastSampled = Arrays.copyOf(lastSampled, n);
            Arrays.fill(lastSampled, old, n, UNKNOWN);
            slotStamp = Arrays.copyOf(slotStamp, n);
        }
    }

    private static IllegalArgumentException invalid(StepPlan plan, String what) {
        return new IllegalArgumentException("invalid step plan (step " + plan.stepId() + "): " + what);
    }

    private static IllegalArgumentException invalid(StepPlan plan, int i, String what) {
        return invalid(plan, "sequence " + i + " (slot " + plan.slot(i) + "): " + what);
    }
}
