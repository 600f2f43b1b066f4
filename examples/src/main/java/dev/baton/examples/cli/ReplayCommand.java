package dev.baton.examples.cli;

import dev.baton.examples.replay.PolicyReport;
import dev.baton.examples.replay.Replay;
import dev.baton.examples.replay.ReplayConfig;
import dev.baton.examples.replay.ReplayPolicy;
import dev.baton.examples.replay.ReplayResult;
import dev.baton.examples.report.HtmlReport;
import dev.baton.examples.report.ReportTable;
import dev.baton.examples.workload.Workload;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code baton replay}: a workload through the whole engine on a simulated device, one run per policy, and the figures
 * users care about.
 */
final class ReplayCommand implements Command {

    @Override
    public String name() {
        return "replay";
    }

    @Override
    public String summary() {
        return "replay a workload through the engine on a simulated device and compare policies";
    }

    @Override
    public String description() {
        return """
                Replays a workload through the whole engine (admission, the policy's queue and batching, the step
                scheduler, KV paging, the prefix cache) on a device in virtual time, once per policy, and prints per
                policy: TTFT, TPOT and end-to-end latency percentiles, goodput and SLO attainment (a refused, ended-
                early or unfinished request counts as a miss), throughput, throughput per dollar, KV usage, prefix hit
                rate, preemptions, refusals by reason, per-tenant attainment, and the real CPU time the scheduler spent
                per step on this machine.

                With no option it replays 10 simulated minutes of the azure-conv workload (fitted to the Azure LLM
                inference conversation trace) on a simulated H100 running Llama-3.1-8B, under every policy known.
                Built-in workloads: azure-conv, azure-code (fitted to the Azure traces), multi-turn (chat sessions
                resending their history: prefix caching matters), multi-tenant (three tenants and a noisy neighbour
                at 10x). --trace FILE --format FORMAT replays a public trace instead.""" + ReplayOptions.knobHelp();
    }

    @Override
    public List<Option> options() {
        List<Option> o = new ArrayList<>(ReplayOptions.common(true));
        o.add(Option.value("json", "FILE", null, "also write one JSON object per policy"));
        o.add(Option.value("html", "FILE", null, "also write a self-contained HTML page with charts"));
        o.add(Option.flag("quiet", "no progress bar on stderr"));
        return o;
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        ReplayOptions opts = new ReplayOptions(args);
        ReplayConfig config = opts.config();
        List<ReplayPolicy> policies = opts.policies();
        Workload workload = opts.workload(opts.rateScale());
        if (workload.requests().isEmpty()) {
            throw new UsageException("the workload holds no request in the chosen window; lengthen --duration");
        }
        StderrProgress progress = new StderrProgress(err, !args.flag("quiet"));
        List<PolicyReport> reports = new ArrayList<>();
        for (ReplayPolicy p : policies) {
            ReplayResult r = Replay.run(workload, p, config, progress);
            reports.add(PolicyReport.of(r));
        }
        ReplayResult first = reports.get(0).result();
        out.println(ReplayOptions.header(workload, config, first.device() + String.format(java.util.Locale.ROOT,
                ", $%.2f per GPU-hour", first.pricePerGpuHour()), knobs(first.knobs())));
        out.println();
        ReportTable.print(out, reports);
        if (args.has("json")) {
            List<Map<String, Object>> json = new ArrayList<>();
            reports.forEach(r -> json.add(r.toJson()));
            Json.write(Path.of(args.require("json")), json);
        }
        if (args.has("html")) {
            HtmlReport.write(Path.of(args.require("html")), workload, config, reports);
        }
        return 0;
    }

    static String knobs(Map<String, Object> knobs) {
        List<String> parts = new ArrayList<>();
        knobs.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join(" ", parts);
    }
}
