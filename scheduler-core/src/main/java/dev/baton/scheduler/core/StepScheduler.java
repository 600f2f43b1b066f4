package dev.baton.scheduler.core;

import dev.baton.api.Clock;
import dev.baton.api.FinishReason;
import dev.baton.api.plan.BlockTable;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.api.request.InferenceRequest;
import dev.baton.kv.CacheKeyContext;
import dev.baton.kv.KvCacheManager;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.FailurePolicy;
import dev.baton.scheduler.compose.BatchComposer;
import dev.baton.scheduler.preemption.RunningBatch;
import dev.baton.scheduler.preemption.VictimSelector;
import dev.baton.scheduler.queue.RequestQueue;
import org.agrona.collections.Int2IntHashMap;

import java.util.Arrays;

/**
 * The step scheduler: turns the waiting queue and the running batch into one {@link StepPlan} per step, and applies
 * the device's {@link StepResult}. Continuous batching in the sense of Orca (iteration-level scheduling, OSDI'22) with
 * paged KV (PagedAttention, SOSP'23), chunked prefill (Sarathi, OSDI'24) and vLLM v1's step semantics as the compatible
 * baseline.
 *
 * <h2>One step (vLLM v1 semantics)</h2>
 * There is no separate prefill and decode phase. Every sequence carries {@code numComputed}; a step hands out a token
 * budget ({@code max-num-batched-tokens}) so each sequence moves toward its known tokens (plus drafts):
 * <ol>
 *   <li><b>Running first</b>, in admission order: {@code n = known + placeholders + drafts - computed}, capped by the
 *   long-prefill threshold, the budget and the model length; a sequence with nothing to do is skipped
 *   ({@code continue}, not {@code break}). If its KV slots cannot be allocated, the {@link VictimSelector} picks a
 *   running victim to preempt (recompute, or swap to the host tier) and allocation is retried; a victim already
 *   scheduled in this step is handed back (tokens refunded). If the sequence itself is the victim, the running loop
 *   stops.</li>
 *   <li><b>Then waiting</b>, only if nothing was preempted in this step (a preemption means memory is short): while the
 *   budget lasts and the batch has room ({@code max-num-seqs}), the queue's head is looked up in the prefix cache, given
 *   {@code min(remaining, threshold, budget)} tokens and admitted if its slots can be allocated. Without chunked prefill
 *   a head that does not fit the budget blocks the queue (head-of-line, SCH-3); with {@code skipAhead} a head that does
 *   not fit in KV is passed by later ones until it has waited {@code skipAheadMaxWait}. Sequences that cannot run now
 *   (over the LoRA limit, output still in flight) are set aside without blocking and put back afterwards.</li>
 *   <li><b>Plan</b>: {@code numComputed} advances at once, so a chunked prefill continues next step before its output
 *   is seen; a step that reaches the end of a sequence's known tokens samples; with one-step-ahead scheduling a decode
 *   input that the device is still sampling is a placeholder.</li>
 * </ol>
 * Invariants after every step: scheduled tokens {@code <=} budget, running {@code <=} max-num-seqs, every sequence is in
 * exactly one of waiting, running, awaiting-fork or finished, and a finished sequence holds no blocks.
 *
 * <h2>Applying a result</h2>
 * Rejected draft positions rewind {@code numComputed}; accepted tokens are appended one by one with vLLM's stop rules
 * (EOS unless ignored, stop tokens, max tokens, model length; min tokens suppresses stops); full blocks whose KV is now
 * valid enter the prefix cache; a request's parallel samples are forked (copy-on-write) from sample 0 once its prompt
 * is computed. Output of a sequence preempted while its step was in flight is still appended (SCH-5).
 *
 * <h2>Preemption</h2>
 * Recompute frees the blocks (their hashes stay cached, so a resumed sequence usually hits its own prefix), resets
 * {@code numComputed} and returns the sequence to the queue's front; swap copies the blocks to the host tier instead.
 * A preempted sequence resumes only when {@code resumeWatermark} of the pool stays free after it (hysteresis against
 * the preempt/resume thrash of vLLM #25538). Preemptions are counted per sequence and in total.
 *
 * <p>Confined to the engine thread. Steady-state steps allocate nothing: plans, step records and scratch arrays are
 * reused.
 */
public final class StepScheduler implements RunningBatch {

    private final EngineConfig cfg;
    private final KvCacheManager kv;
    private final RequestQueue waiting;
    private final VictimSelector victims;
    private final BatchComposer composer;
    private final Clock clock;
    private final int maxModelLen;
    private final int eosTokenId;
    private final int numKvGroups;
    private final int resumeWatermarkBlocks;

    private Sequence[] running = new Sequence[64];
    private int numRunning;

