package dev.baton.examples.replay;

import dev.baton.examples.workload.Tenant;

import java.util.List;
import java.util.Map;

/**
 * Everything one replay of one policy produced: per-request outcomes, the engine's counters, and time series for
 * charts.
 *
 * @param policy            policy name
 * @param workload          workload name
 * @param device            device and model, in words
 * @param knobs             the engine knobs in effect, by vLLM name
 * @param pricePerGpuHour   US dollars per GPU-hour
 * @param tensorParallel    GPUs per replica
 * @param tenants           tenant names in report order ({@link Outcomes} index into this)
 * @param outcomes          per-request outcomes
 * @param offeredRate       requests per second the workload offered over its arrival window
 * @param spanNanos         the workload's arrival window
 * @param elapsedNanos      virtual time from the start to the end of the run
 * @param stopReason        why the run stopped early, or null if it ran to the end
 * @param kvUsageMean       time-weighted mean fraction of KV blocks in use
 * @param kvUsagePeak       highest fraction of KV blocks in use after a step
 * @param prefixHitRate     fraction of looked-up prompt tokens served by the prefix cache
 * @param preemptions       preemptions over the run
 * @param steps             engine steps
 * @param schedCpuP50Nanos  median real CPU time the scheduler spent planning and applying one step, on this machine
 * @param schedCpuP99Nanos  99th percentile of the same
 * @param wallNanos         real time the replay took
 * @param series            sampled time series
 */
public record ReplayResult(String policy, String workload, String device, Map<String, Object> knobs,
                           double pricePerGpuHour, int tensorParallel, List<String> tenants, Outcomes outcomes,
                           double offeredRate, long spanNanos, long elapsedNanos, String stopReason,
                           double kvUsageMean, double kvUsagePeak, double prefixHitRate, long preemptions, long steps,
                           long schedCpuP50Nanos, long schedCpuP99Nanos, long wallNanos, Series series) {

    /**
     * Engine state sampled at even intervals of virtual time.
     *
     * @param seconds  sample times
     * @param kvUsage  fraction of KV blocks in use
     * @param waiting  requests waiting (including preempted ones)
     * @param running  requests in the running batch
     */
    public record Series(double[] seconds, double[] kvUsage, int[] waiting, int[] running) {
    }

    /** Tenant {@code i}'s weight-free name list helper. */
    public static List<String> names(List<Tenant> tenants) {
        return tenants.stream().map(Tenant::name).toList();
    }
}
