package dev.baton.examples.cli;

import dev.baton.examples.replay.Progress;

import java.io.PrintStream;

/**
 * A progress bar on stderr for runs that take a while: drawn in place, at most five times a second, only once a run has
 * taken more than a second (short runs print nothing), and only on a terminal (a log file gets no carriage returns).
 */
final class StderrProgress implements Progress {
    private static final long SHOW_AFTER_NANOS = 1_000_000_000L;
    private static final long EVERY_NANOS = 200_000_000L;

    private final PrintStream err;
    private final boolean enabled;
    private long started = -1;
    private long last;
    private boolean drawn;

    StderrProgress(PrintStream err, boolean enabled) {
        this.err = err;
        this.enabled = enabled && err == System.err && onTerminal();
    }

    /** Whether the process talks to a terminal ({@code Console.isTerminal()} where the JDK has it, 22+). */
    static boolean onTerminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 17..21 return a console only for a terminal
        }
    }

    @Override
    public void update(double fraction, String label) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (started < 0) {
            started = now;
        }
        if (now - started < SHOW_AFTER_NANOS || now - last < EVERY_NANOS) {
            return;
        }
        last = now;
        int width = 30;
        int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * width);
        err.printf("\r[%s%s] %3.0f%% %s (%.0f s)", "#".repeat(filled), ".".repeat(width - filled), 100 * fraction,
                label, (now - started) / 1e9);
        err.flush();
        drawn = true;
    }

    @Override
    public void done() {
        if (drawn) {
            err.print("\r" + " ".repeat(70) + "\r");
            err.flush();
        }
        started = -1;
        drawn = false;
    }
}
