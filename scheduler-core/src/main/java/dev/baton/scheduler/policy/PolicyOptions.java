package dev.baton.scheduler.policy;

import dev.baton.scheduler.admission.TenantLimits;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The knobs of the named {@link SchedulingPolicies}. Every knob has a default; a knob that a policy does not use is
 * ignored by it (the table in {@link SchedulingPolicies} says which policy reads what).
 *
 * @param priorityBands           {@code slo}, {@code fair}: serve lower priority values strictly first
 * @param tenantWeights           {@code fair}: VTC weights by tenant (a tenant of weight 2 gets twice the service)
 * @param defaultTenantWeight     {@code fair}: the weight of tenants not listed
 * @param inputTokenWeight        {@code fair}: VTC's {@code w_in}, the cost of a prompt token
 * @param outputTokenWeight       {@code fair}: VTC's {@code w_out}, the cost of a generated token
 * @param sarathiTokenBudget      {@code sarathi}: the fixed token budget of a step, decodes included
 * @param queueTimeoutAction      all: what a queue timeout does (REJECT: end with QUEUE_TIMEOUT; DELAY: serve last)
 * @param earlyRejection          {@code slo}: refuse at the door requests predicted to miss their TTFT target
 * @param earlyRejectionMargin    {@code slo}: refuse when the prediction exceeds this fraction of the target
 * @param earlyRejectionConfidence {@code slo}: quantile of the measured prediction error that early rejection adds to
 *                                its prediction (0: none)
 * @param costAwareAdmission      {@code slo}: a request costlier than the average reserves its excess in its TTFT
 *                                budget (under a shortage the costliest are refused first)
 * @param memoryGuard             {@code slo}, {@code fair}: stop admitting over the KV watermark or while thrashing
 * @param kvHighWatermark         memory guard: KV usage that stops admission
 * @param kvLowWatermark          memory guard: KV usage that restarts it
 * @param preemptionWindowSteps   memory guard: steps over which preemptions are counted
 * @param maxPreemptionsPerWindow memory guard: preemptions in the window above which admission stops
 * @param expectedOutputRatio     {@code slo}, {@code fair}: fraction of {@code maxTokens} expected, for KV projection
 * @param decodeShare             {@code slo}, {@code fair}: most of the tightest TPOT the decode step may take
 * @param reserveSeats            {@code fair}: decode seats kept free for tenants below their share of the batch
 *                                (0: pure VTC)
 * @param yieldSlack              {@code fair}: how far above the smallest VTC counter a tenant below its share may be
 *                                and still go before one that holds its share (the fairness bound grows by this)
 * @param isolationQuantum        {@code fair}: latency isolation -- the step time, in multiples of a one-sequence
 *                                decode step on the device, that a tenant exceeding its share of the demand may fill
 *                                while a tenant within its share has work (0: off)
 * @param isolationBacklogNanos   {@code fair}: a tenant whose oldest waiting request has waited this long is backlogged
 *                                (past its max-min allocation) and not protected by isolation (0: any waiting request)
 * @param demandWindowNanos       {@code fair}: how far back arrivals count in each tenant's demand
 * @param demandMargin            {@code fair}: a tenant exceeds its share when its fraction of the demand is more than
 *                                this part of the way from its weighted share to all of it
 * @param tenantLimits            all: per-tenant quotas by tenant (rate limits, concurrency)
 * @param defaultTenantLimits     all: quotas of tenants not listed ({@link TenantLimits#UNLIMITED}: none)
 * @param shedAbovePriority       all: under saturation, refuse requests with a larger priority value
 *                                ({@link Integer#MAX_VALUE}: never shed)
 * @param shedQueueDepth          shedding: waiting requests that mean saturation
 * @param shedKvUsage             shedding: KV usage that means saturation
 * @param admissionKvHigh         all: KV usage at which the door refuses new requests (0: off)
 * @param admissionKvLow          door: KV usage at which it admits again
 */
public record PolicyOptions(boolean priorityBands, Map<String, Double> tenantWeights, double defaultTenantWeight,
                            double inputTokenWeight, double outputTokenWeight, int sarathiTokenBudget,
                            QueueTimeoutAction queueTimeoutAction, boolean earlyRejection,
                            double earlyRejectionMargin, double earlyRejectionConfidence,
                            boolean costAwareAdmission, boolean memoryGuard, double kvHighWatermark,
                            double kvLowWatermark, int preemptionWindowSteps, int maxPreemptionsPerWindow,
                            double expectedOutputRatio, double decodeShare, int reserveSeats, double yieldSlack,
                            double isolationQuantum, long isolationBacklogNanos, long demandWindowNanos,
                            double demandMargin,
                            Map<String, TenantLimits> tenantLimits,
                            TenantLimits defaultTenantLimits, int shedAbovePriority, long shedQueueDepth,
                            double shedKvUsage, double admissionKvHigh, double admissionKvLow) {

    public PolicyOptions {
        tenantWeights = Map.copyOf(tenantWeights);
        tenantLimits = Map.copyOf(tenantLimits);
        Objects.requireNonNull(queueTimeoutAction, "queueTimeoutAction");
        Objects.requireNonNull(defaultTenantLimits, "defaultTenantLimits");
        if (sarathiTokenBudget < 1) {
            throw new IllegalArgumentException("the sarathi token budget must be positive, got "
                    + sarathiTokenBudget);
        }
        if (!(yieldSlack >= 0)) {
            throw new IllegalArgumentException("yieldSlack must be >= 0, got " + yieldSlack);
        }
        if (reserveSeats < 0) {
            throw new IllegalArgumentException("reserveSeats must not be negative, got " + reserveSeats);
        }
        if (!(isolationQuantum >= 0 && isolationQuantum < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("the isolation quantum must be >= 0 decode steps (0: off), got "
                    + isolationQuantum);
        }
        if (isolationBacklogNanos < 0) {
            throw new IllegalArgumentException("the isolation backlog must not be negative, got "
                    + isolationBacklogNanos + " ns");
        }
        if (demandWindowNanos <= 0 || !(demandMargin > 0 && demandMargin < 1)) {
            throw new IllegalArgumentException("the demand window must be positive (got " + demandWindowNanos
                    + " ns) and the demand margin in (0, 1) (got " + demandMargin + ")");
        }
        if (!(earlyRejectionMargin > 0)) {
            throw new IllegalArgumentException("the early-rejection margin must be positive, got "
                    + earlyRejectionMargin);
        }
        if (!(earlyRejectionConfidence == 0 || (earlyRejectionConfidence >= 0.5 && earlyRejectionConfidence < 1))) {
            throw new IllegalArgumentException("the early-rejection confidence must be 0 (none) or in [0.5, 1), got "
                    + earlyRejectionConfidence);
        }
        if (!(admissionKvHigh >= 0 && admissionKvHigh <= 1 && admissionKvLow >= 0
                && admissionKvLow <= Math.max(admissionKvHigh, 0))) {
            throw new IllegalArgumentException("admission KV watermarks must satisfy 0 <= low <= high <= 1 (high 0:"
                    + " off), got high " + admissionKvHigh + ", low " + admissionKvLow);
        }
    }

    /** Every default. */
    public static PolicyOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Whether any tenant has a quota. */
    public boolean hasTenantQuotas() {
        return !tenantLimits.isEmpty() || !defaultTenantLimits.equals(TenantLimits.UNLIMITED);
    }

    /** Builder with the defaults documented on each setter. */
    public static final class Builder {
        private boolean priorityBands = true;
        private Map<String, Double> tenantWeights = new HashMap<>();
        private double defaultTenantWeight = 1;
        private double inputTokenWeight = 1;
        private double outputTokenWeight = 1;
        private int sarathiTokenBudget = 2048;
        private QueueTimeoutAction queueTimeoutAction = QueueTimeoutAction.REJECT;
        private boolean earlyRejection = true;
        private double earlyRejectionMargin = 1.0;
        private double earlyRejectionConfidence = 0.9;
        private boolean costAwareAdmission = true;
        private boolean memoryGuard = true;
        private double kvHighWatermark = 0.95;
        private double kvLowWatermark = 0.85;
        private int preemptionWindowSteps = 32;
        private int maxPreemptionsPerWindow = 8;
        private double expectedOutputRatio = 1.0;
        private double decodeShare = 0.6;
        private int reserveSeats = 4;
        private double yieldSlack = 4096;
        private double isolationQuantum = 2;
        private long isolationBacklogNanos = 1_000_000_000L;
        private long demandWindowNanos = 30_000_000_000L;
        private double demandMargin = 0.5;
        private Map<String, TenantLimits> tenantLimits = new HashMap<>();
        private TenantLimits defaultTenantLimits = TenantLimits.UNLIMITED;
        private int shedAbovePriority = Integer.MAX_VALUE;
        private long shedQueueDepth;
        private double shedKvUsage = 2;
        private double admissionKvHigh;
        private double admissionKvLow;

        private Builder() {
        }

        private Builder(PolicyOptions o) {
            priorityBands = o.priorityBands;
            tenantWeights = new HashMap<>(o.tenantWeights);
            defaultTenantWeight = o.defaultTenantWeight;
            inputTokenWeight = o.inputTokenWeight;
            outputTokenWeight = o.outputTokenWeight;
            sarathiTokenBudget = o.sarathiTokenBudget;
            queueTimeoutAction = o.queueTimeoutAction;
            earlyRejection = o.earlyRejection;
            earlyRejectionMargin = o.earlyRejectionMargin;
            earlyRejectionConfidence = o.earlyRejectionConfidence;
            costAwareAdmission = o.costAwareAdmission;
            memoryGuard = o.memoryGuard;
            kvHighWatermark = o.kvHighWatermark;
            kvLowWatermark = o.kvLowWatermark;
            preemptionWindowSteps = o.preemptionWindowSteps;
            maxPreemptionsPerWindow = o.maxPreemptionsPerWindow;
            expectedOutputRatio = o.expectedOutputRatio;
            decodeShare = o.decodeShare;
            reserveSeats = o.reserveSeats;
            yieldSlack = o.yieldSlack;
            isolationQuantum = o.isolationQuantum;
            isolationBacklogNanos = o.isolationBacklogNanos;
            demandWindowNanos = o.demandWindowNanos;
            demandMargin = o.demandMargin;
            tenantLimits = new HashMap<>(o.tenantLimits);
            defaultTenantLimits = o.defaultTenantLimits;
            shedAbovePriority = o.shedAbovePriority;
            shedQueueDepth = o.shedQueueDepth;
            shedKvUsage = o.shedKvUsage;
            admissionKvHigh = o.admissionKvHigh;
            admissionKvLow = o.admissionKvLow;
        }

        /** Serve lower priority values strictly first in {@code slo} and {@code fair} (default true). */
        public Builder priorityBands(boolean on) {
            priorityBands = on;
            return this;
        }

        /** A tenant's VTC weight in {@code fair} (default 1). */
        public Builder tenantWeight(String tenant, double weight) {
            tenantWeights.put(Objects.requireNonNull(tenant, "tenant"), weight);
            return this;
        }

        public Builder defaultTenantWeight(double weight) {
            defaultTenantWeight = weight;
            return this;
        }

        /** VTC's token costs {@code w_in}, {@code w_out} (default 1 and 1). */
        public Builder tokenWeights(double input, double output) {
            inputTokenWeight = input;
            outputTokenWeight = output;
            return this;
        }

        /** The fixed step budget of {@code sarathi} (default 2048, Sarathi-Serve's relaxed-SLO setting). */
        public Builder sarathiTokenBudget(int tokens) {
            sarathiTokenBudget = tokens;
            return this;
        }

        /** REJECT (default) or DELAY at a queue timeout. */
        public Builder queueTimeoutAction(QueueTimeoutAction action) {
            queueTimeoutAction = action;
            return this;
        }

        /** Early rejection of hopeless requests in {@code slo} (default on, margin 1.0). */
        public Builder earlyRejection(boolean on, double margin) {
            earlyRejection = on;
            earlyRejectionMargin = margin;
            return this;
        }

        /**
         * The quantile of its own measured error that early rejection adds to a prediction (default 0.9: a request is
         * admitted when it makes its TTFT target with about 90% probability; 0: none).
         */
        public Builder earlyRejectionConfidence(double quantile) {
            earlyRejectionConfidence = quantile;
            return this;
        }

        /**
         * Whether early rejection makes a request costlier than the average keep its excess free in its TTFT budget,
         * so that under a shortage the costliest requests are refused first (default on).
         */
        public Builder costAwareAdmission(boolean on) {
            costAwareAdmission = on;
            return this;
        }

        /** The composer's memory guard in {@code slo}/{@code fair} (default on: 0.95/0.85, more than 8 in 32 steps). */
        public Builder memoryGuard(boolean on, double high, double low, int windowSteps, int maxPreemptions) {
            memoryGuard = on;
            kvHighWatermark = high;
            kvLowWatermark = low;
            preemptionWindowSteps = windowSteps;
            maxPreemptionsPerWindow = maxPreemptions;
            return this;
        }

        /** Fraction of {@code maxTokens} a request is expected to generate (default 1.0). */
        public Builder expectedOutputRatio(double ratio) {
            expectedOutputRatio = ratio;
            return this;
        }

        /** Most of the tightest TPOT target that the decode step may take (default 0.6). */
        public Builder decodeShare(double share) {
            decodeShare = share;
            return this;
        }

        /**
         * Decode seats {@code fair} keeps for tenants below their share of the batch, and how far above the smallest
         * VTC counter such a tenant may be and still go first (default 4 seats, 4096 tokens; 0 seats: pure VTC).
         */
        public Builder reserveSeats(int seats, double yieldSlack) {
            this.reserveSeats = seats;
            this.yieldSlack = yieldSlack;
            return this;
        }

        /**
         * {@code fair}'s latency isolation (default 2 decode steps, 30 s, 0.5, 1 s): while a tenant within its share
         * of the demand and without a backlog (no request waiting longer than {@code backlog}) has work in the engine, a tenant whose fraction of the demand (arrivals over {@code window}) is more
         * than {@code margin} of the way from its weighted share to all of it fills at most {@code quantumSteps} one-sequence decode steps of
         * device time per step -- its decodes take turns, it is admitted only while the batch's decode step fits, and
         * it sits out the steps that prefill for the others -- so their time to first token stays close to what it is
         * without it. It costs the heavy tenant throughput while others are active; {@code quantumSteps = 0} turns it
         * off (pure VTC with seat reserve).
         */
        public Builder isolation(double quantumSteps, java.time.Duration window, double margin,
                                 java.time.Duration backlog) {
            isolationQuantum = quantumSteps;
            isolationBacklogNanos = backlog.toNanos();
            demandWindowNanos = window.toNanos();
            demandMargin = margin;
            return this;
        }

        /** Quotas of one tenant. */
        public Builder tenantLimits(String tenant, TenantLimits limits) {
            tenantLimits.put(Objects.requireNonNull(tenant, "tenant"), Objects.requireNonNull(limits, "limits"));
            return this;
        }

        /** Quotas of every tenant not listed (default: none). */
        public Builder defaultTenantLimits(TenantLimits limits) {
            defaultTenantLimits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** Shed requests with priority above {@code above} when saturated (default: never). */
        public Builder shedding(int above, long queueDepth, double kvUsage) {
            shedAbovePriority = above;
            shedQueueDepth = queueDepth;
            shedKvUsage = kvUsage;
            return this;
        }

        /** Refuse new requests at the door from KV usage {@code high} until {@code low} (default: off). */
        public Builder admissionKvWatermarks(double high, double low) {
            admissionKvHigh = high;
            admissionKvLow = low;
            return this;
        }

        public PolicyOptions build() {
            return new PolicyOptions(priorityBands, tenantWeights, defaultTenantWeight, inputTokenWeight,
                    outputTokenWeight, sarathiTokenBudget, queueTimeoutAction, earlyRejection, earlyRejectionMargin,
                    earlyRejectionConfidence, costAwareAdmission, memoryGuard, kvHighWatermark, kvLowWatermark,
                    preemptionWindowSteps, maxPreemptionsPerWindow, expectedOutputRatio, decodeShare, reserveSeats,
                    yieldSlack, isolationQuantum, isolationBacklogNanos, demandWindowNanos, demandMargin, tenantLimits,
                    defaultTenantLimits, shedAbovePriority,
                    shedQueueDepth, shedKvUsage, admissionKvHigh, admissionKvLow);
        }
    }
}
