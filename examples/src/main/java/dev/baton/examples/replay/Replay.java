package dev.baton.examples.replay;

import dev.baton.accelerator.Accelerator;
import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Accelerators;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.api.VirtualClock;
import dev.baton.api.admission.Rejection;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.examples.workload.PromptShape;
import dev.baton.examples.workload.TraceRequest;
import dev.baton.examples.workload.Workload;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.metrics.LatencyStats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Replays a workload through the whole engine -- admission, the policy's queue and composer, the step scheduler, KV
 * paging and the prefix cache -- on a device in virtual time.
 *
 * <h2>The loop</h2>
 * The engine core is driven directly on one thread ({@link EngineCore}, not the threaded engine), so a run is
 * deterministic and as fast as the scheduler: before each step every request whose arrival time has passed is
 * admitted (at its own arrival time, so queueing inside a step counts) and submitted; the step advances the virtual
 * clock by the device's predicted step time; when the engine is idle the clock jumps to the next arrival or timer.
 * Requests are built from their {@link dev.baton.examples.workload.PromptShape} only when they arrive, and the engine's
 * records of them are dropped when they end ({@link Outcomes} keeps primitive figures), so an hour of traffic needs
 * little memory.
 *
 * <p>Every request asks for exactly the trace's output length (greedy, end-of-sequence ignored, as benchmark clients
 * do) and carries the run's SLO targets, which SLO-aware policies read and every policy is judged by. A request refused
 * at admission, ended early (deadline, queue timeout, KV exhaustion) or still unfinished when the run stops counts as
 * a miss: refusing work never raises attainment.
 *
 * <p>The real CPU time the scheduler spends per step is what {@link EngineCore} measures with {@link System#nanoTime}
 * around planning and applying ({@code LatencyStats.Kind.STEP_CPU}); the device's simulated time is not in it.
 *
 * <p>This is trace-driven simulation in the manner of Vidur (Agrawal et al., MLSys'24), except that the scheduler is
 * not modelled: Baton's own admission, queues, step scheduler and KV manager run, and only the device is simulated.
 * Latencies have vLLM's definitions (TTFT from arrival; TPOT = (e2e - TTFT) / (output tokens - 1)); SLO attainment and
 * goodput are DistServe's (Zhong et al., OSDI'24).
 */
public final class Replay {

    private static final int SERIES_POINTS = 600;

    private Replay() {
    }

    /** The device's description, by opening it once (cheap for {@code sim}; the knobs' defaults depend on it). */
    public static DeviceInfo probe(String deviceSpec, EngineKnobs knobs) {
        AcceleratorConfig ac = knobs.probeConfig(new VirtualClock());
        try (Accelerator a = Accelerators.open(deviceSpec, ac)) {
            return a.deviceInfo();
        }
    }

    /** Replays {@code workload} under {@code policy}. */
    public static ReplayResult run(Workload workload, ReplayPolicy policy, ReplayConfig config, Progress progress) {
        long wall0 = System.nanoTime();
        DeviceInfo device = probe(config.device(), config.knobs());
        EngineKnobs.Resolved knobs = config.knobs().resolve(device);
        VirtualClock clock = new VirtualClock();
        EngineConfig.Builder cb = knobs.engineConfig();
        Engines.Builder eb = Engines.builder().device(config.device());
        policy.configure(eb, cb, new ReplayPolicy.Setup(device, config.slo(), workload.tenants(),
                config.knobs().explicitNames()));
        EngineConfig cfg = cb.build();
        eb.config(cfg).clock(clock).acceleratorConfig(knobs.acceleratorConfig(clock, cfg.maxNumBatchedTokens()));
        EngineCore core = eb.buildCore();
        try {
            return drive(workload, policy, config, knobs, core, clock, progress, wall0);
        } finally {
            core.device().close();
        }
    }

    private static ReplayResult drive(Workload workload, ReplayPolicy policy, ReplayConfig config,
                                      EngineKnobs.Resolved knobs, EngineCore core, VirtualClock clock,
                                      Progress progress, long wall0) {
        List<TraceRequest> rs = workload.requests();
        int n = rs.size();
        Outcomes out = new Outcomes(n, config.slo());
        List<String> tenantNames = new ArrayList<>(ReplayResult.names(workload.tenants()));
        Map<String, Integer> tenantIndex = new HashMap<>();
        for (int i = 0; i < tenantNames.size(); i++) {
            tenantIndex.put(tenantNames.get(i), i);
        }
        for (int i = 0; i < n; i++) {
            TraceRequest r = rs.get(i);
            out.arrival[i] = r.arrivalNanos();
            out.prompt[i] = r.promptTokens();
            Integer t = tenantIndex.get(r.tenant());
            if (t == null) {
                t = tenantNames.size();
                tenantNames.add(r.tenant());
                tenantIndex.put(r.tenant(), t);
            }
            out.tenant[i] = t;
        }
        int vocab = core.device().model().vocabSize();
        long span = Math.max(workload.spanNanos(), n == 0 ? 0 : rs.get(n - 1).arrivalNanos());
        long stopAt = span + (config.drainNanos() > 0 ? config.drainNanos() : Math.max(span, 60_000_000_000L));
        long interval = Math.max(100_000_000L, stopAt / SERIES_POINTS);
        SeriesBuilder series = new SeriesBuilder();
        long nextSample = 0;
        double kvIntegral = 0;
        double kvPeak = 0;
        long lastNow = 0;
        double lastUsage = 0;
        String stopReason = null;
        int next = 0;
        long iterations = 0;
        String label = policy.name();

        while (true) {
            long now = clock.nanoTime();
            while (next < n && out.arrival[next] <= now) {
                submit(core, rs.get(next), next, out, config, vocab);
                next++;
            }
            if (out.misses() > config.maxMisses()) {
                stopReason = "more than " + config.maxMisses() + " requests missed their targets";
                break;
            }
            if (now > stopAt) {
                stopReason = "drain limit reached " + Math.round((stopAt - span) * 1e-9) + " s after the arrival window";
                break;
            }
            boolean stepped = core.hasWork() && core.step();
            if (!stepped) {
                long target = next < n ? out.arrival[next] : Long.MAX_VALUE;
                target = Math.min(target, core.nextTimerNanos());
                if (target == Long.MAX_VALUE) {
                    if (core.hasWork()) {
                        stopReason = "the engine holds requests it cannot schedule";
                    }
                    break;
                }
                clock.advanceTo(Math.max(target, now + 1));
            }
            long t = clock.nanoTime();
            double usage = core.scheduler().kv().usage();
            kvIntegral += lastUsage * (t - lastNow);
            lastNow = t;
            lastUsage = usage;
            kvPeak = Math.max(kvPeak, usage);
            while (t >= nextSample) {
                series.add(nextSample * 1e-9, usage, core.scheduler().numWaiting(), core.scheduler().numRunning());
                nextSample += interval;
            }
            if ((++iterations & 1023) == 0) {
                progress.update(Math.min(1.0, (double) t / Math.max(1, span)), label);
            }
        }
        out.cutOff();
        long elapsed = clock.nanoTime();
        var kv = core.scheduler().kv().stats();
        LatencyStats lat = core.latency();
        progress.done();
        return new ReplayResult(policy.name(), workload.name(), describe(core), knobs.asMap(), knobs.pricePerGpuHour(),
                knobs.tensorParallelSize(), List.copyOf(tenantNames), out, workload.offeredRate(), span, elapsed,
                stopReason, elapsed > 0 ? kvIntegral / elapsed : 0, kvPeak, kv.hitRate(),
                core.scheduler().totalPreemptions(), core.steps(), lat.percentileNanos(LatencyStats.Kind.STEP_CPU, 50),
                lat.percentileNanos(LatencyStats.Kind.STEP_CPU, 99), System.nanoTime() - wall0, series.build());
    }

    private static void submit(EngineCore core, TraceRequest tr, int index, Outcomes out, ReplayConfig config,
                               int vocab) {
        InferenceRequest.Builder b = InferenceRequest.withPrompt(tr.prompt().tokens(vocab))
                .sampling(SamplingParams.builder().maxTokens(tr.outputTokens()).ignoreEos(true).build())
                .tenant(tr.tenant()).priority(tr.priority()).slo(config.slo());
        if (config.timeout() != null) {
            b.deadline(config.timeout());
        }
        InferenceRequest ir = b.build();
        Rejection refused = core.admissionPolicy().admit(ir, core.admission());
        if (refused != null) {
            out.refused(index, refused.reason());
            return;
        }
        long arrival = tr.arrivalNanos();
        long deadline = config.timeout() == null ? Long.MAX_VALUE : arrival + config.timeout().toNanos();
        Request r = new Request(tr.id(), ir, arrival, index, PromptShape.mix(0x51ED270B27C9E7F5L + index), 0, deadline, Long.MAX_VALUE,
                core);
        r.attach(out);
        core.submit(r);
    }

    private static String describe(EngineCore core) {
        Accelerator d = core.device();
        String tp = d.parallelism().tp() > 1 ? " x" + d.parallelism().tp() : "";
        return d.deviceInfo().name() + tp + ", " + d.model().name() + " (" + d.providerName() + ")";
    }

    /** Grows the sampled series. */
    private static final class SeriesBuilder {
        private double[] t = new double[256];
        private double[] kv = new double[256];
        private int[] waiting = new int[256];
        private int[] running = new int[256];
        private int n;

        void add(double seconds, double usage, int w, int r) {
            if (n == t.length) {
                t = Arrays.copyOf(t, n * 2);
                kv = Arrays.copyOf(kv, n * 2);
                waiting = Arrays.copyOf(waiting, n * 2);
                running = Arrays.copyOf(running, n * 2);
            }
            t[n] = seconds;
            kv[n] = usage;
            waiting[n] = w;
            running[n] = r;
            n++;
        }

        ReplayResult.Series build() {
            return new ReplayResult.Series(Arrays.copyOf(t, n), Arrays.copyOf(kv, n), Arrays.copyOf(waiting, n),
                    Arrays.copyOf(running, n));
        }
    }
}
