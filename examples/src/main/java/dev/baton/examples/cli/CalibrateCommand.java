package dev.baton.examples.cli;

import dev.baton.accelerator.cost.CalibratedCostModel;
import dev.baton.accelerator.cost.Calibration;
import dev.baton.accelerator.cost.CostModels;
import dev.baton.examples.calibrate.CostFitter;
import dev.baton.examples.calibrate.Measurement;
import dev.baton.examples.calibrate.PredictionError;
import dev.baton.examples.calibrate.ProfileTable;
import dev.baton.examples.calibrate.ProfileTables;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code baton calibrate}: how far the simulated accelerator's cost model is from measured GPU profiles, row by row;
 * with {@code --fit}, refits the model's coefficients from those profiles.
 */
final class CalibrateCommand implements Command {

    @Override
    public String name() {
        return "calibrate";
    }

    @Override
    public String summary() {
        return "compare (or refit) the cost model against public GPU profiles";
    }

    @Override
    public String description() {
        return """
                Reads the public per-operator GPU profiles under --profiles (LLMServingSim perf and v0 tables, Vidur
                attention and all-reduce tables; see data/SOURCES.md of the shared data) and prints, per
                hardware/model/tp/table, the relative error |predicted - measured| / measured of the cost model the
                simulated accelerator uses, over every row (median and p90). Rows are compared at the granularity the
                table measures (one operator call, one layer's attention, one all-reduce), through the model's own
                component methods, the ones its step time sums. The gate for modelled tables is median <= 10% and
                p90 <= 25%. Held-out checks (skew.csv: heterogeneous batches never used for fitting) are listed
                apart. Files that cannot be read or are not modelled are listed with the reason.

                With --fit FILE the coefficients are refitted from the same tables, written to FILE (the built-in
                table is spi-accelerator/src/main/resources/dev/baton/accelerator/cost/calibration.tsv) and the report
                uses them. The fit uses every row it reports on: this is calibration, not validation. --holdout adds
                a validation: every table refitted without a pseudo-random 20% of its rows and judged on those rows,
                and everything refitted without each device in turn, so that the device gets what an unmeasured
                device gets (the fitted rooflines), judged on that device's tables.""";
    }

    @Override
    public List<Option> options() {
        return List.of(
                Option.value("profiles", "DIR", null, "folder of the public profiles, e.g. ../shared/data/profiles"),
                Option.value("json", "FILE", null, "also write one JSON object per table"),
                Option.value("fit", "FILE", null, "refit the coefficients from DIR and write the table to FILE"),
                Option.flag("holdout", "also report held-out errors (20% row split; leave-one-device-out fallback)"),
                Option.flag("components", "also print errors per operator and attention"));
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        Path dir = Path.of(args.require("profiles"));
        List<ProfileTables.Result> results = ProfileTables.discover(dir);
        List<ProfileTable> modelled = new ArrayList<>();
        List<ProfileTable> heldOut = new ArrayList<>();
        List<ProfileTables.Skipped> skipped = new ArrayList<>();
        for (ProfileTables.Result r : results) {
            if (r instanceof ProfileTables.Loaded l) {
                (l.heldOut() ? heldOut : modelled).add(l.table());
            } else if (r instanceof ProfileTables.Collective c) {
                modelled.addAll(c.tables());
            } else if (r instanceof ProfileTables.Skipped s) {
                skipped.add(s);
            }
        }
        if (modelled.isEmpty()) {
            err.println("baton calibrate: no profile table Baton models was found under " + dir
                    + "; expected the layout of data/SOURCES.md"
                    + " (llmservingsim/profiler/perf/..., .../v0/perf_models/...)");
            printSkipped(out, dir, skipped);
            return 1;
        }

        Calibration calibration;
        String source = "built-in calibration";
        if (!args.has("fit")) {
            calibration = Calibration.builtIn();
        } else {
            Path target = Path.of(args.require("fit"));
            long t0 = System.nanoTime();
            calibration = new CostFitter().fit(modelled, header(dir, modelled));
            Files.writeString(target, calibration.format(), StandardCharsets.UTF_8);
            source = "calibration just fitted to these tables (written to " + target + ", "
                    + Math.round((System.nanoTime() - t0) / 1e9) + " s)";
        }
        Calibration cal = calibration;
        Function<ProfileTable, CalibratedCostModel> modelFor = args.has("fit")
                ? t -> new CalibratedCostModel(t.device(), t.model(), t.parallelism(), 16, cal)
                : t -> CostModels.forDevice(t.device(), t.model(), t.parallelism(), 16);

        out.println("Cost model vs public GPU profiles under " + dir + " (" + source + ")");
        out.println("relative error |predicted - measured| / measured over every row; gate: median <= 10%, p90 <= 25%");
        List<Map<String, Object>> json = new ArrayList<>();
        List<PredictionError> all = PredictionError.of(modelled, modelFor);
        List<PredictionError> main = all.stream().filter(e -> !isCollective(e.table())).toList();
        List<PredictionError> comm = all.stream().filter(e -> isCollective(e.table())).toList();
        printTable(out, "calibration (the fit used these rows)", main, args.flag("components"));
        addJson(json, "calibration", main);
        if (!comm.isEmpty()) {
            printTable(out, "collectives (fitted; not gated: NCCL timings below ~10 MB scatter 1-5x between"
                    + " neighbouring sizes, e.g. tp2 7-40 us)", comm, false);
            addJson(json, "collectives", comm);
        }
        List<PredictionError> held = PredictionError.of(heldOut, modelFor);
        if (!held.isEmpty()) {
            printTable(out, "held-out: heterogeneous decode batches (skew.csv), never used for fitting; not gated",
                    held, args.flag("components"));
            addJson(json, "held-out skew", held);
        }
        if (args.flag("holdout")) {
            holdout(out, json, modelled, dir, args.flag("components"));
        }
        printSkipped(out, dir, skipped);
        long failing = main.stream().filter(e -> !e.passes()).count();
        out.println();
        out.println(failing == 0 ? "all " + main.size() + " modelled tables pass the gate"
                : failing + " of " + main.size() + " modelled tables miss the gate");
        if (args.has("json")) {
            Json.write(Path.of(args.require("json")), json);
        }
        return 0;
    }

