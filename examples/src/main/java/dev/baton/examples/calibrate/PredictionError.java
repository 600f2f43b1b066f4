package dev.baton.examples.calibrate;

import dev.baton.accelerator.cost.CalibratedCostModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The cost model's relative error {@code |predicted - measured| / measured} over every row of one profile table, in
 * total and per component (operator or attention).
 *
 * @param table      the table
 * @param rows       rows compared
 * @param median     median relative error
 * @param p90        90th-percentile relative error
 * @param fidelity   which tier of the model answered (measured curves or roofline fallback)
 * @param components per component: rows, median, p90
 */
public record PredictionError(ProfileTable table, int rows, double median, double p90, String fidelity,
                              Map<String, double[]> components) {

    /** The gate the issue sets for every modelled table. */
    public static final double MAX_MEDIAN = 0.10;
    public static final double MAX_P90 = 0.25;

    public boolean passes() {
        return median <= MAX_MEDIAN && p90 <= MAX_P90;
    }

    /** Compares {@code model}'s predictions with every row of {@code table}. */
    public static PredictionError of(ProfileTable table, CalibratedCostModel model) {
        double[] all = new double[table.rows().size()];
        Map<String, List<Double>> byComponent = new LinkedHashMap<>();
        boolean attention = false;
        boolean operators = false;
        for (int i = 0; i < all.length; i++) {
            Measurement m = table.rows().get(i);
            double e = Math.abs(m.predict(model) - m.measuredNanos()) / m.measuredNanos();
            all[i] = e;
            byComponent.computeIfAbsent(m.component(), k -> new ArrayList<>()).add(e);
            attention |= m instanceof Measurement.Attention;
            operators |= m instanceof Measurement.OperatorCall;
        }
        Map<String, double[]> comps = new LinkedHashMap<>();
        byComponent.forEach((k, v) -> {
            double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
            comps.put(k, new double[] {a.length, quantile(a, 0.5), quantile(a, 0.9)});
        });
        List<String> tiers = new ArrayList<>();
        if (operators) {
            tiers.add("operators " + model.operatorFidelity().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (attention) {
            tiers.add("attention " + model.attentionFidelity().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (!operators && !attention) {
            tiers.add("all-reduce " + model.allReduceFidelity().name().toLowerCase(java.util.Locale.ROOT));
        }
        return new PredictionError(table, all.length, quantile(all, 0.5), quantile(all, 0.9), String.join(", ", tiers),
                comps);
    }

    /** Errors of every table, each against the model {@code modelFor} builds for it. */
    public static List<PredictionError> of(List<ProfileTable> tables,
                                           Function<ProfileTable, CalibratedCostModel> modelFor) {
        List<PredictionError> out = new ArrayList<>();
        for (ProfileTable t : tables) {
            if (!t.rows().isEmpty()) {
                out.add(of(t, modelFor.apply(t)));
            }
        }
        return out;
    }

    /** Linear-interpolated quantile (NumPy's default), of a copy. */
    static double quantile(double[] values, double q) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        double pos = q * (v.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(v.length - 1, lo + 1);
        return v[lo] + (v[hi] - v[lo]) * (pos - lo);
    }
}
