package dev.baton.scheduler.compose;

import dev.baton.accelerator.CostModel;
import dev.baton.accelerator.StepShape;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.preemption.RunningBatch;
import dev.baton.scheduler.queue.RequestQueue;
import org.agrona.collections.Object2IntHashMap;

import java.util.Objects;

/**
 * Baton's SLO-aware step composer: every step is sized, with the device's {@link CostModel}, so that the requests
 * already decoding keep their time-per-output-token targets, the prefill work that fits goes to the most urgent
 * requests first, and new requests are admitted only while they do not break the SLOs of what already runs.
 *
 * <h2>Where it comes from</h2>
 * <ul>
 *   <li><b>Sarathi-Serve</b> (Agrawal et al., OSDI'24): chunked prefill with stall-free batching -- decodes first, then
 *       prefill chunks under a token budget chosen so that a step meets the time-between-tokens target. Sarathi picks
 *       one budget offline; here the budget is a <em>time</em>, recomputed every step from the SLOs and slack of the
 *       decodes actually running, and converted to tokens with the cost model (see {@link SarathiComposer} for the
 *       fixed-budget original).</li>
 *   <li><b>DistServe</b> (Zhong et al., OSDI'24): the objective is goodput -- requests that meet <em>both</em> their
 *       TTFT and TPOT targets -- rather than raw throughput; a step that delights one request while breaking another's
 *       target is a loss.</li>
 *   <li><b>SLOs-Serve</b> (arXiv 2504.08784): per-step token allocation driven by each request's SLO (there a dynamic
 *       program over chunk sizes; here the greedy earliest-deadline special case, which is optimal for a single step
 *       when chunks are divisible) and soft admission control.</li>
 *   <li><b>Andes</b> (arXiv 2404.16283): token delivery is judged against each request's own timeline; a request ahead
 *       of its timeline has slack that the scheduler may spend on others.</li>
 *   <li><b>Mooncake</b> (Qin et al., FAST'25): refuse work early rather than accept work that will miss; here inside
 *       the engine (stop admitting into a batch that would break), at the door see
 *       {@link dev.baton.scheduler.admission.DeadlineFeasibility}.</li>
 * </ul>
 *
 * <h2>One step</h2>
 * <ol>
 *   <li><b>Time budget.</b> A decoding request with TPOT target {@code tpot} whose first token came at {@code t0} meets
 *   its target if its {@code j}-th token after the first comes by {@code t0 + j x tpot} (the mean over all its gaps is
 *   then at most {@code tpot}). The token this step produces is due at that time, so the step may last at most
 *   {@code due - now} (less the step still on the device, with one-step-ahead scheduling). A request behind its
 *   timeline still allows {@code catchUp x tpot}, so it recovers by short steps instead of starving everyone. The
 *   step's time limit is the minimum over decodes, times a {@code safety} factor for cost-model error. Requests ahead
 *   of their timeline (slack) allow longer steps -- bigger prefill chunks, more throughput -- without breaking
 *   anyone.</li>
 *   <li><b>Decodes first</b> (stall-free): every running decode is in the step.</li>
 *   <li><b>Prefills by urgency.</b> Partial prefills get chunks in {@link PrefillRank} order (EDF on the TTFT
 *   deadline for {@code slo}; the tenant's virtual token counter for {@code fair}), each the largest chunk that keeps
 *   the predicted step time within the limit (a short search over the monotone cost model). The head of the waiting
 *   queue (when the composer is given the queue) takes its place in that order: if it outranks a running prefill,
 *   the time its chunk needs is kept free for it, so a new urgent request does not wait behind a long, less urgent
 *   prompt that happened to start first.</li>
 *   <li><b>Admission</b> (the waiting queue's order: earliest TTFT deadline first, hopeless requests last). A new
 *   request is admitted only if (a) the KV its whole life needs ({@code prompt + outputRatio x maxTokens}, summed over the batch)
 *   fits under {@code kvLimit} of the cache, so it will not later preempt the requests that run now; (b) the batch's
 *   decode step it joins when its prefill completes -- the running requests still decoding by then (each holds its
 *   seat for about {@code outputRatio x maxTokens} tokens), at their context then, plus this one at its mean
 *   context -- stays within {@code decodeShare x} the tightest TPOT target, leaving the rest of each step for
 *   prefill progress; or, failing that, the same step plus the prompt tokens that replace departing seats at steady
 *   state (Little's law: a seat admits {@code prompt / output} prompt tokens per step) stays within {@code safety x}
 *   the target; and (c) some of its prompt fits in this step's time. The first refusal stops admission for the step
 *   (the queue's order is the priority order, so a later request must not overtake an earlier one by being
 *   smaller).</li>
 * </ol>
 * Without any TPOT target the step is limited by the token budget only, and the composer behaves like vLLM's with
 * decodes reserved first and running prefills in urgency order.
 *
 * <h2>Seats for the light tenants</h2>
 * Fair queueing (VTC) decides who is admitted next, but a request can only be admitted into a free decode seat, and a
 * heavy tenant that fills every seat makes a light tenant's next request wait for one of its requests to finish. With
 * {@code reserveSeats > 0}, a tenant that already holds at least its share of the batch (running sequences divided by
 * the tenants running) is admitted only while the decode step stays within its limit with {@code reserveSeats} more
 * decodes in it: the heavy tenant still uses idle capacity (work-conserving up to the reserve), and a light tenant's
 * arrival finds a seat at once.
 *
 * <h2>Latency isolation</h2>
 * Fair shares of service do not keep a light tenant's time to first token: a heavy tenant that fills the batch makes
 * every step long, and the light tenant's request waits for the step on the device and shares its own with a large
 * batch. With {@link Builder#isolation} (the {@code fair} policy's default), while a tenant within its share of the
 * demand and without a backlog has work in the engine, a tenant that exceeds its share is <em>throttled</em>: its
 * prefill chunks fill at most the quantum of step time, it is admitted only while the batch's decode step with it
 * fits the quantum, and its decodes take turns within the quantum (round robin) and sit out the steps that prefill for
 * a protected tenant (a throttled decode that has waited a whole TPOT target since its last token is not held back
 * again). Its prefills rank after every protected tenant's, and the fair queue defers it to them. Steps stay short
 * while someone may arrive, and a protected request's prefill runs as if the heavy tenant were not there; the price
 * is the heavy tenant's throughput while others are active. Between tenants that are both backlogged nothing is
 * throttled, and VTC decides alone.
 *
 * <h2>Partial prefills</h2>
 * With a limit on partial prefills ({@code max-num-partial-prefills}), a waiting head that outranks a running partial
 * prefill takes its slot: the lower-ranked one pauses for the step instead of holding the more urgent request back.
 *
 * <h2>Cost</h2>
 * {@link #beginStep} is one pass over the running batch plus, for each running prefill, a search of at most ~14 cost
 * evaluations; each admission adds one such search. Engine thread only; allocation-free once its scratch arrays have
 * grown to the batch.
 */
