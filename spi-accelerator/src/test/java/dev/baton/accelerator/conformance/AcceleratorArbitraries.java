package dev.baton.accelerator.conformance;

import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * jqwik arbitraries for accelerator and engine property tests: sampling parameters, prompts, requests, workloads (with
 * shared prefixes and staggered arrivals), schedules for the {@link PlanDriver}, and block-move scripts.
 *
 * <p>Token ids are drawn from {@code [0, }{@value #TOKEN_RANGE}{@code )}; consumers reduce them modulo their vocabulary
 * (the {@link PlanDriver} does), so one workload runs on any model.
 */
public final class AcceleratorArbitraries {

    /** Token ids are drawn below this bound. */
    public static final int TOKEN_RANGE = 1 << 20;

    private AcceleratorArbitraries() {
    }

    /** Greedy half the time; otherwise seeded sampling with temperature, top-k and top-p from vLLM's usual ranges. */
    public static Arbitrary<SamplingParams> samplingParams(int maxTokens) {
        Arbitrary<SamplingParams> greedy = Arbitraries.integers().between(1, maxTokens)
                .map(SamplingParams::greedy);
        Arbitrary<SamplingParams> sampled = Combinators.combine(
                        Arbitraries.of(0.3, 0.7, 1.0, 1.5),
                        Arbitraries.of(0, 1, 5, 40),
                        Arbitraries.of(1.0, 0.95, 0.6),
                        Arbitraries.longs(),
                        Arbitraries.integers().between(1, maxTokens))
                .as((t, k, p, seed, max) -> SamplingParams.builder().temperature(t).topK(k).topP(p).seed(seed)
                        .maxTokens(max).ignoreEos(true).build());
        return Arbitraries.oneOf(greedy, sampled);
    }

    /** Prompts of {@code minLength .. maxLength} token ids. */
    public static Arbitrary<int[]> prompts(int minLength, int maxLength) {
        return Arbitraries.integers().between(0, TOKEN_RANGE - 1).array(int[].class).ofMinSize(minLength)
                .ofMaxSize(maxLength);
    }

    /** Requests for an engine: a prompt of up to {@code maxPrompt} tokens and up to {@code maxTokens} outputs. */
    public static Arbitrary<InferenceRequest> requests(int vocab, int maxPrompt, int maxTokens) {
        return Combinators.combine(prompts(1, maxPrompt), samplingParams(maxTokens))
                .as((prompt, params) -> InferenceRequest.withPrompt(Arrays.stream(prompt).map(t -> t % vocab)
                        .toArray()).sampling(params).build());
    }

    /**
     * Workloads of {@code 1 .. maxSeqs} sequences, prompts up to {@code maxPrompt} tokens (plus a shared system prompt
     * of up to 24 for some), up to {@code maxTokens} outputs each, arriving over the first steps; sequences that start
     * with the system prompt may share a prefix of it with an earlier one.
     */
    public static Arbitrary<Workload> workloads(int maxSeqs, int maxPrompt, int maxTokens) {
        Arbitrary<Tuple.Tuple5<int[], SamplingParams, Long, Integer, Integer>> sequence = Combinators.combine(
                prompts(1, maxPrompt), samplingParams(maxTokens), Arbitraries.longs(),
                Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 99)).as(Tuple::of);
        return Combinators.combine(prompts(1, 24), sequence.list().ofMinSize(1).ofMaxSize(maxSeqs))
                .as(AcceleratorArbitraries::assemble);
    }

    private static Workload assemble(int[] system,
                                     List<Tuple.Tuple5<int[], SamplingParams, Long, Integer, Integer>> parts) {
        List<SequenceSpec> specs = new ArrayList<>();
        int lastWithSystem = -1;
        for (var part : parts) {
            int choice = part.get5();
            int[] prompt = part.get1();
            int shareFrom = -1;
            int shareTokens = 0;
            if (choice < 40) {
                int[] joined = Arrays.copyOf(system, system.length + prompt.length);
                System.arraycopy(prompt, 0, joined, system.length, prompt.length);
                prompt = joined;
                if (lastWithSystem >= 0) {
                    shareFrom = lastWithSystem;
                    shareTokens = 1 + choice % system.length;
                }
                lastWithSystem = specs.size();
            }
            SamplingParams params = part.get2();
            specs.add(new SequenceSpec(prompt, params.maxTokens(), params, part.get3(), part.get4(), shareFrom,
                    shareTokens));
        }
        return new Workload(specs);
    }

    /** Schedules from tight (one token per step) to loose, with or without speculation, placeholders and events. */
    public static Arbitrary<Schedule> schedules() {
        return Combinators.combine(
                        Arbitraries.oneOf(Arbitraries.integers().between(1, 16), Arbitraries.of(64, 4096)),
                        Arbitraries.oneOf(Arbitraries.integers().between(1, 8), Arbitraries.of(32, 1 << 20)),
                        Arbitraries.of(0, 0, 1, 3, 5),
                        Arbitraries.of(Schedule.DraftSource.class),
                        Arbitraries.of(0.0, 0.5, 1.0),
                        Arbitraries.of(0.0, 0.05, 0.2),
                        Arbitraries.of(0.0, 0.0, 0.05),
                        Arbitraries.longs())
                .as(Schedule::new);
    }

    /** Schedules that do not speculate (for seeded sampled sequences, whose tokens then must not change). */
    public static Arbitrary<Schedule> schedulesWithoutDrafts() {
        return schedules().map(s -> new Schedule(s.tokenBudget(), s.chunkCap(), 0, s.drafts(), s.placeholderRate(),
                s.preemptRate(), s.cancelRate(), s.seed()));
    }

    /**
     * One plan of a block-move script: writes of known data into blocks, then moves executed by a plan with no
     * sequences.
     *
     * @param writes blocks to fill with fresh data before the plan: {@code {tier ordinal, block id}} pairs
     * @param moves  the plan's moves: {@code {kind ordinal, src, dst}}
     */
    public record MoveStep(List<int[]> writes, List<int[]> moves) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("MoveStep[writes=");
            for (int[] w : writes) {
                sb.append(w[0] == 0 ? "D" : "H").append(w[1]).append(' ');
            }
            sb.append("moves=");
            for (int[] m : moves) {
                sb.append(dev.baton.api.plan.BlockMoveKind.values()[m[0]]).append(' ').append(m[1]).append("->")
                        .append(m[2]).append(' ');
            }
            return sb.append(']').toString();
        }
    }

    /** Scripts of up to 8 plans over device blocks {@code 1 .. deviceBlocks - 1} and host blocks {@code 0 .. hostBlocks - 1}. */
    public static Arbitrary<List<MoveStep>> blockMoveScripts(int deviceBlocks, int hostBlocks) {
        Arbitrary<Integer> dev = Arbitraries.integers().between(1, deviceBlocks - 1);
        Arbitrary<Integer> host = Arbitraries.integers().between(0, hostBlocks - 1);
        Arbitrary<int[]> write = Arbitraries.oneOf(dev.map(b -> new int[] {0, b}), host.map(b -> new int[] {1, b}));
        Arbitrary<int[]> move = Arbitraries.oneOf(
                Combinators.combine(dev, host).as((d, h) -> new int[] {0, d, h}),
                Combinators.combine(host, dev).as((h, d) -> new int[] {1, h, d}),
                Combinators.combine(dev, dev).filter((a, b) -> !a.equals(b)).as((a, b) -> new int[] {2, a, b}));
        Arbitrary<MoveStep> stepArb = Combinators.combine(write.list().ofMaxSize(4), move.list().ofMinSize(1)
                .ofMaxSize(6)).as(MoveStep::new);
        return stepArb.list().ofMinSize(1).ofMaxSize(8);
    }
}
