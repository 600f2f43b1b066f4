package dev.baton.examples.workload;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The trace readers: exact figures from good lines, and malformed lines counted (or refused) with their line number. */
class TraceReaderTest {

    private static TraceFile read(String text, TraceFormat format, TraceReader.Options o) throws IOException {
        return TraceReader.read(new BufferedReader(new StringReader(text)), "t", format, o);
    }

    private static TraceFile read(String text, TraceFormat format) throws IOException {
        return read(text, format, TraceReader.Options.DEFAULT);
    }

    // ------------------------------------------------------------------ azure-csv

    @Test
    @DisplayName("azure-csv: arrivals from the first timestamp in nanoseconds, token counts exact")
    void azureReadsRows() throws IOException {
        TraceFile f = read("""
                TIMESTAMP,ContextTokens,GeneratedTokens
                2023-11-16 18:15:46.6805900,374,44
                2023-11-16 18:15:50.9951690,396,109
                2023-11-16 18:15:51.2224670,879,55""", TraceFormat.AZURE_CSV);
        assertThat(f.requests()).hasSize(3);
        assertThat(f.skipped()).isZero();
        assertThat(f.requests().get(0).arrivalNanos()).isZero();
        assertThat(f.requests().get(1).arrivalNanos()).isEqualTo(4_314_579_000L);
        assertThat(f.requests().get(2).arrivalNanos()).isEqualTo(4_541_877_000L);
        assertThat(f.requests().get(1).promptTokens()).isEqualTo(396);
        assertThat(f.requests().get(1).outputTokens()).isEqualTo(109);
    }

    @Test
    @DisplayName("azure-csv: malformed lines are skipped, counted and described with their line numbers")
    void azureSkipsMalformed() throws IOException {
        TraceFile f = read("""
                TIMESTAMP,ContextTokens,GeneratedTokens
                2023-11-16 18:15:46.6805900,374,44
                2023-11-16 18:15:47.0,abc,44
                2023-11-16 18:15:48.0,10
                yesterday,10,10

                2023-11-16 18:15:49.0,0,10
                2023-11-16 18:15:50.0,12,-3
                2023-11-16 18:15:51.0,12,3
                """, TraceFormat.AZURE_CSV);
        assertThat(f.requests()).hasSize(2);
        assertThat(f.lines()).isEqualTo(7);
        assertThat(f.skipped()).isEqualTo(5);
        assertThat(f.problems()).hasSize(5);
        assertThat(f.problems().get(0)).startsWith("line 3: ").contains("ContextTokens 'abc'");
        assertThat(f.problems().get(1)).startsWith("line 4: ").contains("3 comma-separated fields");
        assertThat(f.problems().get(2)).startsWith("line 5: ").contains("TIMESTAMP");
        assertThat(f.problems().get(3)).startsWith("line 7: ").contains("at least 1");
        assertThat(f.problems().get(4)).startsWith("line 8: ").contains("GeneratedTokens");
        assertThat(f.requests().get(1).arrivalNanos()).isEqualTo(4_319_410_000L);
    }

    @Test
    @DisplayName("azure-csv: --strict turns the first malformed line into an error naming the line")
    void azureStrict() {
        String text = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,3,4\n2023-11-16 18:15:47,x,4\n";
        assertThatThrownBy(() -> read(text, TraceFormat.AZURE_CSV, new TraceReader.Options(16, true, 0)))
                .isInstanceOf(MalformedTraceException.class).hasMessageContaining("line 3")
                .hasMessageContaining("ContextTokens 'x'")
                .satisfies(e -> assertThat(((MalformedTraceException) e).line()).isEqualTo(3));
    }

