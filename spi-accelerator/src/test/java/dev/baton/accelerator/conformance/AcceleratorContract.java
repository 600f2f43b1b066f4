package dev.baton.accelerator.conformance;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.AcceleratorProvider;
import dev.baton.accelerator.AcceleratorUnavailableException;
import dev.baton.accelerator.Accelerators;
import dev.baton.accelerator.Availability;
import dev.baton.accelerator.KvBlockAccess;
import dev.baton.accelerator.KvBlockAccess.Tier;
import dev.baton.accelerator.ProviderStatus;
import dev.baton.accelerator.StepShape;
import dev.baton.api.VirtualClock;
import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.BlockTable;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;
import dev.baton.api.request.SamplingParams;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The accelerator SPI conformance kit: the contract every {@link AcceleratorProvider} must meet, as JUnit 5 tests and
 * jqwik properties. A provider's test suite extends this class and says how to open its device:
 *
 * <pre>{@code
 * class MyAcceleratorConformanceTest extends AcceleratorContract {
 *     protected AcceleratorProvider provider() { return new MyProvider(); }
 *     protected Accelerator open(AcceleratorConfig config) { return provider().open(config); }
 * }
 * }</pre>
 *
 * <h2>What is checked</h2>
 * <ul>
 *   <li>Availability is reported, never thrown; an unavailable provider refuses to open with
 *   {@link AcceleratorUnavailableException}, and every other check is skipped with the provider's reason.</li>
 *   <li>Plans execute as specified ({@link PlanDriver} checks every step): no token for a prefill chunk that does not
 *   sample, one for a decode, {@code 1 .. k + 1} after {@code k} drafts with the accepted drafts first, token ids in
 *   the vocabulary, probability rows that support the returned tokens; placeholders stand for the device's previous
 *   token; released slots can be reused, even in the same plan; launch and await alternate.</li>
 *   <li>Determinism: the same plans give the same tokens; seeded sampling is reproducible.</li>
 *   <li>Schedule invariance (unless {@link #batchInvariant()} is false): greedy and seeded sequences produce the tokens
 *   of their solo run under any batching, chunking, one-step-ahead placeholders, preemption by swap or recompute,
 *   prefix sharing with copy-on-write, cancellations of others, and (greedy) speculative drafts.</li>
 *   <li>Block moves preserve data, in plan order, and the null block is never written, for providers whose devices
 *   implement {@link KvBlockAccess}; skipped with that reason for the others.</li>
 * </ul>
 *
 * <p>Configuration: the kit opens devices with a {@link VirtualClock}, the block size under test, a generous
 * {@code num-gpu-blocks-override} and seed 17; {@link #configure} adds what the provider needs (a small model, say).
 * As for {@code sim}, {@code num-gpu-blocks-override} counts usable blocks: a device reports
 * {@code numDeviceBlocks = override + 1}, block 0 being the null block.
 */
public abstract class AcceleratorContract {

    /** The provider under test. */
    protected abstract AcceleratorProvider provider();

    /** Opens a device of the provider under test. */
    protected abstract Accelerator open(AcceleratorConfig config);

    /** Adds provider-specific settings (options, profile) to the kit's configuration. */
    protected AcceleratorConfig.Builder configure(AcceleratorConfig.Builder builder) {
        return builder;
    }

    /**
     * Whether the device promises bit-identical results whatever the batch composition, chunking and KV placement, so
     * that greedy and seeded sequences keep their tokens under any schedule (Baton's design invariant). A provider that
     * cannot promise it overrides this to return {@code false} and the schedule-invariance checks are skipped.
     */
    protected boolean batchInvariant() {
        return true;
    }

    /** The kit's configuration for a block size. */
    protected AcceleratorConfig config(int blockSize) {
        return configure(AcceleratorConfig.builder().clock(new VirtualClock()).blockSize(blockSize)
                .numGpuBlocksOverride(Math.max(96, 1536 / blockSize)).seed(17)).build();
    }

    private Accelerator openAvailable(int blockSize) {
        Availability a = provider().availability();
        Assumptions.assumeTrue(a.isAvailable(), () -> "provider '" + provider().name() + "' is unavailable here: "
                + a.detail());
        return open(config(blockSize));
    }

    /**
     * Why a check cannot run against this provider here, or {@code null} when it can: the provider is unavailable, or
     * (when {@code needsKvData}) its devices do not expose KV data.
     */
    String skipReason(boolean needsKvData, boolean needsBatchInvariance) {
        Availability a = provider().availability();
        if (!a.isAvailable()) {
            return "provider '" + provider().name() + "' is unavailable here: " + a.detail();
        }
        if (needsBatchInvariance && !batchInvariant()) {
            return "provider '" + provider().name() + "' does not promise batch invariance";
        }
        if (needsKvData) {
            try (Accelerator acc = open(config(4))) {
                if (!(acc instanceof KvBlockAccess)) {
                    return "provider '" + provider().name()
                            + "' holds no KV data (its devices do not implement KvBlockAccess): data checks skipped";
                }
            }
        }
        return null;
    }

    /** jqwik treats a failed assumption as a rejected try, so properties are skipped up front by these hooks. */
    abstract static class KitSkip implements SkipExecutionHook {
        private final boolean needsKvData;
        private final boolean needsBatchInvariance;

        KitSkip(boolean needsKvData, boolean needsBatchInvariance) {
            this.needsKvData = needsKvData;
            this.needsBatchInvariance = needsBatchInvariance;
        }

        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            Class<?> container = context.optionalContainerClass().orElse(null);
            if (container == null || !AcceleratorContract.class.isAssignableFrom(container)
                    || java.lang.reflect.Modifier.isAbstract(container.getModifiers())) {
                return SkipResult.doNotSkip();
            }
            AcceleratorContract kit = (AcceleratorContract) context.newInstance(container);
            String reason = kit.skipReason(needsKvData, needsBatchInvariance);
            return reason == null ? SkipResult.doNotSkip() : SkipResult.skip(reason);
        }
    }

    /** Skips a property when the provider is unavailable. */
    static final class SkipUnavailable extends KitSkip {
        SkipUnavailable() {
            super(false, false);
        }
    }

    /** Skips a property when the provider is unavailable or does not promise batch invariance. */
    static final class SkipUnlessBatchInvariant extends KitSkip {
        SkipUnlessBatchInvariant() {
            super(false, true);
        }
    }

    /** Skips a property when the provider is unavailable or its devices hold no KV data. */
    static final class SkipWithoutKvData extends KitSkip {
        SkipWithoutKvData() {
            super(true, false);
        }
    }

    // ------------------------------------------------------------------ availability

    @Test
    @DisplayName("availability is reported, not thrown, and an unavailable provider refuses to open")
    void availabilityIsReported() {
        AcceleratorProvider p = provider();
        assertThat(p.name()).isNotBlank();
        assertThat(p.description()).isNotBlank();
        Availability a = p.availability();
        assertThat(a).isNotNull();
        assertThat(a.detail()).isNotBlank();
        assertThat(p.availability().isAvailable()).as("a second probe agrees").isEqualTo(a.isAvailable());
        List<ProviderStatus> found = Accelerators.discover();
        for (ProviderStatus s : found) {
            if (s.name().equals(p.name())) {
                assertThat(s.availability().isAvailable()).isEqualTo(a.isAvailable());
            }
        }
        if (!a.isAvailable()) {
            assertThatThrownBy(() -> open(config(16))).isInstanceOf(AcceleratorUnavailableException.class);
        }
    }

    @Test
    @DisplayName("an opened device describes itself consistently with its configuration")
    void deviceDescribesItself() {
        try (Accelerator acc = openAvailable(16)) {
            assertThat(acc.providerName()).isEqualTo(provider().name());
            assertThat(acc.kvLayout().blockSize()).isEqualTo(16);
            assertThat(acc.kvLayout().numDeviceBlocks() - 1).as("usable blocks = num-gpu-blocks-override")
                    .isEqualTo(config(16).numGpuBlocksOverride());
            assertThat(acc.model().vocabSize()).isPositive();
            assertThat(acc.model().eosTokenId()).isBetween(0, acc.model().vocabSize() - 1);
            assertThat(acc.deviceInfo()).isNotNull();
            assertThat(acc.maxProposals()).isNotNegative();
            StepShape small = new StepShape().addDecode(100);
            long a = acc.costModel().stepNanos(small);
            long b = acc.costModel().stepNanos(new StepShape().addDecode(100).addDecode(5000)
                    .addSequence(512, 0, 0, true));
            assertThat(a).isPositive();
            assertThat(b).as("more work never costs less").isGreaterThanOrEqualTo(a);
        }
    }

    @Test
    @DisplayName("launch and await alternate strictly; an empty plan is a valid step")
    void launchAwaitProtocol() {
        try (Accelerator acc = openAvailable(16)) {
            StepResult result = new StepResult(acc.model().vocabSize(), acc.maxProposals());
            StepPlan plan = new StepPlan();
            plan.clear(0);
            result.reset(plan);
            assertThatThrownBy(() -> acc.await(result)).isInstanceOf(IllegalStateException.class);
            acc.launch(plan);
            assertThatThrownBy(() -> acc.launch(plan)).isInstanceOf(IllegalStateException.class);
            acc.await(result);
            assertThat(result.numSeqs()).isZero();
            acc.execute(plan, result);
        }
    }

    // ------------------------------------------------------------------ plans as specified

    @Test
    @DisplayName("result sizes: no token for a non-final prefill chunk, one at the end of the prompt and per decode")
    void resultSizes() {
        try (Accelerator acc = openAvailable(4)) {
            int vocab = acc.model().vocabSize();
            Table table = new Table(1, 2, 3, 4);
            StepPlan plan = new StepPlan();
            StepResult result = new StepResult(vocab, acc.maxProposals());
            int[] prompt = {1 % vocab, 2 % vocab, 3 % vocab, 4 % vocab, 5 % vocab, 6 % vocab};
            plan.clear(0);
            int i = plan.addSequence(0, 1, SamplingParams.greedy(4), 0, 0, 0, 0);
            plan.addTokens(prompt, 0, 4);
            plan.setBlockTable(i, 0, table, 4);
            acc.execute(plan, result);
            assertThat(result.numSampled(i)).isZero();
            plan.clear(1);
            i = plan.addSequence(0, 1, SamplingParams.greedy(4), 0, 4, 0, StepPlan.FLAG_SAMPLE);
            plan.addTokens(prompt, 4, 2);
            plan.setBlockTable(i, 0, table, 4);
            acc.execute(plan, result);
            assertThat(result.numSampled(i)).isEqualTo(1);
            plan.clear(2);
            i = plan.addSequence(0, 1, SamplingParams.greedy(4), 0, 6, 0, StepPlan.FLAG_SAMPLE);
            plan.addToken(StepPlan.PLACEHOLDER_TOKEN);
            plan.setBlockTable(i, 0, table, 4);
            acc.execute(plan, result);
            assertThat(result.numSampled(i)).isEqualTo(1);
            assertThat(result.sampled(i, 0)).isBetween(0, vocab - 1);
        }
    }

    @Test
    @DisplayName("a placeholder input stands for the token the device sampled for the slot in the previous step")
    void placeholdersHonoured() {
        SequenceSpec spec = SequenceSpec.of(new int[] {5, 4, 3, 2, 1, 7, 9}, 12, SamplingParams.greedy(12), 3);
        Workload w = Workload.of(spec);
        Schedule explicit = new Schedule(64, 64, 0, Schedule.DraftSource.RANDOM, 0.0, 0, 0, 1);
        Schedule placeholders = new Schedule(64, 64, 0, Schedule.DraftSource.RANDOM, 1.0, 0, 0, 1);
        int[] a;
        try (Accelerator acc = openAvailable(4)) {
            a = PlanDriver.run(acc, w, explicit, null).tokens(0);
        }
        try (Accelerator acc = openAvailable(4)) {
            assertThat(PlanDriver.run(acc, w, placeholders, null).tokens(0)).containsExactly(a);
        }
    }

    @Test
    @DisplayName("a slot released in a plan can be reused by a new sequence of the same plan")
    void releasedSlotReusedInSamePlan() {
        int[] promptA = {11, 12, 13};
        int[] promptB = {21, 22, 23, 24, 25};
        try (Accelerator acc = openAvailable(4)) {
            int vocab = acc.model().vocabSize();
            for (int t = 0; t < promptA.length; t++) {
                promptA[t] %= vocab;
            }
            for (int t = 0; t < promptB.length; t++) {
                promptB[t] %= vocab;
            }
            int[] soloB;
            try (Accelerator fresh = openAvailable(4)) {
                soloB = PlanDriver.solo(fresh, SequenceSpec.of(promptB, 3, SamplingParams.greedy(3), 8));
            }
            StepPlan plan = new StepPlan();
            StepResult result = new StepResult(vocab, acc.maxProposals());
            plan.clear(0);
            int i = plan.addSequence(0, 8, SamplingParams.greedy(1), 0, 0, 0, StepPlan.FLAG_SAMPLE);
            plan.addTokens(promptA, 0, promptA.length);
            plan.setBlockTable(i, 0, new Table(1), 1);
            acc.execute(plan, result);
            // Slot 0's sequence ended: release it and start another sequence in slot 0, in the same plan.
            int[] got = new int[3];
            Table table = new Table(2, 3);
            for (int step = 0; step < 3; step++) {
                plan.clear(1 + step);
                if (step == 0) {
                    plan.addReleased(0);
                }
                int pos = step == 0 ? 0 : promptB.length + step - 1;
                i = plan.addSequence(0, 8, SamplingParams.greedy(3), 0, pos, 0, StepPlan.FLAG_SAMPLE);
                if (step == 0) {
                    plan.addTokens(promptB, 0, promptB.length);
                } else {
                    plan.addToken(StepPlan.PLACEHOLDER_TOKEN);
                }
                plan.setBlockTable(i, 0, table, 2);
                acc.execute(plan, result);
                got[step] = result.sampled(i, 0);
            }
            assertThat(got).containsExactly(soloB);
        }
    }

    @Provide
    Arbitrary<Workload> workloads() {
        return AcceleratorArbitraries.workloads(5, 40, 10);
    }

    @Provide
    Arbitrary<Schedule> schedules() {
        return AcceleratorArbitraries.schedules();
    }

    @Provide
    Arbitrary<Integer> blockSizes() {
        return net.jqwik.api.Arbitraries.of(1, 4, 16);
    }

    @Property(tries = 40)
    @AddLifecycleHook(SkipUnavailable.class)
    @Label("plans execute as specified and the same plans give the same tokens")
    void plansExecuteAsSpecifiedAndDeterministically(@ForAll("workloads") Workload workload,
                                                    @ForAll("schedules") Schedule schedule,
                                                    @ForAll("blockSizes") int blockSize) {
        int[][] oracle = solos(workload, blockSize);
        PlanDriver.Outcome first;
        try (Accelerator acc = openAvailable(blockSize)) {
            first = PlanDriver.run(acc, workload, schedule, oracle);
        }
        try (Accelerator acc = openAvailable(blockSize)) {
            PlanDriver.Outcome second = PlanDriver.run(acc, workload, schedule, oracle);
            assertThat(second.tokens()).as("same plans, same tokens").isDeepEqualTo(first.tokens());
        }
        for (int s = 0; s < workload.size(); s++) {
            if (!first.cancelled()[s]) {
                assertThat(first.tokens(s)).as("sequence %d generates maxTokens", s)
                        .hasSize(workload.get(s).maxTokens());
            }
        }
    }

    @Property(tries = 100)
    @AddLifecycleHook(SkipUnlessBatchInvariant.class)
    @Label("greedy sequences keep their solo tokens under any schedule, including speculation")
    void greedyTokensIgnoreTheSchedule(@ForAll("workloads") Workload workload,
                                       @ForAll("schedules") Schedule schedule,
                                       @ForAll("blockSizes") int blockSize) {
        int[][] solo = solos(workload, blockSize);
        PlanDriver.Outcome outcome;
        try (Accelerator acc = openAvailable(blockSize)) {
            outcome = PlanDriver.run(acc, workload, schedule, solo);
        }
        collectEvents(outcome);
        // Each kind of event happens in about a fifth of the tries: missing one in 100 tries has odds below 1e-9.
        for (String event : new String[] {"swap", "recompute", "shared prefix", "drafts accepted", "drafts rejected"}) {
            Statistics.label(event).coverage(c -> c.check(true).count(n -> n > 0));
        }
        for (int s = 0; s < workload.size(); s++) {
            SequenceSpec spec = workload.get(s);
            if (outcome.cancelled()[s] || !(spec.sampling().isGreedy() || !schedule.speculates())) {
                continue;
            }
            assertThat(outcome.tokens(s)).as("sequence %d %s under %s", s, spec, schedule).containsExactly(solo[s]);
        }
    }

    @Provide
    Arbitrary<Schedule> schedulesWithoutDrafts() {
        return AcceleratorArbitraries.schedulesWithoutDrafts();
    }

    @Property(tries = 30)
    @AddLifecycleHook(SkipUnlessBatchInvariant.class)
    @Label("seeded sampled sequences are reproducible under any schedule without speculation")
    void seededSamplingIgnoresTheSchedule(@ForAll("workloads") Workload workload,
                                          @ForAll("schedulesWithoutDrafts") Schedule schedule) {
        int[][] solo = solos(workload, 4);
        PlanDriver.Outcome outcome;
        try (Accelerator acc = openAvailable(4)) {
            outcome = PlanDriver.run(acc, workload, schedule, null);
        }
        for (int s = 0; s < workload.size(); s++) {
            if (!outcome.cancelled()[s]) {
                assertThat(outcome.tokens(s)).as("sequence %d", s).containsExactly(solo[s]);
            }
        }
    }

    @Test
    @DisplayName("a seeded sampled sequence is reproducible run to run, and its seed matters")
    void seededSamplingReproducible() {
        SamplingParams params = SamplingParams.builder().temperature(1.0).topP(0.95).seed(99).maxTokens(16).build();
        int[] prompt = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
        int[] a;
        int[] b;
        int[] c;
        try (Accelerator acc = openAvailable(16)) {
            a = PlanDriver.solo(acc, SequenceSpec.of(prompt, 16, params, 99));
        }
        try (Accelerator acc = openAvailable(16)) {
            b = PlanDriver.solo(acc, SequenceSpec.of(prompt, 16, params, 99));
        }
        try (Accelerator acc = openAvailable(16)) {
            c = PlanDriver.solo(acc, SequenceSpec.of(prompt, 16, params, 100));
        }
        assertThat(b).containsExactly(a);
        assertThat(c).as("another seed").isNotEqualTo(a);
    }

    @Test
    @DisplayName("greedy speculation with the expected drafts accepts them all and returns k + 1 tokens")
    void greedyDraftsAccepted() {
        int[] prompt = {7, 7, 3, 9, 1};
        SequenceSpec spec = SequenceSpec.of(prompt, 9, SamplingParams.greedy(9), 0);
        try (Accelerator acc = openAvailable(4)) {
            int[] expected = PlanDriver.solo(acc, spec);
            try (Accelerator dev = openAvailable(4)) {
                int vocab = dev.model().vocabSize();
                int[] p = Arrays.stream(prompt).map(t -> t % vocab).toArray();
                StepPlan plan = new StepPlan();
                StepResult result = new StepResult(vocab, dev.maxProposals());
                Table table = new Table(1, 2, 3, 4);
                plan.clear(0);
                int i = plan.addSequence(0, 0, SamplingParams.greedy(9), 0, 0, 0, StepPlan.FLAG_SAMPLE);
                plan.addTokens(p, 0, p.length);
                plan.setBlockTable(i, 0, table, 4);
                dev.execute(plan, result);
                assertThat(result.sampled(i, 0)).isEqualTo(expected[0]);
                plan.clear(1);
                i = plan.addSequence(0, 0, SamplingParams.greedy(9), 0, p.length, 4, StepPlan.FLAG_SAMPLE);
                plan.addToken(StepPlan.PLACEHOLDER_TOKEN);
                plan.addTokens(expected, 1, 4);
                plan.setBlockTable(i, 0, table, 4);
                dev.execute(plan, result);
                assertThat(result.sampledTokens(i)).containsExactly(Arrays.copyOfRange(expected, 1, 6));
            }
        }
    }

    /** Reports how often each kind of event happened over a property's tries. */
    static void collectEvents(PlanDriver.Outcome o) {
        Statistics.label("swap").collect(o.swaps() > 0);
        Statistics.label("recompute").collect(o.recomputes() > 0);
        Statistics.label("shared prefix").collect(o.sharedPrefixes() > 0);
        Statistics.label("drafts accepted").collect(o.draftsAccepted() > 0);
        Statistics.label("drafts rejected").collect(o.draftsAccepted() < o.draftsProposed());
    }

    private int[][] solos(Workload workload, int blockSize) {
        int[][] solo = new int[workload.size()][];
        try (Accelerator acc = openAvailable(blockSize)) {
            for (int s = 0; s < workload.size(); s++) {
                solo[s] = PlanDriver.solo(acc, workload.get(s));
            }
        }
        return solo;
    }

    // ------------------------------------------------------------------ KV data

    private KvBlockAccess kvAccess(Accelerator acc) {
        Assumptions.assumeTrue(acc instanceof KvBlockAccess, () -> "provider '" + provider().name()
                + "' holds no KV data (its devices do not implement KvBlockAccess): data checks skipped");
        return (KvBlockAccess) acc;
    }

    @Provide
    Arbitrary<List<AcceleratorArbitraries.MoveStep>> moveScripts() {
        return AcceleratorArbitraries.blockMoveScripts(12, 6);
    }

    @Property(tries = 40)
    @AddLifecycleHook(SkipWithoutKvData.class)
    @Label("block moves preserve data and run in plan order")
    void blockMovesPreserveData(@ForAll("moveScripts") List<AcceleratorArbitraries.MoveStep> script) {
        try (Accelerator acc = openAvailable(4)) {
            KvBlockAccess kv = kvAccess(acc);
            Assumptions.assumeTrue(acc.kvLayout().numHostBlocks() >= 6, "needs 6 host blocks");
            int bytes = Math.toIntExact(acc.kvLayout().bytesPerBlock());
            Map<Long, byte[]> expected = new HashMap<>();
            SplittableRandom rnd = new SplittableRandom(script.hashCode());
            StepPlan plan = new StepPlan();
            StepResult result = new StepResult(acc.model().vocabSize(), acc.maxProposals());
            long step = 0;
            for (AcceleratorArbitraries.MoveStep ms : script) {
                for (int[] w : ms.writes()) {
                    Tier tier = Tier.values()[w[0]];
                    byte[] data = kvBytes(rnd, bytes);
                    kv.writeBlock(tier, w[1], data, 0);
                    expected.put(key(tier, w[1]), data);
                }
                plan.clear(step++);
                for (int[] m : ms.moves()) {
                    BlockMoveKind kind = BlockMoveKind.values()[m[0]];
                    plan.addMove(kind, m[1], m[2]);
                    Tier from = kind == BlockMoveKind.SWAP_IN ? Tier.HOST : Tier.DEVICE;
                    Tier to = kind == BlockMoveKind.SWAP_OUT ? Tier.HOST : Tier.DEVICE;
                    byte[] data = expected.get(key(from, m[1]));
                    if (data == null) {
                        expected.remove(key(to, m[2]));
                    } else {
                        expected.put(key(to, m[2]), data);
                    }
                }
                acc.execute(plan, result);
                byte[] back = new byte[bytes];
                for (Map.Entry<Long, byte[]> e : expected.entrySet()) {
                    Tier tier = Tier.values()[(int) (e.getKey() >>> 32)];
                    int block = (int) (long) e.getKey();
                    kv.readBlock(tier, block, back, 0);
                    assertThat(back).as("%s block %d after %s", tier, block, ms).isEqualTo(e.getValue());
                }
            }
        }
    }

    @Property(tries = 15)
    @AddLifecycleHook(SkipWithoutKvData.class)
    @Label("the null block is never written")
    void nullBlockNeverWritten(@ForAll("workloads") Workload workload, @ForAll("schedules") Schedule schedule) {
        try (Accelerator acc = openAvailable(4)) {
            KvBlockAccess kv = kvAccess(acc);
            int bytes = Math.toIntExact(acc.kvLayout().bytesPerBlock());
            byte[] before = new byte[bytes];
            kv.readBlock(Tier.DEVICE, 0, before, 0);
            PlanDriver.run(acc, workload, schedule, null);
            byte[] after = new byte[bytes];
            kv.readBlock(Tier.DEVICE, 0, after, 0);
            assertThat(after).isEqualTo(before);
        }
    }

    @Test
    @DisplayName("a sequence swapped out and back into other blocks continues as if never moved")
    void swappedSequenceContinues() {
        try (Accelerator acc = openAvailable(4)) {
            kvAccess(acc);
        }
        SequenceSpec spec = SequenceSpec.of(new int[] {9, 8, 7, 6, 5, 4, 3, 2, 1}, 12, SamplingParams.greedy(12), 0);
        int[] solo;
        try (Accelerator acc = openAvailable(4)) {
            solo = PlanDriver.solo(acc, spec);
        }
        for (long seed = 0; seed < 5; seed++) {
            Schedule swapHeavy = new Schedule(3, 3, 0, Schedule.DraftSource.RANDOM, 0.5, 0.5, 0, seed);
            try (Accelerator acc = openAvailable(4)) {
                PlanDriver.Outcome o = PlanDriver.run(acc, Workload.of(spec), swapHeavy, null);
                assertThat(o.tokens(0)).as("%s", o).containsExactly(solo);
            }
        }
    }

    /** Bytes that form finite values in any KV data type the SPI knows (no byte above 0x3F). */
    private static byte[] kvBytes(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) rnd.nextInt(0x40);
        }
        return b;
    }

    private static long key(Tier tier, int block) {
        return ((long) tier.ordinal() << 32) | block;
    }

    /** A fixed block table. */
    protected static final class Table implements BlockTable {
        private final int[] ids;

        public Table(int... ids) {
            this.ids = ids.clone();
        }

        @Override
        public int size() {
            return ids.length;
        }

        @Override
        public int blockId(int index) {
            return ids[index];
        }
    }
}
