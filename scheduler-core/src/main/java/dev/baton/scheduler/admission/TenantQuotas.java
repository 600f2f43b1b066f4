package dev.baton.scheduler.admission;

import dev.baton.api.admission.Rejection;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per-tenant quotas at the door: a request rate and a token rate (token buckets), and a bound on requests in flight.
 * Over a rate, the request is refused with {@code TENANT_RATE_LIMITED} (429) and a {@code retryAfter} saying when it
 * would pass; over the concurrency bound, with {@code TENANT_QUOTA} (429).
 *
 * <h2>Token buckets as one atomic word</h2>
 * Each bucket is the Generic Cell Rate Algorithm (GCRA, ITU-T I.371; the "virtual scheduling" form of a token bucket):
 * it keeps only the theoretical arrival time {@code tat} of the next conforming unit. A request of cost {@code c} at
 * time {@code now} conforms when {@code max(tat, now) + c*T - now <= burst*T} (with {@code T = 1/rate}), and then
 * moves {@code tat} there. That is a single compare-and-set on one {@link AtomicLong}: lock-free, no refill thread,
 * exact {@code retryAfter = max(tat, now) + c*T - now - burst*T}. A refund (a later policy in the chain refused, or the
 * request could not be enqueued) moves {@code tat} back by {@code c*T}.
 *
 * <h2>Concurrency</h2>
 * The in-flight count is an {@link AtomicInteger} reserved by CAS at admission and released exactly once, when the
 * request ends (or by {@link #release}). Tenant states live in a {@link ConcurrentHashMap}: a known tenant costs one
 * lock-free {@code get}; the first request of a new tenant creates its state. States are kept for the engine's
 * lifetime (one small object per tenant seen).
 *
 * <p>Time is the engine clock ({@link AdmissionContext#clock()}), so quotas run in virtual time in simulations.
 */
public final class TenantQuotas implements AdmissionPolicy {
    private final TenantLimits defaults;
    private final Map<String, TenantLimits> overrides;
    private final ConcurrentHashMap<String, TenantState> tenants = new ConcurrentHashMap<>();

    private TenantQuotas(TenantLimits defaults, Map<String, TenantLimits> overrides) {
        this.defaults = defaults;
        this.overrides = Map.copyOf(overrides);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The same limits for every tenant. */
    public static TenantQuotas of(TenantLimits limits) {
        return builder().defaults(limits).build();
    }

    /** The limits that apply to {@code tenant}. */
    public TenantLimits limits(String tenant) {
        return overrides.getOrDefault(tenant, defaults);
    }

    /** Requests of {@code tenant} admitted and not yet ended. */
    public int inFlight(String tenant) {
        TenantState s = tenants.get(tenant);
        return s == null ? 0 : s.inFlight.get();
    }

    @Override
    public Rejection admit(InferenceRequest r, AdmissionContext ctx) {
        TenantState s = state(r.tenant());
        TenantLimits l = s.limits;
        long now = ctx.clock().nanoTime();
        long cost = tokenCost(r);
        if (s.tokens != null && cost > l.tokenBurst()) {
            return Rejection.of(RejectionReason.TENANT_RATE_LIMITED, "this request may use " + cost
                    + " tokens (prompt plus maxTokens per sample), more than tenant '" + r.tenant()
                    + "' may send at once (token burst " + l.tokenBurst() + "); lower maxTokens or split the prompt");
        }
        if (s.requests != null) {
            long wait = s.requests.tryTake(1, now);
            if (wait > 0) {
                return new Rejection(RejectionReason.TENANT_RATE_LIMITED, "tenant '" + r.tenant()
                        + "' is over its request rate (" + l.requestsPerSecond() + "/s, burst " + l.requestBurst()
                        + "); retry after " + millis(wait) + " or raise its quota", retryAfter(wait));
            }
        }
        if (s.tokens != null) {
            long wait = s.tokens.tryTake(cost, now);
            if (wait > 0) {
                refundRequest(s);
                return new Rejection(RejectionReason.TENANT_RATE_LIMITED, "tenant '" + r.tenant()
                        + "' is over its token rate (" + l.tokensPerSecond() + " tokens/s, burst " + l.tokenBurst()
                        + "; this request may use " + cost + "); retry after " + millis(wait)
                        + " or raise its quota", retryAfter(wait));
            }
        }
        if (l.maxConcurrent() > 0) {
            int n;
            do {
                n = s.inFlight.get();
                if (n >= l.maxConcurrent()) {
                    refundRequest(s);
                    refundTokens(s, cost);
                    return Rejection.of(RejectionReason.TENANT_QUOTA, "tenant '" + r.tenant() + "' has " + n
                            + " requests in flight, its quota (" + l.maxConcurrent()
                            + "); wait for one to finish or raise its quota");
                }
            } while (!s.inFlight.compareAndSet(n, n + 1));
        }
        return null;
    }

    @Override
    public void release(InferenceRequest r, AdmissionContext ctx) {
        TenantState s = state(r.tenant());
        refundRequest(s);
        refundTokens(s, tokenCost(r));
        endOne(s);
    }

    @Override
    public void onEnded(InferenceRequest r, boolean started, AdmissionContext ctx) {
        endOne(state(r.tenant()));
    }

    private static void endOne(TenantState s) {
        if (s.limits.maxConcurrent() > 0) {
            s.inFlight.decrementAndGet();
        }
    }

    private static void refundRequest(TenantState s) {
        if (s.requests != null) {
            s.requests.refund(1);
        }
    }

    private static void refundTokens(TenantState s, long cost) {
        if (s.tokens != null) {
            s.tokens.refund(cost);
        }
    }

    private TenantState state(String tenant) {
        TenantState s = tenants.get(tenant);
        return s != null ? s : tenants.computeIfAbsent(tenant, t -> new TenantState(limits(t)));
    }

    static long tokenCost(InferenceRequest r) {
        return r.promptLength() + (long) r.sampling().maxTokens() * r.parallelSamples();
    }

    private static Duration retryAfter(long nanos) {
        return Duration.ofMillis(Math.max(1, (nanos + 999_999) / 1_000_000));
    }

    private static String millis(long nanos) {
        return retryAfter(nanos).toMillis() + " ms";
    }

    private static final class TenantState {
        final TenantLimits limits;
        final Gcra requests;
        final Gcra tokens;
        final AtomicInteger inFlight = new AtomicInteger();

        TenantState(TenantLimits limits) {
            this.limits = limits;
            this.requests = limits.requestsPerSecond() > 0
                    ? new Gcra(limits.requestsPerSecond(), limits.requestBurst()) : null;
            this.tokens = limits.tokensPerSecond() > 0 ? new Gcra(limits.tokensPerSecond(), limits.tokenBurst()) : null;
        }
    }

    /** One token bucket as a single atomic theoretical-arrival time (see the class comment). */
    static final class Gcra {
        private final double nanosPerUnit;
        private final long toleranceNanos;
        // Far in the past (not Long.MIN_VALUE: max(tat, now) + c*T must not overflow), so a fresh bucket is full.
        private final AtomicLong tat = new AtomicLong(Long.MIN_VALUE / 4);

        Gcra(double unitsPerSecond, long burst) {
            this.nanosPerUnit = 1e9 / unitsPerSecond;
            this.toleranceNanos = (long) Math.min(Long.MAX_VALUE / 4.0, burst * nanosPerUnit);
        }

        /** Takes {@code cost} units at {@code now}: 0 if they conform (and are taken), else the nanos to wait. */
        long tryTake(long cost, long now) {
            long inc = increment(cost);
            while (true) {
                long t = tat.get();
                long next = Math.max(t, now) + inc;
                long wait = next - now - toleranceNanos;
                if (wait > 0) {
                    return wait;
                }
                if (tat.compareAndSet(t, next)) {
                    return 0;
                }
            }
        }

        void refund(long cost) {
            tat.addAndGet(-increment(cost));
        }

        private long increment(long cost) {
            return (long) Math.ceil(cost * nanosPerUnit);
        }
    }

    /** Builds quotas: defaults for every tenant, and overrides by name. */
    public static final class Builder {
        private TenantLimits defaults = TenantLimits.UNLIMITED;
        private final Map<String, TenantLimits> overrides = new HashMap<>();

        private Builder() {
        }

        public Builder defaults(TenantLimits limits) {
            this.defaults = Objects.requireNonNull(limits, "limits");
            return this;
        }

        public Builder tenant(String tenant, TenantLimits limits) {
            overrides.put(Objects.requireNonNull(tenant, "tenant"), Objects.requireNonNull(limits, "limits"));
            return this;
        }

        public TenantQuotas build() {
            return new TenantQuotas(defaults, overrides);
        }
    }
}