    @Test
    @DisplayName("azure-csv: a file without the header, or with no readable line, is an error")
    void azureHeaderAndEmpty() {
        assertThatThrownBy(() -> read("2023-11-16 18:15:46,3,4\n", TraceFormat.AZURE_CSV))
                .isInstanceOf(MalformedTraceException.class).hasMessageContaining("line 1")
                .hasMessageContaining("header");
        assertThatThrownBy(() -> read("TIMESTAMP,ContextTokens,GeneratedTokens\nfoo,1,2\n", TraceFormat.AZURE_CSV))
                .isInstanceOf(MalformedTraceException.class).hasMessageContaining("no line")
                .hasMessageContaining("line 2");
        assertThatThrownBy(() -> read("TIMESTAMP,ContextTokens,GeneratedTokens\n", TraceFormat.AZURE_CSV))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no request");
    }

    @Test
    @DisplayName("rows out of order are sorted by arrival, counted from the earliest")
    void sortsByArrival() throws IOException {
        TraceFile f = read("""
                TIMESTAMP,ContextTokens,GeneratedTokens
                2023-11-16 18:15:50,5,1
                2023-11-16 18:15:48,7,1""", TraceFormat.AZURE_CSV);
        assertThat(f.requests()).extracting(TraceRequest::promptTokens).containsExactly(7, 5);
        assertThat(f.requests().get(1).arrivalNanos()).isEqualTo(2_000_000_000L);
    }

    // ------------------------------------------------------------------ prefix-hash-jsonl

    @Test
    @DisplayName("prefix-hash-jsonl: equal leading hash ids give identical leading tokens, the rest differ")
    void prefixHashSharesPrefixes() throws IOException {
        TraceFile f = read("""
                {"timestamp": 0, "input_length": 40, "output_length": 5, "hash_ids": [7, 8, 9]}
                {"timestamp": 1500, "input_length": 35, "output_length": 3, "hash_ids": [7, 8, 11]}
                {"timestamp": 2500, "input_length": 16, "output_length": 3, "hash_ids": [12]}
                """, TraceFormat.PREFIX_HASH_JSONL);
        assertThat(f.requests()).hasSize(3);
        TraceRequest a = f.requests().get(0);
        TraceRequest b = f.requests().get(1);
        assertThat(b.arrivalNanos()).isEqualTo(1_500_000_000L);
        assertThat(a.promptTokens()).isEqualTo(40);
        assertThat(b.promptTokens()).isEqualTo(35);
        int[] ta = a.prompt().tokens(128_256);
        int[] tb = b.prompt().tokens(128_256);
        assertThat(Arrays.copyOf(ta, 32)).containsExactly(Arrays.copyOf(tb, 32));
        assertThat(Arrays.copyOfRange(ta, 32, 35)).isNotEqualTo(Arrays.copyOfRange(tb, 32, 35));
        assertThat(a.prompt().segmentLength(2)).isEqualTo(8);
    }

    @Test
    @DisplayName("prefix-hash-jsonl: hash ids that do not cover the prompt at the block size are a malformed line")
    void prefixHashCountsMalformed() throws IOException {
        TraceFile f = read("""
                {"timestamp": 0, "input_length": 40, "output_length": 5, "hash_ids": [7, 8, 9]}
                {"timestamp": 1, "input_length": 40, "output_length": 5, "hash_ids": [7, 8]}
                {"timestamp": 2, "input_length": 40, "output_length": 5}
                {"timestamp": 3, "input_length": "40", "output_length": 5, "hash_ids": [1, 2, 3]}
                not json
                {"timestamp": -4, "input_length": 4, "output_length": 5, "hash_ids": [1]}
                {"timestamp": 5, "input_length": 4, "output_length": 5, "hash_ids": ["a"]}
                """, TraceFormat.PREFIX_HASH_JSONL);
        assertThat(f.requests()).hasSize(1);
        assertThat(f.skipped()).isEqualTo(6);
        assertThat(f.problems()).hasSize(TraceReader.MAX_PROBLEMS);
        assertThat(f.problems().get(0)).startsWith("line 2: ").contains("needs 3 hash ids").contains("--block-size");
        assertThat(f.problems().get(1)).startsWith("line 3: ").contains("hash_ids");
        assertThat(f.problems().get(2)).startsWith("line 4: ").contains("input_length is not an integer");
        assertThat(f.problems().get(3)).startsWith("line 5: ").contains("JSON");
        assertThat(f.problems().get(4)).startsWith("line 6: ").contains("timestamp must not be negative");
    }