public final class SloComposer implements BatchComposer {

    /** A test of a tenant at a time. */
    @FunctionalInterface
    public interface TenantTest {
        boolean test(String tenant, long nowNanos);
    }

    /** Who exceeds its share of the demand, for latency isolation. */
    @FunctionalInterface
    public interface Shares {
        boolean exceeds(String tenant, long nowNanos);

        /** Whether any tenant exceeds its share at {@code nowNanos} ({@code false} lets a step skip isolation). */
        default boolean anyExceeds(long nowNanos) {
            return true;
        }
    }

    /** The order in which running partial prefills receive chunks: lower rank first. */
    @FunctionalInterface
    public interface PrefillRank {
        double rank(Sequence seq);

        /**
         * Earliest TTFT deadline first; a sequence that already produced output (recomputing after a preemption) goes
         * before all of them, since its users are waiting for the next token.
         */
        static PrefillRank earliestDeadline() {
            return seq -> seq.numOutput() > 0 ? Double.NEGATIVE_INFINITY : seq.request().ttftDeadlineNanos();
        }
    }

    private final CostModel cost;
    private final PrefillRank rank;
    private final long kvLimitTokens;
    private final int blockSize;
    private final int longPrefillThreshold;
    private final double outputRatio;
    private final double decodeShare;
    private final double catchUp;
    private final double safety;
    private final int reserveSeats;
    private final long quantum;
    private boolean isolating;
    private final RequestQueue waiting;
    private final int maxNumSeqs;
    private final int maxPartialPrefills;
    private final Object2IntHashMap<String> runningByTenant = new Object2IntHashMap<>(0);
    private RunningBatch batch;
    private boolean sharesCounted;
    private final Shares exceeds;
    private final TenantTest backlogged;
    private long now;
    private long composerStep;
    private long[] deferMark = new long[64];
    private Sequence[] deferred = new Sequence[16];
    private int numDeferred;
    private long deferRotation;

