package dev.baton.scheduler.admission;

import dev.baton.api.admission.Rejection;
import dev.baton.api.request.InferenceRequest;

/**
 * Decides, on the submitting caller's thread, whether a request may enter the engine. Runs before anything is
 * enqueued: a refusal leaves no trace.
 *
 * <p>Implementations must be thread-safe, lock-free and non-blocking (they run on callers' threads, possibly many at
 * once, possibly virtual threads). A policy that reserves capacity in {@link #admit} must undo it in
 * {@link #release} (called when an admitted request could not be enqueued after all) and in {@link #onStarted} /
 * {@link #onEnded} as its accounting requires.
 */
public interface AdmissionPolicy {

    /**
     * @return {@code null} to admit, or the typed reason to refuse with a message that says what to change
     */
    Rejection admit(InferenceRequest request, AdmissionContext ctx);

    /**
     * The request was admitted but could not be enqueued (ingress full, engine stopping, or a later policy of an
     * {@link AdmissionChain} refused it): undo {@link #admit}. A policy that reserves nothing need not override this.
     */
    default void release(InferenceRequest request, AdmissionContext ctx) {
    }

    /** Engine thread: the request was scheduled for the first time. */
    default void onStarted(InferenceRequest request, AdmissionContext ctx) {
    }

    /** Engine thread: the request ended ({@code started} tells whether it was ever scheduled). */
    default void onEnded(InferenceRequest request, boolean started, AdmissionContext ctx) {
    }
}
