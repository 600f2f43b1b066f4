package dev.baton.examples.workload;

/** A trace line that cannot be read (with {@code --strict}, or when no line can be read at all). */
public final class MalformedTraceException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final int line;

    public MalformedTraceException(String file, int line, String message) {
        super(file + ": line " + line + ": " + message);
        this.line = line;
    }

    /** The 1-based line number. */
    public int line() {
        return line;
    }
}