    private final StepShape shape = new StepShape();
    private int[] memberContext = new int[64];
    private int[] memberLeft = new int[64];
    private double[] memberTurnover = new double[64];
    private int numMembers;
    // The members staying after stayingSteps more steps (-1: not computed this step), and the whole batch's seats.
    private int stayingSteps = -1;
    private int stayingCount;
    private long stayingContext;
    private int stayingMaxContext;
    private double stayingTurnover;
    private int batchSeats;
    private long batchContext;
    private int batchMaxContext;
    private final StepShape trial = new StepShape();
    private final StepShape reserve = new StepShape();
    private Sequence[] prefills = new Sequence[16];
    private double[] ranks = new double[16];
    private int[] allotted = new int[16];
    private int numPrefills;
    private long stepLimit;
    private long tightestTpot;
    private long projectedKv;
    private Sequence pending;

    private SloComposer(Builder b) {
        this.cost = b.cost;
        this.rank = b.rank;
        this.kvLimitTokens = (long) (b.kvCapacityTokens * b.kvLimit);
        this.blockSize = b.blockSize;
        this.longPrefillThreshold = b.longPrefillThreshold;
        this.outputRatio = b.outputRatio;
        this.decodeShare = b.decodeShare;
        this.catchUp = b.catchUp;
        this.safety = b.safety;
        this.reserveSeats = b.reserveSeats;
        this.quantum = b.quantum;
        this.exceeds = b.exceeds;
        this.backlogged = b.backlogged;
        this.waiting = b.waiting;
        this.maxNumSeqs = b.maxNumSeqs;
        this.maxPartialPrefills = b.maxPartialPrefills == 0 ? Integer.MAX_VALUE : b.maxPartialPrefills;
    }

    /**
     * @param costModel        the device's step-time model
     * @param kvCapacityTokens tokens of KV the device holds
     * @param blockSize        tokens per KV block
     */
    public static Builder builder(CostModel costModel, long kvCapacityTokens, int blockSize) {
        return new Builder(costModel, kvCapacityTokens, blockSize);
    }