    private static void holdout(PrintStream out, List<Map<String, Object>> json, List<ProfileTable> tables,
                                Path dir, boolean components) {
        // 1. Row split: fit on ~80% of every table's rows, judge on the other ~20%.
        List<ProfileTable> train = new ArrayList<>();
        List<ProfileTable> test = new ArrayList<>();
        for (ProfileTable t : tables) {
            List<Measurement> a = new ArrayList<>();
            List<Measurement> b = new ArrayList<>();
            for (int i = 0; i < t.rows().size(); i++) {
                (heldOutRow(i) ? b : a).add(t.rows().get(i));
            }
            train.add(copy(t, a));
            test.add(copy(t, b));
        }
        Calibration split = new CostFitter().fit(train, List.of("held-out split"));
        List<PredictionError> e1 = PredictionError.of(test,
                t -> new CalibratedCostModel(t.device(), t.model(), t.parallelism(), 16, split));
        printTable(out, "held-out rows: refitted without a pseudo-random 20% of each table, judged on that 20%",
                e1.stream().filter(e -> !isCollective(e.table())).toList(), components);
        addJson(json, "held-out 20% rows", e1);

        // 2. Leave one device out: the roofline fallback fitted on the other devices, judged on this one.
        Set<String> devices = new LinkedHashSet<>();
        tables.forEach(t -> devices.add(t.device().name()));
        List<PredictionError> e2 = new ArrayList<>();
        for (String device : devices) {
            List<ProfileTable> others = tables.stream().filter(t -> !t.device().name().equals(device)).toList();
            if (others.isEmpty()) {
                continue;
            }
            // Everything fitted without this device: it now gets exactly what an unmeasured device gets.
            Calibration fallbackOnly = new CostFitter().fit(others, List.of("without " + device));
            for (ProfileTable t : tables) {
                if (t.device().name().equals(device) && !isCollective(t)) {
                    e2.add(PredictionError.of(t,
                            new CalibratedCostModel(t.device(), t.model(), t.parallelism(), 16, fallbackOnly)));
                }
            }
        }
        printTable(out, "held-out devices: everything refitted without the device, which then gets the fallback"
                + " (rooflines; no measured device is within borrowing distance), judged on its tables", e2,
                components);
        addJson(json, "held-out device (roofline fallback)", e2);
    }

