package dev.baton.scheduler.policy;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Accelerators;
import dev.baton.accelerator.CostModel;
import dev.baton.api.VirtualClock;
import dev.baton.scheduler.core.Sequence;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The composable queue: bands, then fairness, then order within a tenant. */
class FlowQueueTest {
    private final Seqs seqs = new Seqs();

    private static List<Sequence> drain(FlowQueue q) {
        List<Sequence> out = new ArrayList<>();
        Sequence s;
        while ((s = q.pop()) != null) {
            out.add(s);
        }
        return out;
    }

    @Test
    @DisplayName("the default is FCFS: arrival order, whatever the priority or tenant")
    void fcfs() {
        FlowQueue q = FlowQueue.builder().build();
        Sequence a = seqs.seq("x", 5, 10, 0, null);
        Sequence b = seqs.seq("y", 0, 10, 0, null);
        Sequence c = seqs.seq("x", 1, 10, 0, null);
        q.add(a);
        q.add(b);
        q.add(c);
        assertThat(q.size()).isEqualTo(3);
        assertThat(q).containsExactly(a, b, c);
        assertThat(drain(q)).containsExactly(a, b, c);
        assertThat(q.isEmpty()).isTrue();
    }

    @Test
    @DisplayName("priority bands serve lower values strictly first, FCFS within a band (SCH-8's order)")
    void bands() {
        FlowQueue q = FlowQueue.builder().priorityBands(true).build();
        // SCH-8: priorities [2,1,1,0], arrivals [1,3,2,4] -> ["3","2","1","0"]
        Sequence r0 = seqs.seq("t", 2, 10, 1, null);
        Sequence r2 = seqs.seq("t", 1, 10, 2, null);
        Sequence r1 = seqs.seq("t", 1, 10, 3, null);
        Sequence r3 = seqs.seq("t", 0, 10, 4, null);
        q.add(r0);
        q.add(r1);
        q.add(r2);
        q.add(r3);
        // arrival order is the sequence number: r0 < r2 < r1 < r3 as created
        assertThat(drain(q)).containsExactly(r3, r2, r1, r0);
    }

    @Test
    @DisplayName("EDF serves the earliest TTFT deadline first; requests without a target last")
    void edf() {
        FlowQueue q = FlowQueue.builder().order(QueueOrder.edf()).demoteLate(false).build();
        Sequence none = seqs.seq("t", 0, 10, 0, null);
        Sequence late = seqs.seq("t", 0, 10, 0, Duration.ofSeconds(5));
        Sequence soon = seqs.seq("t", 0, 10, 1_000_000_000L, Duration.ofSeconds(1));
        q.add(none);
        q.add(late);
        q.add(soon);
        assertThat(drain(q)).containsExactly(soon, late, none);
    }

    @Test
    @DisplayName("least slack first: a long prompt must start before a short one with the same deadline")
    void leastSlack() {
        CostModel cm = Accelerators.open("sim:h100/llama-3.1-8b",
                AcceleratorConfig.builder().clock(new VirtualClock()).build()).costModel();
        FlowQueue q = FlowQueue.builder().order(QueueOrder.leastSlack(cm, 2048)).build();
        Sequence shortPrompt = seqs.seq("t", 0, 100, 0, Duration.ofSeconds(1));
        Sequence longPrompt = seqs.seq("t", 0, 16_000, 0, Duration.ofSeconds(1));
        q.add(shortPrompt);
        q.add(longPrompt);
        assertThat(drain(q)).containsExactly(longPrompt, shortPrompt);
    }

    @Test
    @DisplayName("with a deadline order, requests that can no longer start in time go behind the on-time ones")
    void hopelessLast() {
        FlowQueue q = FlowQueue.builder().order(QueueOrder.edf()).build();
        Sequence missed = seqs.seq("t", 0, 10, 0, Duration.ofMillis(100));
        Sequence onTime = seqs.seq("t", 0, 10, 0, Duration.ofSeconds(10));
        q.add(missed);
        q.add(onTime);
        q.beforeStep(50_000_000L);
        assertThat(q.peek()).isSameAs(missed);
        q.beforeStep(200_000_000L);
        assertThat(q).containsExactly(onTime, missed);
        assertThat(drain(q)).containsExactly(onTime, missed);
    }

    @Test
    @DisplayName("aging SJF: shorter first, but a long request ages past later short ones")
    void agingSjf() {
        // 1000 tokens per second of aging: 1 s of waiting is worth 1000 tokens of length.
        FlowQueue q = FlowQueue.builder().order(QueueOrder.agingShortestFirst(QueueOrder::promptLength, 1000))
                .build();
        Sequence longOld = seqs.seq("t", 0, 3000, 0, null);
        Sequence shortNew = seqs.seq("t", 0, 100, 1_000_000_000L, null);      // key 1.0 s + 0.1 s
        Sequence shortLater = seqs.seq("t", 0, 100, 3_500_000_000L, null);    // key 3.5 s + 0.1 s > 3.0 s
        q.add(shortLater);
        q.add(longOld);
        q.add(shortNew);
        assertThat(drain(q)).containsExactly(shortNew, longOld, shortLater);
    }

