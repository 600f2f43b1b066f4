package dev.baton.accelerator.cost;

import dev.baton.accelerator.StepShape;

/**
 * The fitted time of one layer's attention for a whole batch of prefill chunks and decodes, on one device.
 *
 * <h2>Design</h2>
 * Serving engines run attention as one of two kernel families, and the measured profiles show both:
 * <ul>
 *   <li><b>Split-KV decode</b> (FlashAttention/FlashDecoding with {@code num_splits > 1}; vLLM uses it for batches of
 *       decodes only): every sequence's KV is cut into pieces that run in parallel, so time follows the KV bytes read
 *       plus a small serial tail on the longest sequence:
 *       <pre>t_dec = d0 + d1 x seqs + d2 x keys + d3 x longest + d4 x max(0, keys - spillFrom)</pre></li>
 *   <li><b>Varlen</b> (FlashAttention varlen, one kernel for a mixed batch, no KV split): each (sequence, query head,
 *       query tile) is one thread block that walks its keys serially, and blocks run in waves over the GPU's
 *       {@code slots}. With {@code C} blocks, {@code W} key-units of work and the longest block {@code L}, list
 *       scheduling (Graham 1969) puts the makespan between {@code max(L, W/slots)} and {@code W/slots + L}; a batch of
 *       equal blocks takes exactly {@code ceil(C/slots)} waves. The curve takes the tighter of the two:
 *       <pre>span  = max(L, min(ceil(C/slots) x L, W/slots + theta x L))
 *t_mix = m0 + tKey x span + spill</pre>
 *       where every block also pays {@code k0} key-units of fixed work, and {@code spill} is the extra DRAM traffic of
 *       grouped-query attention once the query heads sharing a KV head no longer run together (many sequences, a KV
 *       working set beyond L2): {@code mSpill x clamp((seqs - n0) / n1, 0, 1) x max(0, keys - mSpillFrom)}.</li>
 * </ul>
 * A step with a prompt chunk of two or more tokens runs the varlen kernel; a step where every sequence computes one
 * query (plus its drafts) runs the split-KV kernel where the profiled engine has one ({@link DecodeKernel#SPLIT_KV},
 * vLLM V1 on the RTX cards; one-token prompt tails join the decodes, as in vLLM and LLMServingSim) and the varlen
 * kernel otherwise (Sarathi-Serve's decode path in Vidur's H100 profile). The result is {@code max(t_dec, t_mix)}
 * whenever the varlen kernel runs, which keeps the curve monotone when a decode turns into a prompt chunk by gaining
 * tokens.
 *
 * <h2>Monotonicity</h2>
 * Every aggregate the curve reads (sequences, multi-query sequences, tokens, causal pairs, keys read, longest
 * sequence) only grows when a sequence, a token or context is added, whichever class (decode or prefill) the sequence
 * lands in; every term is non-decreasing in them with non-negative coefficients; {@code min} and {@code max} of
 * non-decreasing functions are non-decreasing; and the kernel switch only goes from split-KV to
 * {@code max(t_dec, t_mix)}. So adding work never makes attention faster.
 *
 * @param decodeKernel  which kernel runs a batch of decodes only
 * @param d0            split-KV launch cost, ns
 * @param d1            ns per sequence
 * @param d2            ns per key read (all sequences)
 * @param d3            ns per key of the longest sequence (the serial tail)
 * @param dSpillFrom    keys beyond which {@code dSpill} applies
 * @param dSpill        extra ns per key beyond {@code dSpillFrom}
 * @param m0            varlen launch cost, ns
 * @param tKey          ns per key-unit of one block
 * @param k0            fixed key-units of work per block
 * @param slots         blocks the GPU runs at once (its SM count for one block per SM)
 * @param queryTile     query rows per block
 * @param theta         weight of the longest block in the list-scheduling bound, in [0, 1]
 * @param mSpillFrom    keys beyond which grouped-query spill traffic starts
 * @param mSpill        ns per spilled key at full spill
 * @param n0            sequences at which spill starts
 * @param n1            further sequences over which spill ramps to full
 */
