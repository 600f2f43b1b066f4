package dev.baton.scheduler.policy;

import dev.baton.scheduler.core.Sequence;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The fair queue's hooks for latency isolation: deferred tenants (served only when no other tenant waits), the demand
 * it records on arrival, and when each tenant's oldest waiting request arrived.
 */
class FlowQueueDeferralTest {
    private final Seqs seqs = new Seqs();

    private static List<String> tenantsOf(FlowQueue q) {
        List<String> out = new ArrayList<>();
        Sequence s;
        while ((s = q.pop()) != null) {
            out.add(s.tenant());
        }
        return out;
    }

    @Test
    @DisplayName("a deferred tenant with the smaller counter waits while another tenant has a request; alone, it is served")
    void deferredWaitsForTheOthers() {
        VirtualTokenCounters vtc = VirtualTokenCounters.equalWeights();
        Set<String> deferred = new HashSet<>();
        FlowQueue q = FlowQueue.builder().fairness(vtc).deferredTenants(deferred::contains, t -> !deferred.contains(t))
                .build();
        Sequence heavy1 = seqs.seq("heavy", 100);
        Sequence heavy2 = seqs.seq("heavy", 100);
        Sequence light1 = seqs.seq("light", 100);
        Sequence light2 = seqs.seq("light", 100);
        q.add(heavy1);
        q.add(heavy2);
        q.add(light1);
        q.add(light2);
        q.onOutput(light1, 1000); // light is far ahead in service: VTC alone would serve heavy first
        assertThat(vtc.counter("heavy")).isLessThan(vtc.counter("light"));
        assertThat(q.peek()).isSameAs(heavy1);

        deferred.add("heavy");
        q.beforeStep(0); // who is deferred is asked anew every step
        assertThat(q.peek()).isSameAs(light1);
        assertThat(q.pop()).isSameAs(light1);
        assertThat(q.pop()).isSameAs(light2);
        // Only the deferred tenant is left: it is served, in its own order.
        assertThat(q.pop()).isSameAs(heavy1);
        q.add(seqs.seq("light", 100));
        assertThat(q.pop().tenant()).as("a new arrival of a tenant that is not deferred goes first").isEqualTo("light");
        assertThat(q.pop()).isSameAs(heavy2);
        assertThat(q.isEmpty()).isTrue();
    }

    @Test
    @DisplayName("a deferred tenant gives way only to a protected one: a backlogged tenant within its share competes by counter")
    void defersOnlyToProtected() {
        VirtualTokenCounters vtc = VirtualTokenCounters.equalWeights();
        Set<String> protectedTenants = new HashSet<>();
        FlowQueue q = FlowQueue.builder().fairness(vtc)
                .deferredTenants(t -> t.equals("heavy"), protectedTenants::contains).build();
        Sequence heavy = seqs.seq("heavy", 100);
        Sequence light = seqs.seq("light", 100);
        q.add(heavy);
        q.add(light);
        q.onOutput(light, 1000);
        q.beforeStep(0);
        assertThat(q.peek()).as("light is not protected (backlogged): VTC decides").isSameAs(heavy);
        protectedTenants.add("light");
        q.beforeStep(1);
        assertThat(q.peek()).as("light is protected: heavy defers to it").isSameAs(light);
    }

    @Test
    @DisplayName("among deferred tenants the counters decide; a tenant that stops being deferred competes by counter again")
    void countersDecideAmongDeferred() {
        VirtualTokenCounters vtc = VirtualTokenCounters.equalWeights();
        Set<String> deferred = new HashSet<>(Set.of("a", "b"));
        FlowQueue q = FlowQueue.builder().fairness(vtc).deferredTenants(deferred::contains, t -> !deferred.contains(t))
                .build();
        for (int i = 0; i < 3; i++) {
            q.add(seqs.seq("a", 100));
            q.add(seqs.seq("b", 300));
        }
        // Both deferred, nobody else: plain VTC between them (a is charged 100 a pop, b 300).
        assertThat(tenantsOf(q)).containsExactly("a", "b", "a", "a", "b", "b");

        FlowQueue r = FlowQueue.builder().fairness(VirtualTokenCounters.equalWeights())
                .deferredTenants(deferred::contains, t -> !deferred.contains(t))
                .build();
        deferred.clear();
        deferred.add("a");
        r.add(seqs.seq("a", 100));
        r.add(seqs.seq("b", 100));
        r.add(seqs.seq("b", 100));
        assertThat(r.pop().tenant()).isEqualTo("b");
        deferred.clear();
        r.beforeStep(0);
        assertThat(r.pop().tenant()).as("no longer deferred: a's counter (0) is below b's (100)").isEqualTo("a");
    }

