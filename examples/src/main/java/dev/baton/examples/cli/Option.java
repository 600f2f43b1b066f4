package dev.baton.examples.cli;

/**
 * One command-line option.
 *
 * @param name         without the leading dashes
 * @param valueName    what the value is ({@code FILE}, {@code N}); {@code null} for a flag
 * @param defaultValue shown in help; {@code null} if none
 * @param description  one line
 */
public record Option(String name, String valueName, String defaultValue, String description) {

    public static Option flag(String name, String description) {
        return new Option(name, null, null, description);
    }

    public static Option value(String name, String valueName, String defaultValue, String description) {
        return new Option(name, valueName, defaultValue, description);
    }

    public boolean takesValue() {
        return valueName != null;
    }
}
