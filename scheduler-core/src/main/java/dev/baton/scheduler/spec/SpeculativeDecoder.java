package dev.baton.scheduler.spec;

import dev.baton.accelerator.Accelerator;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.core.ScheduledStep;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.core.SequenceStatus;
import dev.baton.scheduler.core.StepScheduler;

import java.util.Arrays;

/**
 * Speculative-decoding coordination: between two steps, decides how many draft tokens each decoding sequence verifies
 * next, gets them from a {@link DraftProposer} and hands them to the {@link StepScheduler}; the device verifies them in
 * the next step.
 *
 * <h2>Design</h2>
 * Speculative decoding (Leviathan et al., ICML 2023, arXiv 2211.17192; Chen et al., arXiv 2302.01318) lets a cheap
 * drafter guess {@code k} tokens and the target check them all in one forward pass: since a decode step is
 * memory-bound, {@code 1 + k} tokens cost little more than one, and every accepted guess saves a step. Verification
 * is exact (the output is distributed as the target's; for greedy requests it is identical), so speculation only
 * changes speed. Baton follows vLLM v1's division of labour ({@code vllm/v1/spec_decode}, {@code v1/core/sched}):
 * <ul>
 *   <li><b>Scheduler accounting</b> stays in the {@link StepScheduler}: a decoding sequence with {@code k} drafts
 *   costs {@code 1 + k} of the token budget (trimmed to it), drafts never run with a prefill chunk (SCH-4), KV slots
 *   cover the drafts (plus the proposer's lookahead), rejected positions rewind the computed count when the result is
 *   applied, and only accepted tokens reach the prefix cache.</li>
 *   <li><b>Verification</b> runs on the device, with the rule of
 *   {@link dev.baton.accelerator.sampling.RejectionSampler} (greedy, or {@code min(1, p/q)} with residual
 *   resampling and a bonus token).</li>
 *   <li><b>This class</b> runs once per step, on the engine thread, at two marked points of
 *   {@link dev.baton.scheduler.engine.EngineCore}'s synchronous step: {@link #afterApply} (the result is applied:
 *   observe acceptance, choose K, propose) and {@link #beforeLaunch} (the next plan is built: attach the draft
 *   distributions {@code q} of sampled drafts, which the scheduler does not carry).</li>
 * </ul>
 *
 * <h2>One round ({@link #afterApply})</h2>
 * <ol>
 *   <li>Every sequence whose drafts were just verified reports {@code (drafted, accepted)} to the
 *   {@link DraftLengthPolicy}.</li>
 *   <li>The batch is the running sequences in decode (prefill complete, nothing in flight).</li>
 *   <li>K = the policy's answer, clamped to {@code [0, maxDrafts]} and down to a length the device supports
 *   ({@link Accelerator#supportsDraftLength}). Each sequence may take at most
 *   {@code min(K, maxModelLen - 1 - length, remaining output - 1)}.</li>
 *   <li>The proposer writes drafts; a draft list is cut after the first token that would stop the sequence (EOS unless
 *   ignored, a stop token, once {@code min_tokens} is reached), since nothing after it can be emitted.</li>
 *   <li>{@link StepScheduler#proposeDrafts} stores them (a sequence without drafts gets its old ones withdrawn).</li>
 * </ol>
 *
 * <h2>Not supported</h2>
 * One-step-ahead scheduling (refused when building: drafts need the tokens of the step before); draft trees
 * (SpecInfer, EAGLE-2) verify one chain per sequence here.
 *
 * <p>Engine thread only. A round allocates nothing once its buffers have grown, apart from what the proposer and the
 * policy do (the bundled ones allocate nothing in steady state).
 */
public final class SpeculativeDecoder {

    private final StepScheduler scheduler;
    private final DraftProposer proposer;
    private final DraftLengthPolicy policy;
    private final SpeculationTarget target;
    private final DraftBatch batch;
    private final int maxDrafts;
    private final int eosTokenId;
    private final int vocab;
    private final int[] scratch;
    private int[] stepIndexOfSlot = new int[64];
    private long[] stepOfSlot = new long[64];
    private int[] entryOfSlot = new int[64];
    private long[] roundOfSlot = new long[64];
    private int lastDraftLength;
    private long rounds;
    private long proposedTokens;

    /**
     * @throws IllegalArgumentException with one-step-ahead scheduling, or if the proposer cannot serve the device
     */
    public SpeculativeDecoder(SpeculativeConfig config, StepScheduler scheduler, Accelerator device) {
        if (scheduler.config().asyncScheduling()) {
            throw new IllegalArgumentException("speculative decoding needs synchronous scheduling: drafts are proposed "
                    + "from the tokens of the step before; set asyncScheduling(false) or drop speculative(...)");
        }
        this.scheduler = scheduler;
        this.proposer = config.proposer();
        this.policy = config.policy();
        this.maxDrafts = config.maxDrafts();
        this.eosTokenId = device.model().eosTokenId();
        this.vocab = device.model().vocabSize();
        this.target = new SpeculationTarget(device, proposer, maxDrafts, scheduler.config().maxNumBatchedTokens(),
                scheduler.maxModelLen());
        proposer.attach(target);
        policy.attach(target);
        scheduler.setDraftLookahead(proposer.lookaheadSlots(maxDrafts));
        this.batch = new DraftBatch(maxDrafts, vocab);
        this.scratch = new int[maxDrafts];
        Arrays.fill(stepOfSlot, -1);
        Arrays.fill(roundOfSlot, -1);
    }

