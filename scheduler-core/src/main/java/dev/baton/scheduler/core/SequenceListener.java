package dev.baton.scheduler.core;

/**
 * Receives a request's output as the scheduler produces it. Called on the engine thread, so implementations must only
 * record and hand off (publish to another thread); they must never run user code or block.
 */
public interface SequenceListener {

    /** The request was scheduled for the first time. */
    default void requestStarted(Request request, long nowNanos) {
    }

    /** {@code count} tokens were appended to {@code seq}'s output, starting at output index {@code from}. */
    void tokensAppended(Sequence seq, int from, int count, long nowNanos);

    /** {@code seq} finished; its blocks are already released. */
    void sequenceFinished(Sequence seq, long nowNanos);

    /** A listener that ignores everything. */
    SequenceListener NONE = new SequenceListener() {
        @Override
        public void tokensAppended(Sequence seq, int from, int count, long nowNanos) {
        }

        @Override
        public void sequenceFinished(Sequence seq, long nowNanos) {
        }
    };
}
