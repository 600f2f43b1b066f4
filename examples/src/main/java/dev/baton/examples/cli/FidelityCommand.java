package dev.baton.examples.cli;

import dev.baton.examples.replay.EngineKnobs;
import dev.baton.examples.replay.Fidelity;
import dev.baton.examples.replay.ReplayConfig;
import dev.baton.examples.workload.TraceFile;
import dev.baton.examples.workload.TraceFormat;
import dev.baton.examples.workload.TraceReader;
import dev.baton.examples.workload.Workload;
import dev.baton.examples.workload.WorkloadOptions;
import dev.baton.examples.workload.Workloads;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code baton fidelity}: predicted vs measured latencies of a measured vLLM run. */
final class FidelityCommand implements Command {

    @Override
    public String name() {
        return "fidelity";
    }

    @Override
    public String summary() {
        return "compare the simulated device's latencies with a measured vLLM run";
    }

    @Override
    public String description() {
        return """
                Replays the requests of a measured run (a vllm-bench-jsonl file: request_id, input_toks, output_toks,
                arrival_time, and queued_ts, scheduled_ts, first_token_ts, last_token_ts) with the vllm policy and
                the engine knobs the run used (--engine, e.g. num-gpu-blocks-override from its log), and prints the
                predicted and measured TTFT and end-to-end latency, median and p90 of each, measured from queued_ts,
                with their relative errors |predicted - measured| / measured. The cost model is the calibrated one;
                no constant is fitted to the run being judged.""" + ReplayOptions.knobHelp();
    }

    @Override
    public List<Option> options() {
        return List.of(
                Option.value("measured", "FILE", null, "the measured run (vllm-bench-jsonl)"),
                Option.value("device", "SPEC", ReplayConfig.DEFAULT_DEVICE, "the device it ran on"),
                Option.value("engine", "K=V,...", null, "the engine knobs it ran with (vLLM names)"),
                Option.flag("strict", "fail at the first malformed line instead of skipping it"),
                Option.value("json", "FILE", null, "also write the comparison as JSON"),
                Option.flag("quiet", "no progress bar on stderr"));
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.requireNoPositional();
        TraceFile file = TraceReader.read(Path.of(args.require("measured")), TraceFormat.VLLM_BENCH_JSONL,
                new TraceReader.Options(16, args.flag("strict"), 1));
        Workload w = Workloads.fromTrace(file, new WorkloadOptions(1, 0, 0, 1, null));
        ReplayConfig config = new ReplayConfig(args.get("device", ReplayConfig.DEFAULT_DEVICE),
                EngineKnobs.parse(args.get("engine", "")), ReplayConfig.DEFAULT_SLO, null, 0, Long.MAX_VALUE);
        Fidelity.Result r = Fidelity.compare(w, config, new StderrProgress(err, !args.flag("quiet")));
        out.printf(Locale.ROOT, "fidelity: %s, %d requests (%d with measured latencies, %d compared; %d malformed"
                + " lines skipped)%n", file.name(), r.requests(), r.withTimings(), r.compared(), file.skipped());
        out.println("device:   " + r.report().result().device());
        out.println("engine:   " + ReplayCommand.knobs(r.report().result().knobs()));
        out.println("policy:   vllm; latencies measured from queued_ts; cost model: calibrated, nothing fitted to this"
                + " run");
        out.println();
        out.printf("%-22s %12s %12s %12s%n", "", "MEASURED S", "PREDICTED S", "REL. ERROR");
        row(out, "TTFT median", r.ttftMeasured()[0], r.ttftPredicted()[0], r.ttftMedianRelErr());
        row(out, "TTFT p90", r.ttftMeasured()[1], r.ttftPredicted()[1], r.ttftP90RelErr());
        row(out, "end-to-end median", r.e2eMeasured()[0], r.e2ePredicted()[0], r.e2eMedianRelErr());
        row(out, "end-to-end p90", r.e2eMeasured()[1], r.e2ePredicted()[1], r.e2eP90RelErr());
        if (args.has("json")) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("measured_file", file.name());
            o.put("requests", r.requests());
            o.put("with_timings", r.withTimings());
            o.put("compared", r.compared());
            o.put("ttft_median_measured_s", r.ttftMeasured()[0]);
            o.put("ttft_median_predicted_s", r.ttftPredicted()[0]);
            o.put("ttft_median_rel_err", r.ttftMedianRelErr());
            o.put("ttft_p90_measured_s", r.ttftMeasured()[1]);
            o.put("ttft_p90_predicted_s", r.ttftPredicted()[1]);
            o.put("ttft_p90_rel_err", r.ttftP90RelErr());
            o.put("e2e_median_measured_s", r.e2eMeasured()[0]);
            o.put("e2e_median_predicted_s", r.e2ePredicted()[0]);
            o.put("e2e_median_rel_err", r.e2eMedianRelErr());
            o.put("e2e_p90_measured_s", r.e2eMeasured()[1]);
            o.put("e2e_p90_predicted_s", r.e2ePredicted()[1]);
            o.put("e2e_p90_rel_err", r.e2eP90RelErr());
            o.put("device", r.report().result().device());
            o.put("engine", r.report().result().knobs());
            Json.write(Path.of(args.require("json")), o);
        }
        return 0;
    }

    private static void row(PrintStream out, String label, double measured, double predicted, double err) {
        out.printf(Locale.ROOT, "%-22s %12.4f %12.4f %11.1f%%%n", label, measured, predicted, 100 * err);
    }
}
