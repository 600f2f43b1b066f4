package dev.baton.api.request;

import java.time.Duration;

import static dev.baton.api.request.InvalidRequestException.check;

/**
 * Latency targets of one request, with vLLM's interval definitions: time to first token (TTFT) runs from arrival to
 * the first generated token; time per output token (TPOT) is the mean gap between generated tokens after the first,
 * {@code (e2e - ttft) / (outputTokens - 1)}. A request meets its SLO when both hold. Either target may be absent
 * ({@code null}), which means "no target".
 *
 * <p>Schedulers that know about SLOs (the {@code slo} composer, deadline-feasibility admission) read these; the
 * baseline scheduler ignores them except for reporting attainment.
 *
 * @param ttft target time to first token, or {@code null}
 * @param tpot target mean time per output token, or {@code null}
 */
public record SloTargets(Duration ttft, Duration tpot) {

    /** No latency targets. */
    public static final SloTargets NONE = new SloTargets(null, null);

    public SloTargets {
        check(ttft == null || (!ttft.isNegative() && !ttft.isZero()), "slo.ttft",
                "must be positive when given, got " + ttft);
        check(tpot == null || (!tpot.isNegative() && !tpot.isZero()), "slo.tpot",
                "must be positive when given, got " + tpot);
    }

    public static SloTargets of(Duration ttft, Duration tpot) {
        return new SloTargets(ttft, tpot);
    }

    /** TTFT target in nanoseconds, or {@link Long#MAX_VALUE} when absent. */
    public long ttftNanos() {
        return ttft == null ? Long.MAX_VALUE : ttft.toNanos();
    }

    /** TPOT target in nanoseconds, or {@link Long#MAX_VALUE} when absent. */
    public long tpotNanos() {
        return tpot == null ? Long.MAX_VALUE : tpot.toNanos();
    }

    public boolean hasTargets() {
        return ttft != null || tpot != null;
    }

    /**
     * Whether a finished request with these measured latencies met both targets.
     *
     * @param ttftNanos      measured time to first token
     * @param tpotNanos      measured mean time per output token (0 when only one token was generated)
     */
    public boolean met(long ttftNanos, long tpotNanos) {
        return ttftNanos <= ttftNanos() && tpotNanos <= tpotNanos();
    }
}
