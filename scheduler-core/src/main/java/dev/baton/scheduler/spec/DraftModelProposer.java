package dev.baton.scheduler.spec;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.StepShape;
import dev.baton.accelerator.sampling.SamplingStream;
import dev.baton.api.plan.BlockTable;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.kv.CacheKeyContext;
import dev.baton.kv.KvCacheConfig;
import dev.baton.kv.KvCacheManager;
import dev.baton.kv.KvSequence;
import dev.baton.kv.TokenSequence;
import dev.baton.scheduler.core.Sequence;

import java.util.Arrays;

/**
 * Drafts with a second, smaller model run through the accelerator SPI (Leviathan et al.; vLLM's {@code draft_model}
 * method): the draft device decodes {@code k} tokens autoregressively for every entry of the batch, in {@code k}
 * batched steps, and the target verifies them in one. On the CPU reference device a model with fewer layers and the
 * same seed is exactly the target truncated ({@link dev.baton.accelerator.cpu.CpuModel}): a correlated draft.
 *
 * <h2>The draft's own KV</h2>
 * The draft model keeps its KV in its own device memory, paged by its own {@link KvCacheManager} (no prefix caching,
 * no host tier), so the target needs no lookahead slots. Per sequence the proposer remembers how many of the
 * sequence's tokens the draft has computed ({@code computed}), of which the first {@code confirmed} were the
 * sequence's own tokens when fed and the rest were the draft's own proposals. Each round it first rolls back: the
 * proposals the target accepted stay valid, the KV from the first rejected one on is discarded (its slots are
 * overwritten, blocks are kept), then one step feeds every sequence's tokens the draft has not seen (the accepted
 * ones and the target's bonus or recovered token; the whole prompt the first time) and samples draft 0, and
 * {@code k - 1} more steps feed each draft to get the next. So the draft's KV always describes a prefix of the
 * sequence's real tokens plus its own latest proposals, never stale tokens.
 *
 * <h2>Sampling</h2>
 * Greedy requests draft by argmax and carry no probability rows (the greedy verifier compares tokens). Sampled
 * requests draft from the draft model's own distribution under the request's temperature, top-k and top-p, with a
 * random stream independent of the target's (the request seed mixed with a constant), and the rows {@code q} they
 * were drawn from go to the verifier, which makes verification exact (the output is distributed as the target's).
 *
 * <p>Sequences the draft's KV cannot hold this round get no drafts (speculation is an optimisation, never a reason to
 * fail). Engine thread only; after warm-up a round allocates nothing on the Java heap beyond what the draft device
 * does.
 */
public final class DraftModelProposer implements DraftProposer {

    private static final long DRAFT_STREAM = 0x6A09E667F3BCC909L;

    private final Accelerator draft;
    private final KvCacheManager kv;
    private final StepPlan plan = new StepPlan(1);
    private final StepResult result;
    private final StepShape shape = new StepShape();
    private final int vocab;
    private State[] states = new State[64];
    private int[] releasing = new int[16];
    private int numReleasing;
    private int[] planIndex = new int[16];
    private int[] baseLength = new int[16];
    private long stepId;
    private long draftSteps;

    /** Per target sequence: the draft's view of it. */
    private static final class State implements TokenSequence {
        final Sequence seq;
        final KvSequence kv;
        int computed;
        int confirmed;
        int[] spec = new int[8];
        int numSpec;

        State(Sequence seq, KvCacheManager manager) {
            this.seq = seq;
            this.kv = manager.open(this, CacheKeyContext.NONE);
        }

        @Override
        public int length() {
            return seq.length();
        }

        @Override
        public int tokenAt(int index) {
            return seq.tokenAt(index);
        }
    }

    /**
     * @param draft the opened draft device (same vocabulary as the target, at least its model length); this proposer
     *              becomes its only user
     */
    public DraftModelProposer(Accelerator draft) {
        this.draft = draft;
        this.vocab = draft.model().vocabSize();
        this.result = new StepResult(vocab, 0);
        this.kv = KvCacheManager.create(KvCacheConfig.builder()
                .blockSize(draft.kvLayout().blockSize())
                .numDeviceBlocks(draft.kvLayout().numDeviceBlocks())
                .numHostBlocks(0)
                .enablePrefixCaching(false)
                .build());
    }

    @Override
    public void attach(SpeculationTarget target) {
        int targetVocab = target.device().model().vocabSize();
        if (targetVocab != vocab) {
            throw new IllegalArgumentException("the draft model's vocabulary (" + vocab + ") must be the target's ("
                    + targetVocab + "): drafts are token ids of the target");
        }
        if (draft.model().maxModelLen() < target.maxModelLen()) {
            throw new IllegalArgumentException("the draft model's max-model-len (" + draft.model().maxModelLen()
                    + ") is below the engine's (" + target.maxModelLen() + "); open the draft with at least that");
        }
    }

    @Override
    public long draftNanos(DraftBatch batch, int k) {
        shape.clear();
        for (int i = 0; i < batch.size(); i++) {
            shape.addDecode(batch.context(i));
        }
        return k * draft.costModel().stepNanos(shape);
    }

