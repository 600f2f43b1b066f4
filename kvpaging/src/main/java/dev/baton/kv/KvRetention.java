package dev.baton.kv;

import java.util.List;
import java.util.Objects;

/**
 * How long a sequence's cached blocks should survive once it releases them, by token range: TensorRT-LLM's
 * {@code KvCacheRetentionConfig} ({@code TokenRangeRetentionConfig(start, end, priority, duration)}). Effective only
 * with {@link KvCacheConfig.EvictionPolicyKind#PRIORITY}; the other policies ignore it.
 *
 * <p>A released block gets the highest priority among the ranges that overlap its tokens (the default priority when
 * none does); a priority given with a duration reverts to the default that long after the release. Lower priorities
 * are evicted first. Typical use: a system prompt at 90 for an hour, a one-off document at 10.
 *
 * @param ranges token ranges and their priorities
 */
public record KvRetention(List<Range> ranges) {

    /** TensorRT-LLM's default retention priority ({@code kDefaultRetentionPriority}). */
    public static final int DEFAULT_PRIORITY = 35;

    /** No ranges: every block gets the default priority. */
    public static final KvRetention DEFAULT = new KvRetention(List.of());

    /**
     * Tokens {@code [start, end)} get {@code priority} for {@code durationNanos} after release (0: no expiry).
     *
     * @param end exclusive; {@link Integer#MAX_VALUE} for "to the end of the sequence" (decode tokens included)
     */
    public record Range(int start, int end, int priority, long durationNanos) {
        public Range {
            if (start < 0 || end <= start) {
                throw new IllegalArgumentException("a retention range needs 0 <= start < end, got [" + start + ", "
                        + end + ")");
            }
            if (priority < 0 || priority > 100) {
                throw new IllegalArgumentException("retention priority must be in [0, 100], got " + priority);
            }
            if (durationNanos < 0) {
                throw new IllegalArgumentException("retention duration must not be negative, got " + durationNanos);
            }
        }
    }

    public KvRetention {
        ranges = List.copyOf(Objects.requireNonNull(ranges, "ranges"));
    }

    public static KvRetention of(Range... ranges) {
        return new KvRetention(List.of(ranges));
    }

    /** The range that decides the retention of tokens {@code [start, end)}: the highest overlapping priority, or null. */
    Range rangeFor(int start, int end) {
        Range best = null;
        for (int i = 0, n = ranges.size(); i < n; i++) {
            Range r = ranges.get(i);
            if (r.start < end && r.end > start && (best == null || r.priority > best.priority)) {
                best = r;
            }
        }
        return best;
    }
}