    // Decisions of the step being planned: planned sequences and their token counts, emitted into the plan at the end
    // (so that a victim scheduled earlier in the same step can be handed back).
    private Sequence[] decided = new Sequence[64];
    private int[] decidedTokens = new int[64];
    private int[] decidedDrafts = new int[64];
    private boolean[] decidedNew = new boolean[64];
    private int numDecided;

    private Sequence[] setAside = new Sequence[16];
    private int numSetAside;

    private int[] freeSlots = new int[64];
    private int numFreeSlots;
    private int nextSlot;
    private int[] releasing = new int[16];
    private int numReleasing;

    private final Int2IntHashMap loraRunning = new Int2IntHashMap(0);

    private long stepCounter;
    private long queuedTokens;
    private long runningPrefill;
    private long totalPreemptions;
    private long totalSwapPreemptions;
    private long totalRecomputedTokens;
    private boolean runningDirty;
    private final SpecDecodeStats specStats = new SpecDecodeStats();
    /** KV slots held beyond a decoding sequence's step for a drafter that writes into its blocks (0: none). */
    private int draftLookahead;

    /**
     * @param cfg         scheduler knobs
     * @param kv          the KV manager (this scheduler is its only caller)
     * @param waiting     the waiting-queue policy
     * @param victims     the preemption victim policy
     * @param clock       the engine clock
     * @param maxModelLen the longest sequence served (the smaller of the model's and the config's)
     * @param eosTokenId  the model's end-of-sequence token
     * @param numKvGroups KV-cache groups of the model (block tables per sequence)
     */
    public StepScheduler(EngineConfig cfg, KvCacheManager kv, RequestQueue waiting, VictimSelector victims,
                         Clock clock, int maxModelLen, int eosTokenId, int numKvGroups) {
        this(cfg, kv, waiting, victims, BatchComposer.vllm(), clock, maxModelLen, eosTokenId, numKvGroups);
    }

    /**
     * @param composer how the step's budget is sized and shared (see {@link BatchComposer})
     */
    public StepScheduler(EngineConfig cfg, KvCacheManager kv, RequestQueue waiting, VictimSelector victims,
                         BatchComposer composer, Clock clock, int maxModelLen, int eosTokenId, int numKvGroups) {
        this.cfg = cfg;
        this.kv = kv;
        this.waiting = waiting;
        this.victims = victims;
        this.composer = composer;
        this.clock = clock;
        this.maxModelLen = maxModelLen;
        this.eosTokenId = eosTokenId;
        this.numKvGroups = numKvGroups;
        int usable = kv.config().numDeviceBlocks() - 1;
        this.resumeWatermarkBlocks = (int) Math.ceil(cfg.resumeWatermark() * usable);
    }

    // ================================================================== arrivals and removals

    /** Takes an accepted request: its sample 0 joins the waiting queue; further samples wait to be forked. */
    public void add(Request request) {
        InferenceRequest r = request.request();
        CacheKeyContext ctx = new CacheKeyContext(r.loraAdapter(), r.cacheSalt(), r.multimodal());
        for (int i = 0; i < request.numSamples(); i++) {
            Sequence seq = request.sample(i);
            seq.setKv(kv.open(seq, ctx));
        }
        enqueue(request.sample(0), false);
    }

    /**
     * Ends every unfinished sample of {@code request} now (cancellation, deadline, queue timeout, shutdown): removes
     * it from wherever it is and releases its blocks.
     */
    public void abort(Request request, FinishReason reason) {
        for (int i = 0; i < request.numSamples(); i++) {
            Sequence seq = request.sample(i);
            if (!seq.isFinished()) {
                finish(seq, reason, -1, clock.nanoTime());
            }
        }
        compactRunning();
    }

    /**
     * {@code request}'s queue timeout passed before its first step. Returns whether its queue kept it, delayed behind
     * the unexpired requests of its priority (Triton's DELAY); otherwise the caller ends it (REJECT).
     */
    public boolean delayExpired(Request request) {
        Sequence seq = request.sample(0);
        return seq.status() == SequenceStatus.WAITING && waiting.delayExpired(seq);
    }

    // ================================================================== planning

