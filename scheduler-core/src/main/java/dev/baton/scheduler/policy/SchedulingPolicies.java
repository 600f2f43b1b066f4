package dev.baton.scheduler.policy;

import dev.baton.accelerator.StepShape;
import dev.baton.scheduler.EngineSetup;
import dev.baton.scheduler.SchedulingPolicy;
import dev.baton.scheduler.admission.AdmissionChain;
import dev.baton.scheduler.admission.AdmissionPolicy;
import dev.baton.scheduler.admission.BasicAdmission;
import dev.baton.scheduler.admission.DeadlineFeasibility;
import dev.baton.scheduler.admission.KvPressure;
import dev.baton.scheduler.admission.PriorityShedding;
import dev.baton.scheduler.admission.TenantQuotas;
import dev.baton.scheduler.compose.BatchComposer;
import dev.baton.scheduler.compose.MemoryGuard;
import dev.baton.scheduler.compose.SarathiComposer;
import dev.baton.scheduler.compose.SloComposer;
import dev.baton.scheduler.preemption.VictimSelector;
import dev.baton.scheduler.queue.FcfsQueue;
import dev.baton.scheduler.queue.RequestQueue;
import dev.baton.scheduler.queue.StrictPriorityQueue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * The scheduling policies Baton ships, by name, so that benchmarks and trace replay can compare them on one workload:
 *
 * <table>
 *   <caption>Named policies</caption>
 *   <tr><th>name</th><th>queue</th><th>composer</th><th>victims</th><th>admission (besides the basic bounds)</th></tr>
 *   <tr><td>{@code vllm}</td><td>FCFS</td><td>vLLM v1's fixed budget</td><td>last admitted</td><td>-</td></tr>
 *   <tr><td>{@code priority}</td><td>strict priority</td><td>vLLM v1's</td><td>lowest priority</td><td>-</td></tr>
 *   <tr><td>{@code sarathi}</td><td>FCFS</td><td>{@link SarathiComposer} (fixed stall-free budget)</td>
 *       <td>last admitted</td><td>-</td></tr>
 *   <tr><td>{@code slo}</td><td>{@link FlowQueue}: priority bands, earliest TTFT deadline first, hopeless last</td>
 *       <td>{@link SloComposer} (EDF) in a {@link MemoryGuard}</td><td>lowest priority</td>
 *       <td>{@link DeadlineFeasibility}</td></tr>
 *   <tr><td>{@code fair}</td><td>{@link FlowQueue}: priority bands, VTC between tenants, FCFS within; a tenant
 *       exceeding its share of the demand ({@link TenantDemand}) is deferred while it is throttled</td>
 *       <td>{@link SloComposer} ranking prefills by VTC counter (tenants within their share first), with seats
 *       reserved for light tenants and latency isolation (the heavy tenant held to a quantum of step time while
 *       others have work), in a {@link MemoryGuard}</td>
 *       <td>lowest priority</td><td>-</td></tr>
 * </table>
 * Every policy's admission is {@link BasicAdmission#shape()}, then the optional door controls of the
 * {@link PolicyOptions} (KV watermarks, priority shedding), then the policy's own, then tenant quotas, then the queue
 * bounds ({@link BasicAdmission#queueBounds()}). With {@link QueueTimeoutAction#DELAY}, the FCFS and priority queues
 * are replaced by the equivalent {@link FlowQueue}, which supports it.
 *
 * <pre>{@code
 * EngineCore core = SchedulingPolicies.named("slo", PolicyOptions.defaults())
 *         .applyTo(Engines.builder().device("sim:h100/llama-3.1-8b").config(config))
 *         .buildCore();
 * }</pre>
 */
public final class SchedulingPolicies {
    public static final String VLLM = "vllm";
    public static final String PRIORITY = "priority";
    public static final String SARATHI = "sarathi";
    public static final String SLO = "slo";
    public static final String FAIR = "fair";

    private static final Map<String, Entry> POLICIES = new LinkedHashMap<>();

    static {
        register(VLLM, "vLLM v1: FCFS, fixed token budget, last-admitted victims", SchedulingPolicies::vllm);
        register(PRIORITY, "vLLM v1 --scheduling-policy priority: strict priority, lowest-priority victims",
                SchedulingPolicies::priority);
        register(SARATHI, "Sarathi-Serve: FCFS, stall-free batching with a fixed token budget",
                SchedulingPolicies::sarathi);
        register(SLO, "Baton SLO-aware: earliest-deadline queue, cost-model-sized steps that keep TPOT, early rejection",
                SchedulingPolicies::slo);
        register(FAIR, "VTC fair sharing between tenants (weighted), SLO-aware steps, latency isolation from heavy"
                + " tenants", SchedulingPolicies::fair);
    }

    private SchedulingPolicies() {
    }

    /** The names, in a stable order. */
    public static List<String> names() {
        return List.copyOf(POLICIES.keySet());
    }

    /** One line saying what the named policy does. */
    public static String describe(String name) {
        return entry(name).description;
    }

    /** The named policy with default options. */
    public static SchedulingPolicy named(String name) {
        return named(name, PolicyOptions.defaults());
    }

    /**
     * The named policy.
     *
     * @throws IllegalArgumentException for an unknown name (the message lists the known ones)
     */
    public static SchedulingPolicy named(String name, PolicyOptions options) {
        Entry e = entry(name);
        Objects.requireNonNull(options, "options");
        String key = name.toLowerCase(Locale.ROOT);
        return new SchedulingPolicy() {
            @Override
            public String name() {
                return key;
            }

            @Override
            public Parts assemble(EngineSetup setup) {
                return e.factory.apply(setup, options);
            }

            @Override
            public String toString() {
                return key + ": " + e.description;
            }
        };
    }

    private static Entry entry(String name) {
        Entry e = name == null ? null : POLICIES.get(name.toLowerCase(Locale.ROOT));
        if (e == null) {
            throw new IllegalArgumentException("unknown scheduling policy '" + name + "'; known: "
                    + String.join(", ", POLICIES.keySet()));
        }
        return e;
    }

    private static void register(String name, String description,
                                 BiFunction<EngineSetup, PolicyOptions, SchedulingPolicy.Parts> factory) {
        POLICIES.put(name, new Entry(description, factory));
    }

    private record Entry(String description, BiFunction<EngineSetup, PolicyOptions, SchedulingPolicy.Parts> factory) {
    }

    // ================================================================== the policies

    private static SchedulingPolicy.Parts vllm(EngineSetup setup, PolicyOptions o) {
        return new SchedulingPolicy.Parts(fcfsQueue(o), BatchComposer.vllm(), VictimSelector.lastAdmitted(),
                admission(setup, o, null));
    }

    private static SchedulingPolicy.Parts priority(EngineSetup setup, PolicyOptions o) {
        RequestQueue q = o.queueTimeoutAction() == QueueTimeoutAction.DELAY
                ? FlowQueue.builder().priorityBands(true).onQueueTimeout(QueueTimeoutAction.DELAY).build()
                : new StrictPriorityQueue();
        return new SchedulingPolicy.Parts(q, BatchComposer.vllm(), VictimSelector.lowestPriority(),
                admission(setup, o, null));
    }

    private static SchedulingPolicy.Parts sarathi(EngineSetup setup, PolicyOptions o) {
        return new SchedulingPolicy.Parts(fcfsQueue(o), new SarathiComposer(o.sarathiTokenBudget()),
                VictimSelector.lastAdmitted(), admission(setup, o, null));
    }

    private static SchedulingPolicy.Parts slo(EngineSetup setup, PolicyOptions o) {
        int budget = setup.config().maxNumBatchedTokens();
        FlowQueue q = FlowQueue.builder().priorityBands(o.priorityBands())
                .order(QueueOrder.edf())
                .onQueueTimeout(o.queueTimeoutAction()).build();
        BatchComposer c = guarded(setup, o, composer(setup, o).waitingQueue(q).build());
        AdmissionPolicy early = o.earlyRejection() ? new DeadlineFeasibility(budget, setup.config().maxNumSeqs(),
                o.earlyRejectionMargin(), o.earlyRejectionConfidence(), o.costAwareAdmission(),
                o.expectedOutputRatio(), setup.config().asyncScheduling()) : null;
        return new SchedulingPolicy.Parts(q, c, VictimSelector.lowestPriority(), admission(setup, o, early));
    }

    /** Added to the prefill rank of a tenant that exceeds its share: after every tenant within it. */
    private static final double EXCEEDS_SHARE = 1e30;

    private static SchedulingPolicy.Parts fair(EngineSetup setup, PolicyOptions o) {
        VirtualTokenCounters vtc = new VirtualTokenCounters(o.tenantWeights(), o.defaultTenantWeight(),
                o.inputTokenWeight(), o.outputTokenWeight());
        boolean isolation = o.isolationQuantum() > 0;
        TenantDemand demand = isolation ? new TenantDemand(vtc::weight, o.demandWindowNanos(), o.demandMargin(),
                o.inputTokenWeight(), o.outputTokenWeight()) : null;
        // The composer decides who holds its share of the batch and whom it throttles; the queue, built first, asks
        // it through this cell.
        SloComposer[] composer = new SloComposer[1];
        FlowQueue q = FlowQueue.builder().priorityBands(o.priorityBands()).fairness(vtc).demand(demand)
                .yieldingTenants(o.reserveSeats() > 0 ? t -> composer[0].holdsShare(t) : null, o.yieldSlack())
                .deferredTenants(isolation ? t -> composer[0].exceedsShare(t) : null,
                        isolation ? t -> composer[0].isProtected(t) : null)
                .onQueueTimeout(o.queueTimeoutAction()).build();
        SloComposer.Builder b = composer(setup, o).waitingQueue(q).reserveSeats(o.reserveSeats());
        if (isolation) {
            long quantum = (long) (o.isolationQuantum() * setup.costModel().stepNanos(new StepShape().addDecode(1024)));
            // Tenants within their share go first, then the least served.
            long backlog = o.isolationBacklogNanos();
            b.isolation(quantum, demand, (t, now) -> {
                long since = q.waitingSinceNanos(t);
                return since != Long.MAX_VALUE && now - since >= backlog;
            })
                    .prefillRank(seq -> (composer[0].exceedsShare(seq.tenant()) ? EXCEEDS_SHARE : 0)
                            + vtc.counter(seq.tenant()));
        } else {
            b.prefillRank(seq -> vtc.counter(seq.tenant()));
        }
        composer[0] = b.build();
        return new SchedulingPolicy.Parts(q, guarded(setup, o, composer[0]), VictimSelector.lowestPriority(),
                admission(setup, o, null));
    }

    private static RequestQueue fcfsQueue(PolicyOptions o) {
        return o.queueTimeoutAction() == QueueTimeoutAction.DELAY
                ? FlowQueue.builder().onQueueTimeout(QueueTimeoutAction.DELAY).build()
                : new FcfsQueue();
    }

    private static SloComposer.Builder composer(EngineSetup setup, PolicyOptions o) {
        return SloComposer.builder(setup.costModel(), setup.kvCapacityTokens(), setup.blockSize())
                .longPrefillThreshold(setup.config().longPrefillTokenThreshold())
                .maxNumSeqs(setup.config().maxNumSeqs())
                .maxPartialPrefills(setup.config().maxNumPartialPrefills())
                .outputRatio(o.expectedOutputRatio())
                .decodeShare(o.decodeShare());
    }

    private static BatchComposer guarded(EngineSetup setup, PolicyOptions o, BatchComposer inner) {
        if (!o.memoryGuard()) {
            return inner;
        }
        return new MemoryGuard(inner, o.kvHighWatermark(), o.kvLowWatermark(), o.preemptionWindowSteps(),
                o.maxPreemptionsPerWindow());
    }

    /** shape -> door controls -> the policy's own -> tenant quotas -> queue bounds (see the class comment). */
    private static AdmissionPolicy admission(EngineSetup setup, PolicyOptions o, AdmissionPolicy own) {
        List<AdmissionPolicy> chain = new ArrayList<>();
        chain.add(BasicAdmission.shape());
        if (o.admissionKvHigh() > 0) {
            chain.add(new KvPressure(o.admissionKvHigh(), o.admissionKvLow()));
        }
        if (o.shedAbovePriority() != Integer.MAX_VALUE) {
            chain.add(new PriorityShedding(o.shedAbovePriority(), o.shedQueueDepth(), o.shedKvUsage()));
        }
        if (own != null) {
            chain.add(own);
        }
        if (o.hasTenantQuotas()) {
            TenantQuotas.Builder q = TenantQuotas.builder().defaults(o.defaultTenantLimits());
            o.tenantLimits().forEach(q::tenant);
            chain.add(q.build());
        }
        chain.add(BasicAdmission.queueBounds());
        return chain.size() == 2 ? new BasicAdmission() : AdmissionChain.of(chain);
    }
}
