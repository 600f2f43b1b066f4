package dev.baton.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.examples.workload.AzureTraces;
import dev.baton.examples.workload.TraceRequest;
import dev.baton.examples.workload.WorkloadOptions;
import dev.baton.examples.workload.Workloads;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static dev.baton.examples.cli.BatonCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code baton replay}, {@code sweep}, {@code fidelity} and {@code fit-workload} end to end, on small workloads. */
class ReplayCommandsTest {

    @TempDir
    Path dir;

    @Test
    @DisplayName("baton replay prints one column per policy and writes one JSON object per policy with the issue's fields")
    void replayTableAndJson() throws Exception {
        Path json = dir.resolve("out/replay.json");
        BatonCliTest.Run r = run("replay", "--duration", "30s", "--json", json.toString(), "--quiet");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("workload: azure-conv", "CC-BY-4.0", "NVIDIA H100", "vllm", "priority", "sarathi",
                "slo", "fair",
                "TTFT p50 / p95 / p99 (s)", "SLO attainment", "goodput (req/s)", "prefix hit rate", "preemptions",
                "scheduler CPU/step p50/p99 (us)", "output tokens per $", "KV usage mean / peak");
        JsonNode arr = Json.mapper().readTree(Files.readString(json));
        assertThat(arr.isArray()).isTrue();
        assertThat(arr).as("one object per policy, all of them by default")
                .hasSize(dev.baton.examples.replay.ReplayPolicies.names().size());
        for (JsonNode o : arr) {
            for (String f : List.of("policy", "ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s", "e2e_p50_s",
                    "e2e_p99_s", "goodput_rps", "slo_attainment", "throughput_tok_s", "prefix_hit_rate", "preemptions",
                    "sched_cpu_us_p50", "refused", "tenants", "kv_usage_mean", "kv_usage_peak",
                    "output_tok_per_usd")) {
                assertThat(o.has(f)).as(f).isTrue();
            }
            assertThat(o.get("slo_attainment").asDouble()).isEqualTo(1.0);
            assertThat(o.get("ttft_p50_s").asDouble()).isPositive();
        }
        assertThat(arr.get(0).get("policy").asText()).isEqualTo("vllm");
    }

    @Test
    @DisplayName("baton replay reads a trace file, reports skipped malformed lines, and spreads it over tenants")
    void replayTrace() throws Exception {
        Path trace = dir.resolve("t.csv");
        Files.writeString(trace, "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                + "2023-11-16 18:15:46.0,300,20\n2023-11-16 18:15:46.5,bad,20\n2023-11-16 18:15:47.0,200,30\n"
                + "2023-11-16 18:15:47.2,900,10\n2023-11-16 18:15:48.0,100,5\n");
        BatonCliTest.Run r = run("replay", "--trace", trace.toString(), "--policies", "vllm", "--tenants", "a:1,b:1",
                "--quiet");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("4 requests", "1 malformed lines skipped", "4/4");
    }

    @Test
    @DisplayName("wrong command lines exit 2 and say what is known: policies, engine knobs, workloads")
    void usageErrors() {
        BatonCliTest.Run p = run("replay", "--policies", "vllm,edf", "--duration", "5s");
        assertThat(p.status()).isEqualTo(2);
        assertThat(p.err()).contains("unknown policy 'edf'", "vllm, priority");
        BatonCliTest.Run e = run("replay", "--engine", "max-seqs=4", "--duration", "5s");
        assertThat(e.status()).isEqualTo(2);
        assertThat(e.err()).contains("unknown engine knob 'max-seqs'", "max-num-seqs");
        BatonCliTest.Run w = run("replay", "--workload", "sharegpt", "--duration", "5s");
        assertThat(w.status()).isEqualTo(2);
        assertThat(w.err()).contains("azure-conv, azure-code, multi-turn, multi-tenant");
        BatonCliTest.Run f = run("replay", "--format", "azure-csv");
        assertThat(f.status()).isEqualTo(2);
        assertThat(f.err()).contains("--trace");
        BatonCliTest.Run h = run("replay", "--help");
        assertThat(h.status()).isZero();
        assertThat(h.out()).contains("--policies", "--engine", "num-gpu-blocks-override", "scheduler-reserve-full-isl");
    }

    @Test
    @DisplayName("baton sweep prints a capacity per policy and writes policy, capacity_rps and refusal_rate")
    void sweep() throws Exception {
        Path json = dir.resolve("sweep.json");
        BatonCliTest.Run r = run("sweep", "--duration", "30s", "--policies", "vllm", "--precision", "0.5",
                "--json", json.toString(), "--quiet");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("CAPACITY REQ/S", "REFUSAL RATE", "vllm");
        JsonNode o = Json.mapper().readTree(Files.readString(json)).get(0);
        assertThat(o.get("policy").asText()).isEqualTo("vllm");
        assertThat(o.get("capacity_rps").asDouble()).isPositive();
        assertThat(o.get("refusal_rate").asDouble()).isZero();
        assertThat(o.get("slo_attainment").asDouble()).isGreaterThanOrEqualTo(0.9);
        assertThat(run("sweep", "--rate-scale", "2").status()).isEqualTo(2);
    }

