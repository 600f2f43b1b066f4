package dev.baton.scheduler.core;

import dev.baton.api.FinishReason;
import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.kv.KvCacheConfig;
import dev.baton.scheduler.PreemptionMode;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static dev.baton.scheduler.core.SchedulerHarness.prompt;
import static dev.baton.scheduler.core.SchedulerHarness.tokens;
import static org.assertj.core.api.Assertions.assertThat;

/** Scheduler behaviours beyond the vLLM conformance cases: Baton's extensions and their edge cases. */
class StepSchedulerTest {

    private static int count(StepPlan plan, BlockMoveKind kind) {
        int n = 0;
        for (int m = 0; m < plan.numMoves(); m++) {
            if (plan.moveKind(m) == kind) {
                n++;
            }
        }
        return n;
    }

    @Test
    @DisplayName("max-loras: a request over the adapter limit is set aside without blocking the queue")
    void loraLimitSkipsWithoutBlocking() {
        SchedulerHarness h = SchedulerHarness.fcfs(b -> b.maxLoras(1));
        h.add(InferenceRequest.withPrompt(prompt(8, 1)).requestId("a1").loraAdapter("A").build(), h.nextArrival(), 1);
        h.add(InferenceRequest.withPrompt(prompt(8, 2)).requestId("b1").loraAdapter("B").build(), h.nextArrival(), 2);
        h.add(InferenceRequest.withPrompt(prompt(8, 3)).requestId("a2").loraAdapter("A").build(), h.nextArrival(), 1);
        h.add(InferenceRequest.withPrompt(prompt(8, 4)).requestId("base").build(), h.nextArrival(), 0);
        ScheduledStep s = h.schedule();
        assertThat(tokens(s).keySet()).containsExactly("a1", "a2", "base");
        assertThat(h.waitingKeys()).containsExactly("b1");
        h.outputAll(s, SchedulerHarness.EOS);
        assertThat(tokens(h.schedule()).keySet()).containsExactly("b1");
    }

    @Test
    @DisplayName("skip-ahead lets small requests pass a head that does not fit, until the head has waited too long")
    void skipAheadWithAging() {
        // 10 usable blocks of 16 tokens; "big" needs 9 of them while "hog" holds 5.
        SchedulerHarness h = SchedulerHarness.fcfs(b -> b.skipAhead(true).skipAheadMaxWait(Duration.ofSeconds(2)),
                11, 16, false);
        h.add("hog", prompt(70, 1), SamplingParams.greedy(200));
        h.outputAll(h.schedule(), 5);
        h.add("big", prompt(140, 2), SamplingParams.greedy(1));
        h.add("small", prompt(10, 3), SamplingParams.greedy(1));
        ScheduledStep s = h.schedule();
        assertThat(tokens(s)).containsOnlyKeys("hog", "small");
        assertThat(h.waitingKeys()).containsExactly("big");
        h.outputAll(s, 5);
        // After the aging bound, the head is no longer passed over: a new small request must wait behind it.
        h.clock.advance(Duration.ofSeconds(3).toNanos());
        h.add("small2", prompt(10, 4), SamplingParams.greedy(1));
        ScheduledStep aged = h.schedule();
        assertThat(tokens(aged)).containsOnlyKeys("hog");
        assertThat(h.waitingKeys()).containsExactly("big", "small2");
    }

    @Test
    @DisplayName("without skip-ahead a head that does not fit in KV blocks the queue (vLLM behaviour)")
    void headOfLineWithoutSkipAhead() {
        SchedulerHarness h = SchedulerHarness.fcfs(b -> { }, 11, 16, false);
        h.add("hog", prompt(70, 1), SamplingParams.greedy(200));
        h.outputAll(h.schedule(), 5);
        h.add("big", prompt(140, 2), SamplingParams.greedy(1));
        h.add("small", prompt(10, 3), SamplingParams.greedy(1));
        assertThat(tokens(h.schedule())).containsOnlyKeys("hog");
    }

    @Test
    @DisplayName("max-num-partial-prefills bounds how many prompts are mid-prefill at once")
    void partialPrefillLimit() {
        SchedulerHarness h = SchedulerHarness.fcfs(b -> b.maxNumBatchedTokens(512).longPrefillTokenThreshold(200)
                .maxNumPartialPrefills(1));
        h.addMany(3, 1000);
        ScheduledStep s = h.schedule();
        assertThat(tokens(s)).containsExactly(Map.entry("0", 200));
        h.output(s, Map.of());
        assertThat(tokens(h.schedule())).containsExactly(Map.entry("0", 200));
    }

