package dev.baton.scheduler.admission;

import dev.baton.api.VirtualClock;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/**
 * The engine's measured prefill throughput ({@link AdmissionContext#recordPrefill}): what a queued request's prompt
 * drains at, measured only over steps that left prompt work behind, decayed with a 2 s time constant, and published
 * after a second of such steps.
 */
class AdmissionContextTest {
    private static final long STEP = 10_000_000L; // 10 ms steps
    private static final long SECOND = 1_000_000_000L;

    private final VirtualClock clock = new VirtualClock(SECOND);
    private final AdmissionContext ctx = new AdmissionContext(clock, 4096, 32_000, 16, 1000, 100, 0, null);

    /** One engine step of {@code nanos} that computed {@code tokens} prompt tokens. */
    private void step(long nanos, int tokens, boolean saturated) {
        clock.advance(nanos);
        ctx.recordPrefill(clock.nanoTime(), tokens, saturated);
    }

    private void steps(int n, long nanos, int tokens, boolean saturated) {
        for (int i = 0; i < n; i++) {
            step(nanos, tokens, saturated);
        }
    }

    @Test
    @DisplayName("no rate is published before a second of saturated steps; then a steady stream reads N/T exactly")
    void publishedAfterOneSecondOfSaturatedSteps() {
        ctx.recordPrefill(clock.nanoTime(), 0, true); // the first step end is only the reference point
        for (int i = 1; i <= 99; i++) { // 0.99 s of saturated steps: not enough
            step(STEP, 500, true);
            assertThat(ctx.prefillTokensPerNano()).as("after %d steps of 10 ms", i).isZero();
        }
        steps(200, STEP, 500, true);
        assertThat(ctx.prefillTokensPerNano()).isCloseTo(500.0 / STEP, offset(1e-12));
    }

    @Test
    @DisplayName("unsaturated steps alone never publish a rate, however many tokens they compute")
    void unsaturatedStepsAloneMeasureNothing() {
        steps(1000, STEP, 2000, false); // 10 s of steps that held all the prompt work there was
        assertThat(ctx.prefillTokensPerNano()).isZero();
    }

    @Test
    @DisplayName("unsaturated steps do not change the measurement, neither their tokens nor their time")
    void unsaturatedStepsDoNotCount() {
        steps(300, STEP, 500, true);
        double steady = ctx.prefillTokensPerNano();
        assertThat(steady).isCloseTo(5e-5, offset(1e-12));
        steps(50, STEP, 2000, false); // much faster, but they had all the prompt work there was
        steps(50, STEP, 0, false); // decode-only steps
        assertThat(ctx.prefillTokensPerNano()).isEqualTo(steady);
        steps(10, STEP, 500, true); // back to saturated at the same rate: the unsaturated steps left no trace
        assertThat(ctx.prefillTokensPerNano()).isCloseTo(steady, offset(steady * 1e-9));
    }

    @Test
    @DisplayName("saturated steps that computed no prompt (the batch had no room) count at zero")
    void starvedStepsCountAtZero() {
        steps(300, STEP, 500, true);
        steps(100, STEP, 0, true); // 1 s with prompt work waiting and none computed
        // Of the 4 s of decayed busy time (tau = 2 s), the last second at zero holds (1 - e^-0.5) / (1 - e^-2).
        double zeroShare = (1 - Math.exp(-0.5)) / (1 - Math.exp(-2));
        double expected = 5e-5 * (1 - zeroShare);
        assertThat(ctx.prefillTokensPerNano()).isCloseTo(expected, offset(expected * 1e-3));
    }

    @Test
    @DisplayName("a change of throughput is followed with a 2 s time constant: 63% after 2 s, >99% after 10 s")
    void burstDecaysWithTimeConstant() {
        steps(1000, STEP, 200, true); // 10 s at 2e-5 tokens/ns
        double before = ctx.prefillTokensPerNano();
        assertThat(before).isCloseTo(2e-5, offset(1e-12));
        steps(200, STEP, 1000, true); // 2 s at 1e-4 tokens/ns
        double after2s = ctx.prefillTokensPerNano();
        // Weights: the new period holds (1 - e^-1) of the decayed busy time (the old one, 10 s, has e^-1 of its own).
        double newShare = (1 - Math.exp(-1)) / (1 - Math.exp(-6));
        double expected = newShare * 1e-4 + (1 - newShare) * 2e-5;
        assertThat(after2s).isCloseTo(expected, offset(expected * 0.01));
        assertThat((after2s - before) / (1e-4 - before)).as("fraction of the step change followed after tau")
                .isCloseTo(1 - Math.exp(-1), offset(0.01));
        steps(800, STEP, 1000, true); // 8 s more: 10 s = 5 tau
        assertThat(ctx.prefillTokensPerNano()).isCloseTo(1e-4, offset(1e-4 * 0.01));
    }

    @Test
    @DisplayName("an idle gap (no steps at all) before a burst is not counted as busy time")
    void idleGapIsNotBusyTime() {
        steps(300, STEP, 500, true);
        double steady = ctx.prefillTokensPerNano();
        step(STEP, 300, false); // the queue drains
        clock.advance(30 * SECOND); // the engine sits idle: no steps, no calls (once read as 30 s of stall)
        step(STEP, 500, true); // a burst arrives and the engine runs at the same throughput as before
        assertThat(ctx.prefillTokensPerNano()).as("the first step after idling")
                .isCloseTo(steady, offset(steady * 1e-6));
        steps(50, STEP, 500, true);
        assertThat(ctx.prefillTokensPerNano()).isCloseTo(steady, offset(steady * 1e-6));
    }
}