    @Test
    @DisplayName("baton fidelity compares predicted and measured TTFT and end-to-end latency from queued_ts")
    void fidelity() throws Exception {
        Path measured = dir.resolve("run.jsonl");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            double arrival = 0.25 * i;
            double queued = 1000 + arrival;
            b.append(String.format(Locale.ROOT, "{\"request_id\": \"r%d\", \"input_toks\": %d, \"output_toks\": %d,"
                            + " \"arrival_time\": %.3f, \"queued_ts\": %.3f, \"scheduled_ts\": %.3f,"
                            + " \"first_token_ts\": %.3f, \"last_token_ts\": %.3f}%n", i, 200 + 37 * i, 20 + i,
                    arrival, queued, queued + 0.002, queued + 0.04, queued + 0.04 + (19 + i) * 0.011));
        }
        b.append("{\"request_id\": \"broken\"\n");
        Files.writeString(measured, b.toString());
        Path json = dir.resolve("fidelity.json");
        BatonCliTest.Run r = run("fidelity", "--measured", measured.toString(), "--engine", "max-num-seqs=128",
                "--json", json.toString(), "--quiet");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("40 requests", "40 compared", "1 malformed lines skipped", "TTFT median",
                "end-to-end p90", "max-num-seqs=128");
        JsonNode o = Json.mapper().readTree(Files.readString(json));
        for (String f : List.of("ttft_median_rel_err", "ttft_p90_rel_err", "e2e_median_rel_err", "e2e_p90_rel_err")) {
            assertThat(o.get(f).asDouble()).as(f).isFinite().isGreaterThanOrEqualTo(0);
        }
        double measuredMedian = o.get("e2e_median_measured_s").asDouble();
        double predictedMedian = o.get("e2e_median_predicted_s").asDouble();
        assertThat(o.get("e2e_median_rel_err").asDouble())
                .isCloseTo(Math.abs(predictedMedian - measuredMedian) / measuredMedian,
                        org.assertj.core.data.Offset.offset(1e-12));
        // A file without measured timestamps cannot be judged.
        Path inputsOnly = dir.resolve("inputs.jsonl");
        Files.writeString(inputsOnly, "{\"request_id\": 1, \"input_toks\": 10, \"output_toks\": 3, \"arrival_time\": 0}\n");
        BatonCliTest.Run bad = run("fidelity", "--measured", inputsOnly.toString(), "--quiet");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(bad.err()).contains("needs a measured run");
    }

    @Test
    @DisplayName("baton fit-workload fits a trace and prints the Java constants with goodness-of-fit figures")
    void fitWorkload() throws Exception {
        // A trace generated from the committed conv fit: fitting it again gives back its figures.
        List<TraceRequest> rs = Workloads.builtIn("azure-conv", new WorkloadOptions(1, 600_000_000_000L, 0, 9, null))
                .requests();
        DateTimeFormatter fmt = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSS");
        LocalDateTime t0 = LocalDateTime.of(2023, 11, 16, 18, 0);
        List<String> lines = new ArrayList<>();
        lines.add("TIMESTAMP,ContextTokens,GeneratedTokens");
        for (TraceRequest q : rs) {
            lines.add(t0.plusNanos(q.arrivalNanos()).format(fmt) + "," + q.promptTokens() + "," + q.outputTokens());
        }
        Path trace = dir.resolve("AzureLLMInferenceTrace_conv.csv");
        Files.write(trace, lines);
        Path json = dir.resolve("fit.json");
        BatonCliTest.Run r = run("fit-workload", "--trace", trace.toString(), "--states", "2", "--json",
                json.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("<- chosen", "gap KS distance", "IDC of counts, 10 s", "new FittedTrace(\"azure-conv\"",
                "QuantileTable.onStandardGrid(");
        JsonNode o = Json.mapper().readTree(Files.readString(json));
        assertThat(o.get("attribution").asText()).isEqualTo(AzureTraces.ATTRIBUTION);
        double rate = o.get("trace").get("meanRate").asDouble();
        JsonNode rates = o.get("arrival_rates");
        assertThat(rates.size()).isBetween(1, 2);
        assertThat(rate).isCloseTo(AzureTraces.CONV.summary().meanRate(), org.assertj.core.data.Offset.offset(1.5));
        assertThat(o.get("goodness_of_fit").get("promptKs").asDouble()).isLessThan(0.03);
    }
}
