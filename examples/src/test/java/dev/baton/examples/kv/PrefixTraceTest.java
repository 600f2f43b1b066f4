package dev.baton.examples.kv;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PrefixTraceTest {

    private static PrefixTrace read(String text, boolean skip) throws Exception {
        return PrefixTrace.read(new StringReader(text), "trace.jsonl", skip);
    }

    @Test
    @DisplayName("reads Mooncake-format lines, ignores blank lines and sorts by arrival")
    void readsValidLines() throws Exception {
        PrefixTrace t = read("""
                {"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47, 48]}

                {"timestamp": 0, "input_length": 10, "output_length": 2, "hash_ids": [1], "extra": "ignored"}
                """, false);
        assertThat(t.skipped()).isZero();
        assertThat(t.requests()).hasSize(2);
        assertThat(t.requests().get(0).timestampMs()).isZero();
        assertThat(t.requests().get(1).hashIds()).containsExactly(46, 47, 48);
        assertThat(t.requests().get(1).inputLength()).isEqualTo(6955);
    }

    @Test
    @DisplayName("a malformed line is an error naming its line number and what is wrong")
    void malformedLineNamesLine() {
        String text = """
                {"timestamp": 1, "input_length": 10, "output_length": 2, "hash_ids": [1]}
                {"timestamp": 2, "input_length": 10, "output_length": 2, "hash_ids": [1, "x"]}
                """;
        assertThatThrownBy(() -> read(text, false)).isInstanceOf(PrefixTrace.FormatException.class)
                .hasMessageContaining("trace.jsonl line 2").hasMessageContaining("hash_ids[1] must be an integer")
                .hasMessageContaining("--skip-malformed");
        assertThatThrownBy(() -> read("{\"timestamp\": 1, \"input_length\": 10}\n", false))
                .hasMessageContaining("line 1").hasMessageContaining("missing field \"output_length\"");
        assertThatThrownBy(() -> read("not json\n", false)).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> read("[1, 2]\n", false)).hasMessageContaining("expected a JSON object");
        assertThatThrownBy(() -> read("{\"timestamp\": 1.5, \"input_length\": 1, \"output_length\": 1, "
                + "\"hash_ids\": []}\n", false)).hasMessageContaining("\"timestamp\" must be an integer");
        assertThatThrownBy(() -> read("{\"timestamp\": 1, \"input_length\": -1, \"output_length\": 1, "
                + "\"hash_ids\": []}\n", false)).hasMessageContaining("non-negative");
    }

    @Test
    @DisplayName("with skipMalformed, malformed lines are skipped and counted")
    void skipsAndCounts() throws Exception {
        PrefixTrace t = read("""
                {"timestamp": 1, "input_length": 10, "output_length": 2, "hash_ids": [1]}
                {"timestamp": 2, "input_length": 10
                {"timestamp": 3, "input_length": 10, "output_length": 2, "hash_ids": 7}
                {"timestamp": 4, "input_length": 10, "output_length": 2, "hash_ids": [1, 2]}
                """, true);
        assertThat(t.skipped()).isEqualTo(2);
        assertThat(t.requests()).extracting(TraceRequest::timestampMs).containsExactly(1L, 4L);
    }

    @Test
    @DisplayName("a written trace reads back unchanged")
    void roundTrip() throws Exception {
        List<TraceRequest> requests = MultiTurnWorkload.standard(3, 16).withDuration(120).generate();
        StringWriter w = new StringWriter();
        PrefixTrace.write(requests, w);
        assertThat(read(w.toString(), false).requests()).isEqualTo(requests);
    }
}
