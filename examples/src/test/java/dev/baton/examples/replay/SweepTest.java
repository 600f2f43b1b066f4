package dev.baton.examples.replay;

import dev.baton.examples.workload.WorkloadOptions;
import dev.baton.examples.workload.Workloads;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Capacity by bisection over the rate scale. */
class SweepTest {

    @Test
    @DisplayName("capacity is the rate of the highest passing probe; a probe just above it fails")
    void bisection() {
        ReplayConfig c = ReplayTest.config("");
        Sweep.Capacity cap = Sweep.find(ReplayPolicies.named("vllm"),
                s -> Workloads.builtIn("azure-conv", new WorkloadOptions(s, 60_000_000_000L, 0, 3, null)), c, 0.9,
                0.25, Progress.NONE);
        assertThat(cap.capacityRps()).isPositive();
        assertThat(cap.atCapacity().sloAttainment()).isGreaterThanOrEqualTo(0.9);
        assertThat(cap.atCapacity().result().stopReason()).isNull();
        double failedAbove = cap.points().stream().filter(p -> !p.passed()).mapToDouble(Sweep.Point::rateScale)
                .min().orElseThrow();
        assertThat(failedAbove).isGreaterThan(cap.rateScale()).isLessThanOrEqualTo(cap.rateScale() * 1.25 + 1e-9);
        assertThat(cap.points()).allSatisfy(p -> assertThat(p.passed())
                .isEqualTo(p.rateScale() <= cap.rateScale()));
    }
}
