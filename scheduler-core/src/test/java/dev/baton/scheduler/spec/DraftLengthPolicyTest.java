package dev.baton.scheduler.spec;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.offset;

/** Batch-size schedules (anchors §2.5), SGLang's EMA tiers (§2.8) and the acceptance kill switch. */
class DraftLengthPolicyTest {

    private static final int[][] SPEC26 = {{1, 16, 3}, {32, 128, 2}, {256, 2048, 0}};

    @Test
    @DisplayName("SPEC-26: schedule lookup with gaps inheriting the previous K")
    void spec26() {
        BatchSizeSchedule s = BatchSizeSchedule.ofRanges(SPEC26, 3, 256);
        int[][] expected = {{1, 3}, {16, 3}, {17, 3}, {31, 3}, {32, 2}, {128, 2}, {129, 2}, {255, 2}, {256, 0}};
        for (int[] e : expected) {
            assertThat(s.lookup(e[0])).as("batch %d", e[0]).isEqualTo(e[1]);
        }
        assertThat(s.lookup(0)).isZero();
        assertThatIllegalArgumentException().isThrownBy(() -> s.lookup(257));
    }

    @Test
    @DisplayName("SPEC-27: malformed schedules are refused")
    void spec27() {
        assertThatIllegalArgumentException().as("does not start at 1")
                .isThrownBy(() -> BatchSizeSchedule.ofRanges(new int[][] {{2, 16, 3}}, 3, 256));
        assertThatIllegalArgumentException().as("not a 3-tuple")
                .isThrownBy(() -> BatchSizeSchedule.ofRanges(new int[][] {{1, 16}}, 3, 256));
        assertThatIllegalArgumentException().as("overlap")
                .isThrownBy(() -> BatchSizeSchedule.ofRanges(new int[][] {{1, 16, 3}, {16, 32, 2}}, 3, 256));
        assertThatIllegalArgumentException().as("negative K")
                .isThrownBy(() -> BatchSizeSchedule.ofRanges(new int[][] {{1, 16, -1}}, 3, 256));
        assertThatIllegalArgumentException().as("empty")
                .isThrownBy(() -> BatchSizeSchedule.ofRanges(new int[0][], 3, 256));
        assertThatIllegalArgumentException().as("missing")
                .isThrownBy(() -> BatchSizeSchedule.ofRanges(null, 3, 256));
    }

    @Test
    @DisplayName("SPEC-28: a scheduled K above the runtime K is clamped to it")
    void spec28() {
        BatchSizeSchedule s = BatchSizeSchedule.ofRanges(new int[][] {{1, 256, 4}}, 3, 256);
        for (int bs = 1; bs <= 256; bs++) {
            assertThat(s.lookup(bs)).isEqualTo(3);
        }
    }

    @Test
    @DisplayName("SPEC-30: TensorRT-LLM thresholds {4:4, 8:2, 32:1}")
    void spec30() {
        BatchSizeSchedule s = BatchSizeSchedule.ofThresholds(new int[][] {{4, 4}, {8, 2}, {32, 1}}, 256);
        assertThat(s.lookup(3)).isEqualTo(4);
        assertThat(s.lookup(5)).isEqualTo(2);
        assertThat(s.lookup(32)).isEqualTo(1);
        assertThat(s.lookup(33)).isZero();
        assertThat(s.lookup(256)).isZero();
    }

    private static AdaptiveSteps.Slot bs1() {
        return new AdaptiveSteps.Slot(1, new int[] {1, 3, 5, 7}, -0.25, 0);
    }

    @Test
    @DisplayName("SPEC-47: cur 3, ema 2.6: no drop, rise to 5, no further rise")
    void spec47() {
        AdaptiveSteps.Slot s = bs1();
        s.set(3, 2.6);
        assertThat(s.recompute()).isEqualTo(5);
    }

    @Test
    @DisplayName("SPEC-48: cur 5, ema 3.0: stays 5")
    void spec48() {
        AdaptiveSteps.Slot s = bs1();
        s.set(5, 3.0);
        assertThat(s.recompute()).isEqualTo(5);
    }