    /**
     * Plans the next step into {@code out} (whose plan is cleared first). May preempt running sequences.
     *
     * @return {@code out}
     */
    public ScheduledStep schedule(ScheduledStep out) {
        long now = clock.nanoTime();
        compactRunning();
        out.begin(++stepCounter);
        waiting.beforeStep(now);
        numDecided = 0;
        int budget = Math.min(cfg.maxNumBatchedTokens(),
                composer.beginStep(now, this, cfg.maxNumBatchedTokens()));
        boolean preempted = false;
        int partialPrefills = 0;

        // ---- running sequences first
        for (int i = 0; i < numRunning && budget > 0; i++) {
            Sequence seq = running[i];
            int n = runningTokens(seq, budget);
            if (n > 0) {
                n = Math.min(n, composer.runningTokens(seq, n, budget));
            }
            if (n <= 0) {
                continue;
            }
            int drafts = draftsWithin(seq, n);
            boolean self = false;
            while (!kv.allocateSlots(seq.kv(), seq.numComputed(), n, lookahead(seq, n))) {
                int v = victims.selectVictim(this, seq);
                if (running[v] == seq && releaseParkedForks()) {
                    // Nothing else runs, but waiting forks hold blocks: they give them up (and recompute, mostly
                    // from the prefix cache) rather than the running sequence preempting itself for good.
                    continue;
                }
                Sequence victim = running[v];
                budget += undoDecision(victim);
                preempt(victim, out);
                removeRunningAt(v);
                preempted = true;
                if (victim == seq) {
                    self = true;
                    break;
                }
                if (v < i) {
                    i--;
                }
            }
            if (self) {
                break;
            }
            decide(seq, n, drafts, false);
            composer.scheduled(seq, seq.numComputed(), n, drafts);
            budget -= n;
            if (seq.remainingPrefill() > n) {
                partialPrefills++;
            }
        }

        // ---- then waiting sequences, unless memory was short
        if (!preempted) {
            numSetAside = 0;
            while (budget > 0 && !waiting.isEmpty()) {
                Sequence seq = waiting.peek();
                if (numRunning >= cfg.maxNumSeqs() && !displaceFor(seq, out)) {
                    break;
                }
                if (seq.numPlaceholders() > 0 || !loraFits(seq)) {
                    setAside(waiting.pop());
                    continue;
                }
                int computed = startingPoint(seq);
                int n = seq.length() - computed;
                if (cfg.longPrefillTokenThreshold() > 0) {
                    n = Math.min(n, cfg.longPrefillTokenThreshold());
                }
                if (!cfg.enableChunkedPrefill() && n > budget) {
                    break;
                }
                n = Math.min(n, budget);
                int offered = composer.admitTokens(seq, computed, n, budget);
                if (offered <= 0) {
                    break;
                }
                n = Math.min(n, offered);
                boolean completes = computed + n >= seq.length();
                if (!completes && cfg.maxNumPartialPrefills() > 0 && partialPrefills >= cfg.maxNumPartialPrefills()) {
                    if (!passOver(seq, now)) {
                        break;
                    }
                    continue;
                }
                if (!admit(seq, computed, n)) {
                    if (numRunning == 0 && releaseParkedForks()) {
                        continue; // nothing runs to free memory: retry the head with the forks' blocks
                    }
                    if (!passOver(seq, now)) {
                        break;
                    }
                    continue;
                }
                waiting.pop();
                leaveQueue(seq);
                boolean resumed = seq.status() == SequenceStatus.PREEMPTED;
                if (!resumed && seq.sampleIndex() == 0 && computed > 0) {
                    seq.request().recordCachedPromptTokens(computed);
                }
                seq.setNumComputed(computed);
                seq.setSkippedSinceNanos(-1);
                seq.setStatus(SequenceStatus.RUNNING);
                seq.reserveOutput();
                addRunning(seq);
                if (seq.request().markScheduled(now)) {
                    seq.request().listener().requestStarted(seq.request(), now);
                }
                decide(seq, n, 0, true);
                composer.scheduled(seq, computed, n, 0);
                budget -= n;
                if (!completes) {
                    partialPrefills++;
                }
            }
            for (int j = numSetAside - 1; j >= 0; j--) {
                waiting.prepend(setAside[j]);
                setAside[j] = null;
            }
            numSetAside = 0;
        }

        emit(out);
        runningPrefill = runningPrefillTokens();
        out.setPrefillLeftTokens(queuedTokens + runningPrefill);
        return out;
    }

    /** Prompt (or recompute) tokens the running sequences still have to compute after the planned step. */
    private long runningPrefillTokens() {
        long tokens = 0;
        for (int i = 0; i < numRunning; i++) {
            Sequence seq = running[i];
            // A fresh prompt computes every token (its last one samples the first output); a sequence with output
            // recomputes up to its last token, which is the input of its next decode.
            int end = seq.numOutput() > 0 ? seq.length() - 1 : seq.length();
            tokens += Math.max(0, end - seq.numComputed());
        }
        return tokens;
    }

    /** Tokens a running sequence wants this step, after caps; 0 or less means "nothing to do now". */
    private int runningTokens(Sequence seq, int budget) {
        if (seq.numOutput() + seq.numPlaceholders() >= seq.maxTokens()
                || seq.length() + seq.numPlaceholders() >= maxModelLen) {
            return 0;
        }
        // Drafts only for a sequence in decode (never during a prefill chunk, SCH-4) with no output in flight.
        boolean decoding = seq.numComputed() >= seq.length() - 1;
        int drafts = seq.numPlaceholders() > 0 || !decoding ? 0 : seq.numDrafts();
        int n = seq.length() + seq.numPlaceholders() + drafts - seq.numComputed();
        if (cfg.longPrefillTokenThreshold() > 0) {
            n = Math.min(n, cfg.longPrefillTokenThreshold());
        }
        n = Math.min(n, budget);
        return Math.min(n, maxModelLen - 1 - seq.numComputed());
    }

