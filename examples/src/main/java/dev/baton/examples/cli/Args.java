package dev.baton.examples.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Parsed options of one command: {@code --name value}, {@code --name=value} and flags {@code --name}. Unknown options
 * and missing values are usage errors that list the options the command knows.
 */
public final class Args {
    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    private Args(String command) {
        this.command = command;
    }

    public static Args parse(String command, List<Option> options, String[] argv) {
        Args a = new Args(command);
        Map<String, Option> known = new LinkedHashMap<>();
        for (Option o : options) {
            known.put(o.name(), o);
        }
        for (int i = 0; i < argv.length; i++) {
            String arg = argv[i];
            if (!arg.startsWith("--")) {
                a.positional.add(arg);
                continue;
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Option o = known.get(name);
            if (o == null) {
                throw new UsageException("unknown option --" + name + " for `baton " + command + "`; known: "
                        + String.join(", ", known.keySet().stream().map(k -> "--" + k).toList()));
            }
            if (o.takesValue()) {
                if (value == null) {
                    if (i + 1 >= argv.length) {
                        throw new UsageException("--" + name + " needs a value (" + o.valueName() + ")");
                    }
                    value = argv[++i];
                }
                if (value.isEmpty()) {
                    throw new UsageException("--" + name + " needs a non-empty value (" + o.valueName() + ")");
                }
            } else {
                if (value != null) {
                    throw new UsageException("--" + name + " is a flag and takes no value");
                }
                value = "true";
            }
            a.values.put(name, value);
        }
        return a;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public boolean flag(String name) {
        return Boolean.parseBoolean(values.getOrDefault(name, "false"));
    }

    public String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public String require(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException("`baton " + command + "` needs --" + name);
        }
        return v;
    }

    public int getInt(String name, int fallback) {
        return parse(name, fallback, Integer::parseInt, "an integer");
    }

    public long getLong(String name, long fallback) {
        return parse(name, fallback, Long::parseLong, "an integer");
    }

    public double getDouble(String name, double fallback) {
        return parse(name, fallback, Double::parseDouble, "a number");
    }

    public List<String> positional() {
        return positional;
    }

    /** For commands that take options only: a stray word is a usage error, not silently ignored. */
    public Args requireNoPositional() {
        if (!positional.isEmpty()) {
            throw new UsageException("`baton " + command + "` takes no arguments besides its options, got "
                    + String.join(" ", positional));
        }
        return this;
    }

    private <T> T parse(String name, T fallback, Function<String, T> parser, String what) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return parser.apply(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be " + what + ", got '" + v + "'");
        }
    }
}
