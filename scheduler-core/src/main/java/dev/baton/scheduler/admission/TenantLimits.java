package dev.baton.scheduler.admission;

/**
 * One tenant's quotas. A rate of 0 and a concurrency of 0 mean "unlimited".
 *
 * @param requestsPerSecond sustained request rate
 * @param requestBurst      requests that may arrive at once after an idle period (at least 1 when rate-limited)
 * @param tokensPerSecond   sustained token rate; a request costs its prompt plus {@code maxTokens} for every sample
 *                          (the most it can use, as gateways count a tokens-per-minute quota before generation)
 * @param tokenBurst        tokens that may arrive at once; a request costing more can never pass
 * @param maxConcurrent     requests admitted and not yet ended
 */
public record TenantLimits(double requestsPerSecond, int requestBurst, double tokensPerSecond, long tokenBurst,
                           int maxConcurrent) {

    /** No limit at all. */
    public static final TenantLimits UNLIMITED = new TenantLimits(0, 0, 0, 0, 0);

    public TenantLimits {
        if (!(requestsPerSecond >= 0) || Double.isInfinite(requestsPerSecond)) {
            throw new IllegalArgumentException("requestsPerSecond must be a finite rate >= 0 (0: unlimited), got "
                    + requestsPerSecond);
        }
        if (!(tokensPerSecond >= 0) || Double.isInfinite(tokensPerSecond)) {
            throw new IllegalArgumentException("tokensPerSecond must be a finite rate >= 0 (0: unlimited), got "
                    + tokensPerSecond);
        }
        if (requestsPerSecond > 0 && requestBurst < 1) {
            throw new IllegalArgumentException("a request rate needs a burst of at least 1 request, got "
                    + requestBurst);
        }
        if (tokensPerSecond > 0 && tokenBurst < 1) {
            throw new IllegalArgumentException("a token rate needs a burst of at least 1 token, got " + tokenBurst);
        }
        if (maxConcurrent < 0) {
            throw new IllegalArgumentException("maxConcurrent must be >= 0 (0: unlimited), got " + maxConcurrent);
        }
    }

    /** Only a request rate. */
    public static TenantLimits requestRate(double perSecond, int burst) {
        return new TenantLimits(perSecond, burst, 0, 0, 0);
    }

    /** Only a token rate. */
    public static TenantLimits tokenRate(double perSecond, long burst) {
        return new TenantLimits(0, 0, perSecond, burst, 0);
    }

    /** Only a concurrency bound. */
    public static TenantLimits concurrency(int maxConcurrent) {
        return new TenantLimits(0, 0, 0, 0, maxConcurrent);
    }

    public TenantLimits withRequestRate(double perSecond, int burst) {
        return new TenantLimits(perSecond, burst, tokensPerSecond, tokenBurst, maxConcurrent);
    }

    public TenantLimits withTokenRate(double perSecond, long burst) {
        return new TenantLimits(requestsPerSecond, requestBurst, perSecond, burst, maxConcurrent);
    }

    public TenantLimits withMaxConcurrent(int max) {
        return new TenantLimits(requestsPerSecond, requestBurst, tokensPerSecond, tokenBurst, max);
    }
}
