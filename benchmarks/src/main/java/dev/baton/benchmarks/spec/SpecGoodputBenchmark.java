package dev.baton.benchmarks.spec;

import dev.baton.accelerator.AcceleratorConfig;
import dev.baton.accelerator.Accelerators;
import dev.baton.api.VirtualClock;
import dev.baton.api.admission.Rejection;
import dev.baton.api.request.InferenceRequest;
import dev.baton.api.request.SamplingParams;
import dev.baton.scheduler.EngineConfig;
import dev.baton.scheduler.Engines;
import dev.baton.scheduler.core.Request;
import dev.baton.scheduler.engine.EngineCore;
import dev.baton.scheduler.spec.DraftLengthPolicy;
import dev.baton.scheduler.spec.GoodputPolicy;
import dev.baton.scheduler.spec.SpeculativeConfig;
import dev.baton.scheduler.spec.SyntheticProposer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Goodput of speculative decoding on the simulated device (H100, Llama-3.1-8B roofline cost model, virtual time):
 * accepted output tokens per second for every static K in 0..8 and for the dynamic {@link GoodputPolicy}, across
 * acceptance rates and batch sizes. The device models the proposer by its acceptance rate ({@code sim.acceptance}:
 * i.i.d. per position); drafting costs {@code c = 0.05} of a target decode step per draft token (an EAGLE-like head),
 * charged to the virtual clock. Each cell is a closed loop of {@code max(2B, 16)} requests (prompt 128, output 256)
 * at concurrency {@code B} (max-num-seqs), and goodput is their output tokens over the virtual time to finish them.
 *
 * <p>Checks, printed at the end (exit status 1 if either fails): the dynamic policy is within 5% of the best static K
 * in every cell, and for every static K there is a cell where the dynamic policy beats it.
 *
 * <pre>
 *   ./mvnw -B -q -pl benchmarks -am package -DskipTests
 *   java -cp benchmarks/target/baton-benchmarks.jar dev.baton.benchmarks.spec.SpecGoodputBenchmark
 *   # options: alphas=0.3,0.5,0.7,0.9 batches=1,4,16,64,256 output=256 cost=0.05
 * </pre>
 */
public final class SpecGoodputBenchmark {

    static final int MAX_K = 8;
    static final int PROMPT = 128;

    private SpecGoodputBenchmark() {
    }

    public static void main(String[] args) {
        double[] alphas = {0.3, 0.5, 0.7, 0.9};
        int[] batches = {1, 4, 16, 64, 256};
        int output = 256;
        double cost = 0.05;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("options are key=value (alphas, batches, output, cost), got " + a);
            }
            switch (kv[0]) {
                case "alphas" -> alphas = Arrays.stream(kv[1].split(",")).mapToDouble(Double::parseDouble).toArray();
                case "batches" -> batches = Arrays.stream(kv[1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "output" -> output = Integer.parseInt(kv[1]);
                case "cost" -> cost = Double.parseDouble(kv[1]);
                default -> throw new IllegalArgumentException("unknown option " + kv[0]
                        + "; known: alphas, batches, output, cost");
            }
        }
        long t0 = System.nanoTime();
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-5s %4s", "alpha", "B"));
        for (int k = 0; k <= MAX_K; k++) {
            header.append(String.format(Locale.ROOT, " %7s", "k=" + k));
        }
        header.append(String.format(Locale.ROOT, " %7s %6s %9s %s", "dynamic", "best", "dyn/best", "K(dyn)"));
        System.out.println("goodput, output tokens/s (sim h100/llama-3.1-8b, draft cost c=" + cost + ", output "
                + output + ")");
        System.out.println(header);
        int cells = alphas.length * batches.length;
        boolean[] beaten = new boolean[MAX_K + 1];
        double worst = Double.POSITIVE_INFINITY;
        for (double alpha : alphas) {
            for (int b : batches) {
                double[] g = new double[MAX_K + 1];
                int best = 0;
                for (int k = 0; k <= MAX_K; k++) {
                    g[k] = run(alpha, b, output, cost, k == 0 ? null : DraftLengthPolicy.fixed(k), k, null);
                    if (g[k] > g[best]) {
                        best = k;
                    }
                }
                List<Integer> ks = new ArrayList<>();
                double dyn = run(alpha, b, output, cost, new GoodputPolicy(), MAX_K, ks);
                for (int k = 0; k <= MAX_K; k++) {
                    if (dyn > g[k]) {
                        beaten[k] = true;
                    }
                }
                double ratio = dyn / g[best];
                worst = Math.min(worst, ratio);
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-5.2f %4d", alpha, b));
                for (int k = 0; k <= MAX_K; k++) {
                    row.append(String.format(Locale.ROOT, " %7.0f", g[k]));
                }
                row.append(String.format(Locale.ROOT, " %7.0f %6s %9.3f %s", dyn, "k=" + best, ratio, mode(ks)));
                System.out.println(row);
            }
        }
        boolean within = worst >= 0.95;
        boolean dominates = true;
        StringBuilder notBeaten = new StringBuilder();
        for (int k = 0; k <= MAX_K; k++) {
            if (!beaten[k]) {
                dominates = false;
                notBeaten.append(" k=").append(k);
            }
        }
        System.out.printf(Locale.ROOT, "%n%d cells; worst dynamic/best-static ratio %.3f: %s%n", cells, worst,
                within ? "PASS (>= 0.95 in every cell)" : "FAIL (below 0.95 somewhere)");
        System.out.println("dynamic beats every static K in some cell: "
                + (dominates ? "PASS" : "FAIL (never beats" + notBeaten + ")"));
        System.out.printf(Locale.ROOT, "wall time %.1f s%n", (System.nanoTime() - t0) * 1e-9);
        if (!within || !dominates) {
            System.exit(1);
        }
    }

