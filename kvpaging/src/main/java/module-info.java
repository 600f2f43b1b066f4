/**
 * Paged KV-cache bookkeeping: block pool, prefix cache, per-sequence block tables, copy-on-write forks, host-tier
 * offload and cache events. Pure bookkeeping; never touches device memory.
 *
 * <p>{@code dev.baton.kv} is what a scheduler uses ({@link dev.baton.kv.KvCacheManager#create}); the pool and the
 * prefix index are exported for benchmarks, cache simulators and routers that compute the same block hashes.
 */
module dev.baton.kvpaging {
    requires transitive dev.baton.api;
    requires org.agrona;

    exports dev.baton.kv;
    exports dev.baton.kv.pool;
    exports dev.baton.kv.prefix;
}