    /**
     * Hook before the device runs {@code step}: attaches the draft distributions of sampled drafts to the plan, so that
     * the device verifies them with {@code min(1, p/q)} instead of as one-hot proposals.
     */
    public void beforeLaunch(ScheduledStep step) {
        StepPlan plan = step.plan();
        long round = batch.round();
        for (int i = 0; i < plan.numSeqs(); i++) {
            int k = plan.numDrafts(i);
            int slot = plan.slot(i);
            if (k == 0 || slot >= roundOfSlot.length || roundOfSlot[slot] != round) {
                continue;
            }
            int e = entryOfSlot[slot];
            if (!batch.hasProbabilities(e) || batch.sequence(e) != step.seq(i) || batch.numDrafts(e) < k
                    || !sameDrafts(plan, i, e, k)) {
                continue;
            }
            plan.setDraftProbabilities(i, batch.probabilityArray(), batch.rowOffset(e), k, vocab);
        }
    }

    /** Hook after {@code result} of {@code step} was applied: observes acceptance and proposes the next drafts. */
    public void afterApply(ScheduledStep step, StepResult result) {
        long stepId = step.stepId();
        for (int i = 0; i < step.numSeqs(); i++) {
            Sequence seq = step.seq(i);
            int slot = seq.slot();
            if (slot >= 0) {
                ensureSlot(slot);
                stepIndexOfSlot[slot] = i;
                stepOfSlot[slot] = stepId;
            }
            int drafted = step.numDrafts(i);
            int sampled = result.numSampled(i);
            if (drafted > 0 && sampled > 0) {
                policy.observe(drafted, sampled - 1);
            }
        }
        policy.endStep();

        batch.begin(result);
        int running = scheduler.numRunning();
        for (int r = 0; r < running; r++) {
            Sequence seq = scheduler.get(r);
            if (!decoding(seq)) {
                continue;
            }
            int slot = seq.slot();
            ensureSlot(slot);
            boolean inStep = stepOfSlot[slot] == stepId;
            batch.add(seq, inStep ? stepIndexOfSlot[slot] : -1);
        }
        if (batch.size() == 0) {
            return;
        }
        int k = target.supportedAtMost(Math.max(0, policy.draftLength(batch)));
        lastDraftLength = k;
        rounds++;
        int maxModelLen = scheduler.maxModelLen();
        for (int e = 0; e < batch.size(); e++) {
            Sequence seq = batch.sequence(e);
            int room = Math.min(maxModelLen - 1 - seq.length(), seq.remainingOutput() - 1);
            batch.setMaxDrafts(e, Math.max(0, Math.min(k, room)));
        }
        if (k > 0) {
            proposer.propose(batch);
        }
        int[] tokens = batch.tokenArray();
        long round = batch.round();
        for (int e = 0; e < batch.size(); e++) {
            Sequence seq = batch.sequence(e);
            int count = cutAtStop(seq, tokens, batch.tokenOffset(e), batch.numDrafts(e));
            batch.truncate(e, count);
            System.arraycopy(tokens, batch.tokenOffset(e), scratch, 0, count);
            scheduler.proposeDrafts(seq, scratch, count);
            proposedTokens += count;
            int slot = seq.slot();
            entryOfSlot[slot] = e;
            roundOfSlot[slot] = round;
        }
    }

    /** Hook when a sequence finished: the proposer drops its state. */
    public void sequenceFinished(Sequence seq) {
        proposer.release(seq);
    }

    /** K chosen in the latest round. */
    public int lastDraftLength() {
        return lastDraftLength;
    }

    /** Rounds in which some sequence could speculate. */
    public long rounds() {
        return rounds;
    }

    /** Draft tokens handed to the scheduler (before budget trimming). */
    public long proposedTokens() {
        return proposedTokens;
    }

    public DraftProposer proposer() {
        return proposer;
    }

    public DraftLengthPolicy policy() {
        return policy;
    }

    public SpeculationTarget target() {
        return target;
    }

    // ---------------------------------------------------------------- internals

    /** In decode: running, prompt computed, no output in flight. */
    private static boolean decoding(Sequence seq) {
        return seq.status() == SequenceStatus.RUNNING && seq.numPlaceholders() == 0
                && seq.numComputed() == seq.length() - 1 && seq.slot() >= 0;
    }

    /** Drafts after the first one that would end the sequence can never be emitted: keep up to it. */
    private int cutAtStop(Sequence seq, int[] tokens, int off, int count) {
        SamplingParams sp = seq.sampling();
        int out = seq.numOutput();
        for (int j = 0; j < count; j++) {
            int t = tokens[off + j];
            if (out + j + 1 >= sp.minTokens() && ((!sp.ignoreEos() && t == eosTokenId) || sp.isStopToken(t))) {
                return j + 1;
            }
        }
        return count;
    }

    private boolean sameDrafts(StepPlan plan, int i, int e, int k) {
        int first = plan.numTokens(i) - k;
        for (int j = 0; j < k; j++) {
            if (plan.token(i, first + j) != batch.draft(e, j)) {
                return false;
            }
        }
        return true;
    }

    private void ensureSlot(int slot) {
        if (slot >= stepOfSlot.length) {
            int n = Math.max(slot + 1, stepOfSlot.length * 2);
            int old = stepOfSlot.length;
            stepIndexOfSlot = Arrays.copyOf(stepIndexOfSlot, n);
            stepOfSlot = Arrays.copyOf(stepOfSlot, n);
            entryOfSlot = Arrays.copyOf(entryOfSlot, n);
            roundOfSlot = Arrays.copyOf(roundOfSlot, n);
            Arrays.fill(stepOfSlot, old, n, -1);
            Arrays.fill(roundOfSlot, old, n, -1);
        }
    }
}