    /**
     * Speculative lookahead slots for a running sequence computing {@code n} tokens: only in decode, capped at the model
     * length (vLLM's {@code num_lookahead_tokens}).
     */
    private int lookahead(Sequence seq, int n) {
        if (draftLookahead == 0 || seq.numComputed() < seq.length() - 1) {
            return 0;
        }
        return Math.max(0, Math.min(draftLookahead, maxModelLen - seq.numComputed() - n));
    }

    /** Drafts among a running sequence's {@code n} tokens: only when the step completes its known tokens (SCH-4). */
    private static int draftsWithin(Sequence seq, int n) {
        if (seq.numDrafts() == 0 || seq.numPlaceholders() > 0 || seq.numComputed() < seq.length() - 1) {
            return 0;
        }
        int beyond = seq.numComputed() + n - seq.length();
        return Math.max(0, Math.min(seq.numDrafts(), beyond));
    }

    /** Where a waiting sequence starts: its swapped or forked KV, else a fresh prefix-cache lookup. */
    private int startingPoint(Sequence seq) {
        if (seq.isSwapped() || seq.kv().holdsBlocks()) {
            return seq.numComputed();
        }
        if (!cfg.enablePrefixCaching() || seq.request().request().skipPrefixCacheRead()) {
            return 0;
        }
        return kv.lookupPrefix(seq.kv());
    }

    /** Allocates KV for a waiting sequence (swap-in, staged hit or fresh), honouring the admission gates. */
    private boolean admit(Sequence seq, int computed, int n) {
        int free = kv.numFreeBlocks();
        if (cfg.admitOnlyIfPromptFits() || seq.status() == SequenceStatus.PREEMPTED) {
            // Blocks beyond the prefix (a hit or KV it holds); hits on evictable blocks are not counted, so this
            // gate is slightly optimistic when the hit blocks are themselves free.
            int need = kv.blocksNeeded(seq.length()) - kv.blocksNeeded(computed);
            int reserve = seq.status() == SequenceStatus.PREEMPTED && numRunning > 0 ? resumeWatermarkBlocks : 0;
            if (need + reserve > free) {
                return false;
            }
        }
        if (seq.isSwapped()) {
            if (kv.blocksNeeded(computed + n) > free || !kv.swapIn(seq.kv(), 0)) {
                return false;
            }
            seq.setSwapped(false);
            return kv.allocateSlots(seq.kv(), computed, n, 0);
        }
        return kv.allocateSlots(seq.kv(), computed, n, 0);
    }

    /**
     * Breaks a deadlock: a forked child waits in the queue holding the blocks it shares with its parent
     * (copy-on-write), and victims are chosen only among running sequences. When nothing runs and the queue's head
     * cannot get its KV (say, the parent was preempted and a longer sequence sits ahead of the child), those blocks
     * would never come back. Every waiting sequence that holds device blocks gives them back and will compute its
     * prompt again (usually from the prefix cache). Rare, so it may allocate (the queue's iterator).
     *
     * @return whether any blocks were released
     */
    private boolean releaseParkedForks() {
        boolean released = false;
        for (Sequence s : waiting) {
            if (!s.isSwapped() && s.kv().holdsBlocks()) {
                kv.free(s.kv());
                s.setNumComputed(0);
                s.bumpEpoch();
                queuedTokens += s.length() - s.queuedTokens();
                s.setQueuedTokens(s.length());
                released = true;
            }
        }
        return released;
    }

    /** Skip-ahead: set a head that cannot start aside, unless it has been passed over for too long. */
    private boolean passOver(Sequence seq, long now) {
        if (!cfg.skipAhead()) {
            return false;
        }
        if (seq.skippedSinceNanos() < 0) {
            seq.setSkippedSinceNanos(now);
        } else if (now - seq.skippedSinceNanos() >= cfg.skipAheadMaxWait().toNanos()) {
            return false;
        }
        setAside(waiting.pop());
        return true;
    }

    /** With a full batch, a strictly more important waiting sequence may displace the least important running one. */
    private boolean displaceFor(Sequence candidate, ScheduledStep out) {
        int v = victims.selectDisplaced(this, candidate);
        if (v < 0) {
            return false;
        }
        Sequence victim = running[v];
        undoDecision(victim);
        preempt(victim, out);
        removeRunningAt(v);
        return true;
    }

    private boolean loraFits(Sequence seq) {
        int lora = seq.loraSlot();
        if (cfg.maxLoras() == 0 || lora == 0 || loraRunning.get(lora) > 0) {
            return true;
        }
        return loraRunning.size() < cfg.maxLoras();
    }

