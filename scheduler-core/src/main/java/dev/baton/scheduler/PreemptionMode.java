package dev.baton.scheduler;

/** What happens to a running request's KV when the scheduler must take its blocks. */
public enum PreemptionMode {
    /** Free the blocks; the request recomputes its tokens when it resumes (vLLM v1's only mode). */
    RECOMPUTE,
    /** Copy the blocks to the host tier and back on resume; falls back to recompute when the host tier is full. */
    SWAP
}
