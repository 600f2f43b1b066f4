package dev.baton.accelerator.cost;

import dev.baton.accelerator.DType;
import dev.baton.accelerator.DeviceInfo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The fitted coefficients of Baton's calibrated cost model: the datasheet figures of every measured device,
 * per-operator curves for each measured (device, model, tensor-parallel degree), an attention curve per measured
 * device, an all-reduce curve per measured (device, group size), and the roofline efficiencies used where nothing was
 * measured. Only fitted figures live here, never the measurements; the built-in table ({@code calibration.tsv} next
 * to this class) is written by {@code baton calibrate --fit} from the public profiles listed in its header.
 *
 * <p>Text format, one record per line, tab-separated, {@code #} starts a comment:
 * <pre>
 * device             device  bytesPerSecond  flopsPerSecond  linkBytesPerSecond
 * operator           device  model  tp  op  launchNanos  nsPerByte  cacheBytes  nsPerSpilledByte  nsPerFlop
 * attention          device  SPLIT_KV|VARLEN  d0 d1 d2 d3 dSpillFrom dSpill m0 tKey k0 slots queryTile theta
 *                                             mSpillFrom mSpill n0 n1
 * allreduce          device  tp  latencyNanos  nsPerByte
 * fallback-operator  GEMM|ELEMENTWISE|LM_HEAD|SAMPLER  launchNanos  bandwidthEfficiency  computeEfficiency
 * fallback-attention launchNanos  nsPerSeq  bandwidthEfficiency  computeEfficiency  nsPerLongestKey
 * </pre>
 * Devices and models are named as {@link DeviceInfo#name()} and {@link dev.baton.accelerator.ModelShape#name()} name
 * them. The {@code device} record (datasheet bandwidth, dense BF16 peak, tensor-parallel link bandwidth) lets an
 * unmeasured device of the same class borrow a measured device's curves ({@link #similarDevice}).
 *
 * <p>Immutable and thread-safe once built.
 */
public final class Calibration {

    /** The resource the built-in table is read from. */
    public static final String RESOURCE = "calibration.tsv";

    /**
     * Largest datasheet distance {@code |ln(BW/BW')| + |ln(F/F')|} at which an unmeasured device borrows a measured
     * device's curves: H200 from H100 (0.36: same SMs and peak, 1.43x bandwidth) does; devices of another compute
     * class (RTX 4090 against RTX PRO 6000: 1.68; A100 against RTX PRO 6000: 0.61) get the rooflines, which predict
     * such pairs better (see {@code baton calibrate --holdout}).
     */
    public static final double BORROW_DISTANCE = 0.5;

    /**
     * The datasheet figures of a measured device.
     *
     * @param name               {@link DeviceInfo#name()}
     * @param bytesPerSecond     memory bandwidth
     * @param flopsPerSecond     dense BF16 peak
     * @param linkBytesPerSecond bandwidth of its tensor-parallel link
     */
    public record MeasuredDevice(String name, double bytesPerSecond, double flopsPerSecond,
                                 double linkBytesPerSecond) {
        public MeasuredDevice {
            checkName(name);
            if (!(bytesPerSecond > 0) || !(flopsPerSecond > 0) || !(linkBytesPerSecond > 0)) {
                throw new IllegalArgumentException("datasheet figures of " + name + " must be positive, got "
                        + bytesPerSecond + ", " + flopsPerSecond + ", " + linkBytesPerSecond);
            }
        }

        /** The figures of {@code d}. */
        public static MeasuredDevice of(DeviceInfo d) {
            return new MeasuredDevice(d.name(), d.memoryBandwidth(), d.peakFlops(DType.BF16),
                    d.deviceLink().bandwidthBytesPerSec());
        }

        /** Datasheet distance {@code |ln(BW/BW')| + |ln(F/F')|} to {@code d}. */
        public double distance(DeviceInfo d) {
            return Math.abs(Math.log(d.memoryBandwidth() / bytesPerSecond))
                    + Math.abs(Math.log(d.peakFlops(DType.BF16) / flopsPerSecond));
        }
    }

    private final List<String> header;
    private final Map<String, MeasuredDevice> devices;
    private final Map<String, Map<Operator, OperatorCurve>> operators;
    private final Map<String, AttentionCurve> attention;
    private final Map<String, AllReduceCurve> allReduce;
    private final Map<Operator.Kind, OperatorRoofline> fallbackOperators;
    private final AttentionRoofline fallbackAttention;

    private Calibration(Builder b) {
        this.header = List.copyOf(b.header);
        this.devices = Collections.unmodifiableMap(new TreeMap<>(b.devices));
        Map<String, Map<Operator, OperatorCurve>> ops = new TreeMap<>();
        b.operators.forEach((k, v) -> ops.put(k, Collections.unmodifiableMap(new EnumMap<>(v))));
        this.operators = Collections.unmodifiableMap(ops);
        this.attention = Collections.unmodifiableMap(new TreeMap<>(b.attention));
        this.allReduce = Collections.unmodifiableMap(new TreeMap<>(b.allReduce));
        List<String> named = new ArrayList<>(attention.keySet());
        operators.keySet().forEach(k -> named.add(k.split("\t")[0]));
        allReduce.keySet().forEach(k -> named.add(k.split("\t")[0]));
        for (String d : named) {
            if (!devices.containsKey(d)) {
                throw new IllegalArgumentException("calibration has curves for '" + d + "' but no device line with its"
                        + " datasheet figures");
            }
        }
        EnumMap<Operator.Kind, OperatorRoofline> fb = new EnumMap<>(Operator.Kind.class);
        fb.putAll(b.fallbackOperators);
        for (Operator.Kind kind : Operator.Kind.values()) {
            if (!fb.containsKey(kind)) {
                throw new IllegalArgumentException("calibration has no fallback-operator line for " + kind
                        + "; every kind needs one so that unmeasured devices can be modelled");
            }
        }
        this.fallbackOperators = Collections.unmodifiableMap(fb);
        if (b.fallbackAttention == null) {
            throw new IllegalArgumentException("calibration has no fallback-attention line");
        }
        this.fallbackAttention = b.fallbackAttention;
    }

    /** The table Baton ships, read once from {@link #RESOURCE}. */
    public static Calibration builtIn() {
        return BuiltIn.TABLE;
    }

    private static final class BuiltIn {
        static final Calibration TABLE = load();

        private static Calibration load() {
            try (InputStream in = Calibration.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("the built-in cost calibration " + RESOURCE
                            + " is missing from the class path next to " + Calibration.class.getName());
                }
                return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), RESOURCE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Reads a table in the text format above.
     *
     * @throws IllegalArgumentException naming the source and line of a malformed record
     */
    public static Calibration parse(BufferedReader in, String source) throws IOException {
        Builder b = builder();
        String line;
        int n = 0;
        while ((line = in.readLine()) != null) {
            n++;
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.startsWith("#")) {
                b.header(trimmed.substring(1).strip());
                continue;
            }
            String[] f = line.split("\t");
            try {
                switch (f[0]) {
                    case "device" -> {
                        need(f, 5);
                        b.device(new MeasuredDevice(f[1], num(f[2]), num(f[3]), num(f[4])));
                    }
                    case "operator" -> {
                        need(f, 10);
                        b.operator(f[1], f[2], Integer.parseInt(f[3]), Operator.byProfileName(f[4]),
                                new OperatorCurve(num(f[5]), num(f[6]), num(f[7]), num(f[8]), num(f[9])));
                    }
                    case "attention" -> {
                        need(f, 3 + AttentionCurve.SIZE);
                        double[] v = new double[AttentionCurve.SIZE];
                        for (int i = 0; i < v.length; i++) {
                            v[i] = num(f[3 + i]);
                        }
                        b.attention(f[1], AttentionCurve.of(AttentionCurve.DecodeKernel.valueOf(f[2]), v));
                    }
                    case "allreduce" -> {
                        need(f, 5);
                        b.allReduce(f[1], Integer.parseInt(f[2]), new AllReduceCurve(num(f[3]), num(f[4])));
                    }
                    case "fallback-operator" -> {
                        need(f, 5);
                        b.fallbackOperator(Operator.Kind.valueOf(f[1]),
                                new OperatorRoofline(num(f[2]), num(f[3]), num(f[4])));
                    }
                    case "fallback-attention" -> {
                        need(f, 6);
                        b.fallbackAttention(new AttentionRoofline(num(f[1]), num(f[2]), num(f[3]), num(f[4]),
                                num(f[5])));
                    }
                    default -> throw new IllegalArgumentException("unknown record '" + f[0] + "'; expected device,"
                            + " operator, attention, allreduce, fallback-operator or fallback-attention");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + " line " + n + ": " + e.getMessage(), e);
            }
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** The table in the text format, header comments first; {@code parse(format())} gives an equal table. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        for (String h : header) {
            sb.append("# ").append(h).append('\n');
        }
        sb.append('\n');
        devices.values().forEach(d -> line(sb, "device", d.name(), d.bytesPerSecond(), d.flopsPerSecond(),
                d.linkBytesPerSecond()));
        operators.forEach((key, ops) -> ops.forEach((op, c) -> {
            String[] k = key.split("\t");
            line(sb, "operator", k[0], k[1], k[2], op.profileName(), c.launchNanos(), c.nsPerByte(), c.cacheBytes(),
                    c.nsPerSpilledByte(), c.nsPerFlop());
        }));
        attention.forEach((device, a) -> {
            List<Object> cells = new ArrayList<>(List.of("attention", device, a.decodeKernel().name()));
            for (double v : a.values()) {
                cells.add(v);
            }
            line(sb, cells.toArray());
        });
        allReduce.forEach((key, c) -> {
            String[] k = key.split("\t");
            line(sb, "allreduce", k[0], k[1], c.latencyNanos(), c.nsPerByte());
        });
        fallbackOperators.forEach((kind, r) -> line(sb, "fallback-operator", kind.name(), r.launchNanos(),
                r.bandwidthEfficiency(), r.computeEfficiency()));
        AttentionRoofline a = fallbackAttention;
        line(sb, "fallback-attention", a.launchNanos(), a.nsPerSeq(), a.bandwidthEfficiency(), a.computeEfficiency(),
                a.nsPerLongestKey());
        return sb.toString();
    }

    /** The operator curves measured for this device, model and tensor-parallel degree, if any. */
    public Optional<Map<Operator, OperatorCurve>> operators(String device, String model, int tp) {
        return Optional.ofNullable(operators.get(key(device, model, tp)));
    }

    /** The fitted attention curve of a device, if it was measured. */
    public Optional<AttentionCurve> attention(String device) {
        return Optional.ofNullable(attention.get(device));
    }

    /** The all-reduce curve fitted for this device and group size, if that was measured. */
    public Optional<AllReduceCurve> allReduce(String device, int tp) {
        return Optional.ofNullable(allReduce.get(checkName(device) + "\t" + tp));
    }

    /**
     * A measured all-reduce curve for groups of {@code tp} over a link of this bandwidth (within 1%): collectives
     * depend on the interconnect, not on the GPU.
     */
    public Optional<AllReduceCurve> allReduceOverLink(double linkBytesPerSecond, int tp) {
        for (Map.Entry<String, AllReduceCurve> e : allReduce.entrySet()) {
            String[] k = e.getKey().split("\t");
            MeasuredDevice d = devices.get(k[0]);
            if (Integer.parseInt(k[1]) == tp
                    && Math.abs(d.linkBytesPerSecond() / linkBytesPerSecond - 1) <= 0.01) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    /** The figures of a measured device, if it was measured. */
    public Optional<MeasuredDevice> device(String name) {
        return Optional.ofNullable(devices.get(name));
    }

    /**
     * The measured device nearest to {@code d} in datasheet figures, other than {@code d} itself, if it lies within
     * {@link #BORROW_DISTANCE}.
     */
    public Optional<MeasuredDevice> similarDevice(DeviceInfo d) {
        MeasuredDevice best = null;
        double bestDistance = BORROW_DISTANCE;
        for (MeasuredDevice m : devices.values()) {
            double dist = m.distance(d);
            if (!m.name().equals(d.name()) && dist <= bestDistance) {
                bestDistance = dist;
                best = m;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The roofline used for a kind of operator on unmeasured devices. */
    public OperatorRoofline fallback(Operator.Kind kind) {
        return fallbackOperators.get(kind);
    }

    /** The roofline used for attention on devices with neither a curve of their own nor a similar device's. */
    public AttentionRoofline fallbackAttention() {
        return fallbackAttention;
    }

    /** (device, model, tp) triples with measured operator curves, as {@code device<TAB>model<TAB>tp}. */
    public List<String> measuredProfiles() {
        return List.copyOf(operators.keySet());
    }

    /** The header comments (sources and attribution). */
    public List<String> header() {
        return header;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Calibration c && devices.equals(c.devices) && operators.equals(c.operators)
                && attention.equals(c.attention) && allReduce.equals(c.allReduce)
                && fallbackOperators.equals(c.fallbackOperators) && fallbackAttention.equals(c.fallbackAttention);
    }

    @Override
    public int hashCode() {
        return operators.hashCode() * 31 + attention.hashCode();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Assembles a table (the fitter's side). Not thread-safe. */
    public static final class Builder {
        private final List<String> header = new ArrayList<>();
        private final Map<String, MeasuredDevice> devices = new LinkedHashMap<>();
        private final Map<String, Map<Operator, OperatorCurve>> operators = new LinkedHashMap<>();
        private final Map<String, AttentionCurve> attention = new LinkedHashMap<>();
        private final Map<String, AllReduceCurve> allReduce = new LinkedHashMap<>();
        private final Map<Operator.Kind, OperatorRoofline> fallbackOperators = new EnumMap<>(Operator.Kind.class);
        private AttentionRoofline fallbackAttention;

        private Builder() {
        }

        public Builder header(String line) {
            header.add(line);
            return this;
        }

        public Builder device(MeasuredDevice d) {
            devices.put(d.name(), d);
            return this;
        }

        public Builder operator(String device, String model, int tp, Operator op, OperatorCurve curve) {
            operators.computeIfAbsent(key(device, model, tp), k -> new EnumMap<>(Operator.class)).put(op, curve);
            return this;
        }

        public Builder attention(String device, AttentionCurve curve) {
            attention.put(checkName(device), curve);
            return this;
        }

        public Builder allReduce(String device, int tp, AllReduceCurve curve) {
            if (tp < 2) {
                throw new IllegalArgumentException("an all-reduce group has at least 2 devices, got " + tp);
            }
            allReduce.put(checkName(device) + "\t" + tp, curve);
            return this;
        }

        public Builder fallbackOperator(Operator.Kind kind, OperatorRoofline r) {
            fallbackOperators.put(kind, r);
            return this;
        }

        public Builder fallbackAttention(AttentionRoofline r) {
            fallbackAttention = r;
            return this;
        }

        /**
         * @throws IllegalArgumentException if a curve names a device without a device line, or a fallback is missing
         */
        public Calibration build() {
            return new Calibration(this);
        }
    }

    private static String key(String device, String model, int tp) {
        if (tp < 1) {
            throw new IllegalArgumentException("tp must be >= 1, got " + tp);
        }
        return checkName(device) + "\t" + checkName(model) + "\t" + tp;
    }

    private static String checkName(String name) {
        if (name == null || name.isBlank() || name.contains("\t") || name.contains("\n")) {
            throw new IllegalArgumentException("device and model names must be non-blank and free of tabs and"
                    + " newlines, got '" + name + "'");
        }
        return name;
    }

    private static void need(String[] f, int n) {
        if (f.length != n) {
            throw new IllegalArgumentException("a " + f[0] + " record has " + n + " tab-separated fields, got "
                    + f.length);
        }
    }

    private static double num(String s) {
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: '" + s + "'");
        }
    }

    private static void line(StringBuilder sb, Object... cells) {
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                sb.append('\t');
            }
            sb.append(cells[i]);
        }
        sb.append('\n');
    }
}
