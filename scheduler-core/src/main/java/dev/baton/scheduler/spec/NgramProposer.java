package dev.baton.scheduler.spec;

import dev.baton.kv.TokenSequence;

/**
 * Prompt lookup / n-gram speculation (vLLM's {@code ngram} method, {@code ngram_proposer.py}; Saxena's prompt lookup
 * decoding): if the last {@code n} tokens of the context (prompt plus output) occurred earlier in it, propose the
 * tokens that followed that occurrence. No model, no device: drafts are deterministic and carry no probabilities
 * (verified as one-hot proposals).
 *
 * <h2>Matching rules (vLLM, conformance cases SPEC-31..43)</h2>
 * <ul>
 *   <li>Take the <b>longest</b> {@code n} in {@code [minN, maxN]} whose suffix occurs earlier in the context; among
 *   occurrences of that length take the <b>earliest</b>.</li>
 *   <li>Propose up to {@code k} tokens that follow it, fewer if the context ends first.</li>
 *   <li>Propose nothing if the context is shorter than {@code minN} or no suffix of length {@code >= minN}
 *   recurs.</li>
 * </ul>
 *
 * <h2>Algorithm</h2>
 * Linear time, as vLLM's KMP variant: with {@code r} the reversed context, the Z-function
 * {@code z[j] = lcp(r, r[j..])} gives, for every earlier end position, the length of the context suffix that also
 * ends there. The longest match is {@code min(maxN, max_j z[j])} and the earliest occurrence is the largest {@code j}
 * reaching it. Scratch arrays grow to the longest context seen and are reused: allocation-free in steady state.
 *
 * <p>Not thread-safe (scratch); one instance per engine.
 */
public final class NgramProposer implements DraftProposer {

    private final int minN;
    private final int maxN;
    private int[] reversed = new int[256];
    private int[] z = new int[256];
    private final int[] scratch = new int[64];

    /**
     * @param minN shortest suffix matched ({@code prompt_lookup_min}), at least 1
     * @param maxN longest suffix matched ({@code prompt_lookup_max}), at least {@code minN}
     */
    public NgramProposer(int minN, int maxN) {
        if (minN < 1 || maxN < minN) {
            throw new IllegalArgumentException("n-gram lengths need 1 <= minN <= maxN, got minN=" + minN + ", maxN="
                    + maxN);
        }
        this.minN = minN;
        this.maxN = maxN;
    }

    @Override
    public void propose(DraftBatch batch) {
        for (int i = 0; i < batch.size(); i++) {
            int k = Math.min(batch.maxDrafts(i), scratch.length);
            if (k <= 0) {
                continue;
            }
            int n = propose(batch.sequence(i), k, scratch, 0);
            for (int j = 0; j < n; j++) {
                batch.addDraft(i, scratch[j]);
            }
        }
    }

    /**
     * Proposes up to {@code k} tokens continuing {@code context} into {@code out[outOff ..]}.
     *
     * @return the number of tokens proposed (0 when nothing matches)
     */
    public int propose(TokenSequence context, int k, int[] out, int outOff) {
        int len = context.length();
        if (k <= 0 || len < minN || len < 2) {
            return 0;
        }
        if (reversed.length < len) {
            int n = Math.max(len, reversed.length * 2);
            reversed = new int[n];
            z = new int[n];
        }
        int[] r = reversed;
        for (int i = 0; i < len; i++) {
            r[i] = context.tokenAt(len - 1 - i);
        }
        // Z-function of r; z[j] for j >= 1 is how far the context's suffix matches the text ending at len - 1 - j.
        int best = 0;
        int bestJ = -1;
        int left = 0;
        int right = 0;
        for (int j = 1; j < len; j++) {
            int zj = 0;
            if (j < right) {
                zj = Math.min(right - j, z[j - left]);
            }
            while (j + zj < len && r[zj] == r[j + zj]) {
                zj++;
            }
            z[j] = zj;
            if (j + zj > right) {
                left = j;
                right = j + zj;
            }
            int n = Math.min(zj, maxN);
            if (n >= best && n > 0) {
                best = n; // >=: a later j is an earlier occurrence in the context
                bestJ = j;
            }
        }
        if (best < minN) {
            return 0;
        }
        // The occurrence ends at context index len - 1 - bestJ; its continuation starts right after.
        int from = len - bestJ;
        int count = Math.min(k, len - from);
        for (int t = 0; t < count; t++) {
            out[outOff + t] = context.tokenAt(from + t);
        }
        return count;
    }

    public int minN() {
        return minN;
    }

    public int maxN() {
        return maxN;
    }
}
