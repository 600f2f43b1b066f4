package dev.baton.api;

/**
 * A point-in-time view of an engine's load, cheap to read from any thread (the values are published by the engine
 * thread once per step and may be one step old). These are the figures a router needs ({@code vllm:num_requests_*},
 * {@code vllm:kv_cache_usage_perc}).
 *
 * @param waiting           requests waiting to be scheduled (including preempted ones)
 * @param running           requests in the running batch
 * @param kvUsage           fraction of device KV blocks in use, 0..1
 * @param queuedPrefillTokens prompt tokens of waiting requests not yet computed
 * @param steps             steps executed so far
 */
public record EngineSnapshot(int waiting, int running, double kvUsage, long queuedPrefillTokens, long steps) {
}