    @Test
    @DisplayName("prefill backlog: the waiting prompts plus what running partial prefills have left, 0 once only "
            + "decodes remain")
    void prefillBacklog() {
        SchedulerHarness h = SchedulerHarness.fcfs(b -> b.maxNumBatchedTokens(512));
        h.addMany(3, 1000);
        assertThat(h.scheduler.prefillBacklogTokens()).as("before any plan: the waiting prompts").isEqualTo(3000);
        ScheduledStep s = h.schedule();
        assertThat(tokens(s)).containsExactly(Map.entry("0", 512));
        // Two waiting prompts and the rest of request 0's.
        assertThat(s.prefillLeftTokens()).isEqualTo(2000 + (1000 - 512));
        assertThat(h.scheduler.prefillBacklogTokens()).isEqualTo(s.prefillLeftTokens());
        h.output(s, Map.of());
        for (int i = 0; i < 10 && s.prefillLeftTokens() > 0; i++) {
            s = h.schedule();
            h.outputAll(s, 7);
        }
        assertThat(s.prefillLeftTokens()).isZero();
        ScheduledStep decodes = h.schedule();
        assertThat(tokens(decodes)).isEqualTo(Map.of("0", 1, "1", 1, "2", 1));
        assertThat(decodes.prefillLeftTokens()).as("decodes are not prefill work").isZero();
        assertThat(h.scheduler.prefillBacklogTokens()).isZero();
    }

    @Test
    @DisplayName("swap preemption keeps the victim's KV on the host and resumes it without recomputation")
    void swapPreemption() {
        KvCacheConfig kv = KvCacheConfig.builder().numDeviceBlocks(11).numHostBlocks(20).blockSize(16)
                .enablePrefixCaching(false).build();
        SchedulerHarness h = SchedulerHarness.with(b -> b.maxNumBatchedTokens(100)
                .preemptionMode(PreemptionMode.SWAP), kv);
        h.add("0", prompt(80, 0), SamplingParams.greedy(16));
        ScheduledStep s1 = h.schedule();
        h.add("1", prompt(80, 1), SamplingParams.greedy(16));
        ScheduledStep s2 = h.schedule();
        assertThat(h.kv.numFreeBlocks()).isZero();
        h.output(s1, Map.of("0", new int[] {7}));
        ScheduledStep s3 = h.schedule();
        assertThat(h.seq("1").status()).isEqualTo(SequenceStatus.PREEMPTED);
        assertThat(h.seq("1").isSwapped()).isTrue();
        assertThat(h.seq("1").numComputed()).as("swapped KV is kept").isEqualTo(80);
        assertThat(count(s3.plan(), BlockMoveKind.SWAP_OUT)).isEqualTo(5);
        assertThat(h.scheduler.totalSwapPreemptions()).isEqualTo(1);
        // Request 1's in-flight output still lands; then request 0 finishes and request 1 comes back with a swap-in
        // and only its new token to compute.
        h.output(s2, Map.of("1", new int[] {42}));
        h.output(s3, Map.of("0", new int[] {SchedulerHarness.EOS}));
        ScheduledStep s4 = h.schedule();
        assertThat(tokens(s4)).containsExactly(Map.entry("1", 1));
        assertThat(count(s4.plan(), BlockMoveKind.SWAP_IN)).isEqualTo(5);
        assertThat(h.seq("1").isSwapped()).isFalse();
    }

    @Test
    @DisplayName("n > 1: samples are forked from sample 0 after its prompt, sharing blocks copy-on-write")
    void parallelSamplesFork() {
        SchedulerHarness h = SchedulerHarness.fcfs(b -> { });
        h.add(InferenceRequest.withPrompt(prompt(20, 3)).requestId("r").parallelSamples(3)
                .sampling(SamplingParams.builder().maxTokens(4).temperature(1).build()).build(), h.nextArrival(), 0);
        ScheduledStep s1 = h.schedule();
        assertThat(tokens(s1)).containsExactly(Map.entry("r", 20));
        int freeBefore = h.kv.numFreeBlocks();
        h.output(s1, Map.of("r", new int[] {11}));
        ScheduledStep s2 = h.schedule();
        assertThat(tokens(s2)).containsExactly(Map.entry("r", 1), Map.entry("r#2", 1), Map.entry("r#1", 1));
        assertThat(s2.plan().position(1)).as("a child recomputes the last prompt token").isEqualTo(19);
        assertThat(count(s2.plan(), BlockMoveKind.COPY)).as("the shared partial block is copied per writer")
                .isGreaterThanOrEqualTo(2);
        assertThat(h.kv.numFreeBlocks()).isLessThan(freeBefore);
        for (int i = 0; i < 4; i++) {
            h.outputAll(i == 0 ? s2 : h.schedule(), 9);
        }
        Request r = h.requests.get("r");
        assertThat(r.isFinished()).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(r.sample(i).finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(r.sample(i).numOutput()).isEqualTo(4);
        }
        assertThat(h.kv.numFreeBlocks()).isEqualTo(10000 - 1);
    }

