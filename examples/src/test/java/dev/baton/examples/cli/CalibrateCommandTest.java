package dev.baton.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.accelerator.Parallelism;
import dev.baton.accelerator.StepShape;
import dev.baton.accelerator.cost.CalibratedCostModel;
import dev.baton.accelerator.cost.Calibration;
import dev.baton.accelerator.cost.CostModels;
import dev.baton.accelerator.cost.Operator;
import dev.baton.accelerator.sim.HardwareProfiles;
import dev.baton.accelerator.sim.ModelProfiles;
import dev.baton.examples.calibrate.Measurement;
import dev.baton.examples.calibrate.ProfileTable;
import dev.baton.examples.calibrate.ProfileTables;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code baton calibrate} on profile tables this test writes itself, in the public repositories' layouts: synthetic
 * "measurements" from the shipped model with a known +-4% wobble, plus files it must refuse with a reason.
 */
class CalibrateCommandTest {

    @TempDir
    static Path dir;

    static final CalibratedCostModel TRUTH = CostModels.forDevice(HardwareProfiles.get("rtxpro6000"),
            ModelProfiles.get("llama-3.1-8b"), Parallelism.NONE, 16);

    /** A deterministic wobble of +-4%, so that errors are non-zero but bounded. */
    static double wobble(int i) {
        return 1 + 0.04 * Math.sin(i * 1.7);
    }

    @BeforeAll
    static void writeProfiles() throws IOException {
        Path tp1 = Files.createDirectories(
                dir.resolve("llmservingsim/profiler/perf/RTXPRO6000/meta-llama/Llama-3.1-8B/bf16/tp1"));
        StringBuilder dense = new StringBuilder("layer,tokens,time_us\n");
        int i = 0;
        for (Operator op : new Operator[] {Operator.QKV_PROJ, Operator.O_PROJ, Operator.GATE_UP_PROJ,
            Operator.DOWN_PROJ, Operator.ACT_FN, Operator.LAYERNORM, Operator.ROTARY_EMB, Operator.EMBEDDING,
            Operator.FINAL_LAYERNORM}) {
            for (int tokens = 1; tokens <= 2048; tokens *= 2) {
                dense.append(op.profileName()).append(',').append(tokens).append(',')
                        .append(us(TRUTH.operatorNanos(op, tokens) * wobble(i++))).append('\n');
            }
        }
        Files.writeString(tp1.resolve("dense.csv"), dense);
        StringBuilder perSeq = new StringBuilder("layer,sequences,time_us\n");
        for (Operator op : new Operator[] {Operator.LM_HEAD, Operator.SAMPLER}) {
            for (int seqs = 1; seqs <= 256; seqs *= 2) {
                perSeq.append(op.profileName()).append(',').append(seqs).append(',')
                        .append(us(TRUTH.operatorNanos(op, seqs) * wobble(i++))).append('\n');
            }
        }
        Files.writeString(tp1.resolve("per_sequence.csv"), perSeq);
        StringBuilder att = new StringBuilder("prefill_chunk,kv_prefill,n_decode,kv_decode,time_us\n");
        for (int chunk : new int[] {0, 16, 256, 2048}) {
            for (int decodes : new int[] {0, 1, 8, 64}) {
                for (int kv : new int[] {16, 1024, 8192}) {
                    if (chunk == 0 && decodes == 0) {
                        continue;
                    }
                    StepShape s = new StepShape();
                    if (chunk > 0) {
                        s.addSequence(chunk, kv / 2, 0, false);
                    }
                    for (int d = 0; d < decodes; d++) {
                        s.addSequence(1, kv, 0, false);
                    }
                    att.append(chunk).append(',').append(chunk > 0 ? kv / 2 : 0).append(',').append(decodes)
                            .append(',').append(decodes > 0 ? kv : 0).append(',')
                            .append(us(TRUTH.attentionNanos(s) * wobble(i++))).append('\n');
                }
            }
        }
        Files.writeString(tp1.resolve("attention.csv"), att);
        Files.writeString(tp1.resolve("skew_fit.csv"), "pc,n_label,alpha\n0,n<=128,0.03\n");
        // A table whose header lost a column, and files Baton does not model.
        Path broken = Files.createDirectories(
                dir.resolve("llmservingsim/profiler/perf/RTX4090/meta-llama/Llama-3.1-8B/bf16/tp1"));
        Files.writeString(broken.resolve("dense.csv"), "layer,time_us\nqkv_proj,12.0\n");
        Path moe = Files.createDirectories(
                dir.resolve("llmservingsim/profiler/v0/perf_models/H100/mistralai/Mixtral-8x7B-v0.1/tp1"));
        Files.writeString(moe.resolve("layers.csv"), "layer_name,input,kv_cache,tp_size,latency(ns)\n");
        Files.createDirectories(dir.resolve("distserve"));
        Files.writeString(dir.resolve("distserve/profiler-a100-80g.vllm.json"), "{}");
    }

    private static String us(double nanos) {
        return String.format(Locale.ROOT, "%.4f", nanos / 1e3);
    }

    private record Run(int status, String out, String err) {
    }

