package dev.baton.examples.replay;

import dev.baton.api.request.SloTargets;
import dev.baton.examples.workload.PromptShape;
import dev.baton.examples.workload.Tenant;
import dev.baton.examples.workload.TraceRequest;
import dev.baton.examples.workload.Workload;
import dev.baton.examples.workload.WorkloadOptions;
import dev.baton.examples.workload.Workloads;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Replays through the whole engine on the simulated device, in virtual time. */
class ReplayTest {

    private static final long SECOND = 1_000_000_000L;

    static Workload conv(long seconds) {
        return Workloads.builtIn("azure-conv", new WorkloadOptions(1, seconds * SECOND, 0, 1, null));
    }

    static ReplayConfig config(String engine) {
        return new ReplayConfig(ReplayConfig.DEFAULT_DEVICE, EngineKnobs.parse(engine), ReplayConfig.DEFAULT_SLO, null,
                0, Long.MAX_VALUE);
    }

    private static PolicyReport run(Workload w, ReplayConfig c) {
        return PolicyReport.of(Replay.run(w, ReplayPolicies.named("vllm"), c, Progress.NONE));
    }

    @Test
    @DisplayName("a light load finishes every request within its targets, and the figures are consistent")
    void lightLoad() {
        Workload w = conv(60);
        PolicyReport r = run(w, config(""));
        assertThat(r.requests()).isEqualTo(w.requests().size()).isGreaterThan(100);
        assertThat(r.finished()).isEqualTo(r.requests());
        assertThat(r.sloAttainment()).isEqualTo(1.0);
        assertThat(r.refused()).isEmpty();
        assertThat(r.ttft()).hasSize(r.requests());
        assertThat(PolicyReport.percentile(r.ttft(), 50)).isPositive()
                .isLessThanOrEqualTo(PolicyReport.percentile(r.ttft(), 99));
        assertThat(PolicyReport.percentile(r.e2e(), 50)).isGreaterThan(PolicyReport.percentile(r.ttft(), 50));
        assertThat(r.outputTokens()).isEqualTo(w.outputTokens());
        assertThat(r.goodput()).isCloseTo(r.met() / r.elapsedSeconds(), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(r.result().elapsedNanos()).isGreaterThanOrEqualTo(w.requests().get(w.requests().size() - 1)
                .arrivalNanos());
        assertThat(r.result().kvUsagePeak()).isBetween(0.0, 1.0).isGreaterThanOrEqualTo(r.result().kvUsageMean());
        assertThat(r.result().schedCpuP50Nanos()).isPositive();
        assertThat(r.result().steps()).isPositive();
        assertThat(r.result().series().seconds()).isNotEmpty();
        assertThat(r.outputTokensPerDollar()).isPositive();
    }

    @Test
    @DisplayName("the same workload and knobs replay to the same latencies (virtual time is deterministic)")
    void deterministic() {
        Workload w = conv(30);
        PolicyReport a = run(w, config(""));
        PolicyReport b = run(w, config(""));
        assertThat(b.ttft()).containsExactly(a.ttft());
        assertThat(b.e2e()).containsExactly(a.e2e());
        assertThat(b.result().elapsedNanos()).isEqualTo(a.result().elapsedNanos());
    }

    @Test
    @DisplayName("a request refused at admission counts as a miss: refusing work never raises attainment")
    void refusalIsAMiss() {
        // 64 blocks of 16 tokens: prompts plus outputs over 1024 tokens can never fit and are refused.
        Workload w = conv(60);
        PolicyReport r = run(w, config("num-gpu-blocks-override=64"));
        long tooBig = w.requests().stream().filter(q -> q.promptTokens() + q.outputTokens() > 1024).count();
        assertThat(tooBig).isPositive();
        assertThat(r.refused()).containsEntry("EXCEEDS_KV_CAPACITY", tooBig);
        assertThat(r.sloAttainment()).isLessThanOrEqualTo(1 - (double) tooBig / r.requests());
        assertThat(r.met() + r.refusedTotal()).isLessThanOrEqualTo(r.requests());
        assertThat(r.toJson().get("refusal_rate")).isEqualTo((double) tooBig / r.requests());
    }

    @Test
    @DisplayName("a request past its deadline ends early and counts as a miss")
    void timeoutIsAMiss() {
        Workload w = conv(30);
        ReplayConfig c = new ReplayConfig(ReplayConfig.DEFAULT_DEVICE, EngineKnobs.defaults(),
                ReplayConfig.DEFAULT_SLO, Duration.ofMillis(500), 0, Long.MAX_VALUE);
        PolicyReport r = run(w, c);
        assertThat(r.aborted()).containsKey("DEADLINE_EXCEEDED");
        long aborted = r.aborted().get("DEADLINE_EXCEEDED");
        assertThat(r.finished() + aborted).isEqualTo(r.requests());
        assertThat(r.sloAttainment()).isLessThanOrEqualTo(1 - (double) aborted / r.requests());
    }

    @Test
    @DisplayName("prefix caching matters on the multi-turn workload: hits with it, none without it")
    void prefixCaching() {
        Workload w = Workloads.builtIn("multi-turn", new WorkloadOptions(1, 120 * SECOND, 0, 1, null));
        PolicyReport on = run(w, config(""));
        PolicyReport off = run(w, config("enable-prefix-caching=false"));
        assertThat(on.result().prefixHitRate()).isGreaterThan(0.5);
        assertThat(off.result().prefixHitRate()).isZero();
        assertThat(PolicyReport.percentile(on.ttft(), 50)).isLessThan(PolicyReport.percentile(off.ttft(), 50));
    }

    @Test
    @DisplayName("an overloaded engine stops early once the miss budget is spent, counting the rest as unfinished")
    void stopsEarly() {
        Workload w = Workloads.builtIn("azure-conv", new WorkloadOptions(8, 60 * SECOND, 0, 1, null));
        ReplayResult r = Replay.run(w, ReplayPolicies.named("vllm"), config("").withMaxMisses(10), Progress.NONE);
        assertThat(r.stopReason()).contains("missed their targets");
        assertThat(r.outcomes().misses()).isGreaterThan(10);
        PolicyReport p = PolicyReport.of(r);
        assertThat(p.unfinished()).isPositive();
        assertThat(p.finished() + p.unfinished() + p.refusedTotal()).isEqualTo(p.requests());
    }

    @Test
    @DisplayName("per-tenant figures partition the requests")
    void tenants() {
        Workload w = Workloads.builtIn("multi-tenant", new WorkloadOptions(0.3, 60 * SECOND, 0, 1, null));
        PolicyReport r = run(w, config(""));
        assertThat(r.tenants()).extracting(PolicyReport.TenantFigures::tenant)
                .containsExactly("alpha", "beta", "gamma", "noisy");
        assertThat(r.tenants().stream().mapToInt(PolicyReport.TenantFigures::requests).sum()).isEqualTo(r.requests());
        assertThat(r.tenants().stream().mapToInt(PolicyReport.TenantFigures::met).sum()).isEqualTo(r.met());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> json = (List<Map<String, Object>>) r.toJson().get("tenants");
        assertThat(json).hasSize(4);
    }

    @Test
    @DisplayName("the cpu reference device replays a small workload of short prompts")
    void cpuDevice() {
        List<TraceRequest> rs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            rs.add(new TraceRequest("r" + i, i * 20_000_000L, "default", 0, PromptShape.unique(i, 20 + 3 * i), 4,
                    null));
        }
        Workload w = new Workload("tiny", "test", rs, 240_000_000L, List.of(new Tenant("default", 1, 1, 0)), 0);
        ReplayConfig c = new ReplayConfig("cpu", EngineKnobs.defaults(), SloTargets.NONE, null, 0, Long.MAX_VALUE);
        PolicyReport r = PolicyReport.of(Replay.run(w, ReplayPolicies.named("vllm"), c, Progress.NONE));
        assertThat(r.finished()).isEqualTo(12);
        assertThat(r.outputTokens()).isEqualTo(48);
        assertThat(r.result().device()).contains("(cpu)");
    }
}