    @Test
    @DisplayName("SPEC-49: cur 5, ema 2.0: drops to 3 and no further")
    void spec49() {
        AdaptiveSteps.Slot s = bs1();
        s.set(5, 2.0);
        assertThat(s.recompute()).isEqualTo(3);
    }

    @Test
    @DisplayName("SPEC-50: cur 0 always probes the next candidate up; a negative EMA resets to the new K - 1")
    void spec50() {
        AdaptiveSteps.Slot s = new AdaptiveSteps.Slot(8, new int[] {0, 1, 3}, 0, 0);
        s.set(0, -1);
        assertThat(s.recompute()).isEqualTo(1);
        assertThat(s.ema()).isEqualTo(0.0);
        s.set(0, 2.5);
        assertThat(s.recompute()).as("probes one up even with a high EMA").isEqualTo(1);
        assertThat(s.ema()).isEqualTo(2.5);
    }

    @Test
    @DisplayName("SGLang's EMA moves only after 10 warm-up batches and then every 5, and tracks accepted drafts")
    void adaptiveStepsSchedule() {
        AdaptiveSteps policy = new AdaptiveSteps(bs1());
        DraftBatch empty = new DraftBatch(8, 4);
        // Start at 7 (EMA 6); every request accepts 2 drafts: the EMA falls towards 2 and K towards 3.
        int[] seen = new int[40];
        for (int b = 0; b < 40; b++) {
            seen[b] = policy.draftLength(empty);
            policy.observe(seen[b], Math.min(2, seen[b]));
            policy.endStep();
        }
        for (int b = 0; b < 10; b++) {
            assertThat(seen[b]).as("warm-up batch %d", b).isEqualTo(7);
        }
        for (int b = 11; b < 40; b++) {
            if ((b - 10) % 5 != 0) {
                assertThat(seen[b]).as("batch %d between recomputes", b).isEqualTo(seen[b - 1]);
            }
        }
        assertThat(seen[39]).isEqualTo(3);
        assertThat(policy.route(1).ema()).isCloseTo(2.0, offset(0.3));
        assertThat(new AdaptiveSteps().route(40).batchSize()).isEqualTo(32);
        assertThat(new AdaptiveSteps().route(500).current()).isZero();
    }

    @Test
    @DisplayName("the acceptance kill switch turns speculation off below the threshold and re-probes after a while")
    void killSwitch() {
        AcceptanceKillSwitch ks = new AcceptanceKillSwitch(DraftLengthPolicy.fixed(4), 0.3, 5, 20);
        DraftBatch empty = new DraftBatch(4, 4);
        for (int step = 0; step < 4; step++) {
            assertThat(ks.draftLength(empty)).isEqualTo(4);
            ks.observe(4, 0);
            ks.endStep();
            assertThat(ks.isOff()).as("window not full yet").isFalse();
        }
        ks.observe(4, 1);
        ks.endStep();
        assertThat(ks.rollingRate()).isCloseTo(1.0 / 20, offset(1e-12));
        assertThat(ks.isOff()).isTrue();
        for (int step = 0; step < 19; step++) {
            assertThat(ks.draftLength(empty)).isZero();
            ks.endStep();
        }
        assertThat(ks.draftLength(empty)).as("re-probe").isEqualTo(4);
        for (int step = 0; step < 5; step++) {
            ks.observe(4, 3);
            ks.endStep();
        }
        assertThat(ks.isOff()).as("acceptance recovered").isFalse();
        assertThat(ks.disables()).isEqualTo(1);

        AcceptanceKillSwitch permanent = new AcceptanceKillSwitch(DraftLengthPolicy.fixed(2), 0.5, 1, 0);
        permanent.observe(2, 0);
        permanent.endStep();
        for (int step = 0; step < 1000; step++) {
            assertThat(permanent.draftLength(empty)).isZero();
        }
    }
}
