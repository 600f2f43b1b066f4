/**
 * The Baton engine: lock-free ingress, admission control, request queues and policies (named in
 * {@code dev.baton.scheduler.policy.SchedulingPolicies}), the step scheduler, the result cache, the engine loop and
 * metrics.
 */
module dev.baton.scheduler {
    requires transitive dev.baton.api;
    requires transitive dev.baton.kvpaging;
    requires transitive dev.baton.accelerator;
    requires org.jctools.core.jdk11;
    requires org.agrona;
    requires HdrHistogram;
    requires com.github.benmanes.caffeine;

    exports dev.baton.scheduler;
    exports dev.baton.scheduler.compose;
    exports dev.baton.scheduler.core;
    exports dev.baton.scheduler.queue;
    exports dev.baton.scheduler.preemption;
    exports dev.baton.scheduler.admission;
    exports dev.baton.scheduler.engine;
    exports dev.baton.scheduler.metrics;
    exports dev.baton.scheduler.spec;
    exports dev.baton.scheduler.policy;
    exports dev.baton.scheduler.cache;
}