    private static boolean isCollective(ProfileTable t) {
        return t.table().equals("all_reduce.csv");
    }

    static boolean heldOutRow(int i) {
        return Long.remainderUnsigned(((long) i + 1) * 0x9E3779B97F4A7C15L >>> 17, 5) == 0;
    }

    private static ProfileTable copy(ProfileTable t, List<Measurement> rows) {
        return new ProfileTable(t.engine(), t.hardware(), t.device(), t.model(), t.tp(), t.table(), t.path(), rows,
                t.skippedRows(), t.skipReason());
    }

    private static List<String> header(Path dir, List<ProfileTable> tables) {
        List<String> h = new ArrayList<>();
        h.add("Baton cost-model calibration, written by `baton calibrate --fit` from public GPU profiles.");
        h.add("Only fitted coefficients are stored here, never the measurements.");
        h.add("Units: ns, bytes, FLOPs, keys (KV tokens).");
        h.add("Fitted from (repository: path):");
        Set<String> seen = new LinkedHashSet<>();
        for (ProfileTable t : tables) {
            String rel = dir.relativize(t.path()).toString().replace('\\', '/');
            String repo = rel.startsWith("llmservingsim/") ? "casys-kaist/LLMServingSim (MIT)"
                    : rel.startsWith("vidur/") ? "microsoft/vidur (MIT)" : "unknown";
            String path = rel.replaceFirst("^llmservingsim/", "").replaceFirst("^vidur/", "data/");
            if (seen.add(path)) {
                h.add("  " + repo + ": " + path);
            }
        }
        return h;
    }

    private static void printTable(PrintStream out, String title, List<PredictionError> errors, boolean components) {
        out.println();
        out.println(title);
        out.printf("  %-24s %-14s %3s %-17s %7s %8s %8s  %-4s %s%n", "HARDWARE", "MODEL", "TP", "TABLE", "ROWS",
                "MEDIAN", "P90", "GATE", "MODEL TIER");
        for (PredictionError e : errors) {
            ProfileTable t = e.table();
            out.printf(Locale.ROOT, "  %-24s %-14s %3d %-17s %7d %7.1f%% %7.1f%%  %-4s %s%n", t.hardware(),
                    t.table().equals("all_reduce.csv") ? "-" : t.shortModel(), t.tp(), t.table(), e.rows(),
                    100 * e.median(), 100 * e.p90(), e.passes() ? "ok" : "MISS", e.fidelity());
            if (t.skippedRows() > 0) {
                out.printf("  %-24s %d rows left out: %s%n", "", t.skippedRows(), t.skipReason());
            }
            if (components && e.components().size() > 1) {
                e.components().forEach((k, v) -> out.printf(Locale.ROOT, "  %-24s   %-28s %7d %7.1f%% %7.1f%%%n", "",
                        k, (int) v[0], 100 * v[1], 100 * v[2]));
            }
        }
    }

    private static void addJson(List<Map<String, Object>> json, String check, List<PredictionError> errors) {
        for (PredictionError e : errors) {
            ProfileTable t = e.table();
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("check", check);
            o.put("hardware", t.hardware());
            o.put("model", t.table().equals("all_reduce.csv") ? null : t.shortModel());
            o.put("tp", t.tp());
            o.put("table", t.table());
            o.put("rows", e.rows());
            o.put("median_rel_err", e.median());
            o.put("p90_rel_err", e.p90());
            o.put("passes_gate", e.passes());
            o.put("model_tier", e.fidelity());
            o.put("skipped_rows", t.skippedRows());
            o.put("path", t.path().toString());
            Map<String, Object> comps = new LinkedHashMap<>();
            e.components().forEach((k, v) -> comps.put(k, Map.of("rows", (int) v[0], "median_rel_err", v[1],
                    "p90_rel_err", v[2])));
            o.put("components", comps);
            json.add(o);
        }
    }

    private static void printSkipped(PrintStream out, Path dir, List<ProfileTables.Skipped> skipped) {
        if (skipped.isEmpty()) {
            return;
        }
        out.println();
        out.println("not modelled or unreadable:");
        for (ProfileTables.Skipped s : skipped) {
            out.println("  " + dir.relativize(s.path()) + ": " + s.reason());
        }
    }
}