    @Override
    public int beginStep(long nowNanos, RunningBatch running, int defaultBudget) {
        long previousStep = shape.numSeqs() > 0 ? cost.stepNanos(shape) : 0;
        shape.clear();
        numMembers = 0;
        stayingSteps = -1;
        batchSeats = 0;
        batchContext = 0;
        batchMaxContext = 0;
        numPrefills = 0;
        projectedKv = 0;
        pending = null;
        tightestTpot = Long.MAX_VALUE;
        batch = running;
        sharesCounted = false;
        now = nowNanos;
        long limit = Long.MAX_VALUE;
        int n = running.size();
        boolean inFlight = false;
        for (int i = 0; i < n && !inFlight; i++) {
            inFlight = running.get(i).numPlaceholders() > 0;
        }
        // With one step ahead, this step starts when the one on the device ends.
        long ahead = inFlight ? previousStep : 0;
        isolating = quantum > 0 && exceeds.anyExceeds(nowNanos) && protectsSomeone();
        composerStep++;
        numDeferred = 0;
        int decodeTokens = 0;
        for (int i = 0; i < n; i++) {
            Sequence seq = running.get(i);
            projectedKv += lifetimeKv(seq);
            int seatContext = SarathiComposer.isDecode(seq) ? Math.max(1, seq.length()) : meanDecodeContext(seq);
            joinSteady(seq, seatContext);
            addSeat(seatContext);
            long tpot = seq.request().slo().tpotNanos();
            tightestTpot = Math.min(tightestTpot, tpot);
            if (SarathiComposer.isDecode(seq) && isolating && exceedsShare(seq.tenant())
                    && (tpot == Long.MAX_VALUE || nowNanos - seq.lastTokenNanos() < tpot)) {
                defer(seq); // a throttled tenant's decode: joins the step below, if the quantum has room
            } else if (SarathiComposer.isDecode(seq)) {
                int tokens = SarathiComposer.decodeTokens(seq);
                shape.addSequence(tokens, seq.numComputed(), tokens - 1, true);
                decodeTokens += tokens;
                if (tpot != Long.MAX_VALUE) {
                    limit = Math.min(limit, allowedStep(seq, tpot, nowNanos, ahead));
                }
            } else {
                addPrefill(seq);
            }
        }
        stepLimit = limit == Long.MAX_VALUE ? Long.MAX_VALUE : (long) (limit * safety);
        sortPrefills();
        int tokensLeft = defaultBudget - decodeTokens;
        // The waiting head competes with running prefills by rank: its chunk's time is kept free in the trial shape
        // (not in the committed one, which admission will add it to).
        // (Not when the batch is full: the head cannot start this step anyway.)
        Sequence head = waiting == null || n >= maxNumSeqs ? null : waiting.peek();
        if (head != null && head.request().ttftDeadlineNanos() < nowNanos) {
            head = null; // already late: it gets what is left, after the requests that can still make it
        }
        double headRank = head == null ? Double.POSITIVE_INFINITY : rank.rank(head);
        reserve.set(shape);
        int partials = 0;
        // A waiting head within its share will most likely start in this step: keep the throttled decodes out of it --
        // if it can start (a head that admission refuses would leave the step empty, and nothing would ever free its
        // seat or its KV).
        boolean protectedPrefill = false;
        if (isolating && head != null && !exceedsShare(head.tenant())) {
            int x = fit(reserve, head.length() - head.numComputed(), head.numComputed(), tokensLeft, limitFor(head));
            protectedPrefill = x > 0 && headAdmissible(head, x);
        }
        for (int k = 0; k < numPrefills; k++) {
            Sequence seq = prefills[k];
            if (head != null && headRank < ranks[k]) {
                int left = head.length() - head.numComputed();
                int want = longPrefillThreshold > 0 ? Math.min(left, longPrefillThreshold) : left;
                int x = fit(reserve, want, head.numComputed(), tokensLeft, limitFor(head));
                if (x > 0 && (x >= left || partials < maxPartialPrefills) && headAdmissible(head, x)) {
                    reserve.addSequence(x, head.numComputed(), 0, false);
                    tokensLeft -= x;
                    protectedPrefill |= !exceedsShare(head.tenant());
                    if (x < left) {
                        partials++; // it takes a partial-prefill slot: the lower-ranked ones may only finish
                    }
                }
                head = null;
            }
            if (numDeferred > 0 && exceedsShare(seq.tenant())) {
                // The throttled tenants' prefills rank last: their decodes go first (stall-free), then their chunks.
                tokensLeft -= placeDeferred(protectedPrefill, tokensLeft);
            }
            int want = seq.length() - seq.numComputed();
            if (longPrefillThreshold > 0) {
                want = Math.min(want, longPrefillThreshold);
            }
            int x = fit(reserve, want, seq.numComputed(), tokensLeft, limitFor(seq));
            boolean samples = seq.numComputed() + x >= seq.length();
            if (x > 0 && seq.numComputed() + x < seq.length() && partials >= maxPartialPrefills) {
                x = 0; // pauses for a more urgent prefill that holds the slot
            }
            allotted[k] = x;
            if (x > 0) {
                shape.addSequence(x, seq.numComputed(), 0, samples);
                reserve.addSequence(x, seq.numComputed(), 0, samples);
                tokensLeft -= x;
                protectedPrefill |= !exceedsShare(seq.tenant());
                if (!samples) {
                    partials++;
                }
            }
        }
        if (numDeferred > 0) {
            placeDeferred(protectedPrefill, tokensLeft);
        }
        return defaultBudget;
    }

    private void defer(Sequence seq) {
        if (numDeferred == deferred.length) {
            deferred = java.util.Arrays.copyOf(deferred, numDeferred * 2);
        }
        deferred[numDeferred++] = seq;
    }

    /**
     * Puts the throttled tenants' decodes into the step while it stays within the quantum, starting where the last
     * step stopped (round robin), none when a tenant that is not backlogged prefills in it; marks the rest to sit this
     * step out. Returns the tokens placed.
     */
    private int placeDeferred(boolean protectedPrefill, int tokensLeft) {
        int placed = 0;
        int start = numDeferred == 0 ? 0 : (int) (deferRotation % numDeferred);
        for (int j = 0; j < numDeferred; j++) {
            Sequence seq = deferred[(start + j) % numDeferred];
            int tokens = SarathiComposer.decodeTokens(seq);
            // (An otherwise empty step takes one even past the quantum: a step with nothing in it frees nothing.)
            boolean fits = !protectedPrefill && placed + tokens <= tokensLeft
                    && (shape.numSeqs() == 0 || cost.stepNanos(trial.set(shape).addSequence(tokens,
                            seq.numComputed(), tokens - 1, true)) <= quantum);
            if (fits) {
                shape.addSequence(tokens, seq.numComputed(), tokens - 1, true);
                reserve.addSequence(tokens, seq.numComputed(), tokens - 1, true);
                placed += tokens;
            } else {
                int slot = seq.slot();
                if (slot >= deferMark.length) {
                    deferMark = java.util.Arrays.copyOf(deferMark, Math.max(slot + 1, deferMark.length * 2));
                }
                deferMark[slot] = composerStep;
                deferRotation++;
            }
        }
        numDeferred = 0;
        return placed;
    }

