package dev.baton.examples.workload;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The built-in workloads, and the shaping of trace files into workloads.
 *
 * <ul>
 *   <li>{@code azure-conv}, {@code azure-code}: the generators fitted to the Azure LLM inference traces
 *   ({@link AzureTraces}): Markovian arrivals with the traces' burstiness, prompt and output lengths from their
 *   quantile tables, joined by a Gaussian copula. Prompts share nothing (the traces carry no prefix information).</li>
 *   <li>{@code multi-turn}: chat sessions whose turns resend the growing conversation, so that every turn after the
 *   first starts with its previous turn's prompt and answer, and sessions share one of a few system prompts: a prefix
 *   cache matters. Synthetic (no public trace with conversation structure is used): sessions arrive as a Poisson
 *   process, 1 + geometric(mean 3) turns each (at most 12), first user message lognormal with median 300 tokens, later
 *   ones median 80 (sigma 0.8), answers from the azure-conv output table, a pause of 20 ms per answer token plus an
 *   exponential think time (mean 30 s) between turns; a session ends once its context passes 16k tokens.</li>
 *   <li>{@code multi-tenant}: tenants with their own azure-conv-shaped streams, one noisy neighbour at 10x the rate
 *   of each other tenant ({@code alpha:1,beta:1,gamma:1,noisy:10} by default; {@code --tenants} replaces the
 *   list, e.g. without {@code noisy} for the reference run).</li>
 * </ul>
 *
 * <p>Every workload is a pure function of its options. Generators draw arrivals, lengths and tenants from separate
 * streams and scale time (not draws) with the rate, so runs at different {@code --rate-scale} see the same requests,
 * only closer together (common random numbers: capacity searches compare like with like).
 */
public final class Workloads {

    /** The default workload of {@code baton replay}. */
    public static final String DEFAULT = "azure-conv";

    /** Request rate of each unit of tenant rate in {@code multi-tenant}, requests per second. */
    public static final double TENANT_UNIT_RATE = 1.0;

    /** The tenants of {@code multi-tenant}. */
    public static final List<Tenant> NOISY_MIX = Tenant.parseList("alpha:1,beta:1,gamma:1,noisy:10");

    private static final Map<String, String> BUILT_IN = new LinkedHashMap<>();

    static {
        BUILT_IN.put("azure-conv", "fitted to the Azure LLM inference conversation trace (5.5 req/s)");
        BUILT_IN.put("azure-code", "fitted to the Azure LLM inference code trace (2.6 req/s, very bursty)");
        BUILT_IN.put("multi-turn", "chat sessions resending their growing history over shared system prompts"
                + " (5.7 req/s)");
        BUILT_IN.put("multi-tenant", "tenants alpha, beta, gamma at " + TENANT_UNIT_RATE + " req/s each and a noisy"
                + " neighbour at 10x");
    }

    private static final int SYSTEM_PROMPTS = 4;
    private static final double SESSION_RATE = 1.5;
    private static final int MAX_TURNS = 12;
    private static final int MAX_CONTEXT = 16_384;

    private Workloads() {
    }

    /** Built-in workload names with one line each. */
    public static Map<String, String> builtIn() {
        return java.util.Collections.unmodifiableMap(BUILT_IN);
    }

    public static List<String> builtInNames() {
        return new ArrayList<>(BUILT_IN.keySet());
    }

