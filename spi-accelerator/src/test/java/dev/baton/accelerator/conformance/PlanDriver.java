package dev.baton.accelerator.conformance;

import dev.baton.accelerator.Accelerator;
import dev.baton.api.plan.BlockMoveKind;
import dev.baton.api.plan.BlockTable;
import dev.baton.api.plan.StepPlan;
import dev.baton.api.plan.StepResult;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Random;

/**
 * A small, scripted scheduler that drives any {@link Accelerator} through the {@link StepPlan} contract, for
 * conformance tests: continuous batching under a token budget, chunked prefill, one-step-ahead placeholders,
 * preemption by swap (SWAP_OUT then SWAP_IN into other blocks) and by recompute, prefix sharing with copy-on-write of
 * the partial block (COPY), speculative drafts with rollback of rejected positions, cancellations, slot reuse
 * through released slots, and shuffled, non-contiguous block ids. Every choice comes from the {@link Schedule}'s
 * seed, so a run is reproducible.
 *
 * <p>It checks the device's side of the contract on every step and throws {@link AssertionError} naming the step and
 * sequence when it is broken: no token for a prefill chunk that does not sample; {@code 1 .. k + 1} tokens after
 * {@code k} drafts, the first ones being an accepted prefix of the drafts; token ids inside the vocabulary; and, when
 * probability rows are returned, a positive probability for every returned token.
 *
 * <p>Not a model of Baton's scheduler (that lives in scheduler-core); just enough of one to exercise a device.
 */
public final class PlanDriver {

    /**
     * What a run produced.
     *
     * @param tokens          generated tokens per sequence (fewer than {@code maxTokens} if cancelled)
     * @param cancelled       which sequences were cancelled
     * @param steps           steps executed
     * @param swaps           preemptions by swap
     * @param recomputes      preemptions by recompute
     * @param sharedPrefixes  sequences that started from another's KV blocks
     * @param draftsProposed  draft tokens sent for verification
     * @param draftsAccepted  draft tokens accepted
     */
    public record Outcome(int[][] tokens, boolean[] cancelled, int steps, int swaps, int recomputes,
                          int sharedPrefixes, int draftsProposed, int draftsAccepted) {

        public int[] tokens(int seq) {
            return tokens[seq].clone();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("Outcome[steps=").append(steps).append(", swaps=").append(swaps)
                    .append(", recomputes=").append(recomputes).append(", shared=").append(sharedPrefixes)
                    .append(", drafts=").append(draftsAccepted).append('/').append(draftsProposed);
            for (int i = 0; i < tokens.length; i++) {
                sb.append(", #").append(i).append(cancelled[i] ? " (cancelled) " : " ").append(Arrays.toString(tokens[i]));
            }
            return sb.append(']').toString();
        }
    }

    private static final int MAX_HOST_BLOCKS_USED = 4096;
    private static final int MAX_STEPS = 100_000;
    /**
     * Random recompute preemptions per sequence: a small token budget with a high preemption rate would otherwise
     * restart a long prompt faster than it is computed, and the schedule would never finish.
     */
    private static final int MAX_RECOMPUTES = 3;

    private enum State { PENDING, RUNNING, SWAPPED, DONE }

    private final class Seq implements BlockTable {
        final int index;
        final SequenceSpec spec;
        final int[] prompt;
        int[] tokens;
        int known;
        int generated;
        int computed;
        int recomputes;
        int slot = -1;
        int[] blocks = new int[8];
        int numBlocks;
        int[] hostBlocks = new int[8];
        State state = State.PENDING;
        boolean sampledLastStep;
        boolean cancelled;

        Seq(int index, SequenceSpec spec) {
            this.index = index;
            this.spec = spec;
            this.prompt = spec.prompt();
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = Math.floorMod(prompt[i], vocab);
            }
            tokens = Arrays.copyOf(prompt, prompt.length + spec.maxTokens() + 1);
            known = prompt.length;
        }

        @Override
        public int size() {
            return numBlocks;
        }

        @Override
        public int blockId(int i) {
            return blocks[i];
        }