    @Test
    @DisplayName("the seat-share yield never hands the turn to a deferred tenant, even one with the smallest counter")
    void yieldNeverPicksADeferredTenant() {
        VirtualTokenCounters vtc = VirtualTokenCounters.equalWeights();
        Set<String> deferred = new HashSet<>(Set.of("heavy"));
        Set<String> yielding = new HashSet<>(Set.of("light"));
        FlowQueue q = FlowQueue.builder().fairness(vtc).deferredTenants(deferred::contains, t -> !deferred.contains(t))
                .yieldingTenants(yielding::contains, 10_000).build();
        Sequence heavy = seqs.seq("heavy", 10);
        Sequence light = seqs.seq("light", 10);
        Sequence other = seqs.seq("other", 10);
        q.add(heavy);
        q.add(light);
        q.add(other);
        q.onOutput(heavy, 200);
        q.onOutput(light, 100);
        q.onOutput(other, 500);
        // Counters: light 100 (the smallest, but it yields), heavy 200 (deferred), other 500 (within the slack).
        assertThat(q.peek()).as("light yields to other, never to the deferred heavy").isSameAs(other);
        q.remove(other);
        assertThat(q.peek()).as("no tenant to yield to but the deferred one: light keeps its turn").isSameAs(light);
        deferred.clear();
        q.beforeStep(0);
        assertThat(q.peek()).as("not deferred: the yield may pick heavy").isSameAs(heavy);
    }

    @Test
    @DisplayName("waitingSinceNanos is the arrival of a tenant's oldest waiting request, over its bands; MAX_VALUE when none")
    void waitingSince() {
        FlowQueue q = FlowQueue.builder().priorityBands(true).fairness(VirtualTokenCounters.equalWeights()).build();
        assertThat(q.waitingSinceNanos("a")).isEqualTo(Long.MAX_VALUE);
        Sequence a1 = seqs.seq("a", 1, 10, 100, null);
        Sequence a2 = seqs.seq("a", 0, 10, 250, null);
        Sequence a3 = seqs.seq("a", 0, 10, 300, null);
        Sequence b1 = seqs.seq("b", 0, 10, 50, null);
        Sequence b2 = seqs.seq("b", 1, 10, 70, null);
        q.add(a1);
        q.add(a2);
        q.add(a3);
        q.add(b1);
        q.add(b2);
        assertThat(q.waitingSinceNanos("a")).as("the oldest is in the lower band (priority 1)").isEqualTo(100);
        assertThat(q.waitingSinceNanos("b")).as("the oldest is in the upper band (priority 0)").isEqualTo(50);
        assertThat(q.waitingSinceNanos("nobody")).isEqualTo(Long.MAX_VALUE);
        q.remove(a1);
        assertThat(q.waitingSinceNanos("a")).isEqualTo(250);
        assertThat(q.pop()).isSameAs(a2);
        assertThat(q.waitingSinceNanos("a")).isEqualTo(300);
        q.remove(b1);
        assertThat(q.waitingSinceNanos("b")).isEqualTo(70);
        q.remove(b2);
        assertThat(q.waitingSinceNanos("b")).isEqualTo(Long.MAX_VALUE);
        q.pop();
        assertThat(q.waitingSinceNanos("a")).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    @DisplayName("arrivals record their demand (prompt and maxTokens) with the tenant's weight; returns to the queue do not")
    void arrivalsRecordDemand() {
        TenantDemand demand = new TenantDemand(t -> 1.0, 1e9, 0.5, 1, 1);
        FlowQueue q = FlowQueue.builder().fairness(VirtualTokenCounters.equalWeights()).demand(demand).build();
        // Seqs gives every request maxTokens = 8.
        q.add(seqs.seq("a", 0, 92, 0, null));  // 100
        q.add(seqs.seq("b", 0, 292, 0, null)); // 300
        assertThat(demand.fraction("a", 0)).isCloseTo(0.25, within(1e-12));
        Sequence s = q.pop();
        q.prepend(s); // handed back unstarted: not a new arrival
        assertThat(demand.fraction("a", 0)).isCloseTo(0.25, within(1e-12));
        for (int i = 0; i < 10; i++) {
            q.add(seqs.seq("b", 0, 292, 0, null));
        }
        assertThat(demand.exceedsShare("b", 0)).isTrue();
        assertThat(demand.exceedsShare("a", 0)).isFalse();
    }
}
