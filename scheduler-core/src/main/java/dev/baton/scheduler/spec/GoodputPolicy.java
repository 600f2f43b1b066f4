package dev.baton.scheduler.spec;

import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.StepShape;

/**
 * Chooses K to maximise goodput, accepted tokens per second, from the device's cost model and the live acceptance
 * estimate (SmartSpec/TurboSpec, arXiv 2406.14066; vLLM's dynamic manager, anchors §1.7 P6/P7; formula §6.3):
 * <pre>
 *   goodput(B, k) = B x E[L(k)] / (T_draft(B, k) + T_verify(B, k))
 * </pre>
 * where {@code B} is the number of decoding sequences, {@code E[L(k)] = 1 + a_1 + ... + a_k} comes from an
 * {@link AcceptanceEstimate} (an EMA of per-position acceptance), {@code T_verify} is
 * {@link CostModel#stepNanos} of the batch with every sequence computing {@code 1 + k} tokens at its own context, and
 * {@code T_draft} is the proposer's {@link DraftProposer#draftNanos}. Candidates are the lengths the device supports
 * ({@link dev.baton.accelerator.Accelerator#supportsDraftLength}) whose {@code B (1 + k)} tokens fit the step budget.
 *
 * <h2>Stability</h2>
 * Switching K changes the device's compiled shapes (vLLM #49548), and the estimate is noisy, so the policy moves only
 * when the best candidate beats the current K by more than the {@code hysteresis} fraction of time per token and when
 * the time it would save over the next {@code horizonSteps} steps exceeds the device's switch cost
 * ({@link dev.baton.accelerator.Accelerator#draftLengthSwitchNanos}, unless overridden). Positions beyond K are not
 * observed, so every {@code probeInterval} steps one step speculates with the next supported K above the current one
 * (from 0: the smallest) to refresh the estimate there; a probe does not count as a switch.
 *
 * <p>One decision costs {@code O(B x K)} shape additions and {@code K + 1} cost-model calls; allocation-free. Engine
 * thread only.
 */
public final class GoodputPolicy implements DraftLengthPolicy {

    /**
     * @param prior          conditional acceptance assumed before any observation
     * @param emaWeight      weight of one verification in the acceptance EMA
     * @param hysteresis     fraction of time per token the best K must save over the current one to switch
     * @param switchNanos    cost of one switch; negative takes the device's
     *                       {@link dev.baton.accelerator.Accelerator#draftLengthSwitchNanos}
     * @param horizonSteps   steps over which a switch must pay for itself
     * @param probeInterval  steps between probes one K above the current (0: never probe)
     */
    public record Settings(double prior, double emaWeight, double hysteresis, long switchNanos, int horizonSteps,
                           int probeInterval) {
        public static final Settings DEFAULT = new Settings(0.7, 0.05, 0.02, -1, 50, 10);

        public Settings {
            if (!(prior >= 0 && prior <= 1) || !(emaWeight > 0 && emaWeight <= 1)) {
                throw new IllegalArgumentException("prior must be in [0, 1] and emaWeight in (0, 1]");
            }
            if (!(hysteresis >= 0 && hysteresis < 1)) {
                throw new IllegalArgumentException("hysteresis must be in [0, 1), got " + hysteresis);
            }
            if (horizonSteps < 1 || probeInterval < 0) {
                throw new IllegalArgumentException("horizonSteps must be positive and probeInterval not negative");
            }
        }
    }

    private final Settings settings;
    private SpeculationTarget target;
    private CostModel cost;
    private AcceptanceEstimate estimate;
    private final StepShape shape = new StepShape();
    private double[] tau = new double[0];
    private long switchNanos;
    private int current = -1;
    private int sinceProbe;
    private long switches;

    public GoodputPolicy() {
        this(Settings.DEFAULT);
    }

    public GoodputPolicy(Settings settings) {
        this.settings = settings;
    }

    @Override
    public void attach(SpeculationTarget target) {
        this.target = target;
        this.cost = target.costModel();
        this.estimate = new AcceptanceEstimate(target.maxDrafts(), settings.prior(), settings.emaWeight());
        this.tau = new double[target.maxDrafts() + 1];
        this.switchNanos = settings.switchNanos() >= 0 ? settings.switchNanos() : target.device().draftLengthSwitchNanos();
    }

    @Override
    public void observe(int drafted, int accepted) {
        requireAttached();
        estimate.observe(drafted, accepted);
    }

    @Override
    public void endStep() {
        requireAttached();
        estimate.endStep();
    }

    @Override
    public int draftLength(DraftBatch batch) {
        requireAttached();
        int b = batch.size();
        if (b == 0) {
            return Math.max(current, 0);
        }
        int best = -1;
        for (int k = 0; k < tau.length; k++) {
            tau[k] = Double.POSITIVE_INFINITY;
            if (!target.supports(k) || (long) b * (1 + k) > target.maxNumBatchedTokens()) {
                continue;
            }
            tau[k] = nanosPerToken(batch, k);
            if (best < 0 || tau[k] < tau[best]) {
                best = k;
            }
        }
        if (best < 0) {
            best = 0;
        }
        if (current < 0 || tau[current] == Double.POSITIVE_INFINITY) {
            current = best;
        } else if (best != current) {
            double saved = tau[current] - tau[best];
            double tokensOverHorizon = b * estimate.expectedLength(best) * settings.horizonSteps();
            if (tau[best] < tau[current] * (1 - settings.hysteresis()) && saved * tokensOverHorizon > switchNanos) {
                current = best;
                switches++;
            }
        }
        if (settings.probeInterval() > 0 && ++sinceProbe >= settings.probeInterval()) {
            sinceProbe = 0;
            int up = supportedAbove(current, b);
            if (up > current) {
                return up;
            }
        }
        return current;
    }

    /** Predicted nanoseconds per accepted token with {@code k} drafts for every entry of {@code batch}. */
    public double nanosPerToken(DraftBatch batch, int k) {
        requireAttached();
        shape.clear();
        for (int i = 0; i < batch.size(); i++) {
            shape.addSequence(1 + k, batch.context(i), k, true);
        }
        double t = cost.stepNanos(shape) + (k > 0 ? target.proposer().draftNanos(batch, k) : 0);
        return t / (batch.size() * estimate.expectedLength(k));
    }

    /** The acceptance estimate the policy decides from. */
    public AcceptanceEstimate estimate() {
        requireAttached();
        return estimate;
    }

    /** The K in force (before probes), or -1 before the first decision. */
    public int current() {
        return current;
    }

    /** How often the policy changed K. */
    public long switches() {
        return switches;
    }

    /** The smallest supported K above {@code k} whose tokens fit the budget, else {@code k}. */
    private int supportedAbove(int k, int batchSize) {
        for (int j = k + 1; j < tau.length && (long) batchSize * (1 + j) <= target.maxNumBatchedTokens(); j++) {
            if (target.supports(j)) {
                return j;
            }
        }
        return k;
    }

    private void requireAttached() {
        if (target == null) {
            throw new IllegalStateException("the goodput policy is not attached to an engine; pass it to "
                    + "Engines.builder().speculative(...) or call attach(SpeculationTarget) first");
        }
    }
}