    /**
     * Generates built-in workload {@code name}.
     *
     * @throws IllegalArgumentException for an unknown name (listing the known ones) or a zero duration
     */
    public static Workload builtIn(String name, WorkloadOptions o) {
        if (!BUILT_IN.containsKey(name)) {
            throw new IllegalArgumentException("unknown workload '" + name + "'; built in: "
                    + String.join(", ", BUILT_IN.keySet()) + " (or give --trace FILE --format FORMAT)");
        }
        if (o.durationNanos() <= 0) {
            throw new IllegalArgumentException("a generated workload needs a positive --duration");
        }
        // Generate in unscaled time up to duration x scale, then compress time by the scale.
        double horizon = o.durationNanos() * 1e-9 * o.rateScale();
        List<Tenant> tenants;
        List<TraceRequest> raw;
        String source;
        switch (name) {
            case "azure-conv", "azure-code" -> {
                FittedTrace fit = name.equals("azure-conv") ? AzureTraces.CONV : AzureTraces.CODE;
                raw = fitted(fit, horizon, o.seed(), name, "default", 1);
                tenants = List.of(new Tenant("default", 1, 1, 0));
                source = "generator fitted to the " + fit.attribution();
            }
            case "multi-turn" -> {
                raw = multiTurn(horizon, o.seed());
                tenants = List.of(new Tenant("default", 1, 1, 0));
                source = "synthetic multi-turn chat over shared system prompts; answer lengths from the azure-conv fit ("
                        + AzureTraces.ATTRIBUTION + ")";
            }
            default -> {
                tenants = o.tenants() != null ? o.tenants() : NOISY_MIX;
                raw = multiTenant(tenants, horizon, o.seed());
                source = "tenants " + Tenant.format(tenants) + " with azure-conv-shaped streams of "
                        + TENANT_UNIT_RATE + " req/s per unit of rate (" + AzureTraces.ATTRIBUTION + ")";
            }
        }
        List<TraceRequest> scaled = new ArrayList<>(raw.size());
        for (TraceRequest r : raw) {
            scaled.add(r.withArrival(Math.round(r.arrivalNanos() / o.rateScale())));
        }
        if (!name.equals("multi-tenant") && o.tenants() != null) {
            scaled = spread(scaled, o.tenants(), o.seed());
            tenants = o.tenants();
        }
        return finish(name, source, scaled, o.durationNanos(), tenants, o.maxRequests(), 0);
    }

    /**
     * Shapes the requests of a trace file: arrivals divided by the rate scale, cut to the duration and request cap,
     * spread over tenants when given.
     */
    public static Workload fromTrace(TraceFile file, WorkloadOptions o) {
        List<TraceRequest> out = new ArrayList<>(file.requests().size());
        long cut = o.durationNanos() > 0 ? o.durationNanos() : Long.MAX_VALUE;
        for (TraceRequest r : file.requests()) {
            long t = Math.round(r.arrivalNanos() / o.rateScale());
            if (t > cut) {
                break;
            }
            out.add(r.withArrival(t));
        }
        List<Tenant> tenants = List.of(new Tenant("default", 1, 1, 0));
        if (o.tenants() != null) {
            out = spread(out, o.tenants(), o.seed());
            tenants = o.tenants();
        }
        long span = o.durationNanos() > 0 ? o.durationNanos() : out.isEmpty() ? 0 : out.get(out.size() - 1)
                .arrivalNanos();
        return finish(file.name(), file.format().id() + " trace " + file.name(), out, span, tenants, o.maxRequests(),
                file.skipped());
    }

    private static Workload finish(String name, String source, List<TraceRequest> requests, long durationNanos,
                                   List<Tenant> tenants, int maxRequests, int skipped) {
        List<TraceRequest> kept = new ArrayList<>();
        for (TraceRequest r : requests) {
            if (r.arrivalNanos() > durationNanos) {
                break;
            }
            if (maxRequests > 0 && kept.size() >= maxRequests) {
                break;
            }
            kept.add(r);
        }
        long span = durationNanos;
        if (maxRequests > 0 && kept.size() == maxRequests && !kept.isEmpty()) {
            span = Math.max(1, kept.get(kept.size() - 1).arrivalNanos());
        }
        return new Workload(name, source, kept, span, tenants, skipped);
    }

    /** Assigns each request a tenant with probability proportional to the tenants' rates. */
    private static List<TraceRequest> spread(List<TraceRequest> rs, List<Tenant> tenants, long seed) {
        double total = 0;
        for (Tenant t : tenants) {
            total += t.rate();
        }
        SplittableRandom r = new SplittableRandom(PromptShape.mix(seed ^ 0x7E57A175L));
        List<TraceRequest> out = new ArrayList<>(rs.size());
        for (TraceRequest q : rs) {
            double u = r.nextDouble() * total;
            Tenant pick = tenants.get(tenants.size() - 1);
            for (Tenant t : tenants) {
                u -= t.rate();
                if (u < 0) {
                    pick = t;
                    break;
                }
            }
            out.add(q.withTenant(pick));
        }
        return out;
    }

    // ------------------------------------------------------------------ generators (unscaled time, seconds)