    @Override
    public int runningTokens(Sequence seq, int wanted, int budgetLeft) {
        if (SarathiComposer.isDecode(seq)) {
            int slot = seq.slot();
            return slot >= 0 && slot < deferMark.length && deferMark[slot] == composerStep ? 0 : wanted;
        }
        for (int k = 0; k < numPrefills; k++) {
            if (prefills[k] == seq) {
                return Math.min(wanted, allotted[k]);
            }
        }
        return wanted;
    }

    @Override
    public int admitTokens(Sequence seq, int computed, int wanted, int budgetLeft) {
        pending = null;
        if (projectedKv > 0 && projectedKv + lifetimeKv(seq) > kvLimitTokens) {
            return 0;
        }
        int x = fit(shape, wanted, computed, budgetLeft, limitFor(seq));
        if (x <= 0) {
            return 0;
        }
        long tpot = seatLimit(seq);
        if (tpot != Long.MAX_VALUE && (numMembers > 0 || throttles(seq.tenant()))
                && !seatFits(seq, computed, x, tpot)) {
            return 0;
        }
        pending = seq;
        return x;
    }

    /** Whether the waiting head would pass admission with a chunk of {@code x} (KV and seats, as in admitTokens). */
    private boolean headAdmissible(Sequence head, int x) {
        if (projectedKv > 0 && projectedKv + lifetimeKv(head) > kvLimitTokens) {
            return false;
        }
        long tpot = seatLimit(head);
        return tpot == Long.MAX_VALUE || (numMembers == 0 && !throttles(head.tenant()))
                || seatFits(head, head.numComputed(), x, tpot);
    }

    /**
     * The decode-seat gate: whether the batch that {@code seq} joins when its prefill completes -- the members still
     * decoding by then, plus it (and the reserved seats when its tenant holds its share) -- sustains its steady state
     * within the TPOT target (see the class comment).
     */
    private boolean seatFits(Sequence seq, int computed, int chunk, long tpot) {
        int context = meanDecodeContext(seq);
        if (throttles(seq.tenant())) {
            // Held to the quantum: the whole batch's decode step with it (and the reserve), no departures counted --
            // every running sequence, also those without a TPOT target (which are not steady-state members).
            trial.clear().addDecodes(batchSeats, batchContext, batchMaxContext);
            trial.addDecodes(1 + reserveSeats, (long) context * (1 + reserveSeats), context);
            return cost.stepNanos(trial) <= quantum;
        }
        int steps = (seq.length() - computed + chunk - 1) / chunk;
        int extra = 1 + (overShare(seq) ? reserveSeats : 0);
        if (steps != stayingSteps) {
            staying(steps);
        }
        // The members still decoding after `steps` more steps, each then `steps` tokens further on.
        trial.clear().addDecodes(stayingCount, stayingContext + (long) stayingCount * steps, stayingMaxContext + steps);
        double turnover = stayingTurnover;
        trial.addDecodes(extra, (long) extra * context, context);
        if (cost.stepNanos(trial) <= decodeShare * tpot) {
            return true;
        }
        int refill = (int) Math.min(Integer.MAX_VALUE / 2, Math.ceil(turnover + extra * turnover(seq)));
        if (refill > 0) {
            trial.addSequence(refill, 0, 0, true);
        }
        return cost.stepNanos(trial) <= safety * tpot;
    }

    @Override
    public void scheduled(Sequence seq, int context, int tokens, int drafts) {
        if (seq == pending) {
            shape.addSequence(tokens, context, drafts, context + tokens >= seq.length());
            projectedKv += lifetimeKv(seq);
            int seatContext = meanDecodeContext(seq);
            joinSteady(seq, seatContext);
            addSeat(seatContext);
            if (sharesCounted) {
                // A new member of the batch; the running ones were counted already.
                runningByTenant.put(seq.tenant(), runningByTenant.getValue(seq.tenant()) + 1);
            }
            pending = null;
        }
    }


    /** The time limit of the step being composed ({@link Long#MAX_VALUE}: none), for inspection. */
    public long stepLimitNanos() {
        return stepLimit;
    }

    /** The predicted duration of the step composed so far, for inspection. */
    public long predictedStepNanos() {
        return shape.numSeqs() == 0 ? 0 : cost.stepNanos(shape);
    }

