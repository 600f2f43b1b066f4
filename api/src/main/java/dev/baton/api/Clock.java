package dev.baton.api;

/**
 * The time source of an engine. Everything Baton measures (arrival, TTFT, deadlines, queue timeouts) reads this clock,
 * so a simulation can run on {@linkplain VirtualClock virtual time}, faster than real time and deterministically.
 *
 * <p>Implementations must be monotonic and safe to read from any thread.
 */
@FunctionalInterface
public interface Clock {

    /** Monotonic time in nanoseconds; only differences are meaningful. */
    long nanoTime();

    /** The system's monotonic clock ({@link System#nanoTime()}). */
    static Clock system() {
        return System::nanoTime;
    }
}
