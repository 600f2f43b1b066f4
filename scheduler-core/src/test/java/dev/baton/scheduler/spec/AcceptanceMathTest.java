package dev.baton.scheduler.spec;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.offset;

/** Closed forms of speculative decoding (anchors §2.7). */
class AcceptanceMathTest {

    @Test
    @DisplayName("SPEC-44: E[L] for (alpha 0.8, gamma 3) = 2.952, (0.7, 4) = 2.7731, (1, 3) = 4")
    void spec44() {
        assertThat(AcceptanceMath.expectedLength(0.8, 3)).isCloseTo(2.952, offset(1e-9));
        assertThat(AcceptanceMath.expectedLength(0.7, 4)).isCloseTo(2.7731, offset(1e-9));
        assertThat(AcceptanceMath.expectedLength(1.0, 3)).isEqualTo(4.0);
        // The per-position form agrees with the closed form for i.i.d. acceptance.
        assertThat(AcceptanceMath.expectedLength(new double[] {0.8, 0.64, 0.512}, 3)).isCloseTo(2.952, offset(1e-9));
        // And the live estimate, fed i.i.d. outcomes, converges to it.
        AcceptanceEstimate est = new AcceptanceEstimate(3, 0.5, 0.1);
        for (int step = 0; step < 200; step++) {
            // 1000 drafts of 3 at alpha 0.8, in exact proportions: 200 stop at 0, 160 at 1, 128 at 2, 512 all.
            for (int[] outcome : new int[][] {{0, 200}, {1, 160}, {2, 128}, {3, 512}}) {
                for (int r = 0; r < outcome[1]; r++) {
                    est.observe(3, outcome[0]);
                }
            }
            est.endStep();
        }
        assertThat(est.expectedLength(3)).isCloseTo(2.952, offset(1e-6));
        assertThat(est.conditional(5)).as("unobserved positions extrapolate the deepest one").isCloseTo(0.8,
                offset(1e-6));
        assertThatIllegalArgumentException().isThrownBy(() -> AcceptanceMath.expectedLength(1.2, 3));
    }

    @Test
    @DisplayName("SPEC-45: speedup for alpha 0.8, gamma 3, c 0.05 = 2.5670")
    void spec45() {
        assertThat(AcceptanceMath.speedup(0.8, 3, 0.05)).isCloseTo(2.5670, offset(5e-5));
        assertThat(AcceptanceMath.speedup(0.8, 0, 0.05)).isEqualTo(1.0);
    }

    @Test
    @DisplayName("SPEC-46: beta for p (0.5, 0.5), q (0.9, 0.1) = 0.6; the residual after rejecting x = 0 is (0, 1)")
    void spec46() {
        double[] p = {0.5, 0.5};
        double[] q = {0.9, 0.1};
        assertThat(AcceptanceMath.acceptanceProbability(p, q)).isCloseTo(0.6, offset(1e-12));
        assertThat(AcceptanceMath.residual(p, q)).containsExactly(new double[] {0, 1}, offset(1e-12));
        // The output distribution is p: P(0) = q(0) min(1, p0/q0) = 0.5.
        assertThat(q[0] * Math.min(1, p[0] / q[0])).isCloseTo(0.5, offset(1e-12));
    }
}
