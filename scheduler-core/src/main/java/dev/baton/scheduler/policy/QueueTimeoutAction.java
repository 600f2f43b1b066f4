package dev.baton.scheduler.policy;

/**
 * What happens to a request whose queue timeout passes before it is first scheduled (Triton's
 * {@code ModelQueuePolicy.timeout_action}, RTR-4).
 */
public enum QueueTimeoutAction {
    /** It ends at once with {@code QUEUE_TIMEOUT}: the caller hears "rejected" and can retry elsewhere. */
    REJECT,
    /** It stays, but is served only after every request of its priority level that has not expired. */
    DELAY
}
