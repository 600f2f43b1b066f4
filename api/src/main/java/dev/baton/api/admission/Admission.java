package dev.baton.api.admission;

import dev.baton.api.Submission;

import java.util.Objects;

/**
 * The outcome of {@code Engine.submit}: the request was either accepted, and is now owned by the engine until it
 * finishes, or rejected, and nothing of it was enqueued.
 */
public sealed interface Admission permits Admission.Accepted, Admission.Rejected {

    /** Whether the request was accepted. */
    default boolean isAccepted() {
        return this instanceof Accepted;
    }

    /**
     * The submission handle of an accepted request.
     *
     * @throws RequestRejectedException if the request was rejected (carrying the typed rejection)
     */
    Submission orThrow();

    /** The request was accepted; the handle delivers its tokens and its completion. */
    record Accepted(Submission submission) implements Admission {
        public Accepted {
            Objects.requireNonNull(submission, "submission");
        }

        @Override
        public Submission orThrow() {
            return submission;
        }
    }

    /** The request was refused; nothing was enqueued. */
    record Rejected(Rejection rejection) implements Admission {
        public Rejected {
            Objects.requireNonNull(rejection, "rejection");
        }

        public RejectionReason reason() {
            return rejection.reason();
        }

        @Override
        public Submission orThrow() {
            throw new RequestRejectedException(rejection);
        }
    }
}