    private void decide(Sequence seq, int n, int drafts, boolean isNew) {
        int i = numDecided;
        if (i == decided.length) {
            int m = i * 2;
            decided = Arrays.copyOf(decided, m);
            decidedTokens = Arrays.copyOf(decidedTokens, m);
            decidedDrafts = Arrays.copyOf(decidedDrafts, m);
            decidedNew = Arrays.copyOf(decidedNew, m);
        }
        decided[i] = seq;
        decidedTokens[i] = n;
        decidedDrafts[i] = drafts;
        decidedNew[i] = isNew;
        numDecided = i + 1;
    }

    /** Hands back a victim's decision of this step; returns the tokens refunded. */
    private int undoDecision(Sequence victim) {
        for (int i = 0; i < numDecided; i++) {
            if (decided[i] == victim) {
                int n = decidedTokens[i];
                decidedTokens[i] = 0;
                return n;
            }
        }
        return 0;
    }

    /** Writes the decided sequences into the plan and advances their counters. */
    private void emit(ScheduledStep out) {
        StepPlan plan = out.plan();
        for (int d = 0; d < numDecided; d++) {
            int n = decidedTokens[d];
            Sequence seq = decided[d];
            decided[d] = null;
            if (n <= 0) {
                continue;
            }
            int drafts = decidedDrafts[d];
            if (seq.slot() < 0) {
                seq.setSlot(takeSlot());
            }
            int pos = seq.numComputed();
            int known = seq.length();
            boolean samples = pos + n >= known + seq.numPlaceholders();
            int flags = samples ? StepPlan.FLAG_SAMPLE : 0;
            int i = plan.addSequence(seq.slot(), seq.seed(), seq.sampling(), seq.loraSlot(), pos, drafts, flags);
            int at = plan.reserveTokens(n);
            int[] tokens = plan.tokenArray();
            int draftStart = pos + n - drafts;
            for (int p = pos, k = 0; k < n; p++, k++) {
                if (p >= draftStart) {
                    tokens[at + k] = seq.draft(p - draftStart);
                } else if (p < known) {
                    tokens[at + k] = seq.tokenAt(p);
                } else {
                    tokens[at + k] = StepPlan.PLACEHOLDER_TOKEN;
                }
            }
            for (int g = 0; g < numKvGroups; g++) {
                BlockTable table = seq.kv().blockTable(g);
                plan.setBlockTable(i, g, table, table.size());
            }
            boolean prefill = n - drafts > 1;
            // One-step-ahead only: the token this step samples is a placeholder until its result is applied.
            int placeholders = samples && cfg.asyncScheduling() ? 1 : 0;
            seq.addComputed(n);
            seq.addPlaceholders(placeholders);
            if (drafts > 0) {
                seq.clearDrafts();
            }
            out.add(seq, n, drafts, pos + n, placeholders, prefill);
            if (decidedNew[d]) {
                out.countNew();
            }
            waiting.onScheduled(seq, n);
        }
        numDecided = 0;
        if (plan.numSeqs() == 0 && numReleasing == 0 && out.numSwappedOut() == 0) {
            // Nothing for the device: drivers neither launch nor apply an empty step, so the KV manager's record of it
            // must stay open. Sealed, it would sit in the FIFO of drained steps that no apply ever completes, and every
            // later apply would complete the record of the step before its own (host blocks pinned for good).
            return;
        }
        kv.drainMoves(plan);
        for (int r = 0; r < numReleasing; r++) {
            plan.addReleased(releasing[r]);
            pushFreeSlot(releasing[r]);
        }
        numReleasing = 0;
    }

    // ================================================================== applying results

    /** Applies the device's result of {@code step}: tokens, stops, prefix-cache commits, forks. */
    public void apply(ScheduledStep step, StepResult result) {
        long now = clock.nanoTime();
        for (int i = 0; i < step.numSeqs(); i++) {
            Sequence seq = step.seq(i);
            seq.addPlaceholders(-step.placeholders(i));
            if (seq.isFinished()) {
                continue;
            }
            int sampled = result.numSampled(i);
            int drafts = step.numDrafts(i);
            int rejected = drafts > 0 && sampled > 0 ? drafts + 1 - sampled : 0;
            if (drafts > 0 && sampled > 0) {
                specStats.record(drafts, sampled - 1);
            }
            boolean sameKv = step.epoch(i) == seq.epoch();
            if (sameKv && seq.status() == SequenceStatus.RUNNING) {
                if (rejected > 0) {
                    seq.addComputed(-rejected);
                }
                kv.commit(seq.kv(), Math.min(step.validAfter(i) - rejected, seq.length()));
            }
            if (sampled > 0) {
                appendTokens(seq, result, i, sampled, now);
            }
        }
        kv.stepCompleted(true);
        compactRunning();
    }

