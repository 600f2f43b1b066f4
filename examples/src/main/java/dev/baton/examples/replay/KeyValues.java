package dev.baton.examples.replay;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Comma-separated {@code key=value} lists of the command line ({@code --engine}, {@code --slo}). */
final class KeyValues {
    private KeyValues() {
    }

    /**
     * Parses {@code key=value,key=value} into keys (lower case, {@code _} read as {@code -}, a leading {@code --}
     * dropped) and trimmed values, in order; blank entries are skipped.
     *
     * @param what    what an entry is, for messages ("engine knob")
     * @param example a correct entry, for messages
     * @throws IllegalArgumentException for an entry without a value
     */
    static Map<String, String> parse(String spec, String what, String example) {
        Map<String, String> m = new LinkedHashMap<>();
        if (spec == null) {
            return m;
        }
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(what + " '" + p + "' needs a value: write key=value, e.g. "
                        + example);
            }
            String key = p.substring(0, eq).trim().toLowerCase(Locale.ROOT).replace('_', '-');
            m.put(key.startsWith("--") ? key.substring(2) : key, p.substring(eq + 1).trim());
        }
        return m;
    }
}
