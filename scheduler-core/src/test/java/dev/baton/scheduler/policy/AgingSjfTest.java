package dev.baton.scheduler.policy;

import dev.baton.scheduler.core.Sequence;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Aging shortest-job-first never starves a request.
 *
 * <h2>The bound</h2>
 * One request leaves the queue per step, steps are {@code dt} nanoseconds apart, at most {@code m} requests arrive per
 * step, predicted lengths lie in {@code [Lmin, Lmax]}, and the aging rate is {@code a} tokens per second ({@code k =
 * 1e9 / a} nanoseconds per token). A request {@code R} of length {@code L} arriving in step {@code s} with {@code Q}
 * requests already waiting leaves the queue within
 * <pre>
 *   Q + m x (floor((L - Lmin) x k / dt) + 1)   steps.
 * </pre>
 * <b>Proof.</b> The key is {@code arrival + L x k} ({@link QueueOrder#agingShortestFirst}); ties go to the earlier
 * arrival. A request served before {@code R} after {@code R} arrived was either waiting already (at most {@code Q}) or
 * arrived later with a key no larger: {@code a' + L' x k <= a_R + L x k}, so it arrived within
 * {@code (L - L') x k <= (L - Lmin) x k} nanoseconds, i.e. within {@code D = floor((L - Lmin) x k / dt)} steps after
 * {@code R}'s step -- at most {@code m (D + 1) - 1} requests, {@code R} excluded. Each step serves one request while
 * {@code R} waits, so {@code R} is served by step {@code Q + m (D + 1)}. The bound grows with the queue already there
 * and with how much longer {@code R} is than the shortest job, divided by the aging rate -- never with time: unlike
 * plain SJF, a steady stream of short jobs cannot hold a long one back forever.
 */
class AgingSjfTest {
    private final Seqs seqs = new Seqs();

    @Property(tries = 100)
    void no_request_waits_longer_than_its_aging_bound(
            @ForAll @IntRange(min = 1, max = 4) int maxArrivalsPerStep,
            @ForAll @IntRange(min = 1, max = 500) int minLength,
            @ForAll @IntRange(min = 0, max = 4_000) int lengthSpread,
            @ForAll @LongRange(min = 200, max = 100_000) long agingTokensPerSecond,
            @ForAll @LongRange(min = 1_000_000, max = 100_000_000) long stepNanos,
            @ForAll @IntRange(min = 10, max = 200) int steps,
            @ForAll long seed) {
        FlowQueue q = FlowQueue.builder()
                .order(QueueOrder.agingShortestFirst(QueueOrder::promptLength, agingTokensPerSecond)).build();
        SplittableRandom rnd = new SplittableRandom(seed);
        double nanosPerToken = 1e9 / agingTokensPerSecond;
        Map<Sequence, long[]> bound = new HashMap<>(); // seq -> {arrival step, bound in steps}
        long step = 0;
        int served = 0;
        int arrived = 0;
        while (step < steps || !q.isEmpty()) {
            if (step < steps) {
                int arrivals = rnd.nextInt(maxArrivalsPerStep + 1);
                for (int i = 0; i < arrivals; i++) {
                    int length = minLength + (lengthSpread == 0 ? 0 : rnd.nextInt(lengthSpread + 1));
                    Sequence s = seqs.seq("t", 0, length, step * stepNanos, null);
                    long d = (long) Math.floor((length - minLength) * nanosPerToken / stepNanos);
                    bound.put(s, new long[] {step, q.size() + (long) maxArrivalsPerStep * (d + 1)});
                    q.add(s);
                    arrived++;
                }
            }
            Sequence s = q.pop();
            if (s != null) {
                long[] b = bound.get(s);
                long waited = step - b[0] + 1;
                assertThat(waited).as("steps from arrival to service").isLessThanOrEqualTo(b[1]);
                served++;
            }
            step++;
        }
        assertThat(served).isEqualTo(arrived);
    }

    @Example
    void plain_shortest_first_starves_a_long_request_that_aging_serves() {
        // One short job arrives every step for 1000 steps, one long job at the start; one job is served per step.
        assertThat(stepsUntilLongServed(1e-3)).as("practically no aging: plain SJF").isEqualTo(-1);
        int aged = stepsUntilLongServed(10_000);
        // Bound: Q=1 waiting (the first short job) + 1 x (floor((10000 - 10) x 1e5 ns / 1e7 ns) + 1) = 101 steps.
        assertThat(aged).isBetween(1, 101);
    }

    private int stepsUntilLongServed(double agingTokensPerSecond) {
        FlowQueue q = FlowQueue.builder()
                .order(QueueOrder.agingShortestFirst(QueueOrder::promptLength, agingTokensPerSecond)).build();
        long stepNanos = 10_000_000;
        q.add(seqs.seq("t", 0, 10, 0, null));
        Sequence longJob = seqs.seq("t", 0, 10_000, 0, null);
        q.add(longJob);
        for (int step = 0; step < 1000; step++) {
            q.add(seqs.seq("t", 0, 10, (step + 1) * stepNanos, null));
            if (q.pop() == longJob) {
                return step + 1;
            }
        }
        return -1;
    }
}