    private void appendTokens(Sequence seq, StepResult result, int i, int sampled, long now) {
        int from = seq.numOutput();
        FinishReason reason = null;
        int token = -1;
        seq.markOutputTime(now);
        for (int k = 0; k < sampled && reason == null; k++) {
            token = result.sampled(i, k);
            seq.appendOutput(token);
            reason = stopReason(seq, token);
        }
        int appended = seq.numOutput() - from;
        if (from == 0) {
            seq.request().markFirstToken(now);
        }
        waiting.onOutput(seq, appended);
        seq.listener().tokensAppended(seq, from, appended, now);
        if (from == 0 && seq.sampleIndex() == 0) {
            forkSamples(seq.request());
        }
        if (reason != null) {
            boolean byStopToken = reason == FinishReason.STOP && !(token == eosTokenId && !seq.ignoreEos());
            finish(seq, reason, byStopToken ? token : -1, now);
        }
    }

    /**
     * vLLM's stop rules for the token just appended, in vLLM's order: nothing stops before {@code minTokens}; then EOS
     * (unless ignored), a stop token, {@code maxTokens}, the model length. Returns null to continue.
     */
    private FinishReason stopReason(Sequence seq, int token) {
        if (seq.numOutput() < seq.minTokens()) {
            return null;
        }
        if (!seq.ignoreEos() && token == eosTokenId) {
            return FinishReason.STOP;
        }
        if (seq.isStopToken(token)) {
            return FinishReason.STOP;
        }
        if (seq.numOutput() >= seq.maxTokens() || seq.length() >= maxModelLen) {
            return FinishReason.LENGTH;
        }
        return null;
    }

    /**
     * Sample 0 just computed the prompt: fork every other sample from it. A child shares sample 0's blocks
     * (copy-on-write) and recomputes only the last prompt token, so it samples its first token from the same
     * distribution with its own random stream.
     */
    private void forkSamples(Request request) {
        Sequence parent = request.sample(0);
        // The parent's prompt KV can only be shared while it sits on the device (a step in flight may have been
        // overtaken by a preemption of the parent); otherwise each sample computes its prompt itself, usually from
        // the prefix cache.
        boolean share = parent.status() == SequenceStatus.RUNNING && !parent.isSwapped() && parent.kv().holdsBlocks()
                && parent.numComputed() >= parent.promptLength();
        for (int s = 1; s < request.numSamples(); s++) {
            Sequence child = request.sample(s);
            if (child.status() != SequenceStatus.AWAITING_FORK) {
                continue;
            }
            if (share) {
                kv.fork(parent.kv(), child.kv());
                child.setNumComputed(child.promptLength() - 1);
            } else {
                child.setNumComputed(0);
            }
            child.setStatus(SequenceStatus.WAITING);
            enqueue(child, true);
        }
    }

    /**
     * The step failed on the device. Its sequences end with DEVICE_ERROR, or (by policy) return to the queue to
     * recompute from scratch. Their KV is treated as lost either way.
     */
    public void failStep(ScheduledStep step, FailurePolicy policy) {
        long now = clock.nanoTime();
        kv.stepCompleted(false);
        for (int i = 0; i < step.numSeqs(); i++) {
            Sequence seq = step.seq(i);
            seq.addPlaceholders(-step.placeholders(i));
            if (seq.isFinished()) {
                continue;
            }
            Request r = seq.request();
            r.recordDeviceFailure();
            if (policy == FailurePolicy.REQUEUE && r.deviceFailures() <= cfg.maxDeviceRetries()) {
                requeueForRecompute(seq);
            } else {
                finish(seq, FinishReason.DEVICE_ERROR, -1, now);
            }
        }
        recoverLostSwaps(step);
        compactRunning();
    }

    /**
     * A planned step will never run (the step before it failed): its sequences go back to the queue to recompute
     * from scratch, and swaps decided while planning it are undone by recomputation.
     */
    public void abandonStep(ScheduledStep step) {
        kv.stepCompleted(false);
        for (int i = 0; i < step.numSeqs(); i++) {
            Sequence seq = step.seq(i);
            seq.addPlaceholders(-step.placeholders(i));
            if (!seq.isFinished()) {
                requeueForRecompute(seq);
            }
        }
        recoverLostSwaps(step);
        compactRunning();
    }

    /** Sequences swapped out while planning a step that never completed lost their KV: they recompute. */
    private void recoverLostSwaps(ScheduledStep step) {
        for (int i = 0; i < step.numSwappedOut(); i++) {
            Sequence seq = step.swappedOut(i);
            if (!seq.isFinished() && seq.isSwapped()) {
                kv.free(seq.kv());
                seq.setSwapped(false);
                seq.setNumComputed(0);
                seq.bumpEpoch();
                queuedTokens += seq.length() - seq.queuedTokens();
                seq.setQueuedTokens(seq.length());
            }
        }
    }

