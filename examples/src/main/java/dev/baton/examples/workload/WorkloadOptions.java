package dev.baton.examples.workload;

import java.util.List;

/**
 * How to shape a workload.
 *
 * @param rateScale     multiplies the request rate (time between arrivals divided by it)
 * @param durationNanos arrival window; 0 keeps the whole trace (generated workloads need a positive one)
 * @param maxRequests   most requests kept (0: no cap)
 * @param seed          seed of everything random
 * @param tenants       tenants to spread requests over (or, for {@code multi-tenant}, to give a stream each), or
 *                      {@code null} for the workload's own
 */
public record WorkloadOptions(double rateScale, long durationNanos, int maxRequests, long seed, List<Tenant> tenants) {
    public WorkloadOptions {
        if (!(rateScale > 0 && rateScale < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("--rate-scale must be a positive number, got " + rateScale);
        }
        if (durationNanos < 0) {
            throw new IllegalArgumentException("--duration must not be negative");
        }
        if (maxRequests < 0) {
            throw new IllegalArgumentException("--max-requests must not be negative, got " + maxRequests);
        }
        tenants = tenants == null ? null : List.copyOf(tenants);
    }

    public WorkloadOptions withRateScale(double scale) {
        return new WorkloadOptions(scale, durationNanos, maxRequests, seed, tenants);
    }

    public WorkloadOptions withTenants(List<Tenant> t) {
        return new WorkloadOptions(rateScale, durationNanos, maxRequests, seed, t);
    }
}
