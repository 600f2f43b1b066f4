package dev.baton.scheduler.admission;

import java.time.Duration;

/**
 * Triton's queue-timeout rule ({@code ModelQueuePolicy}, RTR-4): the engine has a default timeout, and a request may
 * name its own, which applies only when it is <em>shorter</em> -- a caller can give up sooner, never hold a place in
 * the queue longer than the operator allows.
 *
 * <p>One deliberate difference: Triton ignores overrides when the default is 0 ("no timeout"); Baton lets a request
 * shorten "forever" to its own timeout, since that, too, only shortens its wait.
 *
 * <p>What happens at the timeout is the queue's choice: see
 * {@link dev.baton.scheduler.queue.RequestQueue#delayExpired} (DELAY) and the engine's QUEUE_TIMEOUT end (REJECT).
 */
public final class QueueTimeouts {

    private QueueTimeouts() {
    }

    /**
     * The timeout that applies to a request.
     *
     * @param engineDefault the engine's default ({@code null}: none)
     * @param requested     the request's own ({@code null}: none)
     * @return the shorter of the two, {@code null} when neither is set
     */
    public static Duration effective(Duration engineDefault, Duration requested) {
        if (requested != null && (engineDefault == null || requested.compareTo(engineDefault) < 0)) {
            return requested;
        }
        return engineDefault;
    }

    /** The absolute queue deadline of a request arriving at {@code nowNanos}, or {@link Long#MAX_VALUE} for none. */
    public static long deadline(Duration engineDefault, Duration requested, long nowNanos) {
        Duration d = effective(engineDefault, requested);
        return d == null ? Long.MAX_VALUE : nowNanos + d.toNanos();
    }
}
