package dev.baton.kv;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;
import net.jqwik.api.statistics.Statistics;

import java.util.List;
import java.util.function.Supplier;

/**
 * Random action sequences over the manager (open, schedule with lookups and drafts, run steps that succeed or fail,
 * free, fork, swap out/in, reset) under several configurations; after every action: no block id held twice, free +
 * used = pool size in each tier, every reference count equals its holders (sequences and pins), cache flags match the
 * prefix indexes, and every findable block holds the content its hash stands for. Every step checks that each
 * scheduled sequence's blocks (hits, copies, swap-ins included) hold its own KV (see {@link KvModel}).
 */
class KvManagerPropertyTest {

    private static final int TRIES = 500;
    private static final int ACTIONS = 60;

    @Property(tries = TRIES)
    void lruWithHostOffload(@ForAll("lruOffload") ActionChain<KvModel> chain) {
        run(chain, HOST_HITS, OFFLOADS, SWAPS, COPIES, EVICTIONS);
    }

    @Property(tries = TRIES)
    void frequencyWithReuseFilterAndSha256(@ForAll("frequencySha") ActionChain<KvModel> chain) {
        run(chain, OFFLOADS, SWAPS, COPIES, EVICTIONS);
    }

    @Property(tries = TRIES)
    void priorityRetention(@ForAll("priority") ActionChain<KvModel> chain) {
        run(chain, COPIES, EVICTIONS);
    }

    @Property(tries = TRIES)
    void twoFullGroupsWithHostHits(@ForAll("twoGroups") ActionChain<KvModel> chain) {
        run(chain, HOST_HITS, OFFLOADS, SWAPS, EVICTIONS);
    }

    @Property(tries = TRIES)
    void hybridSlidingWindowWithSwap(@ForAll("hybrid") ActionChain<KvModel> chain) {
        run(chain, SWAPS, COPIES, EVICTIONS);
    }

    @Property(tries = 200)
    void cachingDisabled(@ForAll("noCaching") ActionChain<KvModel> chain) {
        run(chain, SWAPS, COPIES);
    }

    private static final String HOST_HITS = "host-tier hits";
    private static final String OFFLOADS = "offloads";
    private static final String SWAPS = "swap-ins";
    private static final String COPIES = "copy-on-write";
    private static final String EVICTIONS = "evictions";

    /** Runs a chain, then records which features it exercised; each named feature must show up in 3% of runs. */
    private static void run(ActionChain<KvModel> chain, String... required) {
        KvModel m = chain.withInvariant("kv invariants", KvModel::checkInvariants).run();
        KvCacheStats s = m.m.stats();
        Statistics.label(HOST_HITS).collect(s.hostHitTokens() > 0);
        Statistics.label(OFFLOADS).collect(s.offloadedBlocks() > 0);
        Statistics.label(SWAPS).collect(s.swappedInBlocks() > 0);
        Statistics.label(COPIES).collect(s.copiedBlocks() > 0);
        Statistics.label(EVICTIONS).collect(s.evictedBlocks() > 0);
        for (String feature : required) {
            Statistics.label(feature).coverage(c -> c.check(true).percentage(p -> p >= 3));
        }
    }

    @Provide
    Arbitrary<ActionChain<KvModel>> lruOffload() {
        return chains(() -> new KvModel(KvCacheConfig.builder().blockSize(4).numDeviceBlocks(14).numHostBlocks(10)
                .offloadPolicy(KvCacheConfig.OffloadPolicyKind.ALL).build()));
    }

    @Provide
    Arbitrary<ActionChain<KvModel>> frequencySha() {
        return chains(() -> new KvModel(KvCacheConfig.builder().blockSize(4).numDeviceBlocks(14).numHostBlocks(8)
                .hashAlgorithm(KvCacheConfig.HashAlgorithm.SHA_256)
                .evictionPolicy(KvCacheConfig.EvictionPolicyKind.FREQUENCY)
                .offloadPolicy(KvCacheConfig.OffloadPolicyKind.REUSED).build()));
    }

    @Provide
    Arbitrary<ActionChain<KvModel>> priority() {
        return chains(() -> new KvModel(KvCacheConfig.builder().blockSize(4).numDeviceBlocks(12)
                .evictionPolicy(KvCacheConfig.EvictionPolicyKind.PRIORITY)
                .clock(new TickingClock()).build()));
    }

    @Provide
    Arbitrary<ActionChain<KvModel>> twoGroups() {
        return chains(() -> new KvModel(KvCacheConfig.builder().blockSize(4).numDeviceBlocks(24).numHostBlocks(12)
                .groups(List.of(KvGroupSpec.FULL, KvGroupSpec.FULL))
                .offloadPolicy(KvCacheConfig.OffloadPolicyKind.ALL).build()));
    }