    private void requeueForRecompute(Sequence seq) {
        SequenceStatus st = seq.status();
        if (st == SequenceStatus.RUNNING) {
            removeRunning(seq);
        } else if (st == SequenceStatus.WAITING || st == SequenceStatus.PREEMPTED) {
            if (waiting.remove(seq)) {
                leaveQueue(seq);
            }
        }
        kv.free(seq.kv());
        seq.setSwapped(false);
        seq.bumpEpoch();
        // Everything is recomputed, a forked child's shared prompt included (it may hit the prefix cache).
        seq.setNumComputed(0);
        seq.setStatus(SequenceStatus.PREEMPTED);
        enqueue(seq, true);
    }

    // ================================================================== preemption and finishing

    private void preempt(Sequence victim, ScheduledStep out) {
        victim.countPreemption();
        totalPreemptions++;
        out.countPreemption();
        if (cfg.maxPreemptions() > 0 && victim.numPreemptions() > cfg.maxPreemptions()) {
            victim.setStatus(SequenceStatus.PREEMPTED);
            finishDetached(victim, FinishReason.KV_EXHAUSTED);
            return;
        }
        victim.setStatus(SequenceStatus.PREEMPTED);
        victim.bumpEpoch();
        if (cfg.swapPreemption() && kv.swapOut(victim.kv())) {
            totalSwapPreemptions++;
            victim.setSwapped(true);
            out.addSwappedOut(victim);
        } else {
            totalRecomputedTokens += victim.numComputed();
            kv.free(victim.kv());
            victim.setNumComputed(0);
        }
        victim.clearDrafts();
        enqueue(victim, true);
    }

    /** Finishes a sequence that is not in the running array nor in the queue. */
    private void finishDetached(Sequence seq, FinishReason reason) {
        long now = clock.nanoTime();
        kv.free(seq.kv());
        completeFinish(seq, reason, -1, now);
    }

    private void finish(Sequence seq, FinishReason reason, int stopToken, long now) {
        switch (seq.status()) {
            case RUNNING -> removeRunning(seq);
            case WAITING, PREEMPTED -> {
                if (waiting.remove(seq)) {
                    leaveQueue(seq);
                }
            }
            default -> {
            }
        }
        if (seq.kv() != null) {
            kv.free(seq.kv());
        }
        seq.setSwapped(false);
        completeFinish(seq, reason, stopToken, now);
    }

    private void completeFinish(Sequence seq, FinishReason reason, int stopToken, long now) {
        if (seq.slot() >= 0) {
            releaseSlot(seq.slot());
            seq.setSlot(-1);
        }
        seq.setFinished(reason, stopToken);
        seq.clearDrafts();
        waiting.onFinished(seq);
        Request r = seq.request();
        r.sampleFinished(now);
        r.listener().sequenceFinished(seq, now);
        if (seq.sampleIndex() == 0) {
            for (int s = 1; s < r.numSamples(); s++) {
                Sequence child = r.sample(s);
                if (child.status() == SequenceStatus.AWAITING_FORK) {
                    completeFinish(child, reason, -1, now);
                }
            }
        }
    }

    // ================================================================== running batch

    private void addRunning(Sequence seq) {
        if (numRunning == running.length) {
            running = Arrays.copyOf(running, numRunning * 2);
        }
        running[numRunning++] = seq;
        int lora = seq.loraSlot();
        if (lora != 0) {
            loraRunning.put(lora, loraRunning.get(lora) + 1);
        }
    }

    private void removeRunningAt(int index) {
        Sequence seq = running[index];
        System.arraycopy(running, index + 1, running, index, numRunning - index - 1);
        running[--numRunning] = null;
        loraLeft(seq);
    }

    /** Marks a running sequence for removal; the array is compacted at the next {@link #compactRunning()}. */
    private void removeRunning(Sequence seq) {
        runningDirty = true;
        loraLeft(seq);
        seq.setStatus(SequenceStatus.PREEMPTED);
    }

    private void loraLeft(Sequence seq) {
        int lora = seq.loraSlot();
        if (lora != 0) {
            int c = loraRunning.get(lora) - 1;
            if (c <= 0) {
                loraRunning.remove(lora);
            } else {
                loraRunning.put(lora, c);
            }
        }
    }

    private void compactRunning() {
        if (!runningDirty) {
            return;
        }
        int w = 0;
        for (int r = 0; r < numRunning; r++) {
            Sequence s = running[r];
            if (s.status() == SequenceStatus.RUNNING) {
                running[w++] = s;
            }
        }
        Arrays.fill(running, w, numRunning, null);
        numRunning = w;
        runningDirty = false;
    }

    @Override
    public int size() {
        return numRunning;
    }

    @Override
    public Sequence get(int index) {
        return running[index];
    }

    @Override
    public double kvUsage() {
        return kv.usage();
    }

    @Override
    public long preemptions() {
        return totalPreemptions;
    }

    // ================================================================== queue bookkeeping

    private void enqueue(Sequence seq, boolean front) {
        int tokens = Math.max(0, seq.length() - seq.numComputed());
        seq.setQueuedTokens(tokens);
        queuedTokens += tokens;
        if (front) {
            waiting.prepend(seq);
        } else {
            waiting.add(seq);
        }
    }