    @Test
    @DisplayName("remove() takes a sequence out of its flow or the late tier; a second remove finds nothing")
    void remove() {
        FlowQueue q = FlowQueue.builder().priorityBands(true).fairness(VirtualTokenCounters.equalWeights())
                .order(QueueOrder.edf()).onQueueTimeout(QueueTimeoutAction.DELAY).build();
        List<Sequence> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Sequence s = seqs.seq("t" + (i % 3), i % 2, 10 + i, i, Duration.ofSeconds(1 + i));
            all.add(s);
            q.add(s);
        }
        assertThat(q.delayExpired(all.get(4))).isTrue();
        assertThat(q.remove(all.get(4))).isTrue();
        assertThat(q.remove(all.get(4))).isFalse();
        assertThat(q.remove(all.get(7))).isTrue();
        assertThat(q.size()).isEqualTo(18);
        List<Sequence> rest = drain(q);
        assertThat(rest).hasSize(18).doesNotContain(all.get(4), all.get(7));
        assertThat(rest).allSatisfy(s -> assertThat(s.queueIndex()).isEqualTo(-1));
    }

    @Test
    @DisplayName("VTC: the tenant with the smaller counter goes next; a flood from one tenant does not starve another")
    void vtcAlternates() {
        VirtualTokenCounters vtc = VirtualTokenCounters.equalWeights();
        FlowQueue q = FlowQueue.builder().fairness(vtc).build();
        for (int i = 0; i < 10; i++) {
            q.add(seqs.seq("flood", 100));
        }
        q.add(seqs.seq("quiet", 100));
        q.add(seqs.seq("quiet", 100));
        List<String> order = new ArrayList<>();
        for (Sequence s : drain(q)) {
            order.add(s.tenant());
        }
        // Both start at 0; each pop charges 100 prompt tokens; ties go to the earlier head.
        assertThat(order.subList(0, 4)).containsExactly("flood", "quiet", "flood", "quiet");
        assertThat(vtc.service("flood")).isEqualTo(1000);
        assertThat(vtc.service("quiet")).isEqualTo(200);
    }

    @Test
    @DisplayName("VTC: a returning tenant is lifted to the smallest backlogged counter, so idling banks no credit")
    void vtcLift() {
        VirtualTokenCounters vtc = VirtualTokenCounters.equalWeights();
        FlowQueue q = FlowQueue.builder().fairness(vtc).build();
        q.add(seqs.seq("busy", 500));
        q.add(seqs.seq("busy", 500));
        q.add(seqs.seq("busy", 500));
        q.pop();
        q.pop();
        assertThat(vtc.counter("busy")).isEqualTo(1000);
        // "idle" was never served; without the lift it would now get the next 1000 tokens of service in a row.
        q.add(seqs.seq("idle", 500));
        assertThat(vtc.counter("idle")).isEqualTo(1000);
        // Once nobody is backlogged, a newcomer is lifted to the counter of the tenant that left last.
        assertThat(q.pop().tenant()).isEqualTo("busy"); // tie at 1000: the earlier head
        assertThat(q.pop().tenant()).isEqualTo("idle");
        assertThat(vtc.counter("idle")).isEqualTo(1500);
        q.add(seqs.seq("late", 10));
        assertThat(vtc.counter("late")).isEqualTo(1500);
    }

    @Test
    @DisplayName("VTC: a head handed back unstarted (set aside) is refunded; output tokens are charged per token")
    void vtcRefundAndOutput() {
        VirtualTokenCounters vtc = new VirtualTokenCounters(Map.of("heavy", 2.0), 1, 1, 2);
        FlowQueue q = FlowQueue.builder().fairness(vtc).build();
        Sequence s = seqs.seq("heavy", 300);
        q.add(s);
        assertThat(q.pop()).isSameAs(s);
        assertThat(vtc.service("heavy")).isEqualTo(300);
        assertThat(vtc.counter("heavy")).isEqualTo(150);
        q.prepend(s);
        assertThat(vtc.service("heavy")).isZero();
        q.onOutput(s, 10);
        assertThat(vtc.service("heavy")).isEqualTo(20);
        assertThat(vtc.counter("heavy")).isEqualTo(10);
    }

    @Test
    @DisplayName("DELAY keeps an expired request but serves it after its band's unexpired ones; REJECT declines")
    void delay() {
        FlowQueue delaying = FlowQueue.builder().priorityBands(true).onQueueTimeout(QueueTimeoutAction.DELAY).build();
        Sequence expired = seqs.seq("t", 0, 10, 0, null);
        Sequence fresh = seqs.seq("t", 0, 10, 0, null);
        Sequence lower = seqs.seq("t", 1, 10, 0, null);
        delaying.add(expired);
        delaying.add(fresh);
        delaying.add(lower);
        assertThat(delaying.delayExpired(expired)).isTrue();
        assertThat(drain(delaying)).containsExactly(fresh, expired, lower);

        FlowQueue rejecting = FlowQueue.builder().build();
        Sequence x = seqs.seq("t", 0, 10, 0, null);
        rejecting.add(x);
        assertThat(rejecting.delayExpired(x)).isFalse();
        assertThat(rejecting.peek()).isSameAs(x);
    }
}
