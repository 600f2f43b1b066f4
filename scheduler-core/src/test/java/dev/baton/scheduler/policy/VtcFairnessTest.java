package dev.baton.scheduler.policy;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.api.VirtualClock;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.core.Sequence;
import dev.baton.scheduler.core.SequenceListener;
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.queue.FcfsQueue;
import dev.baton.scheduler.queue.RequestQueue;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * VTC's fairness guarantee, checked on the real engine (step scheduler, KV manager, simulated device).
 *
 * <h2>The bound</h2>
 * Service of tenant {@code f}: {@code W_f = w_in x (prompt tokens of f's requests when first scheduled) + w_out x
 * (tokens generated for f)}. Let {@code S} be {@code max-num-seqs}, {@code P} the longest prompt and {@code O} the
 * largest {@code maxTokens}, and
 * <pre>
 *   U = w_in x P + w_out x S x O.
 * </pre>
 * <b>Claim.</b> While tenants {@code f} and {@code g} are both backlogged (each has a request waiting), with no
 * lift in between, {@code |W_f/wt_f - W_g/wt_g|} changes by at most {@code U/wt_f + U/wt_g} over any interval; for
 * equal weights, <b>{@code |W_f(t1,t2) - W_g(t1,t2)| <= 2U}</b>. From a common start ({@code Delta(0) = 0}) the
 * stronger {@code -U/wt_g <= c_f - c_g <= U/wt_f} holds at every instant.
 *
 * <p><b>Proof.</b> During the interval no request arrives for a tenant that was idle, so there are no lifts and each
 * counter is {@code c = W / wt}. Fix an instant {@code t} and let {@code s <= t} be the last time a sequence of
 * {@code f} left the queue. {@link FlowQueue} pops only from the backlogged tenant with the smallest counter, and
 * {@code g} is backlogged, so {@code c_f(s-) <= c_g(s-)}. After {@code s}, {@code c_f} grows by (a) the prompt charged
 * at that pop, at most {@code w_in x P / wt_f}, and (b) output of f's sequences. A sequence can only produce output
 * while it is in the running batch, and it can only enter the batch by leaving the queue (new, resumed after
 * preemption, or forked), which no sequence of {@code f} did after {@code s}; so those outputs come from at most
 * {@code S} sequences that were running just after {@code s}, each with at most {@code O} tokens left: at most
 * {@code w_out x S x O / wt_f}. Counters never decrease (this engine configuration sets no head aside, so no refund
 * happens), hence {@code c_g(t) >= c_g(s-)} and {@code c_f(t) - c_g(t) <= U / wt_f}. Symmetrically
 * {@code c_g - c_f <= U / wt_g}, and the difference of two values in {@code [-U/wt_g, U/wt_f]} is at most their sum.
 * (A scheduler that sets heads aside -- LoRA limits, skip-ahead, one-step-ahead -- briefly charges a popped prompt that
 * it refunds, which can add one more {@code w_in x P} to each side.) This is the shape of Sheng et al.'s Theorem (OSDI'24,
 * {@code 2 x max(w_in L_in, w_out M)} with {@code M} the batch's token capacity), with the batch's remaining output
 * bounded by {@code S x O} here.
 */
class VtcFairnessTest {

    /** Tenant service measured from outside the queue, through the engine's listener callbacks. */
    static final class Meter implements SequenceListener {
        final Map<String, Double> service = new HashMap<>();
        final double inputWeight;
        final double outputWeight;

        Meter(double inputWeight, double outputWeight) {
            this.inputWeight = inputWeight;
            this.outputWeight = outputWeight;
        }

        @Override
        public void requestStarted(Request request, long nowNanos) {
            service.merge(request.tenant(), inputWeight * request.request().promptLength(), Double::sum);
        }

        @Override
        public void tokensAppended(Sequence seq, int from, int count, long nowNanos) {
            service.merge(seq.tenant(), outputWeight * count, Double::sum);
        }

        @Override
        public void sequenceFinished(Sequence seq, long nowNanos) {
        }

        double of(String tenant) {
            return service.getOrDefault(tenant, 0.0);
        }
    }

    private record Run(List<double[]> samples, double bound, int steps) {
    }

    /**
     * Submits every request at time 0 in the given order, then steps the engine while both tenants keep at least
     * {@code S} requests waiting (so neither queue can run dry within a step), recording the two services after
     * every step.
     */
    private static Run run(Supplier<RequestQueue> queue, int maxSeqs, int maxPrompt, int maxOutput,
                           List<String> order, long seed, double wIn, double wOut) {
        return run(b -> b.queue(queue), maxSeqs, maxPrompt, maxOutput, order, seed, wIn, wOut);
    }

    private static Run run(UnaryOperator<Engines.Builder> policy, int maxSeqs, int maxPrompt, int maxOutput,
                           List<String> order, long seed, double wIn, double wOut) {
        VirtualClock clock = new VirtualClock();
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(maxSeqs).maxNumBatchedTokens(Math.max(256, maxSeqs))
                .enablePrefixCaching(false).build();
        EngineCore core = policy.apply(Engines.builder().device("sim:h100/llama-3.1-8b")
                .acceleratorConfig(AcceleratorConfig.builder().clock(clock).numGpuBlocksOverride(4096).build())
                .config(cfg)).buildCore();
        Meter meter = new Meter(wIn, wOut);
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Integer> waiting = new HashMap<>();
        int n = 0;
        for (String tenant : order) {
            n++;
            int prompt = rnd.nextInt(1, maxPrompt + 1);
            int out = rnd.nextInt(1, maxOutput + 1);
            InferenceRequest ir = InferenceRequest.withPrompt(new int[prompt]).requestId("f" + n).tenant(tenant)
                    .sampling(SamplingParams.greedy(out)).build();
            Request r = new Request("f" + n, ir, 0, n, n, 0, Long.MAX_VALUE, Long.MAX_VALUE, core);
            r.attach(new SequenceListener() {
                @Override
                public void requestStarted(Request request, long nowNanos) {
                    meter.requestStarted(request, nowNanos);
                    waiting.merge(request.tenant(), -1, Integer::sum);
                }

                @Override
                public void tokensAppended(Sequence seq, int from, int count, long nowNanos) {
                    meter.tokensAppended(seq, from, count, nowNanos);
                }

                @Override
                public void sequenceFinished(Sequence seq, long nowNanos) {
                }
            });
            waiting.merge(tenant, 1, Integer::sum);
            core.submit(r);
        }
        List<double[]> samples = new ArrayList<>();
        samples.add(new double[] {0, 0});
        int steps = 0;
        while (waiting.getOrDefault("a", 0) >= maxSeqs && waiting.getOrDefault("b", 0) >= maxSeqs
                && core.hasWork()) {
            core.step();
            steps++;
            samples.add(new double[] {meter.of("a"), meter.of("b")});
        }
        double u = wIn * maxPrompt + wOut * (double) maxSeqs * maxOutput;
        return new Run(samples, u, steps);
    }

    private static List<String> interleave(int a, int b, boolean floodFirst, long seed) {
        List<String> order = new ArrayList<>();
        if (floodFirst) {
            for (int i = 0; i < a; i++) {
                order.add("a");
            }
            for (int i = 0; i < b; i++) {
                order.add("b");
            }
            return order;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        int ia = 0;
        int ib = 0;
        while (ia < a || ib < b) {
            boolean pickA = ib == b || (ia < a && rnd.nextInt(a + b) < a);
            order.add(pickA ? "a" : "b");
            if (pickA) {
                ia++;
            } else {
                ib++;
            }
        }
        return order;
    }

    @Property(tries = 40)
    void equal_weight_tenants_stay_within_twice_U_of_each_other_over_every_interval(
            @ForAll @IntRange(min = 1, max = 8) int maxSeqs,
            @ForAll @IntRange(min = 1, max = 200) int maxPrompt,
            @ForAll @IntRange(min = 1, max = 48) int maxOutput,
            @ForAll @IntRange(min = 1, max = 5) int floodFactor,
            @ForAll boolean floodFirst,
            @ForAll @IntRange(min = 1, max = 3) int outputWeight,
            @ForAll long seed) {
        int b = 12 + 3 * maxSeqs;
        List<String> order = interleave(b * floodFactor, b, floodFirst, seed);
        Run run = run(() -> FlowQueue.builder().fairness(new VirtualTokenCounters(Map.of(), 1, 1, outputWeight))
                .build(), maxSeqs, maxPrompt, maxOutput, order, seed, 1, outputWeight);
        assertWithin(run, run.bound());
        assertThat(run.steps()).isPositive();
    }

    /**
     * The {@code fair} policy as the registry assembles it: VTC plus seat-share yielding with slack {@code D} (a tenant
     * holding its share of the batch lets one below it go first if that one's counter is at most {@code D} above the
     * smallest). Every pop is then of a tenant within {@code D} of the smallest counter, and the proof above gives
     * {@code |W_a - W_b| <= U + D} at every step and {@code 2(U + D)} over any interval.
     *
     * <p>Latency isolation defers a tenant that exceeds its share of the demand only while some tenant it would
     * protect has no backlog (no request waiting longer than the isolation's backlog threshold); the bound is a claim
     * about tenants that are both backlogged, so the run either turns isolation off or makes every waiting request
     * count as a backlog at once (a threshold of 0) -- and then isolation, though configured, must not break it.
     */
    @Property(tries = 25)
    void the_fair_policy_keeps_the_bound_plus_its_yield_slack(
            @ForAll @IntRange(min = 1, max = 8) int maxSeqs,
            @ForAll @IntRange(min = 1, max = 200) int maxPrompt,
            @ForAll @IntRange(min = 1, max = 48) int maxOutput,
            @ForAll @IntRange(min = 1, max = 5) int floodFactor,
            @ForAll boolean floodFirst,
            @ForAll @IntRange(min = 0, max = 400) int slack,
            @ForAll boolean isolation,
            @ForAll long seed) {
        int b = 12 + 3 * maxSeqs;
        List<String> order = interleave(b * floodFactor, b, floodFirst, seed);
        PolicyOptions options = PolicyOptions.builder().reserveSeats(2, slack)
                .isolation(isolation ? 2 : 0, Duration.ofSeconds(30), 0.5, Duration.ZERO).build();
        Run run = run(builder -> SchedulingPolicies.named("fair", options).applyTo(builder), maxSeqs, maxPrompt,
                maxOutput, order, seed, 1, 1);
        assertWithin(run, run.bound() + slack);
    }

    /** {@code |W_a - W_b| <= bound} after every step, and at most twice that between any two steps. */
    private static void assertWithin(Run run, double bound) {
        double minDelta = 0;
        double maxDelta = 0;
        for (double[] s : run.samples()) {
            double delta = s[0] - s[1];
            assertThat(Math.abs(delta)).as("|W_a - W_b| <= %s at every step", bound).isLessThanOrEqualTo(bound);
            minDelta = Math.min(minDelta, delta);
            maxDelta = Math.max(maxDelta, delta);
        }
        // Over any interval [t1, t2]: |W_a(t1,t2) - W_b(t1,t2)| = |Delta(t2) - Delta(t1)| <= max - min.
        assertThat(maxDelta - minDelta).isLessThanOrEqualTo(2 * bound);
    }

    @Property(tries = 20)
    void weighted_tenants_converge_to_their_weight_ratio(
            @ForAll @IntRange(min = 1, max = 4) int weightA,
            @ForAll @IntRange(min = 1, max = 4) int weightB,
            @ForAll @IntRange(min = 2, max = 6) int maxSeqs,
            @ForAll long seed) {
        int maxPrompt = 64;
        int maxOutput = 16;
        int perTenant = 60 * Math.max(weightA, weightB) + 4 * maxSeqs;
        List<String> order = interleave(perTenant, perTenant, false, seed);
        VirtualTokenCounters vtc = new VirtualTokenCounters(Map.of("a", (double) weightA, "b", (double) weightB),
                1, 1, 1);
        Run run = run(() -> FlowQueue.builder().fairness(vtc).build(), maxSeqs, maxPrompt, maxOutput, order, seed,
                1, 1);
        double bound = run.bound() / Math.min(weightA, weightB);
        for (double[] s : run.samples()) {
            assertThat(Math.abs(s[0] / weightA - s[1] / weightB)).isLessThanOrEqualTo(bound);
        }
        double[] last = run.samples().get(run.samples().size() - 1);
        double ratio = last[0] / last[1];
        double target = (double) weightA / weightB;
        // |W_a/W_b - w_a/w_b| <= (U / min w) x w_a / W_b: the ratio converges as service grows.
        assertThat(Math.abs(ratio - target)).isLessThanOrEqualTo(bound * weightA / last[1]);
        assertThat(Math.abs(ratio - target) / target).as("ratio %s vs weights %s", ratio, target)
                .isLessThan(0.25);
    }

    @Example
    void fcfs_breaks_the_bound_that_vtc_keeps_when_one_tenant_floods_first() {
        List<String> order = interleave(200, 40, true, 1);
        Run fcfs = run(FcfsQueue::new, 4, 100, 32, order, 7, 1, 1);
        Run vtc = run(() -> FlowQueue.builder().fairness(VirtualTokenCounters.equalWeights()).build(), 4, 100, 32,
                order, 7, 1, 1);
        double fcfsWorst = fcfs.samples().stream().mapToDouble(s -> Math.abs(s[0] - s[1])).max().orElseThrow();
        double vtcWorst = vtc.samples().stream().mapToDouble(s -> Math.abs(s[0] - s[1])).max().orElseThrow();
        assertThat(fcfsWorst).isGreaterThan(2 * fcfs.bound());
        assertThat(vtcWorst).isLessThanOrEqualTo(vtc.bound());
    }
}