    @Override
    public void propose(DraftBatch batch) {
        int n = batch.size();
        if (planIndex.length < n) {
            planIndex = new int[Math.max(n, planIndex.length * 2)];
            baseLength = new int[planIndex.length];
        }
        int rounds = 0;
        beginPlan();
        for (int i = 0; i < n; i++) {
            planIndex[i] = -1;
            int k = batch.maxDrafts(i);
            if (k <= 0) {
                continue;
            }
            Sequence seq = batch.sequence(i);
            State s = stateOf(seq);
            rollBack(s);
            int length = seq.length();
            // Slots for the catch-up tokens and the k - 1 drafts fed back this round.
            if (!kv.allocateSlots(s.kv, s.computed, length - s.computed + k - 1, 0)) {
                continue;
            }
            int p = addSequence(batch, i, s, s.computed);
            for (int pos = s.computed; pos < length; pos++) {
                plan.addToken(seq.tokenAt(pos));
            }
            planIndex[i] = p;
            baseLength[i] = length;
            s.computed = length;
            s.confirmed = length;
            rounds = Math.max(rounds, k);
        }
        if (rounds == 0) {
            return;
        }
        run(batch, 0);
        for (int j = 1; j < rounds; j++) {
            beginPlan();
            for (int i = 0; i < n; i++) {
                if (planIndex[i] < 0 || batch.maxDrafts(i) <= j || batch.numDrafts(i) < j) {
                    planIndex[i] = -1;
                    continue;
                }
                State s = states[batch.sequence(i).slot()];
                int fed = batch.draft(i, j - 1);
                planIndex[i] = addSequence(batch, i, s, baseLength[i] + j - 1);
                plan.addToken(fed);
                if (s.numSpec == s.spec.length) {
                    s.spec = Arrays.copyOf(s.spec, s.numSpec * 2);
                }
                s.spec[s.numSpec++] = fed;
                s.computed++;
            }
            run(batch, j);
        }
    }

    @Override
    public void release(Sequence seq) {
        // A finished sequence has already given its slot back: find its state by identity.
        for (int slot = 0; slot < states.length; slot++) {
            if (states[slot] != null && states[slot].seq == seq) {
                drop(slot);
                return;
            }
        }
    }

    /** Draft-device steps run so far (each proposes one token for every sequence still drafting). */
    public long draftSteps() {
        return draftSteps;
    }

    /** Fraction of the draft device's KV blocks in use, 0..1. */
    public double kvUsage() {
        return kv.usage();
    }

    /** Sequences the draft currently holds state for. */
    public int trackedSequences() {
        int n = 0;
        for (State s : states) {
            if (s != null) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- internals

    private State stateOf(Sequence seq) {
        int slot = seq.slot();
        if (slot >= states.length) {
            states = Arrays.copyOf(states, Math.max(slot + 1, states.length * 2));
        }
        State s = states[slot];
        if (s != null && s.seq != seq) {
            drop(slot); // the slot was handed to another sequence before this proposer heard of the end
            s = null;
        }
        if (s == null) {
            s = new State(seq, kv);
            states[slot] = s;
        }
        return s;
    }

    /** Keeps the draft KV of the proposals the target accepted; discards it from the first rejected one. */
    private static void rollBack(State s) {
        Sequence seq = s.seq;
        int length = seq.length();
        int valid = Math.min(s.confirmed, length);
        for (int t = 0; t < s.numSpec; t++) {
            int pos = s.confirmed + t;
            if (pos >= length || seq.tokenAt(pos) != s.spec[t]) {
                break;
            }
            valid = pos + 1;
        }
        // The last known token is always fed again: its logits give draft 0.
        valid = Math.min(Math.min(valid, s.computed), length - 1);
        s.computed = valid;
        s.confirmed = valid;
        s.numSpec = 0;
    }

    private void beginPlan() {
        plan.clear(++stepId);
        for (int r = 0; r < numReleasing; r++) {
            plan.addReleased(releasing[r]);
        }
        numReleasing = 0;
    }

    private int addSequence(DraftBatch batch, int i, State s, int position) {
        Sequence seq = batch.sequence(i);
        boolean sampled = !seq.sampling().isGreedy();
        int flags = StepPlan.FLAG_SAMPLE | (sampled ? StepPlan.FLAG_WANT_PROBS : 0);
        int p = plan.addSequence(seq.slot(), SamplingStream.mix64(seq.seed() + DRAFT_STREAM), seq.sampling(), 0,
                position, 0, flags);
        BlockTable table = s.kv.blockTable(0);
        plan.setBlockTable(p, 0, table, table.size());
        return p;
    }

    private void run(DraftBatch batch, int j) {
        kv.drainMoves(plan);
        try {
            draft.execute(plan, result);
        } catch (RuntimeException e) {
            kv.stepCompleted(false);
            // The draft's KV of this step is unknown: forget every sequence in it (they restart from scratch).
            for (int i = 0; i < batch.size(); i++) {
                if (planIndex[i] >= 0) {
                    drop(batch.sequence(i).slot());
                    planIndex[i] = -1;
                }
            }
            return;
        }
        kv.stepCompleted(true);
        draftSteps++;
        float[] rows = result.probabilityArray();
        for (int i = 0; i < batch.size(); i++) {
            int p = planIndex[i];
            if (p < 0 || result.numSampled(p) == 0) {
                continue;
            }
            batch.addDraft(i, result.sampled(p, 0));
            if (result.hasProbabilities(p)) {
                int off = batch.probabilityRowOffset(i, j);
                System.arraycopy(rows, result.probabilityRowOffset(p, 0), batch.probabilityArray(), off, vocab);
            }
        }
    }

    private void drop(int slot) {
        State s = states[slot];
        states[slot] = null;
        kv.free(s.kv);
        if (numReleasing == releasing.length) {
            releasing = Arrays.copyOf(releasing, numReleasing * 2);
        }
        releasing[numReleasing++] = slot;
    }
}
