package dev.baton.api;

import dev.baton.api.admission.Admission;
import dev.baton.api.request.InferenceRequest;

import java.util.concurrent.CompletableFuture;

/**
 * A serving engine: accepts requests from any number of threads and generates their tokens on one accelerator.
 *
 * <p>{@link #submit} runs validation and admission on the caller's thread without taking a lock and answers at once:
 * either the request is accepted and owned by the engine until it ends, or it is refused with a typed reason and
 * nothing of it was enqueued.
 */
public interface Engine extends AutoCloseable {

    /**
     * Offers a request to the engine.
     *
     * @return {@link Admission.Accepted} with the request's handle, or {@link Admission.Rejected} with the reason
     * @throws NullPointerException if {@code request} is null
     */
    Admission submit(InferenceRequest request);

    /**
     * Cancels the in-flight request with this id.
     *
     * @return {@code true} if this call cancelled it; {@code false} if no such request is in flight
     */
    boolean cancel(String requestId);

    /** The engine's current load. */
    EngineSnapshot snapshot();

    /** The clock all of this engine's timings are measured on. */
    Clock clock();

    /**
     * Starts stopping the engine. New submissions are refused with {@code SHUTTING_DOWN} from the moment this is
     * called. The future completes when the engine thread has stopped and every request has ended.
     */
    CompletableFuture<Void> shutdown(ShutdownMode mode);

    /** Shuts down with {@link ShutdownMode#ABORT} and waits for the engine to stop. */
    @Override
    void close();
}
