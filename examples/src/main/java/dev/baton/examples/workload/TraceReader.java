package dev.baton.examples.workload;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Reads public trace files ({@link TraceFormat}) into requests.
 *
 * <h2>Malformed lines</h2>
 * A line that cannot be read exactly (a missing or non-integer field, a negative or zero token count, a timestamp that
 * does not parse, hash ids that do not cover the prompt at the block size given) is never guessed at: it is skipped and
 * counted, and the first few are reported with their line numbers ({@link TraceFile#problems()}); with
 * {@link Options#strict()} the first one is an error. A file with no readable line is an error naming its first
 * problem. Blank lines are ignored.
 *
 * <p>Arrivals are counted from the earliest request; rows out of order are sorted (stably) by arrival.
 */
public final class TraceReader {

    /** How many malformed lines are described (all are counted). */
    public static final int MAX_PROBLEMS = 5;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter AZURE_TIME = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd")
            .optionalStart().appendLiteral(' ').optionalEnd()
            .optionalStart().appendLiteral('T').optionalEnd()
            .appendPattern("HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true).optionalEnd()
            .toFormatter();
    private static final long HASH_SALT = 0x6A09E667F3BCC909L;

    /**
     * @param blockSize tokens per hash id of a prefix-hash trace
     * @param strict    fail at the first malformed line instead of skipping it
     * @param seed      mixes into the prompt tokens of traces without prefix information
     */
    public record Options(int blockSize, boolean strict, long seed) {
        public static final Options DEFAULT = new Options(16, false, 0);

        public Options {
            if (blockSize < 1) {
                throw new IllegalArgumentException("block size must be positive, got " + blockSize);
            }
        }
    }

    private record Row(long arrivalNanos, String id, PromptShape prompt, int output, MeasuredTimings measured) {
    }

    private TraceReader() {
    }

    public static TraceFile read(Path file, TraceFormat format, Options options) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("trace file " + file + " does not exist or is not a file");
        }
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in, file.getFileName().toString(), format, options);
        }
    }

    public static TraceFile read(BufferedReader in, String name, TraceFormat format, Options options)
            throws IOException {
        List<Row> rows = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int lines = 0;
        int skipped = 0;
        int firstBad = -1;
        String firstProblem = null;
        int lineNo = 0;
        boolean headerSeen = format != TraceFormat.AZURE_CSV;
        String line;
        while ((line = in.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            if (!headerSeen) {
                headerSeen = true;
                String h = line.replace("\uFEFF", "").replace(" ", "").trim();
                if (!h.equalsIgnoreCase("TIMESTAMP,ContextTokens,GeneratedTokens")) {
                    throw new MalformedTraceException(name, lineNo, "expected the header"
                            + " TIMESTAMP,ContextTokens,GeneratedTokens of an Azure LLM inference trace, got '"
                            + abbreviate(line) + "'");
                }
                continue;
            }
            lines++;
            String problem;
            try {
                rows.add(switch (format) {
                    case AZURE_CSV -> azure(line, lineNo, options);
                    case PREFIX_HASH_JSONL -> prefixHash(line, lineNo, options);
                    case VLLM_BENCH_JSONL -> vllmBench(line, lineNo);
                });
                continue;
            } catch (BadLine e) {
                problem = e.getMessage();
            } catch (JsonProcessingException e) {
                problem = "not a JSON object (" + e.getOriginalMessage() + ")";
            }
            if (options.strict()) {
                throw new MalformedTraceException(name, lineNo, problem
                        + " (without --strict, malformed lines are skipped and counted)");
            }
            skipped++;
            if (firstBad < 0) {
                firstBad = lineNo;
                firstProblem = problem;
            }
            if (problems.size() < MAX_PROBLEMS) {
                problems.add("line " + lineNo + ": " + problem);
            }
        }
        if (rows.isEmpty()) {
            if (firstBad >= 0) {
                throw new MalformedTraceException(name, firstBad, "no line of this " + format.id()
                        + " file could be read; the first problem: " + firstProblem);
            }
            throw new IllegalArgumentException(name + ": the trace holds no request");
        }
        rows.sort(Comparator.comparingLong(Row::arrivalNanos));
        long t0 = rows.get(0).arrivalNanos();
        List<TraceRequest> requests = new ArrayList<>(rows.size());
        for (Row r : rows) {
            requests.add(new TraceRequest(r.id(), r.arrivalNanos() - t0, "default", 0, r.prompt(), r.output(),
                    r.measured()));
        }
        return new TraceFile(name, format, requests, lines, skipped, problems);
    }

    // ------------------------------------------------------------------ azure-csv

    private static Row azure(String line, int lineNo, Options options) throws BadLine {
        String[] f = line.split(",", -1);
        if (f.length != 3) {
            throw new BadLine("expected 3 comma-separated fields (TIMESTAMP,ContextTokens,GeneratedTokens), got "
                    + f.length);
        }
        long nanos;
        try {
            LocalDateTime t = LocalDateTime.parse(f[0].trim(), AZURE_TIME);
            nanos = Math.addExact(Math.multiplyExact(t.toEpochSecond(ZoneOffset.UTC), 1_000_000_000L), t.getNano());
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new BadLine("TIMESTAMP '" + abbreviate(f[0]) + "' is not a time like 2023-11-16 18:15:46.6805900");
        }
        int prompt = positiveInt(f[1], "ContextTokens");
        int output = positiveInt(f[2], "GeneratedTokens");
        long key = PromptShape.mix(options.seed() * 0x9E3779B97F4A7C15L + lineNo);
        return new Row(nanos, "line-" + lineNo, PromptShape.unique(key, prompt), output, null);
    }

    private static int positiveInt(String field, String name) throws BadLine {
        String v = field.trim();
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new BadLine(name + " '" + abbreviate(v) + "' is not an integer");
        }
        if (n < 1) {
            throw new BadLine(name + " must be at least 1, got " + n);
        }
        return n;
    }

    // ------------------------------------------------------------------ prefix-hash-jsonl

    private static Row prefixHash(String line, int lineNo, Options options)
            throws BadLine, JsonProcessingException {
        JsonNode o = object(line);
        double ts = number(o, "timestamp");
        int input = integer(o, "input_length");
        int output = integer(o, "output_length");
        JsonNode ids = o.get("hash_ids");
        if (ids == null || !ids.isArray()) {
            throw new BadLine("hash_ids is missing or not an array");
        }
        int bs = options.blockSize();
        int expected = (input + bs - 1) / bs;
        if (ids.size() != expected) {
            throw new BadLine("input_length " + input + " at block size " + bs + " needs " + expected
                    + " hash ids, the line has " + ids.size() + " (is --block-size right?)");
        }
        long[] keys = new long[expected];
        int[] lengths = new int[expected];
        for (int i = 0; i < expected; i++) {
            JsonNode id = ids.get(i);
            if (!id.isIntegralNumber()) {
                throw new BadLine("hash_ids[" + i + "] is not an integer");
            }
            keys[i] = PromptShape.mix(id.asLong() ^ HASH_SALT);
            lengths[i] = i < expected - 1 ? bs : input - (expected - 1) * bs;
        }
        return new Row(Math.round(ts * 1e6), "line-" + lineNo, PromptShape.of(keys, lengths), output, null);
    }

    // ------------------------------------------------------------------ vllm-bench-jsonl

    private static Row vllmBench(String line, int lineNo) throws BadLine, JsonProcessingException {
        JsonNode o = object(line);
        int input = integer(o, "input_toks");
        int output = integer(o, "output_toks");
        double arrival = number(o, "arrival_time");
        JsonNode idNode = o.get("request_id");
        String id = idNode == null || idNode.isNull() ? "line-" + lineNo : idNode.asText();
        double[] ts = new double[4];
        String[] names = {"queued_ts", "scheduled_ts", "first_token_ts", "last_token_ts"};
        boolean any = false;
        for (int i = 0; i < 4; i++) {
            JsonNode n = o.get(names[i]);
            ts[i] = Double.NaN;
            if (n != null && !n.isNull()) {
                if (!n.isNumber() || !Double.isFinite(n.asDouble())) {
                    throw new BadLine(names[i] + " is not a number");
                }
                ts[i] = n.asDouble();
                any = true;
            }
        }
        for (int i = 0; i < 4; i++) {
            for (int j = i + 1; j < 4; j++) {
                if (ts[j] < ts[i]) { // false whenever either is NaN
                    throw new BadLine(names[j] + " (" + ts[j] + ") is before " + names[i] + " (" + ts[i] + ")");
                }
            }
        }
        MeasuredTimings measured = any ? new MeasuredTimings(ts[0], ts[1], ts[2], ts[3]) : null;
        long key = PromptShape.mix(0x3C6EF372FE94F82BL + lineNo);
        return new Row(Math.round(arrival * 1e9), id, PromptShape.unique(key, input), output, measured);
    }

    // ------------------------------------------------------------------ fields

    private static JsonNode object(String line) throws BadLine, JsonProcessingException {
        JsonNode o = JSON.readTree(line);
        if (o == null || !o.isObject()) {
            throw new BadLine("not a JSON object");
        }
        return o;
    }

    private static int integer(JsonNode o, String field) throws BadLine {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            throw new BadLine(field + " is missing");
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new BadLine(field + " is not an integer (got " + abbreviate(n.toString()) + ")");
        }
        int v = n.asInt();
        if (v < 1) {
            throw new BadLine(field + " must be at least 1, got " + v);
        }
        return v;
    }

    /** A finite number >= 0. */
    private static double number(JsonNode o, String field) throws BadLine {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            throw new BadLine(field + " is missing");
        }
        if (!n.isNumber() || !Double.isFinite(n.asDouble())) {
            throw new BadLine(field + " is not a number (got " + abbreviate(n.toString()) + ")");
        }
        double v = n.asDouble();
        if (v < 0) {
            throw new BadLine(field + " must not be negative, got " + v);
        }
        return v;
    }

    /** What is wrong with one line; caught by the read loop, never escapes this class. */
    private static final class BadLine extends Exception {
        private static final long serialVersionUID = 1L;

        BadLine(String message) {
            super(message, null, false, false);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
