package dev.baton.examples.kv;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A prefix-hash trace: JSONL, one request per line,
 * {@code {"timestamp": ms, "input_length": n, "output_length": n, "hash_ids": [...]}} (the format of the Mooncake
 * traces, FAST'25). Requests are returned in arrival order (a stable sort by timestamp).
 *
 * @param requests the requests in arrival order
 * @param skipped  malformed lines skipped (only when reading with {@code skipMalformed})
 */
public record PrefixTrace(List<TraceRequest> requests, int skipped) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public PrefixTrace {
        requests = List.copyOf(requests);
    }

    /** A line of a trace file that is not a valid request; the message names the line and what is wrong. */
    public static final class FormatException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        FormatException(String message) {
            super(message);
        }
    }

    public static PrefixTrace read(Path file, boolean skipMalformed) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(r, file.toString(), skipMalformed);
        }
    }

    /**
     * Reads JSONL. Blank lines are ignored. A malformed line is a {@link FormatException} naming its line number,
     * or, with {@code skipMalformed}, skipped and counted.
     */
    public static PrefixTrace read(Reader in, String name, boolean skipMalformed) throws IOException {
        BufferedReader r = in instanceof BufferedReader b ? b : new BufferedReader(in);
        List<TraceRequest> out = new ArrayList<>();
        int skipped = 0;
        int lineNo = 0;
        for (String line = r.readLine(); line != null; line = r.readLine()) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            try {
                out.add(parse(line));
            } catch (FormatException e) {
                if (!skipMalformed) {
                    throw new FormatException(name + " line " + lineNo + ": " + e.getMessage()
                            + " (or pass --skip-malformed to skip such lines)");
                }
                skipped++;
            }
        }
        out.sort(Comparator.comparingLong(TraceRequest::timestampMs));
        return new PrefixTrace(out, skipped);
    }

    static TraceRequest parse(String line) {
        JsonNode n;
        try {
            n = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new FormatException("not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (n == null || !n.isObject()) {
            throw new FormatException("expected a JSON object with timestamp, input_length, output_length, hash_ids");
        }
        long ts = integer(n, "timestamp");
        long in = integer(n, "input_length");
        long outLen = integer(n, "output_length");
        if (in < 0 || outLen < 0 || in > Integer.MAX_VALUE || outLen > Integer.MAX_VALUE) {
            throw new FormatException("input_length and output_length must be non-negative 32-bit integers");
        }
        JsonNode ids = n.get("hash_ids");
        if (ids == null || !ids.isArray()) {
            throw new FormatException("hash_ids must be an array of integers");
        }
        long[] hashIds = new long[ids.size()];
        for (int i = 0; i < hashIds.length; i++) {
            JsonNode id = ids.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToLong()) {
                throw new FormatException("hash_ids[" + i + "] must be an integer, got " + id);
            }
            hashIds[i] = id.longValue();
        }
        return new TraceRequest(ts, (int) in, (int) outLen, hashIds);
    }

    private static long integer(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null) {
            throw new FormatException("missing field \"" + field + "\"");
        }
        if (!v.isNumber() || !v.canConvertToLong() || (v.isFloatingPointNumber() && v.doubleValue() != v.longValue())) {
            throw new FormatException("\"" + field + "\" must be an integer, got " + v);
        }
        return v.longValue();
    }

    /** Writes the requests as JSONL in the same format. */
    public static void write(List<TraceRequest> requests, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            write(requests, w);
        }
    }

    public static void write(List<TraceRequest> requests, Writer w) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (TraceRequest r : requests) {
            sb.setLength(0);
            sb.append("{\"timestamp\": ").append(r.timestampMs()).append(", \"input_length\": ")
                    .append(r.inputLength()).append(", \"output_length\": ").append(r.outputLength())
                    .append(", \"hash_ids\": [");
            long[] ids = r.hashIds();
            for (int i = 0; i < ids.length; i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                sb.append(ids[i]);
            }
            sb.append("]}\n");
            w.write(sb.toString());
        }
    }
}
