package dev.baton.examples.cli;

import dev.baton.examples.workload.ArrivalProcess;
import dev.baton.examples.workload.AzureTraces;
import dev.baton.examples.workload.FittedTrace;
import dev.baton.examples.workload.QuantileTable;
import dev.baton.examples.workload.TraceFile;
import dev.baton.examples.workload.TraceFormat;
import dev.baton.examples.workload.TraceReader;
import dev.baton.examples.workload.TraceSummary;
import dev.baton.examples.workload.fit.ArrivalFitter;
import dev.baton.examples.workload.fit.TraceFitter;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code baton fit-workload}: fits the built-in workload generators to a public trace and prints the fitted figures
 * (and the Java constants that carry them), with goodness-of-fit figures. The trace itself is never stored.
 */
final class FitWorkloadCommand implements Command {

    @Override
    public String name() {
        return "fit-workload";
    }

    @Override
    public String summary() {
        return "fit the workload generators to a public trace and print the fitted figures";
    }

    @Override
    public String description() {
        return """
                Reads a trace with arrival times and token counts (e.g. AzureLLMInferenceTrace_conv.csv of the Azure
                Public Dataset) and fits what the built-in workloads generate from:
                  - arrivals: a Markovian arrival process (hidden states with exponential gaps, state moving at each
                    arrival; a Markov-modulated Poisson process when states are sticky), fitted by EM to the gaps,
                    1..--states states, the number chosen by BIC;
                  - prompt and output lengths: quantile tables (every percentile; 99.5, 99.9, 99.95, 99.99), and
                    their dependence as a Gaussian copula with the trace's Spearman rank correlation.
                Prints the fit, goodness-of-fit figures (KS distances, coefficient of variation and index of
                dispersion of counts, trace vs fitted), and the Java constants the built-in workloads carry.""";
    }

    @Override
    public List<Option> options() {
        return List.of(
                Option.value("trace", "FILE", null, "the trace to fit"),
                Option.value("format", "FORMAT", "azure-csv", "trace format: " + String.join(", ", TraceFormat.ids())),
                Option.value("name", "NAME", "from the file name", "name of the fitted workload"),
                Option.value("states", "K", "6", "most hidden states of the arrival process"),
                Option.value("seed", "N", "1", "seed of the samples that judge the fit"),
                Option.value("json", "FILE", null, "also write the fit as JSON"));
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        args.requireNoPositional();
        Path file = Path.of(args.require("trace"));
        TraceFormat format = TraceFormat.named(args.get("format", "azure-csv"));
        int states = args.getInt("states", 6);
        if (states < 1 || states > 8) {
            throw new UsageException("--states must be in 1..8, got " + states);
        }
        TraceFile trace = TraceReader.read(file, format, TraceReader.Options.DEFAULT);
        String base = file.getFileName().toString().toLowerCase(Locale.ROOT);
        String name = args.get("name", base.contains("conv") ? "azure-conv" : base.contains("code") ? "azure-code"
                : base.replaceAll("\\.[a-z]+$", ""));
        String attribution = base.startsWith("azurellminferencetrace") ? AzureTraces.ATTRIBUTION : "fitted from " + base;
        TraceFitter.Result r = TraceFitter.fit(trace, name, attribution, states, args.getLong("seed", 1));
        FittedTrace f = r.fitted();
        TraceSummary s = f.summary();
        TraceFitter.GoodnessOfFit g = r.goodness();

        out.printf(Locale.ROOT, "Fit of %s: %d requests over %.0f s (%.3f req/s); %d malformed lines skipped%n",
                file.getFileName(), s.requests(), s.spanSeconds(), s.meanRate(), trace.skipped());
        out.println();
        out.println("arrival process: Markovian arrival process, EM over the gaps; states chosen by BIC");
        out.printf("  %6s %14s %14s %6s%n", "STATES", "LOG-LIK", "BIC", "ITER");
        for (ArrivalFitter.Fit fit : r.fits()) {
            out.printf(Locale.ROOT, "  %6d %14.1f %14.1f %6d%s%n", fit.process().states(), fit.logLikelihood(),
                    fit.bic(), fit.iterations(), fit == r.fits().get(0) ? "   <- chosen" : "");
        }
        ArrivalProcess p = f.arrivals();
        double[] st = p.stationary();
        out.printf("  %5s %12s %12s %10s  %s%n", "STATE", "RATE/S", "MEAN GAP S", "SHARE", "TRANSITIONS AT ARRIVAL");
        for (int k = 0; k < p.states(); k++) {
            StringBuilder row = new StringBuilder();
            for (int j = 0; j < p.states(); j++) {
                row.append(String.format(Locale.ROOT, " %.5f", p.transition(k, j)));
            }
            out.printf(Locale.ROOT, "  %5d %12.4f %12.5f %10.4f %s%n", k, p.rate(k), 1 / p.rate(k), st[k], row);
        }
        out.println();
        out.println("goodness of fit                 trace      fitted");
        out.printf(Locale.ROOT, "  mean rate req/s        %10.3f  %10.3f%n", s.meanRate(), p.meanRate());
        out.printf(Locale.ROOT, "  gap CV                 %10.3f  %10.3f%n", s.gapCv(), g.gapCv());
        out.printf(Locale.ROOT, "  gap KS distance        %10s  %10.4f%n", "", g.gapKs());
        out.printf(Locale.ROOT, "  IDC of counts, 1 s     %10.2f  %10.2f%n", s.idc1s(), g.idc1s());
        out.printf(Locale.ROOT, "  IDC of counts, 10 s    %10.2f  %10.2f%n", s.idc10s(), g.idc10s());
        out.printf(Locale.ROOT, "  IDC of counts, 60 s    %10.2f  %10.2f%n", s.idc60s(), g.idc60s());
        TraceSummary gs = g.generated();
        lengthRows(out, "prompt", s.promptMean(), s.promptMedian(), s.promptP90(), s.promptP99(), gs.promptMean(),
                gs.promptMedian(), gs.promptP90(), gs.promptP99(), g.promptKs());
        lengthRows(out, "output", s.outputMean(), s.outputMedian(), s.outputP90(), s.outputP99(), gs.outputMean(),
                gs.outputMedian(), gs.outputP90(), gs.outputP99(), g.outputKs());
        out.printf(Locale.ROOT, "  Spearman(prompt,output)%10.4f  %10.4f   (copula correlation %.4f)%n",
                s.spearman(), gs.spearman(), f.lengthCorrelation());
        out.println();
        out.println("Java constants:");
        out.println(javaConstant(f));
        if (args.has("json")) {
            Json.write(Path.of(args.require("json")), json(f, r, g));
        }
        return 0;
    }

