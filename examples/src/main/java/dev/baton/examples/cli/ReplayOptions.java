package dev.baton.examples.cli;

import dev.baton.api.request.SloTargets;
import dev.baton.examples.replay.Durations;
import dev.baton.examples.replay.EngineKnobs;
import dev.baton.examples.replay.ReplayConfig;
import dev.baton.examples.replay.ReplayPolicies;
import dev.baton.examples.replay.ReplayPolicy;
import dev.baton.examples.workload.Tenant;
import dev.baton.examples.workload.TraceFile;
import dev.baton.examples.workload.TraceFormat;
import dev.baton.examples.workload.TraceReader;
import dev.baton.examples.workload.Workload;
import dev.baton.examples.workload.WorkloadOptions;
import dev.baton.examples.workload.Workloads;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The options {@code replay} and {@code sweep} share: what to replay, on what, under which policies and targets. */
final class ReplayOptions {

    static final String DEFAULT_DURATION = "10m";

    /** Workload, device, engine and SLO options. */
    static List<Option> common(boolean withPolicies) {
        List<Option> o = new ArrayList<>(List.of(
                Option.value("workload", "NAME", Workloads.DEFAULT, "built-in workload: "
                        + String.join(", ", Workloads.builtInNames())),
                Option.value("trace", "FILE", null, "replay a trace file instead (see --format)"),
                Option.value("format", "FORMAT", "azure-csv", "trace format: " + String.join(", ",
                        TraceFormat.ids())),
                Option.value("block-size", "N", "16", "tokens per hash id of a prefix-hash-jsonl trace"),
                Option.flag("strict", "fail at the first malformed trace line instead of skipping it"),
                Option.value("rate-scale", "X", "1", "multiply the request rate"),
                Option.value("duration", "TIME", DEFAULT_DURATION + " (a trace: all of it)",
                        "arrival window to replay, e.g. 10m, 1h"),
                Option.value("max-requests", "N", null, "replay at most N requests"),
                Option.value("tenants", "LIST", null, "name[:rate[:weight[:priority]]],... spread requests over"
                        + " tenants (multi-tenant: one stream each)"),
                Option.value("seed", "N", "1", "seed of the generated workload"),
                Option.value("device", "SPEC", ReplayConfig.DEFAULT_DEVICE, "sim:<gpu>/<model> or cpu"),
                Option.value("engine", "K=V,...", null, "engine knobs with vLLM's names (--help lists them)")));
        if (withPolicies) {
            o.add(Option.value("policies", "LIST", "all", "policies to compare: " + String.join(", ",
                    ReplayPolicies.names())));
        }
        o.add(Option.value("slo", "TARGETS", "ttft=2s,tpot=100ms", "latency targets every request is judged by"));
        o.add(Option.value("timeout", "TIME", null, "end-to-end deadline of each request (then it is a miss)"));
        o.add(Option.value("drain", "TIME", "the arrival window (at least 60 s)",
                "how long to keep running after the last arrival"));
        return o;
    }

    /** Help text listing the engine knobs. */
    static String knobHelp() {
        StringBuilder b = new StringBuilder("\n\nengine knobs (--engine key=value,...):");
        for (EngineKnobs.Knob k : EngineKnobs.known()) {
            b.append(String.format("%n  %-30s %s (default %s)", k.name(), k.description(), k.defaultValue()));
        }
        return b.toString();
    }

    private final Args args;
    private final TraceFile trace;
    private final WorkloadOptions workloadOptions;

    ReplayOptions(Args args) throws IOException {
        this.args = args;
        args.requireNoPositional();
        List<Tenant> tenants = args.has("tenants") ? Tenant.parseList(args.require("tenants")) : null;
        if (args.has("trace")) {
            if (args.has("workload")) {
                throw new UsageException("give either --workload or --trace, not both");
            }
            TraceFormat format = TraceFormat.named(args.get("format", "azure-csv"));
            trace = TraceReader.read(Path.of(args.require("trace")), format,
                    new TraceReader.Options(args.getInt("block-size", 16), args.flag("strict"), args.getLong("seed", 1)));
        } else {
            if (args.has("format") || args.has("strict") || args.has("block-size")) {
                throw new UsageException("--format, --strict and --block-size apply to --trace FILE");
            }
            trace = null;
        }
        long duration = args.has("duration") ? Durations.parse(args.require("duration")).toNanos()
                : trace != null ? 0 : Durations.parse(DEFAULT_DURATION).toNanos();
        this.workloadOptions = new WorkloadOptions(args.getDouble("rate-scale", 1), duration,
                args.getInt("max-requests", 0), args.getLong("seed", 1), tenants);
    }

    /** The trace read, or null for a built-in workload. */
    TraceFile trace() {
        return trace;
    }

    /** The workload at {@code rateScale} times the base rate. */
    Workload workload(double rateScale) {
        WorkloadOptions o = workloadOptions.withRateScale(rateScale);
        return trace != null ? Workloads.fromTrace(trace, o) : Workloads.builtIn(args.get("workload",
                Workloads.DEFAULT), o);
    }

    double rateScale() {
        return workloadOptions.rateScale();
    }

    ReplayConfig config() {
        SloTargets slo = Durations.parseSlo(args.get("slo", ""), ReplayConfig.DEFAULT_SLO);
        Duration timeout = args.has("timeout") ? Durations.parse(args.require("timeout")) : null;
        long drain = args.has("drain") ? Durations.parse(args.require("drain")).toNanos() : 0;
        return new ReplayConfig(args.get("device", ReplayConfig.DEFAULT_DEVICE),
                EngineKnobs.parse(args.get("engine", "")), slo, timeout, drain, Long.MAX_VALUE);
    }

    List<ReplayPolicy> policies() {
        return ReplayPolicies.parseList(args.get("policies", "all"));
    }

    /** Header lines: what is replayed, on what, judged how. */
    static String header(Workload w, ReplayConfig c, String device, String knobs) {
        return String.format(java.util.Locale.ROOT, "workload: %s: %d requests over %.0f s (%.2f req/s offered%s)%n"
                        + "  source: %s%ndevice:   %s%nengine:   %s%nSLO:      TTFT <= %s, TPOT <= %s (a refused, ended-early"
                        + " or unfinished request counts as a miss)",
                w.name(), w.requests().size(), w.spanNanos() * 1e-9, w.offeredRate(),
                w.skipped() > 0 ? "; " + w.skipped() + " malformed lines skipped" : "", w.source(), device, knobs,
                Durations.format(c.slo().ttft()), Durations.format(c.slo().tpot()));
    }
}
