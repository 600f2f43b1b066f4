package dev.baton.examples.report;

import dev.baton.examples.replay.PolicyReport;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** The text report of a replay: one column per policy, one row per figure. */
public final class ReportTable {

    private ReportTable() {
    }

    public static void print(PrintStream out, List<PolicyReport> reports) {
        List<Row> rows = new ArrayList<>();
        rows.add(row("requests finished/offered", r -> r.finished() + "/" + r.requests()));
        rows.add(row("TTFT p50 / p95 / p99 (s)", r -> triple(r.ttft(), 1, "%.3f")));
        rows.add(row("TPOT p50 / p95 / p99 (ms)", r -> triple(r.tpot(), 1e3, "%.1f")));
        rows.add(row("E2E  p50 / p95 / p99 (s)", r -> triple(r.e2e(), 1, "%.2f")));
        rows.add(row("SLO attainment", r -> pct(r.sloAttainment())));
        rows.add(row("goodput (req/s)", r -> f("%.3f", r.goodput())));
        rows.add(row("throughput (output tok/s)", r -> f("%.0f", r.throughput())));
        rows.add(row("throughput (total tok/s)", r -> f("%.0f", r.totalThroughput())));
        rows.add(row("output tokens per $", r -> perDollar(r.outputTokensPerDollar())));
        rows.add(row("KV usage mean / peak", r -> pct(r.result().kvUsageMean()) + " / " + pct(r.result().kvUsagePeak())));
        rows.add(row("prefix hit rate", r -> pct(r.result().prefixHitRate())));
        rows.add(row("preemptions", r -> Long.toString(r.result().preemptions())));
        rows.add(row("refused", r -> reasons(r.refused())));
        rows.add(row("ended early", r -> reasons(r.aborted())));
        rows.add(row("unfinished at stop", r -> Integer.toString(r.unfinished())));
        Set<String> tenants = new LinkedHashSet<>();
        reports.forEach(r -> r.tenants().forEach(t -> tenants.add(t.tenant())));
        if (tenants.size() > 1) {
            for (String t : tenants) {
                rows.add(row("tenant " + t + ": attainment", r -> tenant(r, t, true)));
                rows.add(row("tenant " + t + ": TTFT p99 (s)", r -> tenant(r, t, false)));
            }
        }
        rows.add(row("scheduler CPU/step p50/p99 (us)", r -> f("%.1f", r.result().schedCpuP50Nanos() / 1e3) + " / "
                + f("%.1f", r.result().schedCpuP99Nanos() / 1e3)));
        rows.add(row("steps", r -> Long.toString(r.result().steps())));
        rows.add(row("simulated / wall time (s)", r -> f("%.0f", r.elapsedSeconds()) + " / "
                + f("%.1f", r.result().wallNanos() * 1e-9)));

        int labelWidth = rows.stream().mapToInt(x -> x.label.length()).max().orElse(10) + 2;
        int cell = 24;
        for (PolicyReport r : reports) {
            for (Row x : rows) {
                cell = Math.max(cell, x.value.apply(r).length() + 2);
            }
        }
        StringBuilder head = new StringBuilder(pad("", labelWidth));
        for (PolicyReport r : reports) {
            head.append(padLeft(r.policy(), cell));
        }
        out.println(head);
        for (Row x : rows) {
            StringBuilder b = new StringBuilder(pad(x.label, labelWidth));
            for (PolicyReport r : reports) {
                b.append(padLeft(x.value.apply(r), cell));
            }
            out.println(b);
        }
        for (PolicyReport r : reports) {
            if (r.result().stopReason() != null) {
                out.println("note: " + r.policy() + " stopped early: " + r.result().stopReason());
            }
        }
    }

    private record Row(String label, Function<PolicyReport, String> value) {
    }

    private static Row row(String label, Function<PolicyReport, String> value) {
        return new Row(label, value);
    }

    private static String tenant(PolicyReport r, String name, boolean attainment) {
        for (PolicyReport.TenantFigures t : r.tenants()) {
            if (t.tenant().equals(name)) {
                return attainment ? pct(t.attainment()) + " of " + t.requests() : f("%.3f", t.ttftP99());
            }
        }
        return "-";
    }

    private static String triple(double[] sorted, double scale, String fmt) {
        return f(fmt, scale * PolicyReport.percentile(sorted, 50)) + " / " + f(fmt, scale
                * PolicyReport.percentile(sorted, 95)) + " / " + f(fmt, scale * PolicyReport.percentile(sorted, 99));
    }

    private static String reasons(Map<String, Long> m) {
        if (m.isEmpty()) {
            return "0";
        }
        List<String> parts = new ArrayList<>();
        m.forEach((k, v) -> parts.add(k + " " + v));
        return String.join(", ", parts);
    }

    static String pct(double v) {
        return Double.isFinite(v) ? f("%.1f%%", 100 * v) : "-";
    }

    private static String perDollar(double v) {
        if (!Double.isFinite(v)) {
            return "- (no price)";
        }
        return v >= 1e6 ? f("%.2fM", v / 1e6) : f("%.0f", v);
    }

    static String f(String fmt, double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, fmt, v) : "-";
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }

    private static String padLeft(String s, int w) {
        return s.length() >= w ? s : " ".repeat(w - s.length()) + s;
    }
}