        void addBlock(int id) {
            if (numBlocks == blocks.length) {
                blocks = Arrays.copyOf(blocks, numBlocks * 2);
            }
            blocks[numBlocks++] = id;
        }
    }

    private final Accelerator device;
    private final int vocab;
    private final int blockSize;
    private final int numDeviceBlocks;
    private final int[] refs;
    private final Deque<Integer> freeBlocks = new ArrayDeque<>();
    private final Deque<Integer> freeHost = new ArrayDeque<>();
    private final Deque<Integer> freeSlots = new ArrayDeque<>();
    private int nextSlot;

    private PlanDriver(Accelerator device, long seed) {
        this.device = device;
        this.vocab = device.model().vocabSize();
        this.blockSize = device.kvLayout().blockSize();
        this.numDeviceBlocks = device.kvLayout().numDeviceBlocks();
        this.refs = new int[numDeviceBlocks];
        Random shuffle = new Random(seed);
        List<Integer> ids = new ArrayList<>();
        for (int b = 1; b < numDeviceBlocks; b++) {
            ids.add(b);
        }
        Collections.shuffle(ids, shuffle);
        freeBlocks.addAll(ids);
        ids.clear();
        for (int b = 0; b < Math.min(device.kvLayout().numHostBlocks(), MAX_HOST_BLOCKS_USED); b++) {
            ids.add(b);
        }
        Collections.shuffle(ids, shuffle);
        freeHost.addAll(ids);
    }

    /** Runs {@code workload} alone on {@code device} under {@code schedule}; {@code oracle} feeds ORACLE drafts. */
    public static Outcome run(Accelerator device, Workload workload, Schedule schedule, int[][] oracle) {
        return new PlanDriver(device, schedule.seed()).execute(workload, schedule, oracle);
    }

    /** The tokens of {@code spec} run alone with {@link Schedule#SOLO}: the reference every schedule must match. */
    public static int[] solo(Accelerator device, SequenceSpec spec) {
        return run(device, Workload.of(spec.solo()), Schedule.SOLO, null).tokens(0);
    }

    private Outcome execute(Workload workload, Schedule schedule, int[][] oracle) {
        Random rnd = new Random(schedule.seed() ^ 0x5DEECE66DL);
        int n = workload.size();
        Seq[] seqs = new Seq[n];
        for (int i = 0; i < n; i++) {
            seqs[i] = new Seq(i, workload.get(i));
        }
        StepPlan plan = new StepPlan();
        StepResult result = new StepResult(vocab, device.maxProposals());
        List<Integer> pendingReleases = new ArrayList<>();
        Seq[] planned = new Seq[n];
        int[] plannedChunk = new int[n];
        int[][] plannedDrafts = new int[n][];
        boolean[] plannedProbs = new boolean[n];
        boolean[] scheduledNow = new boolean[n];
        int swaps = 0;
        int recomputes = 0;
        int shared = 0;
        int proposed = 0;
        int accepted = 0;
        int step = 0;
        for (; ; step++) {
            if (step > MAX_STEPS) {
                throw new AssertionError("the driver made no progress in " + MAX_STEPS + " steps");
            }
            boolean unfinished = false;
            for (Seq s : seqs) {
                unfinished |= s.state != State.DONE;
            }
            if (!unfinished) {
                break;
            }
            plan.clear(step);
            for (int slot : pendingReleases) {
                plan.addReleased(slot);
                freeSlots.add(slot);
            }
            pendingReleases.clear();
            Arrays.fill(scheduledNow, false);

            // Swapped sequences come back first, so that host blocks they free can be reused by swap-outs of this
            // same plan (moves run in plan order).
            for (Seq s : seqs) {
                if (s.state == State.SWAPPED && (rnd.nextBoolean() || !anyRunning(seqs))
                        && freeBlocks.size() >= s.numBlocks) {
                    for (int b = 0; b < s.numBlocks; b++) {
                        int fresh = allocate();
                        plan.addMove(BlockMoveKind.SWAP_IN, s.hostBlocks[b], fresh);
                        freeHost.add(s.hostBlocks[b]);
                        s.blocks[b] = fresh;
                    }
                    s.state = State.RUNNING;
                }
            }
            // Events on running sequences.
            for (Seq s : seqs) {
                if (s.state != State.RUNNING || s.computed == 0) {
                    continue;
                }
                if (rnd.nextDouble() < schedule.cancelRate()) {
                    s.cancelled = true;
                    finish(s, plan, true);
                    continue;
                }
                if (rnd.nextDouble() < schedule.preemptRate()) {
                    if (rnd.nextBoolean() && freeHost.size() >= s.numBlocks) {
                        for (int b = 0; b < s.numBlocks; b++) {
                            if (s.hostBlocks.length <= b) {
                                s.hostBlocks = Arrays.copyOf(s.hostBlocks, s.numBlocks * 2);
                            }
                            int h = freeHost.poll();
                            plan.addMove(BlockMoveKind.SWAP_OUT, s.blocks[b], h);
                            s.hostBlocks[b] = h;
                            release(s.blocks[b]);
                        }
                        s.state = State.SWAPPED;
                        s.sampledLastStep = false;
                        swaps++;
                    } else if (s.recomputes < MAX_RECOMPUTES) {
                        releaseAll(s);
                        s.computed = 0;
                        s.recomputes++;
                        recomputes++;
                    }
                }
            }
            // Arrivals (possibly from a shared prefix), then everything that runs, under the budget.
            int budget = schedule.tokenBudget();
            int numPlanned = 0;
            int start = n == 0 ? 0 : step % n;
            for (int o = 0; o < n && budget > 0; o++) {
                Seq s = seqs[(start + o) % n];
                if (s.state == State.PENDING && s.spec.arrivalStep() <= step) {
                    s.slot = freeSlots.isEmpty() ? nextSlot++ : freeSlots.poll();
                    s.state = State.RUNNING;
                    if (startFromSharedPrefix(s, seqs, plan)) {
                        shared++;
                    }
                }
                if (s.state != State.RUNNING) {
                    continue;
                }
                int need = s.known - s.computed;
                int chunk = need > 1 ? Math.min(need, Math.min(schedule.chunkCap(), budget)) : 1;
                boolean samples = s.computed + chunk == s.known;
                int k = 0;
                if (samples && need == 1 && schedule.speculates()) {
                    k = Math.max(0, Math.min(rnd.nextInt(schedule.maxDrafts() + 1),
                            Math.min(s.spec.maxTokens() - s.generated - 1, budget - 1)));
                }
                int end = s.computed + chunk + k;
                int needBlocks = (end + blockSize - 1) / blockSize;
                if (needBlocks - s.numBlocks > freeBlocks.size()) {
                    continue;
                }
                while (s.numBlocks < needBlocks) {
                    s.addBlock(allocate());
                }
                boolean wantProbs = rnd.nextInt(4) == 0;
                int flags = (samples ? StepPlan.FLAG_SAMPLE : 0) | (samples && wantProbs ? StepPlan.FLAG_WANT_PROBS : 0);
                int i = plan.addSequence(s.slot, s.spec.seed(), s.spec.sampling(), 0, s.computed, k, flags);
                for (int j = 0; j < chunk; j++) {
                    int p = s.computed + j;
                    boolean placeholder = p == s.known - 1 && s.sampledLastStep
                            && rnd.nextDouble() < schedule.placeholderRate();
                    plan.addToken(placeholder ? StepPlan.PLACEHOLDER_TOKEN : s.tokens[p]);
                }
                int[] drafts = proposeDrafts(s, k, schedule, oracle, rnd);
                plan.addTokens(drafts, 0, k);
                if (k > 0 && schedule.drafts() == Schedule.DraftSource.RANDOM && rnd.nextBoolean()) {
                    plan.setDraftProbabilities(i, randomRows(rnd, k), 0, k, vocab);
                }
                plan.setBlockTable(i, 0, s, s.numBlocks);
                planned[i] = s;
                plannedChunk[i] = chunk;
                plannedDrafts[i] = drafts;
                plannedProbs[i] = samples && wantProbs;
                scheduledNow[s.index] = true;
                budget -= chunk + k;
                proposed += k;
                numPlanned++;
            }
            if (numPlanned == 0 && plan.numMoves() == 0 && plan.numReleased() == 0) {
                // Out of blocks with nothing to run: preempt the largest running sequence by recompute.
                Seq victim = null;
                for (Seq s : seqs) {
                    if (s.state == State.RUNNING && (victim == null || s.numBlocks > victim.numBlocks)) {
                        victim = s;
                    }
                }
                if (victim == null || victim.numBlocks == 0) {
                    if (anyArrivingLater(seqs, step)) {
                        continue;
                    }
                    throw new AssertionError("the device's " + numDeviceBlocks + " KV blocks cannot hold one sequence");
                }
                releaseAll(victim);
                victim.computed = 0;
                recomputes++;
                continue;
            }

            device.execute(plan, result);

            for (int i = 0; i < numPlanned; i++) {
                Seq s = planned[i];
                int got = result.numSampled(i);
                int k = plannedDrafts[i].length;
                String where = "step " + step + ", sequence " + s.index + " (plan index " + i + ")";
                boolean samples = plan.samples(i);
                if (!samples) {
                    check(got == 0, where + ": a prefill chunk that does not sample returned " + got + " tokens");
                } else {
                    check(got >= 1 && got <= k + 1, where + ": returned " + got + " tokens for " + k + " drafts");
                }
                for (int t = 0; t < got; t++) {
                    int token = result.sampled(i, t);
                    check(token >= 0 && token < vocab, where + ": token " + token + " outside the vocabulary");
                    if (t < got - 1) {
                        check(token == plannedDrafts[i][t], where + ": token " + t + " (" + token
                                + ") is not the accepted draft " + plannedDrafts[i][t]);
                    }
                    if (plannedProbs[i]) {
                        check(result.probability(i, t, token) > 0, where + ": returned token " + token
                                + " has target probability 0");
                    }
                }
                accepted += Math.max(0, got - 1);
                s.computed += plannedChunk[i] + Math.max(0, got - 1);
                int keep = Math.min(got, s.spec.maxTokens() - s.generated);
                for (int t = 0; t < keep; t++) {
                    s.tokens[s.known++] = result.sampled(i, t);
                }
                s.generated += keep;
                s.sampledLastStep = got > 0;
                if (s.generated == s.spec.maxTokens()) {
                    finish(s, null, false);
                    pendingReleases.add(s.slot);
                }
            }
            for (Seq s : seqs) {
                if (!scheduledNow[s.index]) {
                    s.sampledLastStep = false;
                }
            }
        }
        int[][] tokens = new int[n][];
        boolean[] cancelled = new boolean[n];
        for (Seq s : seqs) {
            tokens[s.index] = Arrays.copyOfRange(s.tokens, s.prompt.length, s.prompt.length + s.generated);
            cancelled[s.index] = s.cancelled;
        }
        return new Outcome(tokens, cancelled, step, swaps, recomputes, shared, proposed, accepted);
    }

    private boolean startFromSharedPrefix(Seq s, Seq[] seqs, StepPlan plan) {
        int from = s.spec.shareFrom();
        if (from < 0) {
            return false;
        }
        Seq parent = seqs[from];
        int share = s.spec.shareTokens();
        if (parent.state != State.RUNNING || parent.computed < share) {
            return false;
        }
        int full = share / blockSize;
        for (int b = 0; b < full; b++) {
            refs[parent.blocks[b]]++;
            s.addBlock(parent.blocks[b]);
        }
        if (share % blockSize != 0) {
            if (freeBlocks.isEmpty()) {
                releaseAll(s);
                return false;
            }
            int copy = allocate();
            plan.addMove(BlockMoveKind.COPY, parent.blocks[full], copy);
            s.addBlock(copy);
        }
        s.computed = share;
        return true;
    }

    private int[] proposeDrafts(Seq s, int k, Schedule schedule, int[][] oracle, Random rnd) {
        int[] drafts = new int[k];
        for (int j = 0; j < k; j++) {
            int next = s.generated + j;
            boolean fromOracle = schedule.drafts() == Schedule.DraftSource.ORACLE && oracle != null
                    && oracle[s.index] != null && next < oracle[s.index].length && rnd.nextInt(5) != 0;
            if (fromOracle) {
                drafts[j] = oracle[s.index][next];
            } else {
                drafts[j] = rnd.nextInt(8) == 0 ? StepPlan.PLACEHOLDER_TOKEN : rnd.nextInt(vocab);
            }
        }
        return drafts;
    }

    private float[] randomRows(Random rnd, int k) {
        float[] rows = new float[k * vocab];
        for (int j = 0; j < k; j++) {
            double sum = 0;
            for (int t = 0; t < vocab; t++) {
                rows[j * vocab + t] = (float) -Math.log(1 - rnd.nextDouble());
                sum += rows[j * vocab + t];
            }
            for (int t = 0; t < vocab; t++) {
                rows[j * vocab + t] /= (float) sum;
            }
        }
        return rows;
    }

    private void finish(Seq s, StepPlan plan, boolean releaseNow) {
        releaseAll(s);
        s.state = State.DONE;
        if (releaseNow) {
            // Released in the plan being built: the slot is free for a sequence of this same plan.
            plan.addReleased(s.slot);
            freeSlots.add(s.slot);
        }
    }

    private int allocate() {
        int b = freeBlocks.poll();
        refs[b] = 1;
        return b;
    }

    private void release(int b) {
        if (--refs[b] == 0) {
            freeBlocks.add(b);
        }
    }

    private void releaseAll(Seq s) {
        for (int b = 0; b < s.numBlocks; b++) {
            release(s.blocks[b]);
        }
        s.numBlocks = 0;
    }

    private static boolean anyRunning(Seq[] seqs) {
        for (Seq s : seqs) {
            if (s.state == State.RUNNING) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyArrivingLater(Seq[] seqs, int step) {
        for (Seq s : seqs) {
            if (s.state == State.PENDING && s.spec.arrivalStep() > step) {
                return true;
            }
            if (s.state == State.SWAPPED) {
                return true;
            }
        }
        return false;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