    @Test
    @DisplayName("prefix-hash-jsonl: the block size decides how many tokens each hash id stands for")
    void prefixHashBlockSize() throws IOException {
        TraceFile f = read("{\"timestamp\": 0, \"input_length\": 1000, \"output_length\": 5, \"hash_ids\": [1, 2]}\n",
                TraceFormat.PREFIX_HASH_JSONL, new TraceReader.Options(512, false, 0));
        assertThat(f.requests().get(0).prompt().segmentLength(0)).isEqualTo(512);
        assertThat(f.requests().get(0).prompt().segmentLength(1)).isEqualTo(488);
    }

    // ------------------------------------------------------------------ vllm-bench-jsonl

    @Test
    @DisplayName("vllm-bench-jsonl: inputs, arrivals in seconds, and measured timestamps when present")
    void vllmBenchReads() throws IOException {
        TraceFile f = read("""
                {"request_id": "a", "input_toks": 100, "output_toks": 10, "arrival_time": 5.0, "queued_ts": 1000.0, "scheduled_ts": 1000.01, "first_token_ts": 1000.25, "last_token_ts": 1001.0}
                {"request_id": 2, "input_toks": 50, "output_toks": 1, "arrival_time": 5.25}
                """, TraceFormat.VLLM_BENCH_JSONL);
        assertThat(f.requests()).hasSize(2);
        TraceRequest a = f.requests().get(0);
        assertThat(a.id()).isEqualTo("a");
        assertThat(a.arrivalNanos()).isZero();
        assertThat(a.measured().hasLatencies()).isTrue();
        assertThat(a.measured().ttft()).isCloseTo(0.25, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(a.measured().e2e()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        TraceRequest b = f.requests().get(1);
        assertThat(b.id()).isEqualTo("2");
        assertThat(b.arrivalNanos()).isEqualTo(250_000_000L);
        assertThat(b.measured()).isNull();
    }

    @Test
    @DisplayName("vllm-bench-jsonl: missing fields, fractional counts and timestamps out of order are malformed")
    void vllmBenchMalformed() throws IOException {
        TraceFile f = read("""
                {"request_id": "ok", "input_toks": 100, "output_toks": 10, "arrival_time": 0}
                {"request_id": "x", "output_toks": 10, "arrival_time": 0}
                {"request_id": "y", "input_toks": 10.5, "output_toks": 10, "arrival_time": 0}
                {"request_id": "z", "input_toks": 10, "output_toks": 10, "arrival_time": 1, "queued_ts": 5, "first_token_ts": 4}
                {"request_id": "w", "input_toks": 10, "output_toks": 0, "arrival_time": 1}
                """, TraceFormat.VLLM_BENCH_JSONL);
        assertThat(f.requests()).extracting(TraceRequest::id).containsExactly("ok");
        assertThat(f.skipped()).isEqualTo(4);
        assertThat(f.problems().get(0)).startsWith("line 2: ").contains("input_toks is missing");
        assertThat(f.problems().get(1)).startsWith("line 3: ").contains("input_toks is not an integer");
        assertThat(f.problems().get(2)).startsWith("line 4: ").contains("first_token_ts").contains("before queued_ts");
        assertThat(f.problems().get(3)).startsWith("line 5: ").contains("output_toks must be at least 1");
    }

    @Test
    @DisplayName("unknown formats are refused with the list of known ones")
    void unknownFormat() {
        assertThatThrownBy(() -> TraceFormat.named("parquet")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("azure-csv, prefix-hash-jsonl, vllm-bench-jsonl");
        assertThat(TraceFormat.named("AZURE-CSV")).isEqualTo(TraceFormat.AZURE_CSV);
    }
}
