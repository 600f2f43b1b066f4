package dev.baton.examples.replay;

import dev.baton.api.request.SloTargets;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/** Durations and SLO targets as the command line writes them: {@code 500us}, {@code 100ms}, {@code 2s}, {@code 10m}. */
public final class Durations {
    private Durations() {
    }

    /**
     * Parses a number with a unit ({@code ns}, {@code us}, {@code ms}, {@code s}, {@code m}, {@code h}); a bare number
     * is seconds.
     *
     * @throws IllegalArgumentException saying how to write one
     */
    public static Duration parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        int i = 0;
        while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
            i++;
        }
        String unit = s.substring(i).trim();
        double v;
        try {
            v = Double.parseDouble(s.substring(0, i));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; write e.g. 500ms, 2s, 10m or 1h");
        }
        double nanosPerUnit = switch (unit) {
            case "ns" -> 1;
            case "us", "µs" -> 1e3;
            case "ms" -> 1e6;
            case "", "s" -> 1e9;
            case "m", "min" -> 60e9;
            case "h" -> 3600e9;
            default -> throw new IllegalArgumentException("unknown unit '" + unit + "' in '" + text
                    + "'; use ns, us, ms, s, m or h");
        };
        double nanos = v * nanosPerUnit;
        if (!(nanos >= 0) || nanos > Long.MAX_VALUE / 2.0) {
            throw new IllegalArgumentException("duration '" + text + "' is out of range");
        }
        return Duration.ofNanos(Math.round(nanos));
    }

    /**
     * Parses {@code ttft=2s,tpot=100ms} ({@code none} drops a target; an omitted key keeps the default).
     *
     * @throws IllegalArgumentException for an unknown key or a bad duration
     */
    public static SloTargets parseSlo(String spec, SloTargets defaults) {
        Duration ttft = defaults.ttft();
        Duration tpot = defaults.tpot();
        for (Map.Entry<String, String> e : KeyValues.parse(spec, "SLO target", "ttft=2s,tpot=100ms").entrySet()) {
            String key = e.getKey();
            Duration d = e.getValue().equalsIgnoreCase("none") ? null : parse(e.getValue());
            if (d != null && d.isZero()) {
                throw new IllegalArgumentException("SLO target " + key + " must be positive (or none)");
            }
            switch (key) {
                case "ttft" -> ttft = d;
                case "tpot" -> tpot = d;
                default -> throw new IllegalArgumentException("unknown SLO target '" + key + "'; known: ttft, tpot");
            }
        }
        return SloTargets.of(ttft, tpot);
    }

    /** {@code 2 s}, {@code 100 ms}: for headers. */
    public static String format(Duration d) {
        if (d == null) {
            return "none";
        }
        long ns = d.toNanos();
        if (ns % 1_000_000_000L == 0) {
            return ns / 1_000_000_000L + " s";
        }
        if (ns % 1_000_000L == 0) {
            return ns / 1_000_000L + " ms";
        }
        return String.format(Locale.ROOT, "%.3f ms", ns / 1e6);
    }
}