    @Test
    @DisplayName("one step ahead: a decode planned before its previous token is known carries a placeholder input")
    void asyncPlaceholders() {
        SchedulerHarness h = SchedulerHarness.fcfs(b -> b.asyncScheduling(true));
        h.add("0", prompt(10, 1), SamplingParams.greedy(3));
        ScheduledStep s1 = h.schedule();
        ScheduledStep s2 = h.schedule();
        assertThat(tokens(s2)).containsExactly(Map.entry("0", 1));
        assertThat(s2.plan().token(0, 0)).isEqualTo(StepPlan.PLACEHOLDER_TOKEN);
        assertThat(s2.plan().position(0)).isEqualTo(10);
        h.output(s1, Map.of("0", new int[] {21}));
        ScheduledStep s3 = h.schedule();
        h.output(s2, Map.of("0", new int[] {22}));
        // Two tokens are known and one is in flight: the third (last) token is already planned, nothing more.
        assertThat(tokens(s3)).containsExactly(Map.entry("0", 1));
        assertThat(h.schedule().numSeqs()).isZero();
        h.output(s3, Map.of("0", new int[] {23}));
        assertThat(h.seq("0").outputTokens()).containsExactly(21, 22, 23);
        assertThat(h.seq("0").finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    @DisplayName("priority: a strictly more important arrival displaces the least important runner; equals do not")
    void priorityDisplacementWhenSlotsAreFull() {
        SchedulerHarness h = SchedulerHarness.priority(b -> b.maxNumSeqs(2), 10000, 16);
        h.add("lo", prompt(10, 1), SamplingParams.greedy(50), 5, 1);
        h.add("mid", prompt(10, 2), SamplingParams.greedy(50), 3, 2);
        h.outputAll(h.schedule(), 7);
        h.add("mid2", prompt(10, 3), SamplingParams.greedy(50), 5, 3);
        ScheduledStep equal = h.schedule();
        assertThat(tokens(equal)).containsOnlyKeys("lo", "mid");
        h.outputAll(equal, 7);
        h.add("hi", prompt(10, 4), SamplingParams.greedy(50), 0, 4);
        ScheduledStep s = h.schedule();
        assertThat(tokens(s)).containsOnlyKeys("mid", "hi");
        assertThat(h.seq("lo").status()).isEqualTo(SequenceStatus.PREEMPTED);
        assertThat(h.seq("lo").numPreemptions()).isEqualTo(1);
    }

    @Test
    @DisplayName("max-preemptions: a request preempted too often ends with KV_EXHAUSTED and frees its blocks")
    void preemptionLimit() {
        SchedulerHarness h = SchedulerHarness.priority(b -> b.maxNumSeqs(1).maxPreemptions(1), 100, 16);
        h.add("lo", prompt(40, 1), SamplingParams.greedy(100), 5, 1);
        h.outputAll(h.schedule(), 3);
        h.add("hi1", prompt(10, 2), SamplingParams.greedy(1), 0, 2);
        h.outputAll(h.schedule(), 3);
        assertThat(h.seq("lo").numPreemptions()).isEqualTo(1);
        assertThat(h.seq("hi1").isFinished()).isTrue();
        h.outputAll(h.schedule(), 3);
        assertThat(h.seq("lo").status()).isEqualTo(SequenceStatus.RUNNING);
        h.add("hi2", prompt(10, 3), SamplingParams.greedy(1), 0, 3);
        h.outputAll(h.schedule(), 3);
        assertThat(h.seq("lo").finishReason()).isEqualTo(FinishReason.KV_EXHAUSTED);
        assertThat(h.seq("lo").numPreemptions()).isEqualTo(2);
        assertThat(h.kv.numFreeBlocks()).isEqualTo(99);
    }

    @Test
    @DisplayName("admit-only-if-prompt-fits: a prompt starts only when KV for all of it is free")
    void admitOnlyIfPromptFits() {
        SchedulerHarness h = SchedulerHarness.fcfs(b -> b.maxNumBatchedTokens(64).admitOnlyIfPromptFits(true),
                11, 16, false);
        h.add("hog", prompt(100, 1), SamplingParams.greedy(5));
        h.add("next", prompt(100, 2), SamplingParams.greedy(5));
        ScheduledStep s = h.schedule();
        assertThat(tokens(s)).containsOnlyKeys("hog");
        h.output(s, Map.of());
        assertThat(tokens(h.schedule())).containsOnlyKeys("hog");
    }

    @Test
    @DisplayName("resume hysteresis: a preempted request waits until it fits with the watermark to spare")
    void resumeWatermark() {
        SchedulerHarness h = SchedulerHarness.fcfs(b -> b.maxNumBatchedTokens(100).resumeWatermark(0.3),
                11, 16, false);
        h.add("0", prompt(80, 0), SamplingParams.greedy(30));
        h.add("1", prompt(80, 1), SamplingParams.greedy(30));
        h.outputAll(h.schedule(), 3);
        h.outputAll(h.schedule(), 3);
        ScheduledStep s = h.schedule();
        assertThat(h.seq("1").status()).isEqualTo(SequenceStatus.PREEMPTED);
        h.outputAll(s, 3);
        // Request 0 holds 6 blocks; 1 needs 6 + a reserve of 3: it must not come back while 0 runs.
        ScheduledStep next = h.schedule();
        assertThat(tokens(next)).containsOnlyKeys("0");
    }

    /** Runs in-order steps, every sampling sequence getting {@code token}, until nothing is left (at most 500). */
    private static void runToQuiescence(SchedulerHarness h, int token) {
        for (int i = 0; i < 500; i++) {
            ScheduledStep s = h.schedule();
            if (!s.isEmpty()) {
                h.outputAll(s, token);
            } else if (!h.scheduler.hasWork()) {
                return;
            }
        }
        throw new AssertionError("no quiescence after 500 steps: running " + h.runningKeys() + ", waiting "
                + h.waitingKeys() + ", free blocks " + h.kv.numFreeBlocks());
    }

    @Test
    @DisplayName("a forked child parked in the queue with its parent's blocks gives them back when nothing runs and "
            + "the head cannot start (found by BatchInvarianceProperties)")
    void parkedForkDoesNotDeadlockTheQueue() {
        // 5 usable blocks of 16, all taken by Y (2) and A (3, n = 2) in step 0. A's first token forks A#1, which
        // shares A's 3 blocks and waits in the queue with them. Every block is taken, and A#1's hold them while nothing
        // of its own runs: whoever runs short must get them back (once A preempted itself here and Y then found too
        // few blocks with nothing running; now a sequence that would preempt itself takes them from A#1 first).
        SchedulerHarness h = SchedulerHarness.fcfs(b -> { }, 6, 16, true);
        h.add("Y", prompt(30, 1), SamplingParams.greedy(40));
        h.add(InferenceRequest.withPrompt(prompt(40, 2)).requestId("A").parallelSamples(2)
                .sampling(SamplingParams.greedy(5)).build(), h.nextArrival(), 0);
        runToQuiescence(h, 9);
        assertThat(h.seq("Y").finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(h.seq("Y").numOutput()).isEqualTo(40);
        Request a = h.requests.get("A");
        for (int i = 0; i < 2; i++) {
            assertThat(a.sample(i).finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(a.sample(i).outputTokens()).containsExactly(9, 9, 9, 9, 9);
        }
        assertThat(h.scheduler.totalPreemptions()).as("the scenario runs short of blocks").isPositive();
        assertThat(h.kv.numFreeBlocks()).isEqualTo(5);
    }

    @Test
    @DisplayName("an empty step drains no KV record: swap-ins after an idle step unpin their host blocks when applied "
            + "(found by BatchInvarianceProperties)")
    void emptyStepsKeepTheKvLedgerAligned() {
        KvCacheConfig kv = KvCacheConfig.builder().numDeviceBlocks(11).numHostBlocks(20).blockSize(16)
                .enablePrefixCaching(false).build();
        SchedulerHarness h = SchedulerHarness.with(b -> b.maxNumBatchedTokens(100)
                .preemptionMode(PreemptionMode.SWAP), kv);
        // Idle steps, as an engine loop plans them while it waits for work; nobody launches or applies them.
        for (int i = 0; i < 10; i++) {
            assertThat(h.schedule().isEmpty()).isTrue();
        }
        h.add("0", prompt(80, 0), SamplingParams.greedy(3));
        h.add("1", prompt(80, 1), SamplingParams.greedy(3));
        runToQuiescence(h, 7);
        assertThat(h.scheduler.totalSwapPreemptions()).as("the scenario swaps").isPositive();
        assertThat(h.kv.stats().swappedInBlocks()).isPositive();
        assertThat(h.kv.stats().freeHostBlocks()).as("host blocks unpinned").isEqualTo(20);
        assertThat(h.kv.numFreeBlocks()).isEqualTo(10);
    }
}
