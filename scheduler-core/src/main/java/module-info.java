/**
 * The Baton engine: lock-free ingress, admission control, request queues and policies, the step scheduler, the engine
 * loop and metrics.
 */
module dev.baton.scheduler {
    requires transitive dev.baton.api;
    requires transitive dev.baton.kvpaging;
    requires transitive dev.baton.accelerator;
    requires org.jctools.core.jdk11;
    requires org.agrona;
    requires HdrHistogram;

    exports dev.baton.scheduler;
    exports dev.baton.scheduler.compose;
    exports dev.baton.scheduler.core;
    exports dev.baton.scheduler.queue;
    exports dev.baton.scheduler.preemption;
    exports dev.baton.scheduler.admission;
    exports dev.baton.scheduler.engine;
    exports dev.baton.scheduler.metrics;
    exports dev.baton.scheduler.spec;
}