public record AttentionCurve(DecodeKernel decodeKernel, double d0, double d1, double d2, double d3, double dSpillFrom,
                             double dSpill, double m0, double tKey, double k0, double slots, double queryTile,
                             double theta, double mSpillFrom, double mSpill, double n0, double n1) {

    /** The attention kernel a profiled engine runs for a batch of decodes only. */
    public enum DecodeKernel {
        /** A split-KV decode kernel (FlashDecoding): long sequences spread over the whole GPU. */
        SPLIT_KV,
        /** The same varlen kernel as prefill: one block per sequence and head walks its KV serially. */
        VARLEN
    }

    /** Number of coefficients after the kernel, in declaration order; see {@link #values()}. */
    public static final int SIZE = 16;

    public AttentionCurve {
        if (decodeKernel == null) {
            throw new IllegalArgumentException("decodeKernel must be given (SPLIT_KV or VARLEN)");
        }
        double[] v = {d0, d1, d2, d3, dSpillFrom, dSpill, m0, tKey, k0, slots, queryTile, theta, mSpillFrom, mSpill,
            n0, n1};
        for (int i = 0; i < v.length; i++) {
            OperatorCurve.nonNegative(v[i], "attention coefficient " + i);
        }
        if (!(slots >= 1) || !(queryTile >= 1) || !(n1 > 0)) {
            throw new IllegalArgumentException("slots and queryTile must be >= 1 and n1 > 0, got slots=" + slots
                    + " queryTile=" + queryTile + " n1=" + n1);
        }
        if (theta > 1) {
            throw new IllegalArgumentException("theta must be in [0, 1], got " + theta);
        }
    }

    /** Builds a curve from {@link #SIZE} coefficients in declaration order. */
    public static AttentionCurve of(DecodeKernel kernel, double[] v) {
        if (v.length != SIZE) {
            throw new IllegalArgumentException("an attention curve has " + SIZE + " coefficients, got " + v.length);
        }
        return new AttentionCurve(kernel, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11],
                v[12], v[13], v[14], v[15]);
    }

    /** The coefficients in declaration order (without the kernel). */
    public double[] values() {
        return new double[] {d0, d1, d2, d3, dSpillFrom, dSpill, m0, tKey, k0, slots, queryTile, theta, mSpillFrom,
            mSpill, n0, n1};
    }

    /**
     * This curve carried to a device with other datasheet figures: coefficients of memory traffic (per key, per
     * spilled key, the split-KV serial tail) scale with the bandwidth ratio, the per-block key time with the
     * arithmetic ratio; launch costs, thresholds and the wave structure stay.
     *
     * @param memoryFactor  reference bandwidth / target bandwidth
     * @param computeFactor reference peak FLOP/s / target peak FLOP/s
     */
    public AttentionCurve scaled(double memoryFactor, double computeFactor) {
        return new AttentionCurve(decodeKernel, d0, d1, d2 * memoryFactor, d3 * memoryFactor, dSpillFrom,
                dSpill * memoryFactor, m0, tKey * computeFactor, k0, slots, queryTile, theta, mSpillFrom,
                mSpill * memoryFactor, n0, n1);
    }

    /**
     * Nanoseconds of one layer's attention for {@code s} with {@code queryHeads} query heads on this device.
     * Allocation-free.
     */
    public double nanos(double queryHeads, StepShape s) {
        return nanos(queryHeads, s.numSeqs(), s.multiQuerySeqs(), s.multiQueryTokens(), s.multiQueryPairs(),
                s.kvTokensRead(), s.maxSequenceLength());
    }

    /**
     * The same as {@link #nanos(double, StepShape)} from the aggregates themselves (the calibration fitter evaluates
     * many candidate curves on fixed rows this way).
     *
     * @param seqs         sequences in the step
     * @param multiQuery   of which compute more than one query (plus drafts); none lets split-KV decode run
     * @param chunkTokens  new tokens of those multi-query sequences (prompt chunks)
     * @param chunkPairs   their causal (query, key) pairs
     * @param keys         keys read by all sequences (context plus new tokens)
     * @param longest      longest sequence (context plus new tokens)
     */
    public double nanos(double queryHeads, int seqs, int multiQuery, double chunkTokens, double chunkPairs,
                        double keys, double longest) {
        if (seqs <= 0) {
            return 0;
        }
        double tDec = d0 + d1 * seqs + d2 * keys + d3 * longest + dSpill * Math.max(0, keys - dSpillFrom);
        if (multiQuery == 0 && decodeKernel == DecodeKernel.SPLIT_KV) {
            return tDec;
        }
        // One block per sequence and head, plus one per further query tile of each prompt chunk.
        double blocks = queryHeads * (chunkTokens / queryTile + seqs);
        double longestBlock = longest + k0;
        double work = queryHeads * (chunkPairs / queryTile + keys) + k0 * blocks;
        double waves = Math.ceil(blocks / slots) * longestBlock;
        double graham = work / slots + theta * longestBlock;
        double span = Math.max(longestBlock, Math.min(waves, graham));
        double ramp = Math.min(1, Math.max(0, (seqs - n0) / n1));
        double tMix = m0 + tKey * span + mSpill * ramp * Math.max(0, keys - mSpillFrom);
        return Math.max(tDec, tMix);
    }
}
