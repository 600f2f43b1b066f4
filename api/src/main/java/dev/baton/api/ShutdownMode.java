package dev.baton.api;

/** How an engine stops. */
public enum ShutdownMode {
    /** Refuse new requests, finish every accepted request, then stop. */
    DRAIN,
    /** Refuse new requests and end every accepted request now with {@link FinishReason#SHUTDOWN}. */
    ABORT
}
