package dev.baton.examples.calibrate;

import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.ModelShape;
import dev.baton.accelerator.Parallelism;
import dev.baton.accelerator.StepShape;
import dev.baton.accelerator.cost.AllReduceCurve;
import dev.baton.accelerator.cost.AttentionCurve;
import dev.baton.accelerator.cost.AttentionRoofline;
import dev.baton.accelerator.cost.Calibration;
import dev.baton.accelerator.cost.Operator;
import dev.baton.accelerator.cost.OperatorCurve;
import dev.baton.accelerator.cost.OperatorRoofline;
import dev.baton.accelerator.sim.HardwareProfiles;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Fits Baton's {@link Calibration} to public profiles: every curve's coefficients minimise the soft-L1 loss of
 * {@code log(predicted / measured)} over the measured rows ({@link LeastSquares}), with each prediction computed by
 * the very curve classes the cost model evaluates.
 *
 * <ul>
 *   <li>one {@link OperatorCurve} per operator of each measured (device, model, tp);</li>
 *   <li>one {@link AttentionCurve} per device over all its attention rows (every model and TP degree; the query
 *       heads per device carry the difference), trying both decode kernels and keeping the better;</li>
 *   <li>one {@link AllReduceCurve} per device and group size with a collective profile;</li>
 *   <li>the fallback for unmeasured devices: one {@link OperatorRoofline} per operator kind over every device's
 *       rows (at most {@value #FALLBACK_ROWS_PER_TABLE} rows per table, so that large tables do not drown small
 *       ones), and one {@link AttentionRoofline} likewise.</li>
 * </ul>
 * Not thread-safe; deterministic.
 */
public final class CostFitter {

    /** Query rows per attention thread block (FlashAttention's tile for head dimension 128). */
    static final double QUERY_TILE = 64;
    static final int FALLBACK_ROWS_PER_TABLE = 2000;

    /** Streaming multiprocessors (thread blocks in flight at one block per SM), from the vendors' datasheets. */
    private static final Map<String, Double> SLOTS = Map.of(
            HardwareProfiles.get("h100").name(), 132.0,
            HardwareProfiles.get("h200").name(), 132.0,
            HardwareProfiles.get("a100-80gb").name(), 108.0,
            HardwareProfiles.get("rtxpro6000").name(), 188.0,
            HardwareProfiles.get("rtx4090").name(), 128.0);

    private final LeastSquares solver;

    public CostFitter() {
        this(new LeastSquares(0.1, 150));
    }

    CostFitter(LeastSquares solver) {
        this.solver = solver;
    }

    /** Fits every curve the tables support, with {@code header} lines (sources, attribution) in front. */
    public Calibration fit(List<ProfileTable> tables, List<String> header) {
        Calibration.Builder b = Calibration.builder();
        header.forEach(b::header);
        // Operators per (device, model, tp).
        Map<String, List<ProfileTable>> byConfig = new LinkedHashMap<>();
        Map<String, List<ProfileTable>> byDevice = new LinkedHashMap<>();
        for (ProfileTable t : tables) {
            byConfig.computeIfAbsent(t.device().name() + "|" + t.model().name() + "|" + t.tp(), k -> new ArrayList<>())
                    .add(t);
            byDevice.computeIfAbsent(t.device().name(), k -> new ArrayList<>()).add(t);
        }
        for (List<ProfileTable> group : byConfig.values()) {
            ProfileTable first = group.get(0);
            Map<Operator, List<Measurement.OperatorCall>> calls = new LinkedHashMap<>();
            for (ProfileTable t : group) {
                for (Measurement m : t.rows()) {
                    if (m instanceof Measurement.OperatorCall c) {
                        calls.computeIfAbsent(c.op(), k -> new ArrayList<>()).add(c);
                    }
                }
            }
            calls.forEach((op, rows) -> b.operator(first.device().name(), first.model().name(), first.tp(), op,
                    fitOperator(op, first.device(), first.model(), first.parallelism(), rows)));
        }
        byDevice.forEach((device, group) -> {
            List<AttentionRow> att = attentionRows(group);
            b.device(Calibration.MeasuredDevice.of(group.get(0).device()));
            if (!att.isEmpty()) {
                b.attention(device, fitAttention(group.get(0).device(), att));
            }
            List<double[]> ar = new ArrayList<>();
            for (ProfileTable t : group) {
                for (Measurement m : t.rows()) {
                    if (m instanceof Measurement.AllReduce a) {
                        ar.add(new double[] {a.bytes(), t.tp(), a.measuredNanos()});
                    }
                }
            }
            Map<Integer, List<double[]>> byGroup = new TreeMap<>();
            ar.forEach(r -> byGroup.computeIfAbsent((int) r[1], k -> new ArrayList<>()).add(r));
            byGroup.forEach((tp, rows) -> b.allReduce(device, tp, fitAllReduce(rows)));
        });
        fitFallbacks(tables, b);
        return b.build();
    }

    /** Fits the rooflines unmeasured devices get, over {@code tables}. */
    void fitFallbacks(List<ProfileTable> tables, Calibration.Builder b) {
        for (Operator.Kind kind : Operator.Kind.values()) {
            b.fallbackOperator(kind, fitOperatorRoofline(kind, tables));
        }
        b.fallbackAttention(fitAttentionRoofline(tables));
    }

    // ---------------------------------------------------------------- operators

    OperatorCurve fitOperator(Operator op, DeviceInfo d, ModelShape m, Parallelism p,
                              List<Measurement.OperatorCall> rows) {
        int n = rows.size();
        double w = op.weightBytes(m, p);
        double a = op.bytesPerRow(m, p);
        double fl = op.flopsPerRow(m, p);
        double[] bytes = new double[n];
        double[] flops = new double[n];
        double[] logY = new double[n];
        double minY = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            Measurement.OperatorCall c = rows.get(i);
            bytes[i] = w + a * c.rows();
            flops[i] = fl * c.rows();
            logY[i] = Math.log(c.measuredNanos());
            minY = Math.min(minY, c.measuredNanos());
        }
        double nsPerByte = 1e9 / d.memoryBandwidth();
        double nsPerFlop = 1e9 / (d.peakFlops(m.weightDtype()) * 0.5);
        LeastSquares.Residuals f = (x, out) -> {
            OperatorCurve c = operatorCurve(x);
            for (int i = 0; i < n; i++) {
                out[i] = Math.log(c.nanos(bytes[i], flops[i])) - logY[i];
            }
        };
        List<double[]> starts = new ArrayList<>();
        for (double cache : new double[] {1e6, 1e7, 5e7, 2e8}) {
            starts.add(new double[] {Math.log(minY / 2), Math.log(nsPerByte), Math.log(cache), Math.log(nsPerByte),
                Math.log(nsPerFlop)});
        }
        OperatorCurve c = operatorCurve(solver.minimizeFrom(f, starts.toArray(new double[0][]), n));
        return new OperatorCurve(sig(c.launchNanos()), sig(c.nsPerByte()), sig(Math.min(c.cacheBytes(), NEVER)),
                sig(c.nsPerSpilledByte()), sig(c.nsPerFlop()));
    }

    private static OperatorCurve operatorCurve(double[] x) {
        return new OperatorCurve(exp(x[0]), exp(x[1]), exp(x[2]), exp(x[3]), exp(x[4]));
    }

    OperatorRoofline fitOperatorRoofline(Operator.Kind kind, List<ProfileTable> tables) {
        // Norms, activations, rotary embedding and the sampler are where engines differ most (vLLM's fused kernels
        // against eager Hugging Face modules, up to 20x on a norm); the fallback stands for a vLLM-like engine, so it
        // learns those kinds from vLLM-engine profiles when there are any. Matrix multiplications are cuBLAS in all.
        boolean vllmOnly = (kind == Operator.Kind.ELEMENTWISE || kind == Operator.Kind.SAMPLER)
                && tables.stream().anyMatch(t -> t.engine() == ProfileTable.Engine.VLLM);
        List<double[]> rows = new ArrayList<>();
        for (ProfileTable t : tables) {
            if (vllmOnly && t.engine() != ProfileTable.Engine.VLLM) {
                continue;
            }
            List<double[]> mine = new ArrayList<>();
            for (Measurement m : t.rows()) {
                if (m instanceof Measurement.OperatorCall c && c.op().kind() == kind) {
                    Operator op = c.op();
                    Parallelism p = t.parallelism();
                    mine.add(new double[] {op.weightBytes(t.model(), p) + op.bytesPerRow(t.model(), p) * c.rows(),
                        op.flopsPerRow(t.model(), p) * c.rows(), t.device().memoryBandwidth(),
                        t.device().peakFlops(t.model().weightDtype()), c.measuredNanos()});
                }
            }
            rows.addAll(stride(mine, FALLBACK_ROWS_PER_TABLE));
        }
        if (rows.isEmpty()) {
            return new OperatorRoofline(5000, 0.7, 0.6);
        }
        int n = rows.size();
        LeastSquares.Residuals f = (x, out) -> {
            double launch = exp(x[0]);
            double eb = sigmoid(x[1]);
            double ef = sigmoid(x[2]);
            for (int i = 0; i < n; i++) {
                double[] r = rows.get(i);
                double t = launch + Math.max(r[0] / (r[2] * eb), r[1] / (r[3] * ef)) * 1e9;
                out[i] = Math.log(t / r[4]);
            }
        };
        double[] x = solver.minimizeFrom(f, new double[][] {{Math.log(5000), 1, 0}, {Math.log(20000), 0, -1}}, n);
        return new OperatorRoofline(sig(exp(x[0])), sig(sigmoid(x[1])), sig(sigmoid(x[2])));
    }

    // ---------------------------------------------------------------- attention

    /** One attention measurement reduced to the aggregates the curves read. */
    record AttentionRow(double queryHeads, int seqs, int multiQuery, double chunkTokens, double chunkPairs,
                        double keys, double longest, double measuredNanos) {
    }

    static List<AttentionRow> attentionRows(List<ProfileTable> tables) {
        List<AttentionRow> rows = new ArrayList<>();
        for (ProfileTable t : tables) {
            ModelShape m = t.model();
            double qh = Math.max(1, m.numHeads() / t.tp());
            for (Measurement x : t.rows()) {
                if (x instanceof Measurement.Attention a) {
                    StepShape s = a.shape();
                    rows.add(new AttentionRow(qh, s.numSeqs(), s.multiQuerySeqs(), s.multiQueryTokens(),
                            s.multiQueryPairs(), s.kvTokensRead(), s.maxSequenceLength(), a.measuredNanos()));
                }
            }
        }
        return rows;
    }

    AttentionCurve fitAttention(DeviceInfo device, List<AttentionRow> rows) {
        double slots = SLOTS.getOrDefault(device.name(), 128.0);
        int n = rows.size();
        AttentionCurve best = null;
        double bestCost = Double.POSITIVE_INFINITY;
        double[] r = new double[n];
        for (AttentionCurve.DecodeKernel kernel : AttentionCurve.DecodeKernel.values()) {
            LeastSquares.Residuals f = (x, out) -> {
                AttentionCurve c = attentionCurve(kernel, x, slots);
                for (int i = 0; i < n; i++) {
                    AttentionRow a = rows.get(i);
                    double t = c.nanos(a.queryHeads, a.seqs, a.multiQuery, a.chunkTokens, a.chunkPairs, a.keys,
                            a.longest);
                    out[i] = Math.log(t / a.measuredNanos);
                }
            };
            List<double[]> starts = new ArrayList<>();
            for (double k0 : new double[] {50, 200}) {
                for (double n0 : new double[] {20, 40}) {
                    starts.add(new double[] {Math.log(10_000), Math.log(100), Math.log(2), Math.log(0.5), Math.log(1e7),
                        Math.log(1e-3), Math.log(2000), Math.log(22), Math.log(k0), 0, Math.log(2e5), Math.log(5),
                        Math.log(n0), Math.log(100)});
                }
            }
            double[] x = solver.minimizeFrom(f, starts.toArray(new double[0][]), n);
            f.compute(x, r);
            double c = solver.cost(r);
            if (c < bestCost) {
                bestCost = c;
                best = attentionCurve(kernel, x, slots);
            }
        }
        double[] v = best.values();
        for (int i = 0; i < v.length; i++) {
            v[i] = sig(Math.min(v[i], NEVER));
        }
        v[11] = Math.min(1, v[11]);
        return AttentionCurve.of(best.decodeKernel(), v);
    }

    private static AttentionCurve attentionCurve(AttentionCurve.DecodeKernel kernel, double[] x, double slots) {
        return new AttentionCurve(kernel, exp(x[0]), exp(x[1]), exp(x[2]), exp(x[3]), exp(x[4]), exp(x[5]), exp(x[6]),
                exp(x[7]), exp(x[8]), slots, QUERY_TILE, sigmoid(x[9]), exp(x[10]), exp(x[11]), exp(x[12]),
                Math.max(1e-9, exp(x[13])));
    }

    AttentionRoofline fitAttentionRoofline(List<ProfileTable> tables) {
        List<double[]> rows = new ArrayList<>();
        for (ProfileTable t : tables) {
            ModelShape m = t.model();
            Parallelism p = t.parallelism();
            double qh = Math.max(1, m.numHeads() / p.tp());
            double kvh = Math.max(1, m.numKvHeads() / p.tp());
            List<double[]> mine = new ArrayList<>();
            for (Measurement x : t.rows()) {
                if (x instanceof Measurement.Attention a) {
                    StepShape s = a.shape();
                    mine.add(new double[] {s.numSeqs(), s.kvTokensRead(),
                        s.prefillAttentionPairs() + s.decodeAttentionPairs(), s.maxSequenceLength(),
                        2 * kvh * m.headDim() * m.kvDtype().bytes(), 4 * qh * m.headDim(),
                        t.device().memoryBandwidth(), t.device().peakFlops(m.weightDtype()), a.measuredNanos()});
                }
            }
            rows.addAll(stride(mine, FALLBACK_ROWS_PER_TABLE));
        }
        int n = rows.size();
        if (n == 0) {
            return new AttentionRoofline(10_000, 100, 0.5, 0.3, 5);
        }
        LeastSquares.Residuals f = (x, out) -> {
            AttentionRoofline a = new AttentionRoofline(exp(x[0]), exp(x[1]), sigmoid(x[2]), sigmoid(x[3]),
                    exp(x[4]));
            for (int i = 0; i < n; i++) {
                double[] r = rows.get(i);
                double t = a.nanos((int) r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
                out[i] = Math.log(t / r[8]);
            }
        };
        double[] x = solver.minimizeFrom(f, new double[][] {{Math.log(10_000), Math.log(100), 0, -1, Math.log(5)},
            {Math.log(3_000), Math.log(1000), -1, -2, Math.log(20)}}, n);
        return new AttentionRoofline(sig(exp(x[0])), sig(exp(x[1])), sig(sigmoid(x[2])), sig(sigmoid(x[3])),
                sig(exp(x[4])));
    }

    // ---------------------------------------------------------------- collectives

    /** Rows of (bytes, group size, measured ns). */
    AllReduceCurve fitAllReduce(List<double[]> rows) {
        int n = rows.size();
        LeastSquares.Residuals f = (x, out) -> {
            AllReduceCurve c = new AllReduceCurve(exp(x[0]), exp(x[1]));
            for (int i = 0; i < n; i++) {
                double[] r = rows.get(i);
                out[i] = Math.log(c.nanos(r[0], (int) r[1]) / r[2]);
            }
        };
        double[] x = solver.minimizeFrom(f, new double[][] {{Math.log(20_000), Math.log(1e9 / 300e9)}}, n);
        return new AllReduceCurve(sig(exp(x[0])), sig(exp(x[1])));
    }

    // ---------------------------------------------------------------- helpers

    static <T> List<T> stride(List<T> rows, int max) {
        if (rows.size() <= max) {
            return rows;
        }
        List<T> out = new ArrayList<>(max);
        double step = (double) rows.size() / max;
        for (int i = 0; i < max; i++) {
            out.add(rows.get((int) (i * step)));
        }
        return out;
    }

    /** Thresholds the fit pushed out of reach are written as this ("never"), not as 1e185. */
    static final double NEVER = 1e15;

    /** Six significant digits: the table stays readable, and predictions move by less than 1e-5. */
    static double sig(double v) {
        if (v == 0 || !Double.isFinite(v)) {
            return v;
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).doubleValue();
    }

    private static double exp(double v) {
        return Math.min(Math.exp(v), 1e300);
    }

    private static double sigmoid(double v) {
        return Math.max(1e-9, 1 / (1 + Math.exp(-v)));
    }
}
