package dev.baton.accelerator.sim;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.DeviceException;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.KvCacheLayout;
import dev.baton.accelerator.KvCapacity;
import dev.baton.accelerator.KvCapacityPlanner;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;
import dev.baton.accelerator.StepShape;
import dev.baton.accelerator.cost.CostModels;
import dev.baton.accelerator.sampling.SamplingStream;
import dev.baton.accelerator.sampling.SyntheticAcceptance;
import dev.baton.api.Clock;
import dev.baton.api.VirtualClock;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;

import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * A simulated accelerator: executes a plan by predicting its duration with the {@link CostModel} and producing
 * deterministic token ids, without touching any KV memory.
 *
 * <h2>Time</h2>
 * On a {@link VirtualClock}, {@link #await} advances the clock by the predicted step time, so a whole trace replays
 * in virtual time, faster than real time and bit-for-bit reproducibly. On a real clock the device either returns at
 * once ({@code sim.realtime=false}, the default) or sleeps for the predicted time ({@code sim.realtime=true}), which
 * lets a threaded engine behave as it would on hardware.
 *
 * <h2>Tokens</h2>
 * Token ids are a hash of (sequence seed, position, previous token); greedy sequences ignore the seed, so a greedy
 * request's tokens depend only on its prompt. That hash is the device's whole "model": its target distribution is a
 * point mass (returned as such when probability rows are asked for), and draft tokens are verified against it with
 * the greedy rule of {@link dev.baton.accelerator.sampling.RejectionSampler}, so a sequence's tokens are the same with
 * or without speculation. The end-of-sequence token is never produced unless
 * {@code sim.eos-probability} is set, so requests run to {@code maxTokens} as trace replay expects.
 *
 * <h2>Synthetic acceptance</h2>
 * A simulated device has no draft model to be right or wrong, so it can model a proposer by its acceptance rates
 * instead (vLLM's {@code rejection_sample_method="synthetic"}, {@link SyntheticAcceptance}): with
 * {@code sim.acceptance=a} every draft position is accepted with conditional probability {@code a} (the i.i.d. model of
 * Leviathan et al., unconditional rates {@code a^i}); with {@code sim.acceptance-rates=a1,a2,...} position {@code i} is
 * reached and accepted with unconditional probability {@code a_i} (non-increasing; positions beyond the list are
 * rejected). Draft {@code j} of a sequence is accepted iff it is a token id and
 * {@code uniform(seed, position, ACCEPT, 0) < c_j}, so outcomes are seeded and reproducible. The tokens emitted are
 * always the device's own, accepted or not: speculation changes how many tokens a step produces, never which.
 * The cost model charges a verification step for all its {@code 1 + k} tokens of each sequence.
 *
 * <h2>Draft lengths</h2>
 * {@code sim.draft-lengths=0,1,2,4} declares the draft lengths the device verifies cheaply
 * ({@link #supportsDraftLength}); the default is every length.
 *
 * <p>Confined to the engine thread, like every {@link Accelerator}.
 */
public final class SimAccelerator implements Accelerator {

    /** Options this provider understands. */
    public static final Set<String> OPTIONS = Set.of("sim.realtime", "sim.eos-probability", "sim.fail-step",
            "sim.acceptance", "sim.acceptance-rates", "sim.draft-lengths");

    private final DeviceInfo device;
    private final ModelShape model;
    private final Parallelism par;
    private final KvCacheLayout layout;
    private final CostModel costModel;
    private final Clock clock;
    private final boolean realtime;
    private final double eosProbability;
    private final long failStep;
    /** Conditional acceptance rate of draft position j (synthetic acceptance), or null for the greedy rule. */
    private final double[] acceptance;
    /** Supported draft lengths (sorted), or null for all. */
    private final int[] draftLengths;
    private final StepShape shape = new StepShape();

    private int[] lastToken = new int[64];
    private int[] pendingSampled = new int[64];
    private int[] pendingCount = new int[16];
    private int pendingSeqs;
    private long pendingNanos;
    private boolean launched;

    public SimAccelerator(AcceleratorConfig config) {
        for (String key : config.options().keySet()) {
            if (key.startsWith("sim.") && !OPTIONS.contains(key)) {
                throw new IllegalArgumentException("unknown sim option '" + key + "'; known: " + OPTIONS);
            }
        }
        String profile = config.profile().isEmpty() ? SimAcceleratorProvider.DEFAULT_PROFILE : config.profile();
        int slash = profile.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("sim profile must be <device>/<model>, e.g. "
                    + SimAcceleratorProvider.DEFAULT_PROFILE + "; got '" + profile + "'");
        }
        this.device = HardwareProfiles.get(profile.substring(0, slash));
        this.model = ModelProfiles.get(profile.substring(slash + 1));
        this.par = config.parallelism();
        this.clock = config.clock();
        this.realtime = booleanOption(config, "sim.realtime");
        this.eosProbability = parsedOption(config, "sim.eos-probability", "0", Double::parseDouble, "a number");
        if (!(eosProbability >= 0 && eosProbability <= 1)) {
            throw new IllegalArgumentException("sim.eos-probability must be in [0, 1], got " + eosProbability);
        }
        this.failStep = parsedOption(config, "sim.fail-step", "-1", Long::parseLong, "an integer");
        this.acceptance = acceptanceOption(config);
        this.draftLengths = draftLengthsOption(config);
        int blocks;
        long bytesPerBlock;
        if (config.numGpuBlocksOverride() > 0) {
            blocks = config.numGpuBlocksOverride();
            bytesPerBlock = (long) Math.ceil(KvCapacityPlanner.kvBytesPerTokenPerDevice(model, par)
                    * config.blockSize());
        } else {
            KvCapacity cap = KvCapacityPlanner.plan(device, model, par, config.gpuMemoryUtilization(),
                    KvCapacityPlanner.estimateActivationBytes(model, par, config.maxNumBatchedTokens()),
                    config.blockSize());
            blocks = cap.numBlocks();
            bytesPerBlock = cap.bytesPerBlock();
        }
        int hostBlocks = (int) Math.min(Integer.MAX_VALUE - 1L, config.hostKvBytes() / bytesPerBlock);
        // +1: block 0 is the null block, as on a real engine, so "blocks" usable blocks remain.
        this.layout = new KvCacheLayout(config.blockSize(), Math.max(2, blocks + 1), hostBlocks, bytesPerBlock);
        this.costModel = CostModels.forDevice(device, model, par, config.blockSize());
    }

    @Override
    public String providerName() {
        return SimAcceleratorProvider.NAME;
    }

    @Override
    public DeviceInfo deviceInfo() {
        return device;
    }

    @Override
    public ModelShape model() {
        return model;
    }

    @Override
    public Parallelism parallelism() {
        return par;
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
    public boolean supportsDraftLength(int k) {
        return k == 0 || (k > 0 && (draftLengths == null || Arrays.binarySearch(draftLengths, k) >= 0));
    }

    @Override
    public void launch(StepPlan plan) {
        if (launched) {
            throw new IllegalStateException("launch called twice without await");
        }
        launched = true;
        pendingNanos = costModel.stepNanos(plan, shape);
        int n = plan.numSeqs();
        if (pendingCount.length < n) {
            pendingCount = new int[Math.max(n, pendingCount.length * 2)];
        }
        int total = 0;
        for (int i = 0; i < n; i++) {
            total += plan.numDrafts(i) + 1;
        }
        if (pendingSampled.length < total) {
            pendingSampled = new int[Math.max(total, pendingSampled.length * 2)];
        }
        pendingSeqs = n;
        // Releases first: a released slot may be reused by a new sequence of the same plan.
        for (int r = 0; r < plan.numReleased(); r++) {
            int slot = plan.releasedSlot(r);
            if (slot < lastToken.length) {
                lastToken[slot] = 0;
            }
        }
        int off = 0; // packed: sequence i's tokens follow those of 0 .. i-1
        for (int i = 0; i < n; i++) {
            int slot = plan.slot(i);
            ensureSlot(slot);
            pendingCount[i] = 0;
            if (!plan.samples(i)) {
                continue;
            }
            // The device's "target" is a point mass on tokenAt(seed, position, previous token); drafts are verified
            // against it with the greedy rule (or accepted synthetically), so speculation never changes the tokens.
            int k = plan.numDrafts(i);
            int first = plan.numTokens(i) - 1 - k;
            int previous = plan.token(i, first);
            if (previous == StepPlan.PLACEHOLDER_TOKEN) {
                previous = lastToken[slot];
            }
            long seed = plan.sampling(i).isGreedy() ? 0 : plan.seed(i);
            int position = plan.position(i) + first + 1;
            for (int j = 0; j <= k; j++) {
                int token = tokenAt(seed, position + j, previous);
                pendingSampled[off + pendingCount[i]++] = token;
                if (j == k || !accepts(plan, i, first + 1 + j, j, position + j, token)) {
                    break;
                }
                previous = token;
            }
            lastToken[slot] = pendingSampled[off + pendingCount[i] - 1];
            off += pendingCount[i];
        }
        if (failStep >= 0 && plan.stepId() == failStep) {
            pendingSeqs = -1;
        }
    }

    @Override
    public void await(StepResult result) {
        if (!launched) {
            throw new IllegalStateException("await called without launch");
        }
        launched = false;
        if (pendingSeqs < 0) {
            throw new DeviceException("simulated device failure at step " + result.stepId(), false);
        }
        if (clock instanceof VirtualClock vc) {
            vc.advance(pendingNanos);
        } else if (realtime) {
            LockSupport.parkNanos(pendingNanos);
        }
        int off = 0;
        float[] probs = result.probabilityArray();
        int vocab = result.vocabSize();
        for (int i = 0; i < pendingSeqs; i++) {
            for (int k = 0; k < pendingCount[i]; k++) {
                int token = pendingSampled[off + k];
                result.addSampled(i, token);
                if (result.hasProbabilities(i)) {
                    int row = result.probabilityRowOffset(i, k);
                    Arrays.fill(probs, row, row + vocab, 0f);
                    probs[row + token] = 1f;
                }
            }
            off += pendingCount[i];
        }
        result.setDeviceNanos(pendingNanos);
    }

    @Override
    public void close() {
        // Nothing to release.
    }

    /** Whether draft {@code j} (input {@code input} of sequence {@code i}, at {@code position}) is accepted. */
    private boolean accepts(StepPlan plan, int i, int input, int j, int position, int target) {
        int draft = plan.token(i, input);
        if (acceptance == null) {
            return draft == target;
        }
        return draft >= 0 && SamplingStream.uniform(plan.seed(i), position, SamplingStream.Purpose.ACCEPT, 0)
                < conditionalRate(j);
    }

    private double conditionalRate(int j) {
        return j < acceptance.length ? acceptance[j] : acceptance.length == 1 ? acceptance[0] : 0;
    }

    private static double[] acceptanceOption(AcceleratorConfig config) {
        String single = config.options().get("sim.acceptance");
        String rates = config.options().get("sim.acceptance-rates");
        if (single != null && rates != null) {
            throw new IllegalArgumentException("sim.acceptance (one conditional rate for every draft position) and "
                    + "sim.acceptance-rates (unconditional rates per position) exclude each other; set one");
        }
        if (single != null) {
            double a = parsedOption(config, "sim.acceptance", "0", Double::parseDouble, "a number");
            if (!(a >= 0 && a <= 1)) {
                throw new IllegalArgumentException("sim.acceptance must be in [0, 1], got " + a);
            }
            return new double[] {a};
        }
        if (rates == null) {
            return null;
        }
        String[] parts = rates.split(",");
        double[] a = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                a[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("sim.acceptance-rates must be comma-separated numbers, got '"
                        + rates + "'", e);
            }
        }
        double[] conditional = SyntheticAcceptance.ofUnconditionalRates(a).conditionalRates();
        // A list of one rate would read as "every position" above: extend it with a rejected position.
        return conditional.length == 1 ? new double[] {conditional[0], 0} : conditional;
    }

    private static int[] draftLengthsOption(AcceleratorConfig config) {
        String v = config.options().get("sim.draft-lengths");
        if (v == null) {
            return null;
        }
        String[] parts = v.split(",");
        int[] k = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                k[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("sim.draft-lengths must be comma-separated integers, got '" + v
                        + "'", e);
            }
            if (k[i] < 0) {
                throw new IllegalArgumentException("sim.draft-lengths must not be negative, got '" + v + "'");
            }
        }
        Arrays.sort(k);
        return k;
    }

    private static boolean booleanOption(AcceleratorConfig config, String key) {
        String v = config.option(key, "false").trim();
        if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException(key + " must be true or false, got '" + v + "'");
        }
        return Boolean.parseBoolean(v);
    }

    private static <T> T parsedOption(AcceleratorConfig config, String key, String fallback,
                                      Function<String, T> parser, String what) {
        String v = config.option(key, fallback);
        try {
            return parser.apply(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be " + what + ", got '" + v + "'", e);
        }
    }

    private int tokenAt(long seed, int position, int previous) {
        long h = mix(seed ^ mix(position * 0x9E3779B97F4A7C15L + previous));
        int vocab = model.vocabSize();
        if (eosProbability > 0 && ((h >>> 11) * 0x1.0p-53) < eosProbability) {
            return model.eosTokenId();
        }
        int t = (int) Long.remainderUnsigned(mix(h), vocab - 1);
        return t >= model.eosTokenId() ? t + 1 : t;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void ensureSlot(int slot) {
        if (slot >= lastToken.length) {
            lastToken = Arrays.copyOf(lastToken, Math.max(slot + 1, lastToken.length * 2));
        }
    }
}
