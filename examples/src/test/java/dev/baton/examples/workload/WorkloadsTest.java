package dev.baton.examples.workload;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The built-in workloads and the shaping of traces. */
class WorkloadsTest {

    private static final long MINUTE = 60_000_000_000L;

    private static WorkloadOptions opts(double scale, long duration, List<Tenant> tenants) {
        return new WorkloadOptions(scale, duration, 0, 1, tenants);
    }

    @Test
    @DisplayName("azure-conv offers about the trace's rate, in arrival order, within the window")
    void azureConv() {
        Workload w = Workloads.builtIn("azure-conv", opts(1, 30 * MINUTE, null));
        assertThat(w.offeredRate()).isCloseTo(AzureTraces.CONV.summary().meanRate(), within(1.2));
        assertThat(w.requests()).allSatisfy(r -> assertThat(r.arrivalNanos()).isBetween(0L, 30 * MINUTE));
        assertThat(w.source()).contains("CC-BY-4.0").contains("Splitwise");
        assertThat(w.requests().stream().map(TraceRequest::id).distinct().count()).isEqualTo(w.requests().size());
    }

    @Test
    @DisplayName("a higher rate scale replays the same requests closer together (common random numbers)")
    void commonRandomNumbers() {
        Workload one = Workloads.builtIn("azure-code", opts(1, 10 * MINUTE, null));
        Workload two = Workloads.builtIn("azure-code", opts(2, 10 * MINUTE, null));
        assertThat(two.requests().size()).isGreaterThan(one.requests().size());
        for (int i = 0; i < one.requests().size(); i++) {
            TraceRequest a = one.requests().get(i);
            TraceRequest b = two.requests().get(i);
            assertThat(b.id()).isEqualTo(a.id());
            assertThat(b.promptTokens()).isEqualTo(a.promptTokens());
            assertThat(b.outputTokens()).isEqualTo(a.outputTokens());
            assertThat((double) b.arrivalNanos()).isCloseTo(a.arrivalNanos() / 2.0, within(2.0));
        }
    }

    @Test
    @DisplayName("multi-turn: each turn's prompt starts with the previous turn's prompt and answer")
    void multiTurnSharesPrefixes() {
        Workload w = Workloads.builtIn("multi-turn", opts(1, 10 * MINUTE, null));
        Map<String, TraceRequest> byId = new HashMap<>();
        w.requests().forEach(r -> byId.put(r.id(), r));
        int checked = 0;
        for (TraceRequest r : w.requests()) {
            String[] p = r.id().split("-t");
            int turn = Integer.parseInt(p[1]);
            if (turn == 0) {
                continue;
            }
            TraceRequest prev = byId.get(p[0] + "-t" + (turn - 1));
            assertThat(r.arrivalNanos()).isGreaterThan(prev.arrivalNanos());
            int[] a = prev.prompt().tokens(128_256);
            int[] b = r.prompt().tokens(128_256);
            assertThat(Arrays.copyOf(b, a.length)).containsExactly(a);
            assertThat(b.length).isGreaterThan(a.length + prev.outputTokens());
            checked++;
        }
        assertThat(checked).isGreaterThan(100);
        // Sessions share a handful of system prompts: many first turns start with the same tokens.
        Set<Integer> firstTokens = new HashSet<>();
        w.requests().stream().filter(r -> r.id().endsWith("-t0"))
                .forEach(r -> firstTokens.add(r.prompt().tokens(128_256)[0]));
        assertThat(firstTokens).hasSizeLessThanOrEqualTo(4);
    }