    @Provide
    Arbitrary<ActionChain<KvModel>> hybrid() {
        return chains(() -> new KvModel(KvCacheConfig.builder().blockSize(4).numDeviceBlocks(24).numHostBlocks(16)
                .groups(List.of(KvGroupSpec.FULL, KvGroupSpec.slidingWindow(6)))
                .evictionPolicy(KvCacheConfig.EvictionPolicyKind.FREQUENCY).build()));
    }

    @Provide
    Arbitrary<ActionChain<KvModel>> noCaching() {
        return chains(() -> new KvModel(KvCacheConfig.builder().blockSize(4).numDeviceBlocks(16).numHostBlocks(8)
                .enablePrefixCaching(false).build()));
    }

    /** Each read advances a nanosecond, so retention durations expire during a run. */
    static final class TickingClock implements dev.baton.api.Clock {
        private long now;

        @Override
        public long nanoTime() {
            return now++;
        }
    }

    private static Arbitrary<ActionChain<KvModel>> chains(Supplier<KvModel> model) {
        return ActionChain.startWith(model)
                .withAction(4, new OpenAction())
                .withAction(6, new ScheduleAction())
                .withAction(5, new StepAction())
                .withAction(6, new TickAction())
                .withAction(4, indexed("free", KvModel::free))
                .withAction(1, indexed("fork", KvModel::fork))
                .withAction(1, indexed("swapOut", KvModel::swapOut))
                .withAction(1, new SwapInAction())
                .withAction(1, Action.just("reset", Transformer.mutate("reset", KvModel::reset)))
                .withMaxTransformations(ACTIONS);
    }

    private interface IndexedOp {
        void apply(KvModel model, int index);
    }

    private static Action.Independent<KvModel> indexed(String name, IndexedOp op) {
        return new Action.Independent<>() {
            @Override
            public boolean precondition(KvModel m) {
                return !m.live.isEmpty();
            }

            @Override
            public Arbitrary<Transformer<KvModel>> transformer() {
                return Arbitraries.integers().between(0, 7)
                        .map(i -> Transformer.mutate(name + "(" + i + ")", m -> op.apply(m, i)));
            }
        };
    }

    private static final class OpenAction implements Action.Independent<KvModel> {
        @Override
        public boolean precondition(KvModel m) {
            return m.live.size() < 6;
        }

        @Override
        public Arbitrary<Transformer<KvModel>> transformer() {
            return Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 8),
                            Arbitraries.integers().between(0, 6), Arbitraries.integers().between(0, 3),
                            Arbitraries.integers().between(0, 3))
                    .as((doc, suffix, future, ctx, ret) -> Transformer.mutate(
                            "open(doc " + doc + ", +" + suffix + ", ctx " + ctx + ", ret " + ret + ")",
                            m -> m.open(doc, suffix, future, ctx, ret)));
        }
    }

    private static final class ScheduleAction implements Action.Independent<KvModel> {
        @Override
        public boolean precondition(KvModel m) {
            return !m.live.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<KvModel>> transformer() {
            return Combinators.combine(Arbitraries.integers().between(0, 7), Arbitraries.integers().between(1, 12),
                            Arbitraries.integers().between(0, 3).withDistribution(
                                    net.jqwik.api.RandomDistribution.uniform()))
                    .as((i, n, d) -> Transformer.mutate("schedule(" + i + ", " + n + " new, " + d + " drafts)",
                            m -> m.schedule(i, n, d)));
        }
    }

    private static final class StepAction implements Action.Independent<KvModel> {
        @Override
        public Arbitrary<Transformer<KvModel>> transformer() {
            return Arbitraries.integers().between(0, 9).map(r -> r == 0
                    ? Transformer.mutate("step(fail)", m -> m.runStep(false))
                    : Transformer.mutate("step", m -> m.runStep(true)));
        }
    }

    private static final class TickAction implements Action.Independent<KvModel> {
        @Override
        public Arbitrary<Transformer<KvModel>> transformer() {
            return Arbitraries.integers().between(0, 1 << 20)
                    .map(seed -> Transformer.mutate("tick(" + seed + ")", m -> m.tick(seed)));
        }
    }

    private static final class SwapInAction implements Action.Independent<KvModel> {
        @Override
        public boolean precondition(KvModel m) {
            return m.live.stream().anyMatch(l -> l.swapped);
        }

        @Override
        public Arbitrary<Transformer<KvModel>> transformer() {
            return Combinators.combine(Arbitraries.integers().between(0, 7), Arbitraries.integers().between(0, 4))
                    .as((i, k) -> Transformer.mutate("swapIn(" + i + ", +" + k + ")", m -> {
                        int n = 0;
                        for (int j = 0; j < m.live.size(); j++) {
                            if (m.live.get(j).swapped && n++ == i % Math.max(1, (int) m.live.stream()
                                    .filter(l -> l.swapped).count())) {
                                m.swapIn(j, k);
                                return;
                            }
                        }
                    }));
        }
    }
}
