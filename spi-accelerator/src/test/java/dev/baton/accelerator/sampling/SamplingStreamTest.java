package dev.baton.accelerator.sampling;

import dev.baton.accelerator.sampling.SamplingStream.Purpose;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SamplingStreamTest {

    /**
     * Known answers pin the stream's definition, so that a kernel implementing it elsewhere (the CUDA binding) can be
     * checked draw for draw.
     */
    @Test
    @DisplayName("known answers of the stream definition")
    void knownAnswers() {
        assertThat(SamplingStream.mix64(0)).isEqualTo(0L);
        assertThat(SamplingStream.mix64(1)).isEqualTo(0x5692161D100B05E5L);
        assertThat(SamplingStream.key(0, 0, Purpose.SAMPLE)).isEqualTo(KEY_0_0_SAMPLE);
        assertThat(SamplingStream.uniform(0, 0, Purpose.SAMPLE, 0)).isEqualTo(U_0_0_SAMPLE_0);
        assertThat(SamplingStream.uniform(42, 7, Purpose.ACCEPT, 0)).isEqualTo(U_42_7_ACCEPT_0);
        assertThat(SamplingStream.uniform(-1, 1000, Purpose.RECOVER, 511)).isEqualTo(U_M1_1000_RECOVER_511);
    }

    @Test
    @DisplayName("uniforms lie in [0, 1) and purposes never share draws")
    void rangeAndPurposes() {
        for (int pos = 0; pos < 1000; pos++) {
            double a = SamplingStream.uniform(9, pos, Purpose.SAMPLE, 0);
            double b = SamplingStream.uniform(9, pos, Purpose.ACCEPT, 0);
            double c = SamplingStream.uniform(9, pos, Purpose.RECOVER, 0);
            assertThat(a).isGreaterThanOrEqualTo(0).isLessThan(1);
            assertThat(a).isNotEqualTo(b);
            assertThat(b).isNotEqualTo(c);
        }
    }

    @Test
    @DisplayName("the exponential race never picks a zero-weight token and returns -1 when all weights are zero")
    void raceSupport() {
        float[] w = {0, 0.5f, 0, 0.5f};
        for (long key = 0; key < 500; key++) {
            int t = SamplingStream.race(w, 0, 4, key);
            assertThat(t).isIn(1, 3);
        }
        assertThat(SamplingStream.race(new float[3], 0, 3, 1)).isEqualTo(-1);
    }

    // Computed from the definition in SamplingStream's Javadoc by an independent implementation (Python integers).
    static final long KEY_0_0_SAMPLE = 3454618561189201622L;
    static final double U_0_0_SAMPLE_0 = 0.05008197282971483;
    static final double U_42_7_ACCEPT_0 = 0.8892861474905124;
    static final double U_M1_1000_RECOVER_511 = 0.9205067226274348;
}
