package dev.baton.scheduler.policy;

import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.queue.RequestQueue;
import org.agrona.collections.Int2ObjectHashMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * A waiting queue composed of three independent choices, in the order llm-d's flow control dispatches: <b>priority
 * bands</b> (a lower priority value is served first, strictly), then <b>fairness between tenants</b> inside a band
 * (the tenant with the smallest {@linkplain VirtualTokenCounters virtual token counter}), then the <b>order within a
 * tenant</b> ({@link QueueOrder}: arrival, EDF, least slack, aging SJF). A "flow" is one tenant's requests in one band.
 *
 * <h2>Structure</h2>
 * <ul>
 *   <li>Bands: one per priority value seen (or a single band when priority is ignored), in a sorted array.</li>
 *   <li>Flows: per band, one binary min-heap per tenant (or one for all, without fairness) on
 *       {@code (key, arrival, sample)}; each sequence remembers its heap slot ({@link Sequence#queueIndex()}), so
 *       removal is O(log n).</li>
 *   <li>Late tier: per band, a FIFO of requests that are served only after every on-time request of the band: those
 *       whose queue timeout expired when the queue is built with {@link QueueTimeoutAction#DELAY} (Triton's action,
 *       {@link #delayExpired}; with REJECT, the default, the engine ends them), and, with deadline orders, those that
 *       can no longer start in time (moved in {@link #beforeStep}; serving the hopeless first is how EDF collapses
 *       under overload).</li>
 * </ul>
 * A sequence that has already run (preempted, or a parallel sample forked from a running one) goes ahead of its
 * flow's never-run requests: its first token is out, so its TTFT deadline no longer matters, and what it already
 * computed is only worth anything if it resumes soon.
 *
 * <h2>Fairness</h2>
 * VTC (Sheng et al., OSDI'24): {@link #pop()} charges a request's prompt to its tenant when it leaves the queue for the
 * first time (refunded if the scheduler hands it back unstarted, as a set-aside head), {@link #onOutput} charges every
 * generated token, and {@link #add} lifts a tenant that was not backlogged. While two tenants stay backlogged, their
 * weighted services {@code W = w_in x prompt + w_out x output} satisfy
 * {@code |W_f/wt_f - W_g/wt_g| <= U/wt_f + U/wt_g} over any interval, with {@code U = w_in x P + w_out x S x O}
 * ({@code P} longest prompt, {@code O} largest {@code maxTokens}, {@code S} max-num-seqs): for equal weights,
 * {@code |W_f - W_g| <= 2U}. The proof is in the scheduler-core test {@code VtcFairnessTest}, which checks it on
 * the engine; weighted tenants therefore converge to their weight ratio. With yielding tenants
 * ({@link Builder#yieldingTenants}: a tenant that holds its share of the batch lets one that does not, with a counter
 * at most {@code D} above the smallest, go first) every pop still satisfies {@code c <= min c + D}, and the same proof
 * gives {@code U + D} in place of {@code U}.
 *
 * <h2>Cost</h2>
 * {@link #peek()} scans the active flows of the first non-empty band (O(tenants backlogged in that band)) and caches the
 * answer until the queue or a counter changes; heap operations are O(log n). Nothing allocates in steady state except a
 * band or flow for a priority or tenant never seen before. Confined to the engine thread.
 */
public final class FlowQueue implements RequestQueue {
    private static final int LATE = -2;

    private final boolean priorityBands;
    private final QueueOrder order;
    private final VirtualTokenCounters counters;
    private final boolean demoteLate;
    private final boolean delayOnTimeout;
    private final java.util.function.Predicate<String> yielding;
    private final java.util.function.Predicate<String> deferred;
    private final java.util.function.Predicate<String> protects;
    private final TenantDemand demand;
    private final double yieldSlack;

    private final Int2ObjectHashMap<Band> bandByPriority = new Int2ObjectHashMap<>();
    private Band[] bands = new Band[4];
    private int numBands;
    private int size;

    // Where peek() found its answer; valid until the next change.
    private Band peekBand;
    private Flow peekFlow;
    private Sequence peeked;

    private FlowQueue(Builder b) {
        this.priorityBands = b.priorityBands;
        this.order = b.order;
        this.counters = b.counters;
        this.demoteLate = b.demoteLate && b.order.keyIsDeadline();
        this.delayOnTimeout = b.timeoutAction == QueueTimeoutAction.DELAY;
        this.yielding = b.yielding;
        this.deferred = b.deferred;
        this.protects = b.protects;
        this.demand = b.demand;
        this.yieldSlack = b.yieldSlack;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The tenants' counters, or {@code null} without fairness. */
    public VirtualTokenCounters counters() {
        return counters;
    }

    /**
     * The arrival time of {@code tenant}'s oldest waiting request, by its flows' heads ({@link Long#MAX_VALUE} when it
     * has none waiting). O(priority bands).
     */
    public long waitingSinceNanos(String tenant) {
        long since = Long.MAX_VALUE;
        for (int i = 0; i < numBands; i++) {
            Flow f = bands[i].flowOf(tenant);
            if (f != null && f.size > 0) {
                since = Math.min(since, f.seqs[0].request().arrivalNanos());
            }
        }
        return since;
    }

    // ================================================================== RequestQueue

    @Override
    public void add(Sequence seq) {
        insert(seq, true);
    }

    @Override
    public void prepend(Sequence seq) {
        if (counters != null && charged(seq) && seq.request().firstScheduledNanos() < 0) {
            // Handed back without starting (set aside in a step): the prompt charged at pop() is refunded.
            counters.chargeInput(counters.account(seq.tenant()), -seq.promptLength());
        }
        insert(seq, false);
    }

    @Override
    public Sequence peek() {
        if (peeked != null) {
            return peeked;
        }
        for (int b = 0; b < numBands; b++) {
            Band band = bands[b];
            if (band.size == 0) {
                continue;
            }
            Flow f = band.select();
            peekBand = band;
            peekFlow = f;
            peeked = f != null ? f.seqs[0] : band.lateHead();
            return peeked;
        }
        return null;
    }

    @Override
    public Sequence pop() {
        Sequence seq = peek();
        if (seq == null) {
            return null;
        }
        if (peekFlow != null) {
            peekFlow.removeAt(0);
            peekBand.flowChanged(peekFlow);
        } else {
            peekBand.pollLate();
        }
        peekBand.size--;
        size--;
        seq.setQueueIndex(-1);
        if (counters != null) {
            VirtualTokenCounters.Account a = counters.account(seq.tenant());
            counters.left(a);
            if (charged(seq) && seq.request().firstScheduledNanos() < 0) {
                counters.chargeInput(a, seq.promptLength());
            }
        }
        changed();
        return seq;
    }

    @Override
    public boolean remove(Sequence seq) {
        int idx = seq.queueIndex();
        if (idx == -1) {
            return false;
        }
        Band band = bandByPriority.get(bandKey(seq));
        if (band == null) {
            return false;
        }
        if (idx == LATE) {
            if (!band.removeLate(seq)) {
                return false;
            }
        } else {
            Flow f = band.flowOf(seq.tenant());
            if (f == null || idx >= f.size || f.seqs[idx] != seq) {
                return false;
            }
            f.removeAt(idx);
            band.flowChanged(f);
        }
        band.size--;
        size--;
        seq.setQueueIndex(-1);
        if (counters != null) {
            counters.left(counters.account(seq.tenant()));
        }
        changed();
        return true;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean delayExpired(Sequence seq) {
        if (!delayOnTimeout) {
            return false;
        }
        int idx = seq.queueIndex();
        if (idx == LATE) {
            return true;
        }
        Band band = bandByPriority.get(bandKey(seq));
        Flow f = band == null || idx < 0 ? null : band.flowOf(seq.tenant());
        if (f == null || idx >= f.size || f.seqs[idx] != seq) {
            return false;
        }
        f.removeAt(idx);
        band.flowChanged(f);
        band.addLate(seq);
        changed();
        return true;
    }

    @Override
    public void beforeStep(long nowNanos) {
        if (yielding != null || deferred != null) {
            changed(); // who yields is decided anew every step
        }
        if (!demoteLate) {
            return;
        }
        for (int b = 0; b < numBands; b++) {
            Band band = bands[b];
            for (int i = band.numActive - 1; i >= 0; i--) {
                Flow f = band.active[i];
                // Keys of sequences that already ran are MIN_VALUE: they sit on top and are never late.
                while (f.size > 0 && f.keys[0] < nowNanos && f.keys[0] != Long.MIN_VALUE) {
                    Sequence seq = f.seqs[0];
                    f.removeAt(0);
                    band.addLate(seq);
                    changed();
                }
                band.flowChanged(f);
            }
        }
    }

    @Override
    public void onOutput(Sequence seq, int tokens) {
        if (counters != null && tokens > 0) {
            counters.chargeOutput(counters.account(seq.tenant()), tokens);
            changed();
        }
    }

    @Override
    public Iterator<Sequence> iterator() {
        List<Sequence> out = new ArrayList<>(size);
        for (int b = 0; b < numBands; b++) {
            Band band = bands[b];
            Flow[] flows = Arrays.copyOf(band.active, band.numActive);
            if (counters != null) {
                Arrays.sort(flows, Comparator.comparingDouble(f -> f.account.counter));
            }
            for (Flow f : flows) {
                Integer[] idx = new Integer[f.size];
                for (int i = 0; i < f.size; i++) {
                    idx[i] = i;
                }
                Arrays.sort(idx, (x, y) -> f.less(x, y) ? -1 : f.less(y, x) ? 1 : 0);
                for (int i : idx) {
                    out.add(f.seqs[i]);
                }
            }
            for (int i = 0; i < band.lateSize; i++) {
                out.add(band.late[(band.lateHead + i) & (band.late.length - 1)]);
            }
        }
        return out.iterator();
    }

    // ================================================================== internals

    private void insert(Sequence seq, boolean arrival) {
        Band band = band(bandKey(seq));
        Flow f = band.flowFor(seq.tenant());
        boolean ran = seq.request().firstScheduledNanos() >= 0 || seq.sampleIndex() > 0;
        long key = ran ? Long.MIN_VALUE : order.key(seq);
        f.push(seq, key, seq.arrivalSeq() * 256 + seq.sampleIndex());
        band.flowChanged(f);
        band.size++;
        size++;
        if (counters != null) {
            VirtualTokenCounters.Account a = f.account;
            if (arrival) {
                counters.arrived(a);
                if (demand != null) {
                    demand.record(seq.tenant(), seq.sampleIndex() == 0 ? seq.promptLength() : 0, seq.maxTokens(),
                            seq.request().arrivalNanos());
                }
            } else {
                counters.joined(a);
            }
        }
        changed();
    }

    /** Whether the prompt of {@code seq} is charged when it leaves the queue (once per request, by sample 0). */
    private static boolean charged(Sequence seq) {
        return seq.sampleIndex() == 0;
    }

    private int bandKey(Sequence seq) {
        return priorityBands ? seq.priority() : 0;
    }

    private void changed() {
        peeked = null;
        peekBand = null;
        peekFlow = null;
    }

    private Band band(int priority) {
        Band band = bandByPriority.get(priority);
        if (band != null) {
            return band;
        }
        band = new Band(priority);
        bandByPriority.put(priority, band);
        if (numBands == bands.length) {
            bands = Arrays.copyOf(bands, numBands * 2);
        }
        int i = numBands++;
        while (i > 0 && bands[i - 1].priority > priority) {
            bands[i] = bands[i - 1];
            i--;
        }
        bands[i] = band;
        return band;
    }

    /** One priority level: its flows (one per tenant, or one), the ones with waiting requests, and its late tier. */
    private final class Band {
        final int priority;
        private final HashMap<String, Flow> flowsByTenant = new HashMap<>();
        private Flow single;
        Flow[] active = new Flow[8];
        int numActive;
        Sequence[] late = new Sequence[16];
        int lateHead;
        int lateSize;
        int size;

        Band(int priority) {
            this.priority = priority;
        }

        Flow flowOf(String tenant) {
            return counters == null ? single : flowsByTenant.get(tenant);
        }

        Flow flowFor(String tenant) {
            if (counters == null) {
                if (single == null) {
                    single = new Flow(null);
                }
                return single;
            }
            Flow f = flowsByTenant.get(tenant);
            if (f == null) {
                f = new Flow(counters.account(tenant));
                flowsByTenant.put(tenant, f);
            }
            return f;
        }

        /** Keeps {@link #active} equal to the flows with waiting requests. */
        void flowChanged(Flow f) {
            if (f.size > 0 && f.activeIndex < 0) {
                if (numActive == active.length) {
                    active = Arrays.copyOf(active, numActive * 2);
                }
                f.activeIndex = numActive;
                active[numActive++] = f;
            } else if (f.size == 0 && f.activeIndex >= 0) {
                Flow moved = active[--numActive];
                active[f.activeIndex] = moved;
                moved.activeIndex = f.activeIndex;
                active[numActive] = null;
                f.activeIndex = -1;
            }
        }

        /** The flow to serve next: the tenant with the smallest counter (ties: the earlier head), or null if none. */
        Flow select() {
            if (numActive == 0) {
                return null;
            }
            if (counters == null) {
                return active[0];
            }
            Flow min = active[0];
            for (int i = 1; i < numActive; i++) {
                if (before(active[i], min)) {
                    min = active[i];
                }
            }
            if (deferred != null && deferred.test(min.account.tenant)) {
                // The smallest counter defers to a protected tenant, whatever the counters.
                Flow first = null;
                for (int i = 0; i < numActive; i++) {
                    Flow f = active[i];
                    if (f != min && (first == null || before(f, first)) && protects.test(f.account.tenant)) {
                        first = f;
                    }
                }
                if (first != null) {
                    return first;
                }
            }
            if (yielding == null || !yielding.test(min.account.tenant)) {
                return min;
            }
            // The smallest counter holds its share of the batch: it yields to a tenant that does not, if that one's
            // counter is within the slack (which is what keeps the fairness bound, see the class comment).
            Flow alt = null;
            double ceiling = min.account.counter + yieldSlack;
            for (int i = 0; i < numActive; i++) {
                Flow f = active[i];
                if (f != min && f.account.counter <= ceiling && (alt == null || before(f, alt))
                        && !yielding.test(f.account.tenant)
                        && (deferred == null || !deferred.test(f.account.tenant))) {
                    alt = f;
                }
            }
            return alt != null ? alt : min;
        }

        private boolean before(Flow f, Flow best) {
            double c = f.account.counter;
            double bc = best.account.counter;
            return c < bc || (c == bc && f.headBefore(best));
        }

        Sequence lateHead() {
            return lateSize == 0 ? null : late[lateHead];
        }

        void addLate(Sequence seq) {
            if (lateSize == late.length) {
                Sequence[] bigger = new Sequence[late.length * 2];
                for (int i = 0; i < lateSize; i++) {
                    bigger[i] = late[(lateHead + i) & (late.length - 1)];
                }
                late = bigger;
                lateHead = 0;
            }
            late[(lateHead + lateSize) & (late.length - 1)] = seq;
            lateSize++;
            seq.setQueueIndex(LATE);
        }

        void pollLate() {
            late[lateHead] = null;
            lateHead = (lateHead + 1) & (late.length - 1);
            lateSize--;
        }

        boolean removeLate(Sequence seq) {
            int mask = late.length - 1;
            for (int i = 0; i < lateSize; i++) {
                if (late[(lateHead + i) & mask] == seq) {
                    for (int j = i; j < lateSize - 1; j++) {
                        late[(lateHead + j) & mask] = late[(lateHead + j + 1) & mask];
                    }
                    late[(lateHead + lateSize - 1) & mask] = null;
                    lateSize--;
                    return true;
                }
            }
            return false;
        }
    }

    /** One tenant's waiting requests in one band: a binary min-heap on (key, tie). */
    private static final class Flow {
        final VirtualTokenCounters.Account account;
        long[] keys = new long[16];
        long[] ties = new long[16];
        Sequence[] seqs = new Sequence[16];
        int size;
        int activeIndex = -1;

        Flow(VirtualTokenCounters.Account account) {
            this.account = account;
        }

        boolean headBefore(Flow other) {
            return keys[0] < other.keys[0] || (keys[0] == other.keys[0] && ties[0] < other.ties[0]);
        }

        boolean less(int a, int b) {
            return keys[a] < keys[b] || (keys[a] == keys[b] && ties[a] < ties[b]);
        }

        void push(Sequence seq, long key, long tie) {
            if (size == seqs.length) {
                int n = size * 2;
                keys = Arrays.copyOf(keys, n);
                ties = Arrays.copyOf(ties, n);
                seqs = Arrays.copyOf(seqs, n);
            }
            int i = size++;
            keys[i] = key;
            ties[i] = tie;
            seqs[i] = seq;
            seq.setQueueIndex(i);
            siftUp(i);
        }

        void removeAt(int i) {
            int last = --size;
            if (i != last) {
                move(last, i);
                seqs[last] = null;
                siftDown(i);
                siftUp(i);
            } else {
                seqs[last] = null;
            }
        }

        private void siftUp(int i) {
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (!less(i, parent)) {
                    break;
                }
                swap(i, parent);
                i = parent;
            }
        }

        private void siftDown(int i) {
            int half = size >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                if (child + 1 < size && less(child + 1, child)) {
                    child++;
                }
                if (!less(child, i)) {
                    break;
                }
                swap(i, child);
                i = child;
            }
        }

        private void move(int from, int to) {
            keys[to] = keys[from];
            ties[to] = ties[from];
            seqs[to] = seqs[from];
            seqs[to].setQueueIndex(to);
        }

        private void swap(int a, int b) {
            long k = keys[a];
            long t = ties[a];
            Sequence s = seqs[a];
            keys[a] = keys[b];
            ties[a] = ties[b];
            seqs[a] = seqs[b];
            keys[b] = k;
            ties[b] = t;
            seqs[b] = s;
            seqs[a].setQueueIndex(a);
            seqs[b].setQueueIndex(b);
        }
    }

    /** Assembles a {@link FlowQueue}; the default is plain arrival order (FCFS) in one band, without fairness. */
    public static final class Builder {
        private boolean priorityBands;
        private QueueOrder order = QueueOrder.fcfs();
        private VirtualTokenCounters counters;
        private boolean demoteLate = true;
        private QueueTimeoutAction timeoutAction = QueueTimeoutAction.REJECT;
        private java.util.function.Predicate<String> yielding;
        private java.util.function.Predicate<String> deferred;
        private java.util.function.Predicate<String> protects;
        private TenantDemand demand;
        private double yieldSlack;

        private Builder() {
        }

        /** What a queue timeout does: end the request (REJECT, the default) or serve it last in its band (DELAY). */
        public Builder onQueueTimeout(QueueTimeoutAction action) {
            this.timeoutAction = Objects.requireNonNull(action, "action");
            return this;
        }

        /** Serve lower priority values strictly first (vLLM semantics); otherwise priority is ignored. */
        public Builder priorityBands(boolean on) {
            this.priorityBands = on;
            return this;
        }

        /** VTC fairness between tenants inside each band. */
        public Builder fairness(VirtualTokenCounters counters) {
            this.counters = Objects.requireNonNull(counters, "counters");
            return this;
        }

        /** Records every arrival's demand (with fairness on), for a policy that asks who exceeds its share. */
        public Builder demand(TenantDemand demand) {
            this.demand = demand;
            return this;
        }

        /**
         * Deferred and protected tenants (latency isolation): when the tenant with the smallest counter is
         * {@code deferred}, the protected tenant with the smallest counter that has a request waiting goes first,
         * whatever the counters; a deferred tenant is never the one a yielding tenant yields to. Both are asked every
         * step ({@code null}: none). The {@code fair} policy defers tenants that exceed their share of the demand and
         * protects tenants within it that have no backlog.
         */
        public Builder deferredTenants(java.util.function.Predicate<String> deferred,
                                       java.util.function.Predicate<String> protects) {
            if ((deferred == null) != (protects == null)) {
                throw new IllegalArgumentException("give both the deferred and the protected tenants, or neither");
            }
            this.deferred = deferred;
            this.protects = protects;
            return this;
        }

        /**
         * Tenants that yield: when the tenant with the smallest counter is one of them, a tenant that is not, with a
         * counter at most {@code slack} above it, goes first. The {@code fair} policy passes
         * {@code SloComposer::holdsShare}, so that a tenant holding its share of the batch does not block, at the head
         * of the queue, a light tenant for whom seats are kept. Pure VTC (the default) has none.
         */
        public Builder yieldingTenants(java.util.function.Predicate<String> yielding, double slack) {
            if (!(slack >= 0)) {
                throw new IllegalArgumentException("the yield slack must be >= 0 (counter units), got " + slack);
            }
            this.yielding = yielding;
            this.yieldSlack = slack;
            return this;
        }

        /** Order within one tenant (default FCFS). */
        public Builder order(QueueOrder order) {
            this.order = Objects.requireNonNull(order, "order");
            return this;
        }

        /**
         * With a deadline order, move requests that can no longer start in time behind the on-time ones (default on).
         */
        public Builder demoteLate(boolean on) {
            this.demoteLate = on;
            return this;
        }

        public FlowQueue build() {
            return new FlowQueue(this);
        }
    }
}
