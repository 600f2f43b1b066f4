package dev.baton.examples.replay;

import dev.baton.api.FinishReason;
import dev.baton.api.admission.RejectionReason;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The figures of one policy's replay, as the table, the JSON and the HTML page report them. Latency percentiles are
 * over requests that finished naturally (exact, from sorted samples, linearly interpolated); attainment and goodput
 * count every request of the workload, so a refused, aborted or unfinished request is a miss.
 *
 * @param result           the replay
 * @param requests         requests in the workload
 * @param finished         requests that finished naturally
 * @param met              of those, requests that met both targets
 * @param refused          refusals at admission by reason
 * @param aborted          requests the engine ended early, by finish reason
 * @param unfinished       requests still queued or running when the run stopped
 * @param ttft             sorted TTFTs, seconds
 * @param tpot             sorted TPOTs of requests with more than one output token, seconds
 * @param e2e              sorted end-to-end latencies, seconds
 * @param outputTokens     tokens generated (including by requests ended early)
 * @param promptTokens     prompt tokens of requests that produced a first token
 * @param tenants          per-tenant figures, in the workload's tenant order
 */
public record PolicyReport(ReplayResult result, int requests, int finished, int met, Map<String, Long> refused,
                           Map<String, Long> aborted, int unfinished, double[] ttft, double[] tpot, double[] e2e,
                           long outputTokens, long promptTokens, List<TenantFigures> tenants) {

    /**
     * One tenant's share.
     *
     * @param tenant        name
     * @param requests      its requests
     * @param met           of them, requests that met both targets
     * @param ttftP99       99th percentile TTFT of its finished requests, seconds (NaN without any)
     * @param ttftP50       median of the same
     */
    public record TenantFigures(String tenant, int requests, int met, double ttftP50, double ttftP99) {
        public double attainment() {
            return requests == 0 ? Double.NaN : (double) met / requests;
        }
    }

    public static PolicyReport of(ReplayResult r) {
        Outcomes o = r.outcomes();
        int n = o.size();
        int finished = 0;
        int met = 0;
        int unfinished = 0;
        Map<String, Long> refused = new TreeMap<>();
        Map<String, Long> aborted = new TreeMap<>();
        double[] ttft = new double[n];
        double[] tpot = new double[n];
        double[] e2e = new double[n];
        int nt = 0;
        int ntp = 0;
        long outTokens = 0;
        long promptTokens = 0;
        int tenants = r.tenants().size();
        int[] tReq = new int[tenants];
        int[] tMet = new int[tenants];
        List<List<Double>> tTtft = new ArrayList<>();
        for (int t = 0; t < tenants; t++) {
            tTtft.add(new ArrayList<>());
        }
        RejectionReason[] rr = RejectionReason.values();
        FinishReason[] fr = FinishReason.values();
        for (int i = 0; i < n; i++) {
            int t = o.tenant[i];
            tReq[t]++;
            outTokens += o.output[i];
            byte s = o.state(i);
            if (o.firstToken[i] >= 0) {
                promptTokens += o.prompt[i];
            }
            switch (s) {
                case Outcomes.MET, Outcomes.MISSED -> {
                    finished++;
                    double tt = o.ttftNanos(i) * 1e-9;
                    ttft[nt] = tt;
                    e2e[nt++] = o.e2eNanos(i) * 1e-9;
                    tTtft.get(t).add(tt);
                    if (o.output[i] > 1) {
                        tpot[ntp++] = o.tpotNanos(i) * 1e-9;
                    }
                    if (s == Outcomes.MET) {
                        met++;
                        tMet[t]++;
                    }
                }
                case Outcomes.REFUSED -> refused.merge(rr[o.reason[i]].name(), 1L, Long::sum);
                case Outcomes.ABORTED -> aborted.merge(fr[o.reason[i]].name(), 1L, Long::sum);
                default -> unfinished++;
            }
        }
        ttft = sorted(ttft, nt);
        e2e = sorted(e2e, nt);
        tpot = sorted(tpot, ntp);
        List<TenantFigures> tf = new ArrayList<>();
        for (int t = 0; t < tenants; t++) {
            double[] x = tTtft.get(t).stream().mapToDouble(Double::doubleValue).sorted().toArray();
            tf.add(new TenantFigures(r.tenants().get(t), tReq[t], tMet[t], percentile(x, 50), percentile(x, 99)));
        }
        return new PolicyReport(r, n, finished, met, refused, aborted, unfinished, ttft, tpot, e2e, outTokens,
                promptTokens, tf);
    }

    private static double[] sorted(double[] a, int n) {
        double[] s = Arrays.copyOf(a, n);
        Arrays.sort(s);
        return s;
    }

    /** The {@code p}th percentile (0..100) of sorted data, linearly interpolated; NaN without data. */
    public static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double pos = p / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    public String policy() {
        return result.policy();
    }

    /** Share of all requests that finished naturally within both targets. */
    public double sloAttainment() {
        return requests == 0 ? Double.NaN : (double) met / requests;
    }

    public double elapsedSeconds() {
        return result.elapsedNanos() * 1e-9;
    }

    /** Requests per second that met both targets, over the run's virtual duration. */
    public double goodput() {
        return met / Math.max(1e-9, elapsedSeconds());
    }

    /** Generated tokens per second over the run. */
    public double throughput() {
        return outputTokens / Math.max(1e-9, elapsedSeconds());
    }

    /** Prompt plus generated tokens per second. */
    public double totalThroughput() {
        return (outputTokens + promptTokens) / Math.max(1e-9, elapsedSeconds());
    }

    /** Generated tokens per US dollar of device time (price per GPU-hour times GPUs), NaN without a price. */
    public double outputTokensPerDollar() {
        double perHour = result.pricePerGpuHour() * result.tensorParallel();
        return perHour <= 0 ? Double.NaN : throughput() * 3600 / perHour;
    }

    public long refusedTotal() {
        return refused.values().stream().mapToLong(Long::longValue).sum();
    }

    public double refusalRate() {
        return requests == 0 ? Double.NaN : (double) refusedTotal() / requests;
    }

    /** One JSON object: the field names first, then the rest. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        ReplayResult r = result;
        m.put("policy", r.policy());
        m.put("ttft_p50_s", num(percentile(ttft, 50)));
        m.put("ttft_p99_s", num(percentile(ttft, 99)));
        m.put("tpot_p50_s", num(percentile(tpot, 50)));
        m.put("tpot_p99_s", num(percentile(tpot, 99)));
        m.put("e2e_p50_s", num(percentile(e2e, 50)));
        m.put("e2e_p99_s", num(percentile(e2e, 99)));
        m.put("goodput_rps", goodput());
        m.put("slo_attainment", num(sloAttainment()));
        m.put("throughput_tok_s", throughput());
        m.put("prefix_hit_rate", r.prefixHitRate());
        m.put("preemptions", r.preemptions());
        m.put("sched_cpu_us_p50", r.schedCpuP50Nanos() / 1e3);
        m.put("sched_cpu_us_p99", r.schedCpuP99Nanos() / 1e3);
        m.put("ttft_p95_s", num(percentile(ttft, 95)));
        m.put("tpot_p95_s", num(percentile(tpot, 95)));
        m.put("e2e_p95_s", num(percentile(e2e, 95)));
        m.put("total_tok_s", totalThroughput());
        m.put("kv_usage_mean", r.kvUsageMean());
        m.put("kv_usage_peak", r.kvUsagePeak());
        m.put("requests", requests);
        m.put("finished", finished);
        m.put("met_slo", met);
        m.put("refused", refused);
        m.put("refusal_rate", num(refusalRate()));
        m.put("aborted", aborted);
        m.put("unfinished", unfinished);
        m.put("offered_rps", r.offeredRate());
        m.put("output_tokens", outputTokens);
        m.put("output_tok_per_usd", num(outputTokensPerDollar()));
        m.put("price_per_gpu_hour", r.pricePerGpuHour());
        m.put("tensor_parallel_size", r.tensorParallel());
        List<Map<String, Object>> ts = new ArrayList<>();
        for (TenantFigures t : tenants) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("tenant", t.tenant());
            o.put("requests", t.requests());
            o.put("slo_attainment", num(t.attainment()));
            o.put("ttft_p50_s", num(t.ttftP50()));
            o.put("ttft_p99_s", num(t.ttftP99()));
            ts.add(o);
        }
        m.put("tenants", ts);
        m.put("steps", r.steps());
        m.put("simulated_s", elapsedSeconds());
        m.put("wall_s", r.wallNanos() * 1e-9);
        m.put("stopped_early", r.stopReason());
        m.put("workload", r.workload());
        m.put("device", r.device());
        m.put("engine", r.knobs());
        return m;
    }

    /** JSON has no NaN: absent figures are null. */
    static Object num(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
