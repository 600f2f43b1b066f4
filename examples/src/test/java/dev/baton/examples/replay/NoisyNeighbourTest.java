package dev.baton.examples.replay;

import dev.baton.examples.workload.Tenant;
import dev.baton.examples.workload.Workload;
import dev.baton.examples.workload.WorkloadOptions;
import dev.baton.examples.workload.Workloads;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The noisy-neighbour mix (three tenants at 1 req/s and one at 10 req/s, azure-conv-shaped, 10 simulated minutes on
 * the simulated H100 with Llama-3.1-8B): under {@code fair}, each well-behaved tenant's p99 time to first token stays
 * within 1.2x of its p99 in the same replay without the noisy tenant; under {@code vllm} (FCFS) the noisy tenant's
 * queue reaches them. Virtual time: the figures are deterministic for the seed.
 */
class NoisyNeighbourTest {

    private static final long TEN_MINUTES = 600_000_000_000L;
    private static final List<String> LIGHT = List.of("alpha", "beta", "gamma");

    private static PolicyReport replay(String policy, List<Tenant> tenants) {
        Workload w = Workloads.builtIn("multi-tenant", new WorkloadOptions(1, TEN_MINUTES, 0, 1, tenants));
        return PolicyReport.of(Replay.run(w, ReplayPolicies.named(policy), ReplayTest.config(""), Progress.NONE));
    }

    private static double ttftP99(PolicyReport r, String tenant) {
        return r.tenants().stream().filter(t -> t.tenant().equals(tenant)).findFirst().orElseThrow().ttftP99();
    }

    @Test
    @DisplayName("fair keeps the light tenants' p99 TTFT within 1.2x of their run alone; vllm does not")
    void isolation() {
        List<Tenant> alone = Tenant.parseList("alpha:1,beta:1,gamma:1");
        PolicyReport fairMix = replay("fair", null);
        PolicyReport fairAlone = replay("fair", alone);
        PolicyReport vllmMix = replay("vllm", null);
        PolicyReport vllmAlone = replay("vllm", alone);
        assertThat(fairMix.tenants()).extracting(PolicyReport.TenantFigures::tenant).contains("noisy");
        for (String t : LIGHT) {
            assertThat(ttftP99(fairMix, t)).as("fair, %s: p99 TTFT with the noisy tenant vs alone (%s s)", t,
                    ttftP99(fairAlone, t)).isLessThanOrEqualTo(1.2 * ttftP99(fairAlone, t));
            assertThat(ttftP99(vllmMix, t)).as("vllm, %s", t).isGreaterThan(1.2 * ttftP99(vllmAlone, t));
        }
        // The isolation is paid by the noisy tenant, not by refusing or dropping the light tenants' work.
        assertThat(fairMix.refusedTotal()).isZero();
        assertThat(fairMix.finished()).isEqualTo(fairMix.requests());
    }
}
