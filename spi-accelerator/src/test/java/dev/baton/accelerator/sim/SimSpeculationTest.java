package dev.baton.accelerator.sim;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.StepShape;
import dev.baton.api.VirtualClock;
import dev.baton.api.plan.BlockTable;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.api.request.SamplingParams;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.offset;

/** The simulated device models a proposer by its acceptance rates (synthetic acceptance) and charges 1 + k tokens. */
class SimSpeculationTest {

    private static final BlockTable TABLE = new BlockTable() {
        @Override
        public int size() {
            return 64;
        }

        @Override
        public int blockId(int i) {
            return i + 1;
        }
    };

    private static SimAccelerator sim(String... options) {
        AcceleratorConfig.Builder b = AcceleratorConfig.builder().clock(new VirtualClock()).numGpuBlocksOverride(1000);
        for (int i = 0; i < options.length; i += 2) {
            b.option(options[i], options[i + 1]);
        }
        return new SimAccelerator(b.build());
    }

    /** One decode with {@code drafts} of token 1 (or -1) for sequence seed {@code seed}; returns tokens emitted. */
    private static int[] verify(SimAccelerator dev, long seed, int[] drafts, int position) {
        StepPlan plan = new StepPlan();
        plan.clear(1);
        int i = plan.addSequence(0, seed, SamplingParams.greedy(100), 0, position, drafts.length, StepPlan.FLAG_SAMPLE);
        plan.addToken(5);
        plan.addTokens(drafts, 0, drafts.length);
        plan.setBlockTable(i, 0, TABLE, TABLE.size());
        StepResult result = new StepResult(dev.model().vocabSize(), 0);
        dev.execute(plan, result);
        return result.sampledTokens(0);
    }

    @Test
    @DisplayName("sim.acceptance=a accepts each position with conditional probability a, seeded; tokens are the "
            + "device's own")
    void constantRate() {
        SimAccelerator dev = sim("sim.acceptance", "0.7");
        SimAccelerator plain = sim();
        int trials = 20_000;
        long[] reached = new long[5];
        for (int t = 0; t < trials; t++) {
            int[] out = verify(dev, t, new int[] {1, 1, 1, 1}, 100);
            assertThat(out).isEqualTo(verify(dev, t, new int[] {1, 1, 1, 1}, 100));
            // Whatever is accepted, the emitted tokens are a prefix of the device's own continuation.
            int[] own = verify(plain, t, new int[0], 100);
            assertThat(out[0]).isEqualTo(own[0]);
            for (int j = 0; j < out.length; j++) {
                reached[j]++;
            }
        }
        for (int j = 1; j < 5; j++) {
            double a = Math.pow(0.7, j);
            double sd = Math.sqrt(trials * a * (1 - a));
            assertThat((double) reached[j]).as("a_%d", j).isCloseTo(trials * a, offset(5 * sd));
        }
        // A -1 draft is rejected even at rate 1.
        assertThat(verify(sim("sim.acceptance", "1"), 3, new int[] {1, -1, 1}, 10)).hasSize(2);
    }

    @Test
    @DisplayName("sim.acceptance-rates are unconditional per position; positions beyond the list are rejected")
    void perPositionRates() {
        SimAccelerator dev = sim("sim.acceptance-rates", "1,1,0.5");
        long[] counts = new long[7];
        for (int t = 0; t < 4000; t++) {
            counts[verify(dev, t, new int[] {1, 1, 1, 1, 1}, 50).length]++;
        }
        assertThat(counts[1] + counts[2]).isZero();
        assertThat(counts[5] + counts[6]).as("positions beyond the list are rejected").isZero();
        assertThat((double) counts[4]).isCloseTo(2000, offset(200.0));
        assertThat((double) counts[3]).isCloseTo(2000, offset(200.0));
    }

    @Test
    @DisplayName("bad acceptance options are refused with what to change")
    void validation() {
        assertThatIllegalArgumentException().isThrownBy(() -> sim("sim.acceptance", "1.5"))
                .withMessageContaining("[0, 1]");
        assertThatIllegalArgumentException().isThrownBy(() -> sim("sim.acceptance", "0.5",
                "sim.acceptance-rates", "0.5")).withMessageContaining("exclude each other");
        assertThatIllegalArgumentException().isThrownBy(() -> sim("sim.acceptance-rates", "0.5,0.7"))
                .withMessageContaining("must not increase");
        assertThatIllegalArgumentException().isThrownBy(() -> sim("sim.draft-lengths", "1,x"))
                .withMessageContaining("integers");
    }

    @Test
    @DisplayName("sim.draft-lengths declares the verification shapes; a k-draft decode is charged for 1 + k tokens")
    void draftLengthsAndCost() {
        SimAccelerator dev = sim("sim.draft-lengths", "2,4");
        assertThat(dev.supportsDraftLength(0)).isTrue();
        assertThat(dev.supportsDraftLength(2)).isTrue();
        assertThat(dev.supportsDraftLength(3)).isFalse();
        assertThat(sim().supportsDraftLength(7)).isTrue();
        StepShape one = new StepShape();
        StepShape spec = new StepShape();
        for (int s = 0; s < 256; s++) {
            one.addSequence(1, 1000, 0, true);
            spec.addSequence(1 + 4, 1000, 4, true);
        }
        assertThat(spec.numTokens()).isEqualTo(5 * 256);
        assertThat(dev.costModel().stepNanos(spec)).isGreaterThan(dev.costModel().stepNanos(one));
    }
}