    /**
     * One cell: output tokens per virtual second.
     *
     * @param policy null for no speculation
     * @param ks     if not null, receives the K in force after every step (dynamic runs)
     */
    static double run(double alpha, int batch, int output, double cost, DraftLengthPolicy policy, int maxDrafts,
                      List<Integer> ks) {
        VirtualClock clock = new VirtualClock();
        AcceleratorConfig ac = AcceleratorConfig.builder().clock(clock).numGpuBlocksOverride(40_000)
                .maxNumBatchedTokens(8192).option("sim.acceptance", Double.toString(alpha)).build();
        EngineConfig cfg = EngineConfig.builder().maxNumSeqs(batch).maxNumBatchedTokens(8192)
                .maxQueuedRequests(1 << 16).build();
        Engines.Builder eb = Engines.builder().accelerator(Accelerators.open("sim:h100/llama-3.1-8b", ac))
                .clock(clock).config(cfg);
        if (policy != null) {
            eb.speculative(new SpeculativeConfig(new SyntheticProposer(1, cost, clock), policy, maxDrafts));
        }
        EngineCore core = eb.buildCore();
        int n = Math.max(2 * batch, 16);
        for (int i = 0; i < n; i++) {
            int[] prompt = new int[PROMPT];
            for (int t = 0; t < PROMPT; t++) {
                prompt[t] = (i * 131 + t * 17) % 30_000;
            }
            InferenceRequest ir = InferenceRequest.withPrompt(prompt).requestId("r" + i)
                    .sampling(SamplingParams.greedy(output)).build();
            Rejection refused = core.admissionPolicy().admit(ir, core.admission());
            if (refused != null) {
                throw new IllegalStateException("request refused: " + refused);
            }
            core.submit(new Request(ir.requestId(), ir, clock.nanoTime(), i, 7919L * i + 1, 0, Long.MAX_VALUE,
                    Long.MAX_VALUE, core));
        }
        long start = clock.nanoTime();
        while (core.hasWork()) {
            core.step();
            if (ks != null && policy instanceof GoodputPolicy gp) {
                ks.add(gp.current());
            }
        }
        double seconds = (clock.nanoTime() - start) * 1e-9;
        return (double) n * output / seconds;
    }

    /** The most frequent K of a run, as "k" or "k1/k2" when two share the top. */
    private static String mode(List<Integer> ks) {
        int[] counts = new int[MAX_K + 1];
        for (int k : ks) {
            counts[k]++;
        }
        int best = 0;
        for (int k = 1; k <= MAX_K; k++) {
            if (counts[k] > counts[best]) {
                best = k;
            }
        }
        return Integer.toString(best);
    }
}