    private static void lengthRows(PrintStream out, String what, double m, double med, double p90, double p99,
                                   double gm, double gmed, double gp90, double gp99, double ks) {
        out.printf(Locale.ROOT, "  %s tokens mean       %10.1f  %10.1f%n", what, m, gm);
        out.printf(Locale.ROOT, "  %s tokens median     %10.1f  %10.1f%n", what, med, gmed);
        out.printf(Locale.ROOT, "  %s tokens p90        %10.1f  %10.1f%n", what, p90, gp90);
        out.printf(Locale.ROOT, "  %s tokens p99        %10.1f  %10.1f%n", what, p99, gp99);
        out.printf(Locale.ROOT, "  %s KS distance       %10s  %10.4f%n", what, "", ks);
    }

    /** The fitted trace as a Java expression, wrapped at 120 columns when indented by one level. */
    static String javaConstant(FittedTrace f) {
        ArrivalProcess p = f.arrivals();
        StringBuilder b = new StringBuilder();
        b.append("new FittedTrace(\"").append(f.name()).append("\", ATTRIBUTION,\n");
        List<String> rates = new ArrayList<>();
        for (int k = 0; k < p.states(); k++) {
            rates.add(Double.toString(p.rate(k)));
        }
        b.append("        new ArrivalProcess(\n");
        b.append("                new double[] {").append(wrap(rates, 34)).append("},\n");
        b.append("                new double[][] {\n");
        for (int k = 0; k < p.states(); k++) {
            List<String> row = new ArrayList<>();
            for (int j = 0; j < p.states(); j++) {
                row.add(Double.toString(p.transition(k, j)));
            }
            b.append("                    {").append(wrap(row, 25)).append(k < p.states() - 1 ? "},\n" : "}}),\n");
        }
        b.append("        QuantileTable.onStandardGrid(").append(wrap(values(f.prompt()), 41)).append("),\n");
        b.append("        QuantileTable.onStandardGrid(").append(wrap(values(f.output()), 41)).append("),\n");
        b.append("        ").append(f.lengthCorrelation()).append(",\n");
        TraceSummary s = f.summary();
        List<String> sum = List.of(Integer.toString(s.requests()), r(s.spanSeconds()), r(s.meanRate()), r(s.gapCv()),
                r(s.idc1s()), r(s.idc10s()), r(s.idc60s()), r(s.promptMean()), r(s.promptMedian()), r(s.promptP90()),
                r(s.promptP99()), r(s.outputMean()), r(s.outputMedian()), r(s.outputP90()), r(s.outputP99()),
                r(s.spearman()));
        b.append("        new TraceSummary(").append(wrap(sum, 29)).append("))");
        return b.toString();
    }

    /** Joins items with ", ", breaking the line before one that would pass column 116 (continuations at column 16). */
    private static String wrap(List<String> items, int startColumn) {
        StringBuilder b = new StringBuilder();
        int col = startColumn;
        for (int i = 0; i < items.size(); i++) {
            String item = items.get(i);
            if (i > 0) {
                if (col + 2 + item.length() > 116) {
                    b.append(",\n                    ");
                    col = 24;
                } else {
                    b.append(", ");
                    col += 2;
                }
            }
            b.append(item);
            col += item.length();
        }
        return b.toString();
    }

    private static List<String> values(QuantileTable t) {
        List<String> out = new ArrayList<>();
        for (double v : t.values()) {
            out.add(v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v));
        }
        return out;
    }

    private static String r(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static Map<String, Object> json(FittedTrace f, TraceFitter.Result r, TraceFitter.GoodnessOfFit g) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", f.name());
        o.put("attribution", f.attribution());
        List<Map<String, Object>> fits = new ArrayList<>();
        for (ArrivalFitter.Fit fit : r.fits()) {
            fits.add(Map.of("states", fit.process().states(), "log_likelihood", fit.logLikelihood(), "bic", fit.bic(),
                    "iterations", fit.iterations()));
        }
        o.put("arrival_fits", fits);
        ArrivalProcess p = f.arrivals();
        List<Double> rates = new ArrayList<>();
        List<List<Double>> trans = new ArrayList<>();
        for (int k = 0; k < p.states(); k++) {
            rates.add(p.rate(k));
            List<Double> row = new ArrayList<>();
            for (int j = 0; j < p.states(); j++) {
                row.add(p.transition(k, j));
            }
            trans.add(row);
        }
        o.put("arrival_rates", rates);
        o.put("arrival_transitions", trans);
        o.put("prompt_quantiles", f.prompt().values());
        o.put("output_quantiles", f.output().values());
        o.put("quantile_grid", f.prompt().probs());
        o.put("length_correlation", f.lengthCorrelation());
        o.put("trace", f.summary());
        o.put("goodness_of_fit", g);
        return o;
    }
}