    @Test
    @DisplayName("multi-tenant: the noisy neighbour sends about 10x each other tenant; dropping it keeps the others")
    void multiTenant() {
        Workload w = Workloads.builtIn("multi-tenant", opts(1, 30 * MINUTE, null));
        Map<String, Long> counts = w.requests().stream()
                .collect(Collectors.groupingBy(TraceRequest::tenant, Collectors.counting()));
        assertThat(counts.keySet()).containsExactlyInAnyOrder("alpha", "beta", "gamma", "noisy");
        double quiet = (counts.get("alpha") + counts.get("beta") + counts.get("gamma")) / 3.0;
        assertThat(counts.get("noisy") / quiet).isBetween(7.0, 13.0);
        assertThat(w.tenants()).extracting(Tenant::name).containsExactly("alpha", "beta", "gamma", "noisy");

        Workload calm = Workloads.builtIn("multi-tenant",
                opts(1, 30 * MINUTE, Tenant.parseList("alpha:1,beta:1,gamma:1")));
        List<TraceRequest> a1 = w.requests().stream().filter(r -> r.tenant().equals("alpha")).toList();
        List<TraceRequest> a2 = calm.requests().stream().filter(r -> r.tenant().equals("alpha")).toList();
        assertThat(a2).hasSameSizeAs(a1);
        for (int i = 0; i < a1.size(); i++) {
            assertThat(a2.get(i).arrivalNanos()).isEqualTo(a1.get(i).arrivalNanos());
            assertThat(a2.get(i).promptTokens()).isEqualTo(a1.get(i).promptTokens());
        }
    }

    @Test
    @DisplayName("--tenants spreads a single stream over tenants in proportion to their rates")
    void spreadOverTenants() {
        Workload w = Workloads.builtIn("azure-conv", opts(1, 30 * MINUTE, Tenant.parseList("a:1,b:3:2:1")));
        long a = w.requests().stream().filter(r -> r.tenant().equals("a")).count();
        long b = w.requests().stream().filter(r -> r.tenant().equals("b")).count();
        assertThat((double) b / a).isCloseTo(3, within(0.4));
        assertThat(w.requests().stream().filter(r -> r.tenant().equals("b")).allMatch(r -> r.priority() == 1)).isTrue();
    }

    @Test
    @DisplayName("traces: rate scale divides arrivals, duration and --max-requests cut, skipped lines carried")
    void fromTrace() {
        List<TraceRequest> rs = List.of(
                new TraceRequest("a", 0, "default", 0, PromptShape.unique(1, 10), 5, null),
                new TraceRequest("b", 4_000_000_000L, "default", 0, PromptShape.unique(2, 10), 5, null),
                new TraceRequest("c", 8_000_000_000L, "default", 0, PromptShape.unique(3, 10), 5, null));
        TraceFile f = new TraceFile("f.csv", TraceFormat.AZURE_CSV, rs, 4, 1, List.of("line 3: x"));
        Workload all = Workloads.fromTrace(f, opts(2, 0, null));
        assertThat(all.requests()).extracting(TraceRequest::arrivalNanos).containsExactly(0L, 2_000_000_000L,
                4_000_000_000L);
        assertThat(all.skipped()).isEqualTo(1);
        assertThat(Workloads.fromTrace(f, opts(1, 5_000_000_000L, null)).requests()).hasSize(2);
        assertThat(Workloads.fromTrace(f, new WorkloadOptions(1, 0, 1, 1, null)).requests()).hasSize(1);
    }

    @Test
    @DisplayName("unknown workloads and malformed tenant lists are refused with what to write")
    void errors() {
        assertThatThrownBy(() -> Workloads.builtIn("nope", opts(1, MINUTE, null)))
                .hasMessageContaining("azure-conv, azure-code, multi-turn, multi-tenant");
        assertThatThrownBy(() -> Tenant.parseList("a:x")).hasMessageContaining("name[:rate[:weight[:priority]]]");
        assertThatThrownBy(() -> Tenant.parseList("a,a")).hasMessageContaining("twice");
        assertThatThrownBy(() -> Tenant.parseList("a:0")).hasMessageContaining("rate must be a positive");
        assertThat(Tenant.format(Tenant.parseList("a:1,noisy:10:2:1"))).isEqualTo("a:1:1:0,noisy:10:2:1");
    }
}
