package dev.baton.examples.kv;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.examples.cli.BatonCli;
import dev.baton.examples.cli.Json;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class KvReplayCommandTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... argv) {
        return new BatonCli().run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("generates a multi-turn trace, replays every policy, writes one JSON object per policy")
    void generateAndReplay() throws Exception {
        Path trace = dir.resolve("multi-turn.jsonl");
        Path json = dir.resolve("out/kv.json");
        int status = run("kv-replay", "--generate", "multi-turn", "--duration-seconds", "300", "--trace",
                trace.toString(), "--block-size", "16", "--capacity-blocks", "2000", "--policy", "all", "--json",
                json.toString());
        assertThat(status).as(err.toString()).isZero();
        assertThat(Files.readAllLines(trace)).isNotEmpty();
        JsonNode rows = Json.mapper().readTree(json.toFile());
        assertThat(rows).hasSize(3);
        for (JsonNode row : rows) {
            assertThat(row.get("policy").asText()).isIn("lru", "frequency", "priority");
            double hit = row.get("hit_rate").asDouble();
            assertThat(row.get("optimal_hit_rate").asDouble()).isGreaterThanOrEqualTo(hit);
            assertThat(row.get("infinite_hit_rate").asDouble())
                    .isGreaterThanOrEqualTo(row.get("optimal_hit_rate").asDouble());
        }

        // The written trace replays to the same figures.
        out.reset();
        assertThat(run("kv-replay", "--trace", trace.toString(), "--block-size", "16", "--capacity-blocks", "2000",
                "--policy", "lru")).isZero();
        assertThat(out.toString()).contains(String.format("%.4f", rows.get(0).get("hit_rate").asDouble()));
    }

    @Test
    @DisplayName("usage errors say what to change")
    void usageErrors() throws Exception {
        Path trace = dir.resolve("t.jsonl");
        Files.writeString(trace, "{\"timestamp\": 0, \"input_length\": 16, \"output_length\": 1, \"hash_ids\": [1]}\n"
                + "{\"timestamp\": 1, \"input_length\": 16}\n");
        assertThat(run("kv-replay", "--trace", trace.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("needs --capacity-blocks");
        err.reset();
        assertThat(run("kv-replay", "--trace", trace.toString(), "--capacity-blocks", "10", "--policy", "mru"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--policy must be one of");
        err.reset();
        assertThat(run("kv-replay", "--trace", trace.toString(), "--capacity-blocks", "10")).isEqualTo(2);
        assertThat(err.toString()).contains("line 2").contains("output_length");
        out.reset();
        assertThat(run("kv-replay", "--trace", trace.toString(), "--capacity-blocks", "10", "--skip-malformed"))
                .isZero();
        assertThat(out.toString()).contains("skipped 1 malformed lines");
    }
}