    /** Whether {@code seq}'s tenant already holds at least its share of the running batch (seat reserve on). */
    private boolean overShare(Sequence seq) {
        return holdsShare(seq.tenant());
    }

    /**
     * Whether {@code tenant} holds at least its share of the running batch (running sequences divided by the tenants
     * running), with seats reserved for the others ({@code reserveSeats > 0}); always false without a reserve. A fair
     * queue lets such a tenant yield to one below its share, so that the reserved seats are not left idle behind it.
     */
    public boolean holdsShare(String tenant) {
        if (reserveSeats == 0 || batch == null) {
            return false;
        }
        countShares();
        int mine = runningByTenant.getValue(tenant);
        return mine > 0 && (long) mine * runningByTenant.size() >= batch.size();
    }

    private void countShares() {
        if (!sharesCounted) {
            // Counted on demand (once per step and admission), not in every step's pass over the batch.
            runningByTenant.clear();
            for (int i = 0; i < batch.size(); i++) {
                String t = batch.get(i).tenant();
                runningByTenant.put(t, runningByTenant.getValue(t) + 1);
            }
            sharesCounted = true;
        }
    }

    /** Whether {@code tenant} exceeds its share of the demand (isolation on), by the test given to the builder. */
    public boolean exceedsShare(String tenant) {
        return exceeds != null && exceeds.exceeds(tenant, now);
    }

    /** Whether isolation is on and {@code tenant} is backlogged: its prefill and seats are held to the quantum. */
    public boolean throttles(String tenant) {
        return isolating && exceedsShare(tenant);
    }

    /** Whether a tenant that is not backlogged has a sequence running or the waiting head (isolation applies). */
    private boolean protectsSomeone() {
        Sequence head = waiting == null ? null : waiting.peek();
        if (head != null && isProtected(head.tenant())) {
            return true;
        }
        countShares();
        for (var it = runningByTenant.keySet().iterator(); it.hasNext(); ) {
            if (isProtected(it.next())) {
                return true;
            }
        }
        return false;
    }

    /**
     * A tenant isolation protects: within its share of the demand and served without a backlog. A tenant whose own
     * requests queue is past its max-min allocation too; between such tenants VTC alone decides, with its bound.
     */
    public boolean isProtected(String tenant) {
        return !exceedsShare(tenant) && !backlogged.test(tenant, now);
    }

    /**
     * How long this step may last for {@code seq}: until its next token is due on its TPOT timeline, or
     * {@code catchUp x tpot} when it is behind.
     */
    private long allowedStep(Sequence seq, long tpot, long now, long ahead) {
        long first = seq.request().firstTokenNanos();
        long floor = (long) (catchUp * tpot);
        if (first < 0) {
            return tpot; // its first token is on the device: the next gap starts then
        }
        long index = (long) seq.numOutput() + seq.numPlaceholders();
        long due = first + index * tpot;
        return Math.max(floor, due - now - ahead);
    }

