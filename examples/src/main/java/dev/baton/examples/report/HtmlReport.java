package dev.baton.examples.report;

import dev.baton.examples.replay.Durations;
import dev.baton.examples.replay.PolicyReport;
import dev.baton.examples.replay.ReplayConfig;
import dev.baton.examples.replay.ReplayResult;
import dev.baton.examples.workload.Workload;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The HTML page of a replay: one self-contained file (inline CSS and SVG, no script, font or network; a content
 * security policy forbids any fetch) with the summary table and one chart per figure: latency CDFs per policy (TTFT,
 * TPOT, end-to-end), KV usage over time, queue length over time, and per-tenant SLO attainment. Each chart is a
 * {@code <figure class="chart" data-chart="ID">} so tests and tools can find it, and the page is well-formed XML
 * (void elements self-closed) so that any XML parser can read it back.
 */
public final class HtmlReport {

    /** The charts every page has, by {@code data-chart} id. */
    public static final List<String> CHARTS = List.of("ttft-cdf", "tpot-cdf", "e2e-cdf", "kv-usage", "queue-length",
            "tenant-attainment");

    private static final int CDF_POINTS = 300;

    private HtmlReport() {
    }

    public static void write(Path file, Workload workload, ReplayConfig config, List<PolicyReport> reports)
            throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, render(workload, config, reports), StandardCharsets.UTF_8);
    }

    public static String render(Workload workload, ReplayConfig config, List<PolicyReport> reports) {
        StringBuilder b = new StringBuilder();
        String title = "Baton replay: " + workload.name();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                        + "style-src 'unsafe-inline'; img-src data:\"/>\n")
                .append("<title>").append(Svg.esc(title)).append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}")
                .append("h1{font-size:22px}pre{font-size:12px;background:#f6f6f6;padding:12px;overflow-x:auto}")
                .append(".charts{display:flex;flex-wrap:wrap;gap:16px}")
                .append("figure{margin:0;border:1px solid #ddd;padding:8px;background:#fff}")
                .append("figcaption{font-weight:bold;margin-bottom:4px}.meta{color:#555;font-size:13px}\n")
                .append("</style>\n</head>\n<body>\n");
        b.append("<h1>").append(Svg.esc(title)).append("</h1>\n");
        ReplayResult first = reports.get(0).result();
        b.append("<p class=\"meta\">").append(Svg.esc(String.format(Locale.ROOT,
                "%d requests over %.0f s (%.2f req/s offered) on %s. SLO: TTFT <= %s, TPOT <= %s; a refused, "
                        + "ended-early or unfinished request counts as a miss.", workload.requests().size(),
                workload.spanNanos() * 1e-9, workload.offeredRate(), first.device(),
                Durations.format(config.slo().ttft()), Durations.format(config.slo().tpot()))))
                .append("<br/>").append(Svg.esc(workload.source())).append("</p>\n");
        ByteArrayOutputStream table = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(table, true, StandardCharsets.UTF_8)) {
            ReportTable.print(ps, reports);
        }
        b.append("<pre class=\"summary\">").append(Svg.esc(table.toString(StandardCharsets.UTF_8))).append("</pre>\n");
        b.append("<section class=\"charts\">\n");
        List<String> names = reports.stream().map(PolicyReport::policy).toList();

        double ttftTarget = config.slo().ttft() == null ? Double.NaN : config.slo().ttft().toNanos() * 1e-9;
        double tpotTarget = config.slo().tpot() == null ? Double.NaN : config.slo().tpot().toNanos() * 1e-9;
        figure(b, "ttft-cdf", "Time to first token: CDF per policy", Svg.lineChart(cdfs(reports, 0), "TTFT (s, log)",
                "fraction of finished requests", true, 1, ttftTarget, "SLO"));
        figure(b, "tpot-cdf", "Time per output token: CDF per policy", Svg.lineChart(cdfs(reports, 1),
                "TPOT (s, log)", "fraction of finished requests", true, 1, tpotTarget, "SLO"));
        figure(b, "e2e-cdf", "End-to-end latency: CDF per policy", Svg.lineChart(cdfs(reports, 2),
                "end-to-end latency (s, log)", "fraction of finished requests", true, 1, Double.NaN, ""));
        List<Svg.Line> kv = new ArrayList<>();
        List<Svg.Line> queue = new ArrayList<>();
        for (PolicyReport r : reports) {
            ReplayResult.Series s = r.result().series();
            double[] w = new double[s.waiting().length];
            for (int i = 0; i < w.length; i++) {
                w[i] = s.waiting()[i];
            }
            kv.add(new Svg.Line(r.policy(), s.seconds(), s.kvUsage()));
            queue.add(new Svg.Line(r.policy(), s.seconds(), w));
        }
        figure(b, "kv-usage", "KV cache usage over time", Svg.lineChart(kv, "time (s)", "fraction of KV blocks in use",
                false, 1, Double.NaN, ""));
        figure(b, "queue-length", "Waiting requests over time", Svg.lineChart(queue, "time (s)",
                "requests waiting (incl. preempted)", false, Double.NaN, Double.NaN, ""));
        Set<String> tenants = new LinkedHashSet<>();
        reports.forEach(r -> r.tenants().forEach(t -> tenants.add(t.tenant())));
        List<String> tl = new ArrayList<>(tenants);
        double[][] att = new double[reports.size()][tl.size()];
        for (int s = 0; s < reports.size(); s++) {
            for (int c = 0; c < tl.size(); c++) {
                att[s][c] = Double.NaN;
                for (PolicyReport.TenantFigures t : reports.get(s).tenants()) {
                    if (t.tenant().equals(tl.get(c))) {
                        att[s][c] = t.attainment();
                    }
                }
            }
        }
        figure(b, "tenant-attainment", "SLO attainment per tenant", Svg.barChart(tl, names, att,
                "requests meeting TTFT and TPOT"));
        b.append("</section>\n<p class=\"meta\">Written by baton replay. Latency percentiles are over requests that"
                + " finished; attainment and goodput count every request.</p>\n</body>\n</html>\n");
        return b.toString();
    }

    private static void figure(StringBuilder b, String id, String caption, String svg) {
        b.append("<figure class=\"chart\" data-chart=\"").append(id).append("\">\n<figcaption>")
                .append(Svg.esc(caption)).append("</figcaption>\n").append(svg).append("\n</figure>\n");
    }

    /** Empirical CDFs (at most {@value #CDF_POINTS} points each) of TTFT (0), TPOT (1) or end-to-end (2). */
    private static List<Svg.Line> cdfs(List<PolicyReport> reports, int which) {
        List<Svg.Line> lines = new ArrayList<>();
        for (PolicyReport r : reports) {
            double[] sorted = which == 0 ? r.ttft() : which == 1 ? r.tpot() : r.e2e();
            int n = Math.min(CDF_POINTS, sorted.length);
            double[] x = new double[n];
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                double p = n == 1 ? 1 : (double) i / (n - 1);
                x[i] = PolicyReport.percentile(sorted, 100 * p);
                y[i] = p;
            }
            lines.add(new Svg.Line(r.policy(), x, y));
        }
        return lines;
    }
}
