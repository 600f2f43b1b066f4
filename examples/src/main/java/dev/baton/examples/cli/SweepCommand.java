package dev.baton.examples.cli;

import dev.baton.examples.replay.Durations;
import dev.baton.examples.replay.PolicyReport;
import dev.baton.examples.replay.ReplayConfig;
import dev.baton.examples.replay.ReplayPolicy;
import dev.baton.examples.replay.Sweep;
import dev.baton.examples.workload.Workload;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code baton sweep}: each policy's capacity, the highest request rate that keeps SLO attainment on target. */
final class SweepCommand implements Command {

    @Override
    public String name() {
        return "sweep";
    }

    @Override
    public String summary() {
        return "find each policy's capacity: the highest rate that keeps SLO attainment >= 90%";
    }

    @Override
    public String description() {
        return """
                Finds, per policy, the highest request rate at which SLO attainment stays at or above --attainment
                (DistServe's definition of capacity), by bisection over --rate-scale of the workload, and prints the
                capacity table with each policy's attainment, refusal rate and tail latencies at its capacity.
                A refused, ended-early or unfinished request counts as a miss, so refusing work never raises
                capacity. Takes the workload, device and engine options of `baton replay`.""" + ReplayOptions.knobHelp();
    }

    @Override
    public List<Option> options() {
        List<Option> o = new ArrayList<>(ReplayOptions.common(true));
        o.add(Option.value("attainment", "A", "0.9", "SLO attainment that defines capacity"));
        o.add(Option.value("precision", "P", "0.03", "stop when the rate bracket is within this fraction"));
        o.add(Option.value("json", "FILE", null, "also write one JSON object per policy"));
        o.add(Option.flag("quiet", "no progress bar on stderr"));
        return o;
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        ReplayOptions opts = new ReplayOptions(args);
        if (args.has("rate-scale")) {
            throw new UsageException("sweep chooses --rate-scale itself; leave it out");
        }
        ReplayConfig config = opts.config();
        double target = args.getDouble("attainment", 0.9);
        double precision = args.getDouble("precision", 0.03);
        List<ReplayPolicy> policies = opts.policies();
        Workload base = opts.workload(1);
        StderrProgress progress = new StderrProgress(err, !args.flag("quiet"));
        List<Sweep.Capacity> caps = new ArrayList<>();
        for (ReplayPolicy p : policies) {
            caps.add(Sweep.find(p, opts::workload, config, target, precision, progress));
        }
        out.printf(Locale.ROOT, "capacity: highest offered rate with SLO attainment >= %.0f%% (TTFT <= %s, TPOT <= %s;"
                        + " a refused, ended-early or unfinished request is a miss)%n", 100 * target,
                Durations.format(config.slo().ttft()), Durations.format(config.slo().tpot()));
        out.printf(Locale.ROOT, "workload %s (%.2f req/s at rate scale 1, %.0f s window), device %s%n%n", base.name(),
                base.offeredRate(), base.spanNanos() * 1e-9, config.device());
        out.printf("%-12s %14s %10s %11s %12s %13s %11s %12s %5s%n", "POLICY", "CAPACITY REQ/S", "VS FIRST",
                "RATE SCALE", "ATTAINMENT", "REFUSAL RATE", "TTFT P99 S", "TPOT P99 MS", "RUNS");
        double first = caps.get(0).capacityRps();
        List<Map<String, Object>> json = new ArrayList<>();
        for (Sweep.Capacity c : caps) {
            PolicyReport r = c.atCapacity();
            out.printf(Locale.ROOT, "%-12s %14.3f %10s %11.3f %12s %13s %11s %12s %5d%n", c.policy(), c.capacityRps(),
                    first > 0 ? String.format(Locale.ROOT, "%.2fx", c.capacityRps() / first) : "-", c.rateScale(),
                    r == null ? "-" : pct(r.sloAttainment()), r == null ? "-" : pct(r.refusalRate()),
                    r == null ? "-" : fmt(PolicyReport.percentile(r.ttft(), 99), 1),
                    r == null ? "-" : fmt(PolicyReport.percentile(r.tpot(), 99), 1e3), c.points().size());
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("policy", c.policy());
            o.put("capacity_rps", c.capacityRps());
            o.put("rate_scale", c.rateScale());
            o.put("attainment_target", target);
            o.put("slo_attainment", r == null ? null : r.sloAttainment());
            o.put("refusal_rate", r == null ? null : r.refusalRate());
            o.put("ttft_p99_s", r == null ? null : finite(PolicyReport.percentile(r.ttft(), 99)));
            o.put("tpot_p99_s", r == null ? null : finite(PolicyReport.percentile(r.tpot(), 99)));
            o.put("goodput_rps", r == null ? null : r.goodput());
            List<Map<String, Object>> probes = new ArrayList<>();
            for (Sweep.Point p : c.points()) {
                Map<String, Object> q = new LinkedHashMap<>();
                q.put("rate_scale", p.rateScale());
                q.put("offered_rps", p.offeredRps());
                q.put("passed", p.passed());
                q.put("slo_attainment_so_far", p.report().sloAttainment());
                q.put("stopped_early", p.report().result().stopReason());
                probes.add(q);
            }
            o.put("probes", probes);
            o.put("workload", base.name());
            o.put("device", config.device());
            json.add(o);
        }
        if (args.has("json")) {
            Json.write(Path.of(args.require("json")), json);
        }
        return 0;
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static String pct(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f%%", 100 * v) : "-";
    }

    private static String fmt(double v, double scale) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, scale == 1 ? "%.2f" : "%.0f", v * scale) : "-";
    }
}
