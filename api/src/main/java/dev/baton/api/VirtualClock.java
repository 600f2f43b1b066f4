package dev.baton.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that moves only when told to: the time base of simulations. Safe to read from any thread; advancing is
 * expected from one driver thread (the simulation loop), and time never moves backwards.
 */
public final class VirtualClock implements Clock {
    private final AtomicLong now;

    public VirtualClock() {
        this(0);
    }

    public VirtualClock(long startNanos) {
        this.now = new AtomicLong(startNanos);
    }

    @Override
    public long nanoTime() {
        return now.get();
    }

    /**
     * Moves time forward by {@code nanos}.
     *
     * @throws IllegalArgumentException if {@code nanos} is negative, or so large that the time would overflow
     */
    public long advance(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("virtual time cannot move backwards: advance(" + nanos
                    + "); pass a duration >= 0");
        }
        while (true) {
            long current = now.get();
            long next = current + nanos;
            if (next < current) {
                // A wrapped sum would move time backwards; refuse rather than break monotonicity.
                throw new IllegalArgumentException("advance(" + nanos + ") from " + current + " would overflow virtual"
                        + " time; the clock can advance by at most " + (Long.MAX_VALUE - current));
            }
            if (now.compareAndSet(current, next)) {
                return next;
            }
        }
    }

    /** Moves time forward to {@code nanos}, or does nothing if the clock is already past it. */
    public long advanceTo(long nanos) {
        return now.accumulateAndGet(nanos, Math::max);
    }
}
