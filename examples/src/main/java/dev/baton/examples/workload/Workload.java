package dev.baton.examples.workload;

import java.util.List;
import java.util.Objects;

/**
 * A replayable workload: requests in arrival order, and where they came from.
 *
 * @param name        workload or trace name, for reports
 * @param source      one line on where it comes from (with attribution where a public dataset is behind it)
 * @param requests    in non-decreasing arrival order
 * @param spanNanos   the arrival window (the requested duration, or the last arrival when the trace ends sooner)
 * @param tenants     the tenants that appear, in report order
 * @param skipped     input lines skipped as malformed (traces read from files), 0 for generated workloads
 */
public record Workload(String name, String source, List<TraceRequest> requests, long spanNanos, List<Tenant> tenants,
                       int skipped) {
    public Workload {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        requests = List.copyOf(requests);
        tenants = List.copyOf(tenants);
        for (int i = 1; i < requests.size(); i++) {
            if (requests.get(i).arrivalNanos() < requests.get(i - 1).arrivalNanos()) {
                throw new IllegalArgumentException("requests must be in arrival order (index " + i + ")");
            }
        }
    }

    /** Mean offered request rate over the arrival window, requests per second. */
    public double offeredRate() {
        return spanNanos <= 0 ? 0 : requests.size() / (spanNanos * 1e-9);
    }

    public long promptTokens() {
        long n = 0;
        for (TraceRequest r : requests) {
            n += r.promptTokens();
        }
        return n;
    }

    public long outputTokens() {
        long n = 0;
        for (TraceRequest r : requests) {
            n += r.outputTokens();
        }
        return n;
    }
}
