package dev.baton.examples.calibrate;

import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.StepShape;
import dev.baton.accelerator.cost.Operator;
import dev.baton.accelerator.sim.HardwareProfiles;
import dev.baton.accelerator.sim.ModelProfiles;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Finds and reads the public GPU profiles Baton calibrates against, from a folder laid out as the original
 * repositories lay them out (see {@code data/SOURCES.md} of the shared data):
 * <ul>
 *   <li>casys-kaist/LLMServingSim (MIT), {@code profiler/perf/<GPU>/<org>/<model>/<dtype>/tp<N>/}:
 *       {@code attention.csv} (mixed prefill-chunk + decode batches), {@code dense.csv}, {@code per_sequence.csv}
 *       (microseconds per layer), and {@code skew.csv} (heterogeneous decode batches; read as a held-out check);</li>
 *   <li>LLMServingSim {@code profiler/v0/perf_models/<GPU>/<org>/<model>/tp<N>/}: {@code layers.csv}
 *       (nanoseconds per operator call) and {@code attention.csv} in microsoft/vidur's schema (milliseconds);</li>
 *   <li>microsoft/vidur (MIT) {@code data/profiling/network/<cluster>/all_reduce.csv} (milliseconds, sizes in fp16
 *       elements).</li>
 * </ul>
 * Everything else that looks like a profile is reported with the reason Baton does not model it.
 */
public final class ProfileTables {

    /** What became of one file. */
    public sealed interface Result {
        Path path();
    }

    /** A table Baton models. */
    public record Loaded(ProfileTable table, boolean heldOut) implements Result {
        @Override
        public Path path() {
            return table.path();
        }
    }

    /** A file Baton cannot read or does not model, and why. */
    public record Skipped(Path path, String reason) implements Result {
    }

    /** Forwards summed in each skew.csv time. */
    static final int SKEW_SHOTS = 3;

    private ProfileTables() {
    }

