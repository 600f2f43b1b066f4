package dev.baton.examples.replay;

import dev.baton.api.request.SloTargets;

import java.time.Duration;
import java.util.Objects;

/**
 * How to replay a workload.
 *
 * @param device     device spec, e.g. {@code sim:h100/llama-3.1-8b} or {@code cpu}
 * @param knobs      engine knobs ({@code --engine})
 * @param slo        latency targets every request carries and is judged by
 * @param timeout    end-to-end deadline of each request (a request past it ends with DEADLINE_EXCEEDED), or null
 * @param drainNanos how long after the arrival window the run may continue to finish what is left; requests still
 *                   unfinished then count as misses. 0: as long as the arrival window
 * @param maxMisses  stop as soon as more requests than this have missed their targets (a capacity search knows the
 *                   rate failed); {@link Long#MAX_VALUE} never stops early
 */
public record ReplayConfig(String device, EngineKnobs knobs, SloTargets slo, Duration timeout, long drainNanos,
                           long maxMisses) {
    public ReplayConfig {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(knobs, "knobs");
        Objects.requireNonNull(slo, "slo");
        if (drainNanos < 0) {
            throw new IllegalArgumentException("--drain must not be negative");
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("--timeout must be positive, got " + timeout);
        }
    }

    /** The default device: the simulated H100 running Llama-3.1-8B. */
    public static final String DEFAULT_DEVICE = "sim:h100/llama-3.1-8b";

    /** DistServe's and the default targets: TTFT 2 s, TPOT 100 ms. */
    public static final SloTargets DEFAULT_SLO = SloTargets.of(Duration.ofSeconds(2), Duration.ofMillis(100));

    public ReplayConfig withMaxMisses(long m) {
        return new ReplayConfig(device, knobs, slo, timeout, drainNanos, m);
    }
}
