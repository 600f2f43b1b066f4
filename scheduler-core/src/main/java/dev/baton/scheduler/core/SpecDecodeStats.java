package dev.baton.scheduler.core;

import java.util.Arrays;

/**
 * Speculative-decoding counters with vLLM's definitions ({@code vllm/v1/spec_decode/metrics.py}): a "draft" is one
 * sequence's set of draft tokens verified in one step; acceptance rate = accepted tokens / draft tokens; mean
 * acceptance length = 1 + accepted tokens / drafts; per-position acceptance counts how often draft position {@code i}
 * was accepted. Engine thread only.
 */
public final class SpecDecodeStats {
    private long drafts;
    private long draftTokens;
    private long acceptedTokens;
    private long[] acceptedPerPosition = new long[8];

    void record(int numDrafts, int accepted) {
        drafts++;
        draftTokens += numDrafts;
        acceptedTokens += accepted;
        if (numDrafts > acceptedPerPosition.length) {
            acceptedPerPosition = Arrays.copyOf(acceptedPerPosition, Math.max(numDrafts, acceptedPerPosition.length * 2));
        }
        for (int i = 0; i < accepted; i++) {
            acceptedPerPosition[i]++;
        }
    }

    public long drafts() {
        return drafts;
    }

    public long draftTokens() {
        return draftTokens;
    }

    public long acceptedTokens() {
        return acceptedTokens;
    }

    /** Times draft position {@code position} was accepted. */
    public long acceptedAt(int position) {
        return position < acceptedPerPosition.length ? acceptedPerPosition[position] : 0;
    }

    public double acceptanceRate() {
        return draftTokens == 0 ? 0 : (double) acceptedTokens / draftTokens;
    }

    /** 1 + accepted tokens / drafts: tokens per verification including the bonus or recovered one (1 without drafts). */
    public double meanAcceptanceLength() {
        return drafts == 0 ? 1 : 1.0 + (double) acceptedTokens / drafts;
    }

    /** Unconditional acceptance rate of draft position {@code position}: accepted there / drafts (0 without drafts). */
    public double acceptanceRateAt(int position) {
        return drafts == 0 ? 0 : (double) acceptedAt(position) / drafts;
    }

    /** Highest draft position accepted so far, plus one (the length of the per-position counters in use). */
    public int numPositions() {
        for (int i = acceptedPerPosition.length - 1; i >= 0; i--) {
            if (acceptedPerPosition[i] > 0) {
                return i + 1;
            }
        }
        return 0;
    }
}
