package dev.baton.scheduler.policy;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.api.VirtualClock;
import dev.baton.api.admission.Rejection;
import dev.baton.api.admission.RejectionReason;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.api.request.SloTargets;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.admission.QueueTimeouts;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.engine.EngineCore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Replays a synthetic open-loop workload (Poisson arrivals, uniform prompt and output lengths, one SLO for all) through
 * an {@link EngineCore} on the simulated H100 / Llama-3.1-8B in virtual time, the way a threaded engine would see it:
 * each arrival goes through the policy's admission on arrival, accepted ones are submitted to the core, and the core
 * steps whenever it has work (the clock jumps to the next arrival when it has none).
 */
final class OverloadRun {

    /** The workload. */
    record Workload(double ratePerSecond, double seconds, int promptMin, int promptMax, int outputMin, int outputMax,
                    SloTargets slo, long seed) {
    }

    /** What happened to it under one policy. */
    record Outcome(String policy, int offered, int admitted, int met, int completed, Map<RejectionReason, Integer> refused,
                   int queueTimeouts, double seconds, double ttftP50, double ttftP99, double tpotP50, double tpotP99,
                   long outputTokens, long preemptions, double makespan) {

        double attainmentOfAdmitted() {
            return admitted == 0 ? 0 : (double) met / admitted;
        }

        double attainmentOfOffered() {
            return offered == 0 ? 0 : (double) met / offered;
        }

        /** Requests per second that met both targets (DistServe's goodput), over the arrival window. */
        double goodput() {
            return met / seconds;
        }

        double throughputTokensPerSecond() {
            return outputTokens / seconds;
        }

        int refusals() {
            return refused.values().stream().mapToInt(Integer::intValue).sum();
        }

        /** Requests completed per second of the whole run, backlog included: the engine's service rate. */
        double serviceRate() {
            return completed / makespan;
        }
    }

    private OverloadRun() {
    }

    static Outcome run(String policy, PolicyOptions options, EngineConfig config, Workload w) {
        VirtualClock clock = new VirtualClock();
        Engines.Builder b = Engines.builder().device("sim:h100/llama-3.1-8b")
                .acceleratorConfig(AcceleratorConfig.builder().clock(clock)
                        .maxNumBatchedTokens(config.maxNumBatchedTokens()).build())
                .config(config);
        SchedulingPolicies.named(policy, options).applyTo(b);
        EngineCore core = b.buildCore();

        SplittableRandom rnd = new SplittableRandom(w.seed());
        long end = (long) (w.seconds() * 1e9);
        List<Request> admitted = new ArrayList<>();
        Map<RejectionReason, Integer> refused = new EnumMap<>(RejectionReason.class);
        int offered = 0;
        long nextArrival = nextGap(rnd, w.ratePerSecond());
        while (nextArrival < end || core.hasWork()) {
            while (nextArrival < end && nextArrival <= clock.nanoTime()) {
                offered++;
                InferenceRequest ir = request(rnd, w, offered);
                Rejection r = core.admissionPolicy().admit(ir, core.admission());
                if (r != null) {
                    refused.merge(r.reason(), 1, Integer::sum);
                } else {
                    Request req = new Request("r" + offered, ir, nextArrival, offered, offered, 0, Long.MAX_VALUE,
                            QueueTimeouts.deadline(config.defaultQueueTimeout(), ir.queueTimeout(), nextArrival), core);
                    admitted.add(req);
                    core.submit(req);
                }
                nextArrival += nextGap(rnd, w.ratePerSecond());
            }
            if (core.hasWork()) {
                core.step();
            } else if (nextArrival < end) {
                clock.advanceTo(nextArrival);
            }
        }
        int met = 0;
        int completed = 0;
        int timeouts = 0;
        long outTokens = 0;
        double[] ttfts = new double[admitted.size()];
        double[] tpots = new double[admitted.size()];
        int n = 0;
        for (Request r : admitted) {
            var s = r.sample(0);
            outTokens += s.numOutput();
            if (s.finishReason() == dev.baton.api.FinishReason.QUEUE_TIMEOUT) {
                timeouts++;
            }
            if (!s.finishReason().isNatural() || r.firstTokenNanos() < 0) {
                continue;
            }
            completed++;
            long ttft = r.firstTokenNanos() - r.arrivalNanos();
            int out = s.numOutput();
            long tpot = out > 1 ? (r.finishedNanos() - r.firstTokenNanos()) / (out - 1) : 0;
            ttfts[n] = ttft / 1e9;
            tpots[n] = tpot / 1e9;
            n++;
            if (r.slo().met(ttft, tpot)) {
                met++;
            }
        }
        double[] tt = Arrays.copyOf(ttfts, n);
        double[] tp = Arrays.copyOf(tpots, n);
        Arrays.sort(tt);
        Arrays.sort(tp);
        return new Outcome(policy, offered, admitted.size(), met, completed, refused, timeouts, w.seconds(),
                pct(tt, 50), pct(tt, 99), pct(tp, 50), pct(tp, 99), outTokens, core.scheduler().totalPreemptions(),
                clock.nanoTime() / 1e9);
    }

    private static InferenceRequest request(SplittableRandom rnd, Workload w, int i) {
        int prompt = rnd.nextInt(w.promptMin(), w.promptMax() + 1);
        int out = rnd.nextInt(w.outputMin(), w.outputMax() + 1);
        int[] tokens = new int[prompt];
        for (int k = 0; k < prompt; k++) {
            tokens[k] = rnd.nextInt(32_000);
        }
        return InferenceRequest.withPrompt(tokens).requestId("r" + i).sampling(SamplingParams.greedy(out))
                .slo(w.slo()).build();
    }

    private static long nextGap(SplittableRandom rnd, double rate) {
        return (long) (-Math.log(1 - rnd.nextDouble()) / rate * 1e9);
    }

    private static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** The comparison table. */
    static String table(List<Outcome> outcomes) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-8s %7s %8s %7s %9s %9s %8s %9s %9s %9s %9s %7s  %s%n", "policy", "offered",
                "admitted", "met", "att(adm)", "att(all)", "goodput", "ttft p50", "ttft p99", "tpot p50", "tpot p99",
                "preempt", "refused by reason"));
        for (Outcome o : outcomes) {
            sb.append(String.format("%-8s %7d %8d %7d %8.1f%% %8.1f%% %6.2f/s %8.2fs %8.2fs %7.0fms %7.0fms %7d  %s%n",
                    o.policy(), o.offered(), o.admitted(), o.met(), 100 * o.attainmentOfAdmitted(),
                    100 * o.attainmentOfOffered(), o.goodput(), o.ttftP50(), o.ttftP99(), 1000 * o.tpotP50(),
                    1000 * o.tpotP99(), o.preemptions(), o.refused().isEmpty() ? "-" : o.refused()));
        }
        return sb.toString();
    }
}