    /**
     * Reads every profile under {@code dir}.
     *
     * @throws IllegalArgumentException if {@code dir} is not a readable folder
     */
    public static List<Result> discover(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--profiles " + dir + " is not a folder; point it at the shared"
                    + " profiles, e.g. ../shared/data/profiles");
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".csv") || p.toString().endsWith(".json"))
                    .sorted()
                    .toList();
        }
        List<Result> out = new ArrayList<>();
        for (Path f : files) {
            try {
                out.add(read(f));
            } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
                out.add(new Skipped(f, "cannot read: " + e.getMessage()));
            }
        }
        return out;
    }

    static Result read(Path f) throws IOException {
        String p = f.toString().replace('\\', '/');
        String name = f.getFileName().toString();
        List<String> parts = List.of(p.split("/"));
        int perf = parts.lastIndexOf("perf");
        int v0 = parts.lastIndexOf("perf_models");
        if (p.contains("/distserve/")) {
            return new Skipped(f, "DistServe's A100 latency fits for OPT-13B/66B: fits of another system, not"
                    + " measurements, and Baton has no OPT model profile");
        }
        if (p.contains("/splitwise-sim/")) {
            return new Skipped(f, "end-to-end engine timings of Llama-2-70B and BLOOM-176B; Baton has no model"
                    + " profile for either");
        }
        if (p.contains("/network/")) {
            if (name.equals("all_reduce.csv")) {
                return allReduce(f, parts.get(parts.size() - 2));
            }
            return new Skipped(f, "point-to-point sends; Baton charges pipeline-stage sends from the link datasheet");
        }
        if (p.contains("/compute/")) {
            return new Skipped(f, "Vidur operator profile of " + parts.get(parts.size() - 2) + ", a model Baton has no"
                    + " model profile for (Baton models Llama-3.1-8B and Llama-3.1-70B)");
        }
        if (v0 >= 0 && parts.size() - v0 == 6) {
            Target t = target(f, parts, v0, v0 + 4);
            if (t.skip != null) {
                return t.skip;
            }
            return switch (name) {
                case "layers.csv" -> new Loaded(v0Layers(f, t), false);
                case "attention.csv" -> new Loaded(vidurAttention(f, t), false);
                default -> new Skipped(f, "unknown LLMServingSim v0 table");
            };
        }
        if (perf >= 0 && parts.size() - perf == 7) {
            Target t = target(f, parts, perf, perf + 5);
            if (t.skip != null) {
                return t.skip;
            }
            return switch (name) {
                case "attention.csv" -> new Loaded(perfAttention(f, t), false);
                case "dense.csv", "per_sequence.csv" -> new Loaded(perfOperators(f, t, name), false);
                case "skew.csv" -> new Loaded(perfSkew(f, t), true);
                case "skew_fit.csv" -> new Skipped(f, "LLMServingSim's own fitted skew-correction buckets, not"
                        + " measurements (skew.csv, the measurements, is read as a held-out check)");
                default -> new Skipped(f, "unknown LLMServingSim table");
            };
        }
        return new Skipped(f, "not a profile layout Baton knows (see data/SOURCES.md)");
    }

    /** Where a table's path says it was measured: {@code <base>/<GPU>/<org>/<model>/.../tp<N>/<file>}. */
    record Target(String hw, DeviceInfo device, ModelShape model, int tp, Skipped skip) {
        ProfileTable table(ProfileTable.Engine engine, String name, Path f, List<Measurement> rows, int skipped,
                           String why) {
            return new ProfileTable(engine, hw, device, model, tp, name, f, rows, skipped, why);
        }
    }

    private static Target target(Path f, List<String> parts, int base, int tpIndex) {
        String hw = parts.get(base + 1);
        String model = parts.get(base + 2) + "/" + parts.get(base + 3);
        int tp = tp(parts.get(tpIndex));
        DeviceInfo device;
        try {
            device = HardwareProfiles.get(hw);
        } catch (IllegalArgumentException e) {
            return new Target(hw, null, null, tp, new Skipped(f, "hardware " + hw + " has no Baton device profile"));
        }
        if (model.toLowerCase(Locale.ROOT).contains("mixtral")) {
            return new Target(hw, null, null, tp, new Skipped(f, model + " is a mixture-of-experts model; Baton's"
                    + " cost model has no MoE routing and no MoE model profile"));
        }
        try {
            return new Target(hw, device, ModelProfiles.get(model), tp, null);
        } catch (IllegalArgumentException e) {
            return new Target(hw, null, null, tp, new Skipped(f, "model " + model + " has no Baton model profile"));
        }
    }

    private static int tp(String folder) {
        if (!folder.startsWith("tp")) {
            throw new IllegalArgumentException("expected a tp<N> folder, got " + folder);
        }
        return Integer.parseInt(folder.substring(2));
    }

    /** LLMServingSim attention.csv: one prefill chunk (if any) plus n equal decodes; microseconds per layer. */
    static ProfileTable perfAttention(Path f, Target t) throws IOException {
        Csv csv = Csv.read(f, "prefill_chunk", "kv_prefill", "n_decode", "kv_decode", "time_us");
        List<Measurement> rows = new ArrayList<>();
        for (String[] r : csv.rows) {
            int chunk = csv.integer(r, "prefill_chunk");
            int kvPrefill = csv.integer(r, "kv_prefill");
            int decodes = csv.integer(r, "n_decode");
            int kvDecode = csv.integer(r, "kv_decode");
            StepShape s = new StepShape();
            if (chunk > 0) {
                s.addSequence(chunk, kvPrefill, 0, false);
            }
            for (int i = 0; i < decodes; i++) {
                s.addSequence(1, kvDecode, 0, false);
            }
            rows.add(new Measurement.Attention(s, csv.number(r, "time_us") * 1e3));
        }
        return t.table(ProfileTable.Engine.VLLM, "attention.csv", f, rows, 0, "");
    }

    /**
     * LLMServingSim skew.csv: {@code t_skew_us} times a batch of {@code nb} decodes at {@code kv_big} and
     * {@code n - nb} at {@code kvs}, plus (regime mixed) a prefill chunk {@code pc} over {@code kp} history. Its times
     * are totals over {@value #SKEW_SHOTS} forwards: the table's uniform column {@code t_max_us} is 3.00 times
     * attention.csv's time for the same shape (median over 13,006 matching rows of each of the three tables; p10-p90
     * 2.97-3.10), so each time is divided by {@value #SKEW_SHOTS}.
     */
    static ProfileTable perfSkew(Path f, Target t) throws IOException {
        Csv csv = Csv.read(f, "regime", "n", "nb", "pc", "kp", "kvs", "kv_big", "t_skew_us");
        List<Measurement> rows = new ArrayList<>();
        for (String[] r : csv.rows) {
            int n = csv.integer(r, "n");
            int nb = csv.integer(r, "nb");
            int pc = csv.integer(r, "pc");
            StepShape s = new StepShape();
            if (pc > 0) {
                s.addSequence(pc, csv.integer(r, "kp"), 0, false);
            }
            for (int i = 0; i < n; i++) {
                s.addSequence(1, i < nb ? csv.integer(r, "kv_big") : csv.integer(r, "kvs"), 0, false);
            }
            rows.add(new Measurement.Attention(s, csv.number(r, "t_skew_us") * 1e3 / SKEW_SHOTS));
        }
        return t.table(ProfileTable.Engine.VLLM, "skew.csv", f, rows, 0, "");
    }

    /** LLMServingSim dense.csv ({@code layer,tokens,time_us}) and per_sequence.csv ({@code layer,sequences,...}). */
    static ProfileTable perfOperators(Path f, Target t, String name) throws IOException {
        String rowsColumn = name.equals("dense.csv") ? "tokens" : "sequences";
        Csv csv = Csv.read(f, "layer", rowsColumn, "time_us");
        List<Measurement> rows = new ArrayList<>();
        for (String[] r : csv.rows) {
            rows.add(new Measurement.OperatorCall(Operator.byProfileName(csv.text(r, "layer")),
                    csv.integer(r, rowsColumn), csv.number(r, "time_us") * 1e3));
        }
        return t.table(ProfileTable.Engine.VLLM, name, f, rows, 0, "");
    }

    /**
     * LLMServingSim v0 layers.csv: {@code layer_name,input,kv_cache,tp_size,latency(ns)}; {@code attn} rows are one
     * prefill of {@code input} tokens over {@code kv_cache} cached ones.
     */
    static ProfileTable v0Layers(Path f, Target t) throws IOException {
        Csv csv = Csv.read(f, "layer_name", "input", "kv_cache", "latency(ns)");
        List<Measurement> rows = new ArrayList<>();
        for (String[] r : csv.rows) {
            String op = csv.text(r, "layer_name");
            int input = csv.integer(r, "input");
            double ns = csv.number(r, "latency(ns)");
            if (op.equals("attn")) {
                StepShape s = new StepShape().addSequence(input, csv.integer(r, "kv_cache"), 0, false);
                rows.add(new Measurement.Attention(s, ns));
            } else {
                rows.add(new Measurement.OperatorCall(Operator.byProfileName(op), input, ns));
            }
        }
        return t.table(ProfileTable.Engine.HF_EAGER, "layers.csv", f, rows, 0, "");
    }

    /**
     * Vidur-schema attention.csv (milliseconds). Prefill rows: one chunk of {@code prefill_chunk_size} tokens ending
     * at {@code kv_cache_size} (the sequence length after the chunk, always a multiple of the chunk). Decode rows:
     * {@code batch_size} decodes sharing {@code kv_cache_size} KV tokens ({@code batch_size x kv <= ~934k} throughout,
     * and rows with fewer tokens than sequences time an empty kernel, 2.6 us, so the column is the batch's total).
     * Those empty-kernel rows are left out.
     */
    static ProfileTable vidurAttention(Path f, Target t) throws IOException {
        Csv csv = Csv.read(f, "batch_size", "prefill_chunk_size", "kv_cache_size", "is_prefill",
                "time_stats.attn_prefill.median", "time_stats.attn_decode.median");
        List<Measurement> rows = new ArrayList<>();
        int skipped = 0;
        for (String[] r : csv.rows) {
            int batch = csv.integer(r, "batch_size");
            int kv = csv.integer(r, "kv_cache_size");
            StepShape s = new StepShape();
            double ms;
            if (Boolean.parseBoolean(csv.text(r, "is_prefill"))) {
                int chunk = csv.integer(r, "prefill_chunk_size");
                if (kv < chunk) {
                    skipped++;
                    continue;
                }
                s.addSequence(chunk, kv - chunk, 0, false);
                ms = csv.number(r, "time_stats.attn_prefill.median");
            } else {
                int perSeq = kv / batch;
                if (perSeq < 1) {
                    skipped++;
                    continue;
                }
                for (int i = 0; i < batch; i++) {
                    s.addSequence(1, perSeq, 0, false);
                }
                ms = csv.number(r, "time_stats.attn_decode.median");
            }
            rows.add(new Measurement.Attention(s, ms * 1e6));
        }
        return t.table(ProfileTable.Engine.SARATHI, "attention.csv", f, rows, skipped,
                skipped == 0 ? "" : "decode rows with fewer KV tokens than sequences (an empty kernel)");
    }

    /**
     * Vidur network all_reduce.csv: one table per group size; {@code size} counts fp16 elements, times in
     * milliseconds. The model profile only names the table (all-reduce time depends on the device and the group).
     */
    static Result allReduce(Path f, String cluster) throws IOException {
        Csv csv = Csv.read(f, "num_workers", "size", "time_stats.all_reduce.median");
        if (!cluster.toLowerCase(Locale.ROOT).equals("h100_dgx")) {
            return new Skipped(f, "collective profile of " + cluster + "; Baton's H100 SXM profile describes an"
                    + " NVSwitch (DGX) node, which only h100_dgx measures");
        }
        Map<Integer, List<Measurement>> byWorkers = new HashMap<>();
        for (String[] r : csv.rows) {
            byWorkers.computeIfAbsent(csv.integer(r, "num_workers"), k -> new ArrayList<>())
                    .add(new Measurement.AllReduce(2.0 * csv.number(r, "size"),
                            csv.number(r, "time_stats.all_reduce.median") * 1e6));
        }
        List<ProfileTable> tables = new ArrayList<>();
        byWorkers.forEach((w, rows) -> tables.add(new ProfileTable(ProfileTable.Engine.NCCL, "H100/" + cluster,
                HardwareProfiles.get("h100"), ModelProfiles.get("llama-3.1-8b"), w, "all_reduce.csv", f, rows, 0,
                "")));
        return new Collective(f, tables);
    }

    /** A collective table, one {@link ProfileTable} per group size. */
    public record Collective(Path path, List<ProfileTable> tables) implements Result {
    }

    /** A small reader for the profiles' plain CSV (no quoting; empty cells allowed). */
    static final class Csv {
        final Map<String, Integer> columns = new HashMap<>();
        final List<String[]> rows = new ArrayList<>();
        final Path path;

        private Csv(Path path) {
            this.path = path;
        }

        static Csv read(Path f, String... required) throws IOException {
            Csv c = new Csv(f);
            try (BufferedReader in = Files.newBufferedReader(f)) {
                String header = in.readLine();
                if (header == null) {
                    throw new IllegalArgumentException(f + " is empty");
                }
                String[] h = header.split(",", -1);
                for (int i = 0; i < h.length; i++) {
                    c.columns.put(h[i].strip(), i);
                }
                for (String col : required) {
                    if (!c.columns.containsKey(col)) {
                        throw new IllegalArgumentException(f.getFileName() + " has no column '" + col + "' (columns: "
                                + header + ")");
                    }
                }
                String line;
                while ((line = in.readLine()) != null) {
                    if (!line.isBlank()) {
                        c.rows.add(line.split(",", -1));
                    }
                }
            }
            return c;
        }

        String text(String[] row, String col) {
            int i = columns.get(col);
            if (i >= row.length) {
                throw new IllegalArgumentException(path.getFileName() + ": a row has no '" + col + "' cell");
            }
            return row[i].strip();
        }

        double number(String[] row, String col) {
            String t = text(row, col);
            try {
                return Double.parseDouble(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(path.getFileName() + ": '" + col + "' is not a number: '" + t + "'");
            }
        }

        int integer(String[] row, String col) {
            double v = number(row, col);
            if (v != Math.rint(v)) {
                throw new IllegalArgumentException(path.getFileName() + ": '" + col + "' is not an integer: " + v);
            }
            return (int) v;
        }
    }
}