    private static Run run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new BatonCli().run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void reports_every_table_with_median_and_p90_and_writes_one_json_object_per_table() throws IOException {
        Path json = dir.resolve("out/calibration.json");
        Run r = run("calibrate", "--profiles", dir.toString(), "--json", json.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("dense.csv").contains("per_sequence.csv").contains("attention.csv");
        JsonNode tables = Json.mapper().readTree(json.toFile());
        assertThat(tables.size()).isEqualTo(3);
        for (JsonNode t : tables) {
            assertThat(t.get("hardware").asText()).isEqualTo("RTXPRO6000");
            assertThat(t.get("model").asText()).isEqualTo("Llama-3.1-8B");
            assertThat(t.get("tp").asInt()).isEqualTo(1);
            assertThat(t.get("rows").asInt()).isPositive();
            // The synthetic rows are the shipped model's own predictions with a +-4% wobble.
            assertThat(t.get("median_rel_err").asDouble()).isBetween(0.001, 0.045);
            assertThat(t.get("p90_rel_err").asDouble()).isBetween(0.01, 0.045);
        }
    }

    @Test
    void tables_it_cannot_read_or_does_not_model_are_listed_with_the_reason() {
        Run r = run("calibrate", "--profiles", dir.toString());
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("not modelled or unreadable:")
                .contains("RTX4090/meta-llama/Llama-3.1-8B/bf16/tp1/dense.csv: cannot read: dense.csv has no column"
                        + " 'tokens'")
                .contains("mixture-of-experts")
                .contains("skew_fit.csv: LLMServingSim's own fitted skew-correction buckets")
                .contains("distserve/profiler-a100-80g.vllm.json: DistServe's A100 latency fits");
    }

    @Test
    void refitting_recovers_the_curves_the_rows_came_from() throws IOException {
        Path table = dir.resolve("fitted.tsv");
        Run r = run("calibrate", "--profiles", dir.toString(), "--fit", table.toString());
        assertThat(r.status()).as(r.err()).isZero();
        Calibration fitted;
        try (BufferedReader in = Files.newBufferedReader(table)) {
            fitted = Calibration.parse(in, table.toString());
        }
        assertThat(String.join("\n", fitted.header())).contains("casys-kaist/LLMServingSim (MIT)")
                .contains("profiler/perf/RTXPRO6000/meta-llama/Llama-3.1-8B/bf16/tp1/dense.csv");
        CalibratedCostModel m = new CalibratedCostModel(HardwareProfiles.get("rtxpro6000"),
                ModelProfiles.get("llama-3.1-8b"), Parallelism.NONE, 16, fitted);
        for (int tokens : new int[] {1, 100, 1000, 2000}) {
            assertThat(m.operatorNanos(Operator.GATE_UP_PROJ, tokens))
                    .isCloseTo(TRUTH.operatorNanos(Operator.GATE_UP_PROJ, tokens),
                            org.assertj.core.api.Assertions.withinPercentage(8));
        }
        assertThat(r.out()).contains("calibration just fitted to these tables");
    }

    @Test
    void a_missing_or_wrong_profiles_folder_is_a_usage_error() {
        Run missing = run("calibrate");
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).contains("needs --profiles");
        Run wrong = run("calibrate", "--profiles", dir.resolve("nope").toString());
        assertThat(wrong.status()).isEqualTo(2);
        assertThat(wrong.err()).contains("is not a folder");
    }

    @Test
    void vidur_attention_rows_are_read_as_total_kv_over_the_batch(@TempDir Path own) throws IOException {
        Path v0 = Files.createDirectories(
                own.resolve("llmservingsim/profiler/v0/perf_models/H100/meta-llama/Llama-3.1-70B/tp4"));
        String header = "time_stats.attn_prefill.median,time_stats.attn_decode.median,batch_size,"
                + "prefill_chunk_size,kv_cache_size,is_prefill\n";
        Files.writeString(v0.resolve("attention.csv"), header
                + "0.0325,,1,1024,1024,True\n"       // a 1024-token chunk from scratch
                + ",0.0446,16,0,32768,False\n"       // 16 decodes sharing 32768 KV tokens: 2048 each
                + ",0.0026,48,0,32,False\n");        // fewer tokens than sequences: an empty kernel
        List<ProfileTables.Result> results = ProfileTables.discover(own);
        ProfileTable t = ((ProfileTables.Loaded) results.get(0)).table();
        assertThat(t.rows()).hasSize(2);
        assertThat(t.skippedRows()).isEqualTo(1);
        StepShape prefill = ((Measurement.Attention) t.rows().get(0)).shape();
        assertThat(prefill.prefillTokens()).isEqualTo(1024);
        assertThat(prefill.prefillContext()).isZero();
        StepShape decode = ((Measurement.Attention) t.rows().get(1)).shape();
        assertThat(decode.numDecodeSeqs()).isEqualTo(16);
        assertThat(decode.maxDecodeContext()).isEqualTo(2048);
        assertThat(t.rows().get(1).measuredNanos()).isCloseTo(44_600, org.assertj.core.api.Assertions.within(1.0));
    }

    @Test
    void held_out_rows_are_about_a_fifth() {
        int held = 0;
        for (int i = 0; i < 10_000; i++) {
            held += CalibrateCommand.heldOutRow(i) ? 1 : 0;
        }
        assertThat(held).isBetween(1800, 2200);
    }
}
