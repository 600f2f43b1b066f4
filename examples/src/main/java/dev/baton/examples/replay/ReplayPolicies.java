package dev.baton.examples.replay;

import dev.baton.examples.workload.Tenant;
import dev.baton.scheduler.policy.PolicyOptions;
import dev.baton.scheduler.policy.SchedulingPolicies;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The policies {@code baton replay}, {@code sweep} and {@code fidelity} can run, by name.
 *
 * <ul>
 *   <li>{@code vllm}: vLLM v1's default scheduler: FCFS waiting queue, running requests first, chunked prefill under
 *   the fixed token budget, the most recently admitted request preempted (recompute) when KV runs out. With the
 *   default knobs it is what {@code vllm serve} 0.19 does on the device.</li>
 *   <li>{@code priority}: vLLM's {@code --scheduling-policy priority}: strict priority (lower first, then arrival),
 *   the lowest-priority running request preempted. Requests carry their tenant's priority
 *   ({@code --tenants name:rate:weight:priority}); with equal priorities it behaves as {@code vllm}.</li>
 *   <li>{@code sarathi}, {@code slo}, {@code fair}: Baton's policies from
 *   {@link SchedulingPolicies} (stall-free chunked prefill; the SLO-aware composer with early rejection; VTC fair
 *   sharing between the workload's tenants by their weights).</li>
 * </ul>
 */
public final class ReplayPolicies {

    private static final Map<String, ReplayPolicy> KNOWN = new LinkedHashMap<>();

    static {
        register(ReplayPolicy.of("vllm", "vLLM v1 default: FCFS, chunked prefill, recompute preemption",
                (engine, config, setup) -> engine.fcfs()));
        register(ReplayPolicy.of("priority", "vLLM --scheduling-policy priority: strict priority, lowest preempted",
                (engine, config, setup) -> engine.priority()));

        // Baton's own policies, from scheduler-core's registry; the workload's tenant weights feed VTC.
        register(ReplayPolicy.of(SchedulingPolicies.SARATHI, SchedulingPolicies.describe(SchedulingPolicies.SARATHI),
                (engine, config, setup) -> SchedulingPolicies.named(SchedulingPolicies.SARATHI, options(setup))
                        .applyTo(engine)));
        register(ReplayPolicy.of(SchedulingPolicies.SLO, SchedulingPolicies.describe(SchedulingPolicies.SLO),
                (engine, config, setup) -> SchedulingPolicies.named(SchedulingPolicies.SLO, options(setup))
                        .applyTo(engine)));
        register(ReplayPolicy.of(SchedulingPolicies.FAIR, SchedulingPolicies.describe(SchedulingPolicies.FAIR),
                (engine, config, setup) -> SchedulingPolicies.named(SchedulingPolicies.FAIR, options(setup))
                        .applyTo(engine)));
    }

    private ReplayPolicies() {
    }

    /** Policy options for a replay: the workload's tenants with their weights. */
    static PolicyOptions options(ReplayPolicy.Setup setup) {
        PolicyOptions.Builder b = PolicyOptions.builder();
        for (Tenant t : setup.tenants()) {
            b.tenantWeight(t.name(), t.weight());
        }
        return b.build();
    }

    /** Adds a policy (for the registrations above, and for tests and embedders). */
    public static synchronized void register(ReplayPolicy policy) {
        if (KNOWN.putIfAbsent(policy.name(), policy) != null) {
            throw new IllegalArgumentException("policy " + policy.name() + " is already registered");
        }
    }

    public static synchronized List<String> names() {
        return new ArrayList<>(KNOWN.keySet());
    }

    public static synchronized List<ReplayPolicy> all() {
        return new ArrayList<>(KNOWN.values());
    }

    /**
     * The policy called {@code name}.
     *
     * @throws IllegalArgumentException listing the known policies
     */
    public static synchronized ReplayPolicy named(String name) {
        ReplayPolicy p = KNOWN.get(name.trim());
        if (p == null) {
            throw new IllegalArgumentException("unknown policy '" + name.trim() + "'; known: "
                    + String.join(", ", KNOWN.keySet()));
        }
        return p;
    }

    /** Parses a comma list ({@code all} for every known policy), in the order given, without repeats. */
    public static List<ReplayPolicy> parseList(String spec) {
        if (spec == null || spec.isBlank() || spec.trim().equals("all")) {
            return all();
        }
        Set<ReplayPolicy> out = new LinkedHashSet<>();
        for (String part : spec.split(",")) {
            if (!part.isBlank()) {
                out.add(named(part));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no policy in '" + spec + "'; known: " + String.join(", ", names()));
        }
        return new ArrayList<>(out);
    }
}