    private void leaveQueue(Sequence seq) {
        queuedTokens -= seq.queuedTokens();
        seq.setQueuedTokens(0);
    }

    private void setAside(Sequence seq) {
        if (numSetAside == setAside.length) {
            setAside = Arrays.copyOf(setAside, numSetAside * 2);
        }
        setAside[numSetAside++] = seq;
    }

    // ================================================================== device slots

    private int takeSlot() {
        return numFreeSlots > 0 ? freeSlots[--numFreeSlots] : nextSlot++;
    }

    private void releaseSlot(int slot) {
        if (numReleasing == releasing.length) {
            releasing = Arrays.copyOf(releasing, numReleasing * 2);
        }
        releasing[numReleasing++] = slot;
    }

    private void pushFreeSlot(int slot) {
        if (numFreeSlots == freeSlots.length) {
            freeSlots = Arrays.copyOf(freeSlots, numFreeSlots * 2);
        }
        freeSlots[numFreeSlots++] = slot;
    }

    // ================================================================== inspection

    /** Speculative-decoding counters with vLLM's definitions. */
    public SpecDecodeStats specDecodeStats() {
        return specStats;
    }

    /**
     * Drops every cached block hash (weights changed, KV-13). Fails while blocks are in use, unless
     * {@code resetRunning}: then every running sequence is first preempted (recompute) back to the waiting queue in its
     * original order, and the reset succeeds once nothing else holds blocks.
     */
    public boolean resetPrefixCache(boolean resetRunning) {
        compactRunning();
        if (resetRunning) {
            for (int i = numRunning - 1; i >= 0; i--) {
                Sequence seq = running[i];
                seq.setStatus(SequenceStatus.PREEMPTED);
                seq.bumpEpoch();
                kv.free(seq.kv());
                seq.setNumComputed(0);
                seq.setSwapped(false);
                loraLeft(seq);
                running[i] = null;
                enqueue(seq, true);
            }
            numRunning = 0;
        }
        return kv.resetPrefixCache();
    }

    /** Sequences in the running batch. */
    public int numRunning() {
        compactRunning();
        return numRunning;
    }

    /** Sequences in the waiting queue (including preempted ones). */
    public int numWaiting() {
        return waiting.size();
    }

    /**
     * Prompt tokens still to compute after the last planned step: the waiting sequences' (before prefix-cache hits)
     * plus what running partial prefills have left. The work a new request's prefill queues behind.
     */
    public long prefillBacklogTokens() {
        return queuedTokens + runningPrefill;
    }

    /** Tokens the waiting sequences still have to compute before their prefix-cache hits. */
    public long queuedTokens() {
        return queuedTokens;
    }

    /** Whether anything is running, waiting, or still has to be told to the device. */
    public boolean hasWork() {
        return numRunning > 0 || !waiting.isEmpty() || numReleasing > 0;
    }

    public long totalPreemptions() {
        return totalPreemptions;
    }

    public long totalSwapPreemptions() {
        return totalSwapPreemptions;
    }

    /** Tokens whose KV was thrown away by recompute preemptions. */
    public long totalRecomputedTokens() {
        return totalRecomputedTokens;
    }

    public long stepsPlanned() {
        return stepCounter;
    }

    public RequestQueue waitingQueue() {
        return waiting;
    }

    public KvCacheManager kv() {
        return kv;
    }

    public EngineConfig config() {
        return cfg;
    }

    public int maxModelLen() {
        return maxModelLen;
    }

    /**
     * KV slots to hold beyond each decoding step for a drafter that writes its own KV into the sequence's blocks
     * (vLLM's {@code num_lookahead_tokens}: {@code k} for EAGLE/MTP heads on the device, 0 for n-gram lookup or a draft
     * model with its own cache). Set once, by the speculative decoder, before the first step.
     */
    public void setDraftLookahead(int slots) {
        if (slots < 0) {
            throw new IllegalArgumentException("draft lookahead must not be negative, got " + slots);
        }
        this.draftLookahead = slots;
    }

    /**
     * Offers draft tokens for a running sequence's next step (from a proposer); a count of 0 withdraws earlier drafts.
     * They are trimmed to the model length and the output still allowed, and ignored with one-step-ahead scheduling
     * (the next step is planned before this one's tokens are known). The device verifies them; rejected positions
     * are rolled back when the result is applied and never reach the prefix cache.
     */
    public void proposeDrafts(Sequence seq, int[] tokens, int count) {
        if (seq.status() != SequenceStatus.RUNNING || cfg.asyncScheduling()) {
            return;
        }
        int room = Math.min(count, Math.min(maxModelLen - 1 - seq.length(), seq.remainingOutput() - 1));
        if (room > 0) {
            seq.setDrafts(tokens, room);
        } else {
            seq.clearDrafts();
        }
    }
}
