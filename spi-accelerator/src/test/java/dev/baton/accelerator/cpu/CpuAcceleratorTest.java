package dev.baton.accelerator.cpu;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Accelerators;
import dev.baton.accelerator.DeviceException;
import dev.baton.accelerator.KvBlockAccess.Tier;
import dev.baton.accelerator.KvCacheLayout;
import dev.baton.accelerator.sampling.RejectionSampler;
import dev.baton.accelerator.sampling.TokenSampler;
import dev.baton.api.VirtualClock;
import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.api.request.SamplingParams;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CpuAcceleratorTest {

    /** A small model so that these tests stay fast. */
    static AcceleratorConfig.Builder small() {
        return AcceleratorConfig.builder().blockSize(4).numGpuBlocksOverride(256).seed(3)
                .option("cpu.layers", "2").option("cpu.hidden", "64").option("cpu.heads", "4")
                .option("cpu.kv-heads", "2").option("cpu.intermediate", "128").option("cpu.vocab", "97")
                .option("cpu.max-model-len", "512").option("cpu.host-blocks", "64");
    }

    /** One sequence, blocks 1, 2, 3, ... in order. */
    static ArrayBlockTable table(int blocks) {
        ArrayBlockTable t = new ArrayBlockTable();
        for (int b = 1; b <= blocks; b++) {
            t.add(b);
        }
        return t;
    }

    /** Runs prompt then decodes {@code n} tokens one step at a time; returns the tokens. */
    static int[] generate(CpuAccelerator acc, int slot, int[] prompt, int n, SamplingParams params, long seed) {
        StepPlan plan = new StepPlan();
        StepResult result = new StepResult(acc.model().vocabSize(), 0);
        ArrayBlockTable t = table(64);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            plan.clear(i);
            int pos = i == 0 ? 0 : prompt.length + i - 1;
            int s = plan.addSequence(slot, seed, params, 0, pos, 0, StepPlan.FLAG_SAMPLE);
            if (i == 0) {
                plan.addTokens(prompt, 0, prompt.length);
            } else {
                plan.addToken(StepPlan.PLACEHOLDER_TOKEN);
            }
            plan.setBlockTable(s, 0, t, t.size());
            acc.execute(plan, result);
            assertThat(result.numSampled(s)).isEqualTo(1);
            out[i] = result.sampled(s, 0);
        }
        return out;
    }

    @Test
    @DisplayName("the cpu provider is discovered by ServiceLoader and always available")
    void discovered() {
        assertThat(Accelerators.provider("cpu")).isInstanceOf(CpuAcceleratorProvider.class);
        assertThat(Accelerators.provider("cpu").availability().isAvailable()).isTrue();
        try (var acc = Accelerators.open("cpu", small().build())) {
            assertThat(acc.providerName()).isEqualTo("cpu");
            assertThat(acc.model().vocabSize()).isEqualTo(97);
        }
    }

    @Test
    @DisplayName("unknown cpu options are rejected with the list of known ones; bad values say what to change")
    void optionValidation() {
        assertThatThrownBy(() -> new CpuAccelerator(AcceleratorConfig.builder().option("cpu.layer", "2").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown cpu option 'cpu.layer'")
                .hasMessageContaining("cpu.layers").hasMessageContaining("cpu.kv-heads");
        assertThatThrownBy(() -> new CpuAccelerator(AcceleratorConfig.builder().option("cpu.hidden", "abc").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpu.hidden must be an integer");
        assertThatThrownBy(() -> new CpuAccelerator(AcceleratorConfig.builder().option("cpu.heads", "3").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of cpu.heads");
        assertThatThrownBy(() -> new CpuAccelerator(AcceleratorConfig.builder().option("cpu.kv-heads", "3").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of cpu.kv-heads");
        assertThatThrownBy(() -> new CpuAccelerator(AcceleratorConfig.builder().profile("h100").build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no profiles");
        // Options of other providers are not this provider's business.
        new CpuAccelerator(small().option("sim.realtime", "true").build()).close();
    }

    @Test
    @DisplayName("KV layout: override usable blocks plus the null block; host blocks from swap space (at most 8x the "
            + "device tier) or cpu.host-blocks")
    void layout() {
        CpuAccelerator acc = new CpuAccelerator(small().option("cpu.host-blocks", "10").build());
        KvCacheLayout l = acc.kvLayout();
        // 2 layers x K,V x 4 tokens x 2 KV heads x 16 dims x 4 bytes
        assertThat(l.bytesPerBlock()).isEqualTo(2L * 2 * 4 * 2 * 16 * 4);
        assertThat(l.numDeviceBlocks()).isEqualTo(257);
        assertThat(l.numHostBlocks()).isEqualTo(10);
        AcceleratorConfig.Builder b = small().numGpuBlocksOverride(0).hostKvBytes(1 << 20);
        b.option("cpu.kv-blocks", "33");
        CpuAccelerator byBytes = new CpuAccelerator(withoutOption(b, "cpu.host-blocks"));
        assertThat((1 << 20) / l.bytesPerBlock()).as("the swap space alone would give").isGreaterThan(33 * 8);
        assertThat(byBytes.kvLayout().numHostBlocks()).isEqualTo(33 * CpuAccelerator.HOST_TO_DEVICE_RATIO);
        assertThat(byBytes.kvLayout().numDeviceBlocks()).isEqualTo(34);
        b.option("cpu.kv-blocks", "1000");
        CpuAccelerator bySwap = new CpuAccelerator(withoutOption(b, "cpu.host-blocks"));
        assertThat(bySwap.kvLayout().numHostBlocks()).isEqualTo((int) ((1 << 20) / l.bytesPerBlock()));
        assertThat(byBytes.model().kvDtype()).isEqualTo(dev.baton.accelerator.DType.FP32);
    }

    private static AcceleratorConfig withoutOption(AcceleratorConfig.Builder b, String key) {
        AcceleratorConfig c = b.build();
        java.util.Map<String, String> o = new java.util.HashMap<>(c.options());
        o.remove(key);
        return new AcceleratorConfig(c.profile(), c.parallelism(), c.clock(), c.blockSize(),
                c.gpuMemoryUtilization(), c.numGpuBlocksOverride(), c.maxNumBatchedTokens(), c.hostKvBytes(),
                c.seed(), o);
    }

    @Test
    @DisplayName("greedy output is not degenerate: it varies with the prompt and keeps changing as it decodes")
    void greedyIsNotDegenerate() {
        CpuAccelerator acc = new CpuAccelerator(AcceleratorConfig.builder().numGpuBlocksOverride(64).seed(11).build());
        SplittableRandom rnd = new SplittableRandom(4);
        Set<Integer> firstTokens = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            int[] prompt = rnd.ints(5 + rnd.nextInt(20), 0, 512).toArray();
            int[] out = generate(acc, i, prompt, 24, SamplingParams.greedy(24), 0);
            firstTokens.add(out[0]);
            assertThat(Arrays.stream(out).distinct().count()).as("distinct tokens of 24").isGreaterThanOrEqualTo(8);
        }
        assertThat(firstTokens).as("first tokens of 8 prompts").hasSizeGreaterThanOrEqualTo(6);
    }

    @Test
    @DisplayName("greedy decoding through plans equals the contiguous reference")
    void greedyEqualsReference() {
        CpuAccelerator acc = new CpuAccelerator(small().build());
        int[] prompt = new SplittableRandom(1).ints(13, 0, 97).toArray();
        int[] out = generate(acc, 0, prompt, 20, SamplingParams.greedy(20), 0);
        assertThat(out).containsExactly(new ContiguousReference(acc.cpuModel()).greedy(prompt, 20));
    }

    @Test
    @DisplayName("seeded sampling is reproducible and depends on the seed")
    void seededSampling() {
        SamplingParams params = SamplingParams.builder().temperature(1.0).topK(20).topP(0.9).seed(5).build();
        int[] prompt = {3, 1, 4, 1, 5, 9, 2, 6};
        int[] a = generate(new CpuAccelerator(small().build()), 0, prompt, 16, params, 5);
        int[] b = generate(new CpuAccelerator(small().build()), 7, prompt, 16, params, 5);
        int[] c = generate(new CpuAccelerator(small().build()), 0, prompt, 16, params, 6);
        assertThat(a).containsExactly(b);
        assertThat(a).isNotEqualTo(c);
    }

    @Test
    @DisplayName("probability rows: target distributions for sampled requests, point masses for greedy ones")
    void probabilityRows() {
        CpuAccelerator acc = new CpuAccelerator(small().build());
        int vocab = 97;
        StepPlan plan = new StepPlan();
        StepResult result = new StepResult(vocab, 0);
        SamplingParams sampled = SamplingParams.builder().temperature(0.7).topK(10).seed(1).build();
        plan.clear(0);
        int a = plan.addSequence(0, 1, sampled, 0, 0, 0, StepPlan.FLAG_SAMPLE | StepPlan.FLAG_WANT_PROBS);
        plan.addTokens(new int[] {5, 6, 7}, 0, 3);
        plan.setBlockTable(a, 0, table(4), 4);
        ArrayBlockTable other = new ArrayBlockTable();
        for (int id = 10; id < 14; id++) {
            other.add(id);
        }
        int g = plan.addSequence(1, 1, SamplingParams.greedy(1), 0, 0, 0, StepPlan.FLAG_SAMPLE | StepPlan.FLAG_WANT_PROBS);
        plan.addTokens(new int[] {5, 6, 7}, 0, 3);
        plan.setBlockTable(g, 0, other, 4);
        acc.execute(plan, result);
        double sum = 0;
        int support = 0;
        for (int t = 0; t < vocab; t++) {
            sum += result.probability(a, 0, t);
            support += result.probability(a, 0, t) > 0 ? 1 : 0;
        }
        assertThat(sum).isCloseTo(1, within(1e-5));
        assertThat(support).isEqualTo(10);
        assertThat(result.probability(a, 0, result.sampled(a, 0))).isPositive();
        assertThat(result.probability(g, 0, result.sampled(g, 0))).isEqualTo(1f);
    }

    @Test
    @DisplayName("greedy drafts: correct drafts are all accepted plus a bonus; a wrong or -1 draft stops at the argmax")
    void greedyDrafts() {
        int[] prompt = {8, 6, 7, 5, 3, 0, 9};
        int[] expected = generate(new CpuAccelerator(small().build()), 0, prompt, 8, SamplingParams.greedy(8), 0);
        // Prefill, then verify 4 drafts from the expected continuation after its first token.
        for (int corrupt = -1; corrupt < 4; corrupt++) {
            for (boolean placeholder : new boolean[] {false, true}) {
                CpuAccelerator acc = new CpuAccelerator(small().build());
                int[] first = generate(acc, 0, prompt, 1, SamplingParams.greedy(8), 0);
                assertThat(first[0]).isEqualTo(expected[0]);
                StepPlan plan = new StepPlan();
                StepResult result = new StepResult(97, 0);
                plan.clear(1);
                int s = plan.addSequence(0, 0, SamplingParams.greedy(8), 0, prompt.length, 4, StepPlan.FLAG_SAMPLE);
                plan.addToken(placeholder ? StepPlan.PLACEHOLDER_TOKEN : expected[0]);
                for (int j = 0; j < 4; j++) {
                    int d = expected[1 + j];
                    plan.addToken(j == corrupt ? (placeholder ? -1 : (d + 1) % 97) : d);
                }
                plan.setBlockTable(s, 0, table(64), 64);
                acc.execute(plan, result);
                int[] got = result.sampledTokens(s);
                int n = corrupt < 0 ? 5 : corrupt + 1;
                assertThat(got).as("corrupt %d", corrupt).containsExactly(Arrays.copyOfRange(expected, 1, 1 + n));
            }
        }
    }

    @Test
    @DisplayName("stochastic drafts on the device follow the rejection sampler on the device's own target rows")
    void stochasticDraftsMatchRejectionSampler() {
        int vocab = 97;
        SamplingParams params = SamplingParams.builder().temperature(1.0).seed(9).build();
        int[] prompt = {1, 2, 3, 4, 5};
        SplittableRandom rnd = new SplittableRandom(2);
        for (int trial = 0; trial < 20; trial++) {
            long seed = rnd.nextLong();
            int[] drafts = rnd.ints(3, -1, vocab).toArray();
            float[] q = new float[3 * vocab];
            for (int j = 0; j < 3; j++) {
                for (int t = 0; t < vocab; t++) {
                    q[j * vocab + t] = 1f / vocab;
                }
            }
            CpuAccelerator acc = new CpuAccelerator(small().build());
            StepPlan plan = new StepPlan();
            StepResult result = new StepResult(vocab, 0);
            plan.clear(0);
            int s = plan.addSequence(0, seed, params, 0, 0, 3, StepPlan.FLAG_SAMPLE | StepPlan.FLAG_WANT_PROBS);
            plan.addTokens(prompt, 0, prompt.length);
            plan.addTokens(drafts, 0, 3);
            plan.setDraftProbabilities(s, q, 0, 3, vocab);
            plan.setBlockTable(s, 0, table(8), 8);
            // Capture the target rows the device computes at the draft and bonus positions.
            float[] logits = new float[4 * vocab];
            acc.captureLogits((i, position, row, offset) -> {
                if (position >= prompt.length - 1) {
                    System.arraycopy(row, offset, logits, (position - prompt.length + 1) * vocab, vocab);
                }
            });
            acc.execute(plan, result);
            float[] p = new float[4 * vocab];
            TokenSampler ts = new TokenSampler(vocab);
            for (int j = 0; j < 4; j++) {
                ts.distribution(logits, j * vocab, params, p, j * vocab);
            }
            int[] out = new int[4];
            int n = new RejectionSampler(vocab).verify(drafts, 0, 3, p, 0, q, 0, seed, prompt.length, out, 0);
            assertThat(result.sampledTokens(s)).containsExactly(Arrays.copyOf(out, n));
            for (int k = 0; k < n; k++) {
                for (int t = 0; t < vocab; t++) {
                    assertThat(result.probability(s, k, t)).isEqualTo(p[k * vocab + t]);
                }
            }
        }
    }

    @Test
    @DisplayName("a malformed plan fails at launch with a message that names the problem, and nothing runs")
    void planValidation() {
        CpuAccelerator acc = new CpuAccelerator(small().build());
        StepPlan plan = new StepPlan();
        StepResult result = new StepResult(97, 0);

        plan.clear(0);
        int s = plan.addSequence(0, 0, SamplingParams.greedy(1), 0, 0, 0, StepPlan.FLAG_SAMPLE);
        plan.addToken(StepPlan.PLACEHOLDER_TOKEN);
        plan.setBlockTable(s, 0, table(1), 1);
        assertThatThrownBy(() -> acc.execute(plan, result)).hasMessageContaining("placeholder");

        plan.clear(1);
        s = plan.addSequence(0, 0, SamplingParams.greedy(1), 0, 0, 0, StepPlan.FLAG_SAMPLE);
        plan.addTokens(new int[] {1, 2, 3, 4, 5}, 0, 5);
        plan.setBlockTable(s, 0, table(1), 1);
        assertThatThrownBy(() -> acc.execute(plan, result)).hasMessageContaining("needs 2 blocks");

        plan.clear(2);
        ArrayBlockTable withNull = new ArrayBlockTable();
        withNull.add(0);
        s = plan.addSequence(0, 0, SamplingParams.greedy(1), 0, 0, 0, StepPlan.FLAG_SAMPLE);
        plan.addToken(1);
        plan.setBlockTable(s, 0, withNull, 1);
        assertThatThrownBy(() -> acc.execute(plan, result)).hasMessageContaining("null block");

        plan.clear(3);
        plan.addMove(BlockMoveKind.COPY, 3, 0);
        assertThatThrownBy(() -> acc.execute(plan, result)).hasMessageContaining("COPY 3 -> 0");

        plan.clear(4);
        for (int i = 0; i < 2; i++) {
            s = plan.addSequence(5, 0, SamplingParams.greedy(1), 0, 0, 0, StepPlan.FLAG_SAMPLE);
            plan.addToken(1);
            plan.setBlockTable(s, 0, table(1), 1);
        }
        assertThatThrownBy(() -> acc.execute(plan, result)).hasMessageContaining("twice");

        plan.clear(5);
        s = plan.addSequence(0, 0, SamplingParams.greedy(1), 0, 0, 1, 0);
        plan.addTokens(new int[] {1, 2}, 0, 2);
        plan.setBlockTable(s, 0, table(1), 1);
        assertThatThrownBy(() -> acc.execute(plan, result)).hasMessageContaining("FLAG_SAMPLE");

        plan.clear(6);
        s = plan.addSequence(0, 0, SamplingParams.greedy(1), 0, 0, 0, StepPlan.FLAG_SAMPLE);
        plan.addToken(97);
        plan.setBlockTable(s, 0, table(1), 1);
        assertThatThrownBy(() -> acc.execute(plan, result)).hasMessageContaining("outside the vocabulary");

        // The device is still usable.
        assertThat(generate(acc, 0, new int[] {1, 2, 3}, 2, SamplingParams.greedy(2), 0)).hasSize(2);
    }

    @Test
    @DisplayName("a placeholder for a slot released in the same plan is refused; the slot is reusable at once")
    void releasedSlots() {
        CpuAccelerator acc = new CpuAccelerator(small().build());
        int[] first = generate(acc, 3, new int[] {4, 4, 4}, 2, SamplingParams.greedy(2), 0);
        StepPlan plan = new StepPlan();
        StepResult result = new StepResult(97, 0);
        plan.clear(9);
        plan.addReleased(3);
        int s = plan.addSequence(3, 0, SamplingParams.greedy(1), 0, 4, 0, StepPlan.FLAG_SAMPLE);
        plan.addToken(StepPlan.PLACEHOLDER_TOKEN);
        plan.setBlockTable(s, 0, table(64), 64);
        assertThatThrownBy(() -> acc.execute(plan, result)).hasMessageContaining("released in this plan");
        int[] again = generate(acc, 3, new int[] {4, 4, 4}, 2, SamplingParams.greedy(2), 0);
        assertThat(again).containsExactly(first);
    }

    @Test
    @DisplayName("cpu.fail-step fails that step with a non-fatal DeviceException and the device goes on")
    void injectedFailure() {
        CpuAccelerator acc = new CpuAccelerator(small().option("cpu.fail-step", "1").build());
        assertThatThrownBy(() -> generate(acc, 0, new int[] {1, 2}, 3, SamplingParams.greedy(3), 0))
                .isInstanceOf(DeviceException.class).satisfies(e -> assertThat(((DeviceException) e).isFatal()).isFalse());
        assertThat(generate(acc, 1, new int[] {1, 2}, 1, SamplingParams.greedy(1), 0)).hasSize(1);
    }

    @Test
    @DisplayName("on a virtual clock the step time is the cost model's prediction and the clock advances by it")
    void virtualClock() {
        VirtualClock clock = new VirtualClock();
        CpuAccelerator acc = new CpuAccelerator(small().clock(clock).build());
        StepPlan plan = new StepPlan();
        StepResult result = new StepResult(97, 0);
        plan.clear(0);
        int s = plan.addSequence(0, 0, SamplingParams.greedy(1), 0, 0, 0, StepPlan.FLAG_SAMPLE);
        plan.addTokens(new int[] {1, 2, 3}, 0, 3);
        plan.setBlockTable(s, 0, table(1), 1);
        long predicted = acc.costModel().stepNanos(plan, new dev.baton.accelerator.StepShape());
        acc.execute(plan, result);
        assertThat(result.deviceNanos()).isEqualTo(predicted).isPositive();
        assertThat(clock.nanoTime()).isEqualTo(predicted);
    }

    @Test
    @DisplayName("KV blocks read back as written, in either tier; the null block cannot be written")
    void blockAccess() {
        CpuAccelerator acc = new CpuAccelerator(small().build());
        int bytes = (int) acc.kvLayout().bytesPerBlock();
        byte[] data = new byte[bytes];
        new SplittableRandom(1).nextBytes(data);
        for (int i = 3; i < bytes; i += 4) {
            data[i] &= 0x3F;
        }
        byte[] back = new byte[bytes];
        for (Tier tier : Tier.values()) {
            acc.writeBlock(tier, 5, data, 0);
            acc.readBlock(tier, 5, back, 0);
            assertThat(back).isEqualTo(data);
        }
        acc.readBlock(Tier.HOST, 9, back, 0);
        assertThat(back).containsOnly(0);
        assertThatThrownBy(() -> acc.writeBlock(Tier.DEVICE, 0, data, 0)).hasMessageContaining("null block");
        assertThatThrownBy(() -> acc.readBlock(Tier.HOST, 64, back, 0)).hasMessageContaining("outside");
    }

    @Test
    @DisplayName("a model with fewer layers and the same seed is the target truncated (a natural draft model)")
    void truncatedDraftModel() {
        CpuModel target = new CpuModel(CpuModelConfig.DEFAULT, 42);
        CpuModelConfig d = CpuModelConfig.DEFAULT;
        CpuModel draft = new CpuModel(new CpuModelConfig(1, d.hidden(), d.heads(), d.kvHeads(), d.intermediate(),
                d.vocab(), d.maxModelLen(), d.ropeTheta(), d.eosToken()), 42);
        assertThat(draft.embedding).isEqualTo(target.embedding);
        assertThat(draft.lmHead).isEqualTo(target.lmHead);
        assertThat(draft.wq[0]).isEqualTo(target.wq[0]);
        assertThat(draft.wq.length).isEqualTo(1);
        assertThat(target.wq.length).isEqualTo(4);
    }

    @Test
    @DisplayName("steady-state steps allocate nothing on the heap (batched decodes with sampling and drafts)")
    void steadyStateAllocatesNothing() {
        CpuAccelerator acc = new CpuAccelerator(small().build());
        StepPlan plan = new StepPlan();
        StepResult result = new StepResult(97, 0);
        SamplingParams sampled = SamplingParams.builder().temperature(0.8).topK(20).topP(0.9).seed(4).build();
        SamplingParams greedy = SamplingParams.greedy(1);
        ArrayBlockTable[] tables = new ArrayBlockTable[3];
        for (int s = 0; s < 3; s++) {
            tables[s] = new ArrayBlockTable();
            for (int b = 0; b < 32; b++) {
                tables[s].add(1 + s * 32 + b);
            }
        }
        int[] drafts = {1, 2};
        long before = 0;
        for (int step = 0; step < 400; step++) {
            if (step == 300) {
                before = allocatedBytes();
            }
            plan.clear(step);
            for (int s = 0; s < 3; s++) {
                int pos = step % 60;
                int k = s == 2 ? 2 : 0;
                int i = plan.addSequence(s, 4, s == 0 ? greedy : sampled, 0, pos, k,
                        StepPlan.FLAG_SAMPLE | (s == 1 ? StepPlan.FLAG_WANT_PROBS : 0));
                plan.addToken(5 + s);
                plan.addTokens(drafts, 0, k);
                plan.setBlockTable(i, 0, tables[s], 32);
            }
            acc.execute(plan, result);
        }
        long allocated = allocatedBytes() - before;
        long probe = allocatedBytes();
        long overhead = allocatedBytes() - probe; // what reading the counter itself allocates
        // Any allocation per step (16 bytes at least) would add up to 1600 bytes or more over 100 steps.
        assertThat(allocated - overhead).as("bytes allocated by 100 steady-state steps").isLessThan(1024);
    }

    /** HotSpot's per-thread allocation counter, reached reflectively (the tests compile inside the named module). */
    private static long allocatedBytes() {
        try {
            Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                    .invoke(null);
            return (long) Class.forName("com.sun.management.ThreadMXBean")
                    .getMethod("getCurrentThreadAllocatedBytes").invoke(bean);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("this test needs HotSpot's com.sun.management.ThreadMXBean", e);
        }
    }
}