    private static List<TraceRequest> fitted(FittedTrace fit, double horizon, long seed, String prefix,
                                             String tenant, double rateMultiplier) {
        SplittableRandom arrivals = new SplittableRandom(PromptShape.mix(seed ^ 0xA441L));
        SplittableRandom lengths = new SplittableRandom(PromptShape.mix(seed ^ 0x1E46L));
        ArrivalProcess.Sampler s = fit.arrivals().sampler(arrivals, rateMultiplier);
        List<TraceRequest> out = new ArrayList<>();
        int[] pair = new int[2];
        double t = 0;
        for (int i = 0; ; i++) {
            t += s.nextGap();
            if (t > horizon) {
                return out;
            }
            fit.sampleLengths(lengths, pair);
            long key = PromptShape.mix(seed * 0x9E3779B97F4A7C15L + prefix.hashCode() * 31L + i);
            out.add(new TraceRequest(prefix + "-" + i, Math.round(t * 1e9), tenant, 0,
                    PromptShape.unique(key, pair[0]), pair[1], null));
        }
    }

    private static List<TraceRequest> multiTenant(List<Tenant> tenants, double horizon, long seed) {
        List<TraceRequest> all = new ArrayList<>();
        for (int k = 0; k < tenants.size(); k++) {
            Tenant t = tenants.get(k);
            double multiplier = t.rate() * TENANT_UNIT_RATE / AzureTraces.CONV.arrivals().meanRate();
            // Each tenant's stream depends on its name, not its position, so dropping a tenant leaves the others'.
            long tenantSeed = seed * 0x9E3779B97F4A7C15L + t.name().hashCode();
            for (TraceRequest r : fitted(AzureTraces.CONV, horizon, tenantSeed, t.name(), t.name(), multiplier)) {
                all.add(new TraceRequest(r.id(), r.arrivalNanos(), t.name(), t.priority(), r.prompt(),
                        r.outputTokens(), null));
            }
        }
        all.sort(Comparator.comparingLong(TraceRequest::arrivalNanos));
        return all;
    }

    private static List<TraceRequest> multiTurn(double horizon, long seed) {
        SplittableRandom starts = new SplittableRandom(PromptShape.mix(seed ^ 0x5E55L));
        SplittableRandom system = new SplittableRandom(PromptShape.mix(seed ^ 0x5157L));
        int[] systemLength = new int[SYSTEM_PROMPTS];
        for (int i = 0; i < SYSTEM_PROMPTS; i++) {
            systemLength[i] = 200 + system.nextInt(1800);
        }
        List<TraceRequest> all = new ArrayList<>();
        QuantileTable answers = AzureTraces.CONV.output();
        double start = 0;
        for (int session = 0; ; session++) {
            start += -Math.log1p(-starts.nextDouble()) / SESSION_RATE;
            if (start > horizon) {
                break;
            }
            SplittableRandom r = new SplittableRandom(PromptShape.mix(seed * 31 + session));
            int sys = r.nextInt(SYSTEM_PROMPTS);
            long sessionKey = PromptShape.mix(seed ^ (0xC0FFEEL + session * 0x9E3779B97F4A7C15L));
            PromptShape prompt = PromptShape.unique(PromptShape.mix(seed ^ (0x5D5L + sys)), systemLength[sys]);
            int turns = 1;
            while (turns < MAX_TURNS && r.nextDouble() < 0.75) {
                turns++;
            }
            double t = start;
            for (int turn = 0; turn < turns; turn++) {
                int user = (int) Math.max(1, Math.round(Math.exp(Math.log(turn == 0 ? 300 : 80)
                        + 0.8 * r.nextGaussian())));
                prompt = prompt.extend(sessionKey + 2L * turn, user);
                int answer = answers.sample(r.nextDouble());
                if (prompt.length() + answer > MAX_CONTEXT || t > horizon) {
                    break;
                }
                all.add(new TraceRequest("s" + session + "-t" + turn, Math.round(t * 1e9), "default", 0, prompt,
                        answer, null));
                prompt = prompt.extend(sessionKey + 2L * turn + 1, answer);
                t += answer * 0.020 + -Math.log1p(-r.nextDouble()) * 30;
            }
        }
        all.sort(Comparator.comparingLong(TraceRequest::arrivalNanos));
        return all;
    }
}
