package dev.baton.scheduler.spec;

import dev.baton.scheduler.core.SpecDecodeStats;
import dev.baton.scheduler.metrics.MetricsSink;
import dev.baton.scheduler.metrics.VllmMetrics;

/**
 * Publishes speculative-decoding counters to a {@link MetricsSink} under vLLM's names
 * ({@code vllm/v1/spec_decode/metrics.py}): {@value VllmMetrics#SPEC_DECODE_NUM_DRAFTS},
 * {@value VllmMetrics#SPEC_DECODE_NUM_DRAFT_TOKENS}, {@value VllmMetrics#SPEC_DECODE_NUM_ACCEPTED_TOKENS} and
 * {@value VllmMetrics#SPEC_DECODE_NUM_ACCEPTED_TOKENS_PER_POS} (label {@code position}, 0-based), as increments of
 * {@link SpecDecodeStats} since the last call. Dashboards derive the acceptance rate (accepted / draft tokens), the
 * mean acceptance length (1 + accepted / drafts) and the per-position rates (accepted at i / drafts) from them.
 *
 * <p>Engine thread only; allocation-free (position labels are interned up to 128).
 */
public final class SpecDecodeMetrics {

    private static final String[] LABELS = new String[SpeculativeConfig.MAX_DRAFTS];

    static {
        for (int i = 0; i < LABELS.length; i++) {
            LABELS[i] = Integer.toString(i);
        }
    }

    private long drafts;
    private long draftTokens;
    private long accepted;
    private long[] perPosition = new long[8];

    /** Reports what changed in {@code stats} since the last call. */
    public void publish(SpecDecodeStats stats, MetricsSink sink) {
        if (stats.drafts() == drafts) {
            return;
        }
        sink.count(VllmMetrics.SPEC_DECODE_NUM_DRAFTS, null, stats.drafts() - drafts);
        sink.count(VllmMetrics.SPEC_DECODE_NUM_DRAFT_TOKENS, null, stats.draftTokens() - draftTokens);
        sink.count(VllmMetrics.SPEC_DECODE_NUM_ACCEPTED_TOKENS, null, stats.acceptedTokens() - accepted);
        drafts = stats.drafts();
        draftTokens = stats.draftTokens();
        accepted = stats.acceptedTokens();
        int n = stats.numPositions();
        if (n > perPosition.length) {
            perPosition = java.util.Arrays.copyOf(perPosition, Math.max(n, perPosition.length * 2));
        }
        for (int i = 0; i < n; i++) {
            long now = stats.acceptedAt(i);
            if (now != perPosition[i]) {
                sink.count(VllmMetrics.SPEC_DECODE_NUM_ACCEPTED_TOKENS_PER_POS,
                        i < LABELS.length ? LABELS[i] : Integer.toString(i), now - perPosition[i]);
                perPosition[i] = now;
            }
        }
    }
}
