/**
 * Paged KV-cache bookkeeping: block pool, prefix cache, per-sequence block tables, copy-on-write forks, host-tier
 * offload and cache events. Pure bookkeeping; never touches device memory.
 */
module dev.baton.kvpaging {
    requires transitive dev.baton.api;
    requires org.agrona;

    exports dev.baton.kv;
}
