package dev.baton.examples.workload;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One tenant of a workload.
 *
 * @param name     the tenant's name, as requests carry it
 * @param rate     its share of the traffic, relative to the other tenants (the multi-tenant workload gives each tenant
 *                 its own arrival stream at this multiple of the base rate)
 * @param weight   its weight for fair-share policies
 * @param priority vLLM priority of its requests (lower is served first)
 */
public record Tenant(String name, double rate, double weight, int priority) {
    public Tenant {
        if (name == null || name.isBlank() || name.contains(",") || name.contains(":")) {
            throw new IllegalArgumentException("a tenant name must be non-blank and contain no ',' or ':', got '"
                    + name + "'");
        }
        if (!(rate > 0 && rate < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("tenant " + name + ": rate must be a positive number, got " + rate);
        }
        if (!(weight > 0 && weight < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("tenant " + name + ": weight must be a positive number, got " + weight);
        }
    }

    /**
     * Parses {@code name[:rate[:weight[:priority]]],...}, e.g. {@code a:1,b:1,c:1,noisy:10} (rate and weight default
     * to 1, priority to 0).
     *
     * @throws IllegalArgumentException saying which entry is wrong and how to write it
     */
    public static List<Tenant> parseList(String spec) {
        List<Tenant> out = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (String entry : spec.split(",")) {
            String e = entry.trim();
            if (e.isEmpty()) {
                continue;
            }
            String[] p = e.split(":", -1);
            if (p.length > 4) {
                throw new IllegalArgumentException("tenant entry '" + e + "' has too many fields; write"
                        + " name[:rate[:weight[:priority]]], e.g. noisy:10:1:0");
            }
            try {
                double rate = p.length > 1 && !p[1].isEmpty() ? Double.parseDouble(p[1]) : 1;
                double weight = p.length > 2 && !p[2].isEmpty() ? Double.parseDouble(p[2]) : 1;
                int priority = p.length > 3 && !p[3].isEmpty() ? Integer.parseInt(p[3]) : 0;
                Tenant t = new Tenant(p[0].trim(), rate, weight, priority);
                if (!names.add(t.name())) {
                    throw new IllegalArgumentException("tenant " + t.name() + " is listed twice");
                }
                out.add(t);
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("tenant entry '" + e + "': rate and weight must be numbers and"
                        + " priority an integer; write name[:rate[:weight[:priority]]]");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no tenant in '" + spec + "'; write name[:rate[:weight[:priority]]],...");
        }
        return List.copyOf(out);
    }

    /** The list back in {@link #parseList} form. */
    public static String format(List<Tenant> tenants) {
        List<String> parts = new ArrayList<>();
        for (Tenant t : tenants) {
            parts.add(String.format(Locale.ROOT, "%s:%s:%s:%d", t.name, num(t.rate), num(t.weight), t.priority));
        }
        return String.join(",", parts);
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