    /**
     * The largest chunk, at most {@code min(want, tokensLeft)}, that keeps the step within its time limit on top of
     * what is already in it; 0 if not even one token fits.
     */
    private int fit(StepShape base, int want, int context, int tokensLeft, long stepLimit) {
        int max = Math.min(want, tokensLeft);
        if (max <= 0) {
            return 0;
        }
        if (stepLimit == Long.MAX_VALUE || costWith(base, max, context) <= stepLimit) {
            return max;
        }
        int lo = 0;
        int hi = max - 1;
        // The largest x in [lo, hi] with cost <= limit (x = 0 always fits: it adds nothing).
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (costWith(base, mid, context) <= stepLimit) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** The step time {@code seq}'s prefill may fill: the quantum for a tenant at its share while others run. */
    private long limitFor(Sequence seq) {
        return isolating && exceedsShare(seq.tenant()) ? Math.min(stepLimit, quantum) : stepLimit;
    }

    /** The decode-step limit the seat gate holds {@code seq}'s batch to (the TPOT target, or the quantum). */
    private long seatLimit(Sequence seq) {
        long tpot = Math.min(tightestTpot, seq.request().slo().tpotNanos());
        return isolating && exceedsShare(seq.tenant()) ? Math.min(tpot, quantum) : tpot;
    }

    private long costWith(StepShape base, int tokens, int context) {
        return cost.stepNanos(trial.set(base).addSequence(tokens, context, 0, false));
    }

    /** KV tokens a sequence will hold at its end (prompt plus expected output), rounded up to whole blocks. */
    private long lifetimeKv(Sequence seq) {
        long tokens = seq.promptLength() + (long) expectedOutput(seq);
        return (tokens + blockSize - 1) / blockSize * blockSize;
    }

    /** Adds a running sequence to the steady-state shape: one decode at {@code context}, and its turnover. */
    private void joinSteady(Sequence seq, int context) {
        if (seq.request().slo().tpotNanos() == Long.MAX_VALUE) {
            return;
        }
        if (numMembers == memberContext.length) {
            int m = numMembers * 2;
            memberContext = java.util.Arrays.copyOf(memberContext, m);
            memberLeft = java.util.Arrays.copyOf(memberLeft, m);
            memberTurnover = java.util.Arrays.copyOf(memberTurnover, m);
        }
        int left = Math.max(0, expectedOutput(seq) - seq.numOutput());
        double t = turnover(seq);
        memberContext[numMembers] = context;
        memberLeft[numMembers] = left;
        memberTurnover[numMembers] = t;
        numMembers++;
        if (stayingSteps >= 0 && left > stayingSteps) {
            addStaying(context, t);
        }
    }

    /** Aggregates the members that still decode after {@code steps} more steps (cached until the next step). */
    private void staying(int steps) {
        stayingSteps = steps;
        stayingCount = 0;
        stayingContext = 0;
        stayingMaxContext = 0;
        stayingTurnover = 0;
        for (int i = 0; i < numMembers; i++) {
            if (memberLeft[i] > steps) {
                addStaying(memberContext[i], memberTurnover[i]);
            }
        }
    }

    private void addStaying(int context, double turnover) {
        stayingCount++;
        stayingContext += context;
        stayingMaxContext = Math.max(stayingMaxContext, context);
        stayingTurnover += turnover;
    }

    /** Adds a running (or newly admitted) sequence to the whole batch's decode seats, at {@code context}. */
    private void addSeat(int context) {
        batchSeats++;
        batchContext += context;
        batchMaxContext = Math.max(batchMaxContext, context);
    }

    /**
     * Prompt tokens per step that replace {@code seq} in a batch at steady state: it holds its seat for about its
     * expected output in steps, so by Little's law its seat admits {@code prompt / output} prompt tokens per step.
     */
    private double turnover(Sequence seq) {
        return seq.promptLength() / (double) Math.max(1, expectedOutput(seq));
    }

    /** Tokens a sequence is expected to generate in all ({@code outputRatio x maxTokens}). */
    private int expectedOutput(Sequence seq) {
        return (int) Math.ceil(outputRatio * seq.maxTokens());
    }

    /** The context a sequence decodes at on average over the rest of its life. */
    private static int meanDecodeContext(Sequence seq) {
        return Math.max(1, seq.length() + Math.max(0, seq.remainingOutput()) / 2);
    }

    private void addPrefill(Sequence seq) {
        if (numPrefills == prefills.length) {
            int m = numPrefills * 2;
            prefills = java.util.Arrays.copyOf(prefills, m);
            ranks = java.util.Arrays.copyOf(ranks, m);
            allotted = java.util.Arrays.copyOf(allotted, m);
        }
        prefills[numPrefills] = seq;
        ranks[numPrefills] = rank.rank(seq);
        numPrefills++;
    }

    /** Insertion sort by rank: partial prefills are few (bounded by max-num-partial-prefills in practice). */
    private void sortPrefills() {
        for (int i = 1; i < numPrefills; i++) {
            Sequence s = prefills[i];
            double r = ranks[i];
            int j = i - 1;
            while (j >= 0 && ranks[j] > r) {
                prefills[j + 1] = prefills[j];
                ranks[j + 1] = ranks[j];
                j--;
            }
            prefills[j + 1] = s;
            ranks[j + 1] = r;
        }
    }

    /** Knobs of the SLO composer; every one has a default. */
    public static final class Builder {
        private final CostModel cost;
        private final long kvCapacityTokens;
        private final int blockSize;
        private PrefillRank rank = PrefillRank.earliestDeadline();
        private int longPrefillThreshold;
        private double kvLimit = 1.0;
        private double outputRatio = 1.0;
        private double decodeShare = 0.6;
        private double catchUp = 0.5;
        private double safety = 0.9;
        private int reserveSeats;
        private long quantum;
        private Shares exceeds;
        private TenantTest backlogged;
        private RequestQueue waiting;
        private int maxNumSeqs = Integer.MAX_VALUE;
        private int maxPartialPrefills;

        private Builder(CostModel cost, long kvCapacityTokens, int blockSize) {
            this.cost = Objects.requireNonNull(cost, "costModel");
            if (kvCapacityTokens < 1 || blockSize < 1) {
                throw new IllegalArgumentException("KV capacity (" + kvCapacityTokens + " tokens) and block size ("
                        + blockSize + ") must be positive");
            }
            this.kvCapacityTokens = kvCapacityTokens;
            this.blockSize = blockSize;
        }

        /** Order of running partial prefills (default: earliest TTFT deadline). */
        public Builder prefillRank(PrefillRank rank) {
            this.rank = Objects.requireNonNull(rank, "rank");
            return this;
        }

        /** The engine's {@code max-num-seqs} (with a full batch the waiting head is not considered). */
        public Builder maxNumSeqs(int seqs) {
            this.maxNumSeqs = Math.max(1, seqs);
            return this;
        }

        /**
         * The engine's {@code max-num-partial-prefills} (0: no limit): a waiting head that outranks a running partial
         * prefill takes its place in the limit, and the lower-ranked one pauses for the step.
         */
        public Builder maxPartialPrefills(int prefills) {
            this.maxPartialPrefills = Math.max(0, prefills);
            return this;
        }

        /** The engine's per-request chunk cap ({@code long-prefill-token-threshold}, 0: none). */
        public Builder longPrefillThreshold(int tokens) {
            this.longPrefillThreshold = Math.max(0, tokens);
            return this;
        }

        /** Fraction of the KV cache that the batch's projected lifetime KV may fill (default 1.0). */
        public Builder kvLimit(double fraction) {
            this.kvLimit = fraction(fraction, "kvLimit");
            return this;
        }

        /**
         * Fraction of {@code maxTokens} a request is expected to generate, for the KV projection (default 1.0: the
         * most it can; lower it where requests usually stop early, as SGLang's {@code new_token_ratio}).
         */
        public Builder outputRatio(double ratio) {
            this.outputRatio = fraction(ratio, "outputRatio");
            return this;
        }

        /** Most of the tightest TPOT target that the batch's decode step may take (default 0.6). */
        public Builder decodeShare(double share) {
            this.decodeShare = fraction(share, "decodeShare");
            return this;
        }

        /** Step time allowed for a request behind its timeline, as a fraction of its TPOT (default 0.5). */
        public Builder catchUp(double fraction) {
            this.catchUp = fraction(fraction, "catchUp");
            return this;
        }

        /** Fraction of a step's time limit that the cost model's prediction may use (default 0.9). */
        public Builder safety(double fraction) {
            this.safety = fraction(fraction, "safety");
            return this;
        }

        /**
         * The waiting queue, whose head then competes with running prefills by {@link PrefillRank} (default: none,
         * running prefills first as in vLLM).
         */
        public Builder waitingQueue(RequestQueue queue) {
            this.waiting = queue;
            return this;
        }

        /**
         * Latency isolation: while a tenant within its share of the demand (not {@code exceeds}) and without a backlog
         * (not {@code backlogged}) is running or waiting, a tenant that {@code exceeds} its share is throttled: it
         * fills at most {@code quantumNanos} of a step with its decodes (which take turns, and sit out the steps that
         * prefill for a protected tenant) and its prefill chunks, and is admitted only while the decode step of the
         * batch stays within that time. While a protected tenant has work, steps are then short when its next request
         * arrives, and that request's prefill does not share its step with a large batch; a protected tenant that
         * returns after being idle may still meet one long step. {@code quantumNanos = 0}: off.
         */
        public Builder isolation(long quantumNanos, Shares exceeds, TenantTest backlogged) {
            if (quantumNanos < 0) {
                throw new IllegalArgumentException("quantum must not be negative, got " + quantumNanos);
            }
            this.quantum = quantumNanos;
            this.exceeds = Objects.requireNonNull(exceeds, "exceeds");
            this.backlogged = Objects.requireNonNull(backlogged, "backlogged");
            return this;
        }

        /**
         * Decode seats kept free for tenants below their share of the batch (default 0: none). See the class
         * comment; {@code fair} uses it so that a light tenant's request never waits for a heavy tenant's to end.
         */
        public Builder reserveSeats(int seats) {
            if (seats < 0) {
                throw new IllegalArgumentException("reserveSeats must not be negative, got " + seats);
            }
            this.reserveSeats = seats;
            return this;
        }

        public SloComposer build() {
            return new SloComposer(this);
        }

        private static double fraction(double v, String name) {
            if (!(v > 0 && v <= 1)) {
                throw new IllegalArgumentException(name + " must be in (0, 1], got " + v);
            }
            return v;
        }
    }
}
