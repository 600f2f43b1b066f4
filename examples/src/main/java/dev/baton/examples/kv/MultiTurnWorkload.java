package dev.baton.examples.kv;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Generates a multi-turn chat trace in the prefix-hash format with the reuse structure of assistant and agent
 * traffic:
 * <ul>
 *   <li><b>shared prompt templates</b> (system prompts, tool and agent definitions) of 300..3,000 tokens whose
 *   popularity is Zipf-distributed: a few are used by most conversations, most only now and then;</li>
 *   <li><b>returning users</b> whose activity is Zipf-distributed too; each user has a persistent context (profile,
 *   memory, project files) that follows the template in every conversation of that user, so frequent users reuse
 *   it at intervals of minutes;</li>
 *   <li><b>conversations</b> arriving as a Poisson process with a geometric number of turns; each turn's prompt is
 *   template + user context + the whole history + a new message, so a turn reuses everything but the last partial
 *   block; the pause before the next turn is short (median 30 s) or, for {@code longPauseFraction} of them, long
 *   (median 10 min), log-normally spread;</li>
 *   <li><b>one-off long documents</b> (summarisation, RAG over a fresh document of 2..12 K tokens) that share only a
 *   template and never come back: the scans that push reusable prefixes out of an LRU cache.</li>
 * </ul>
 * Hash ids follow the trace convention: one id per block of {@code blockSize} tokens, equal ids for equal prefixes,
 * a fresh id for a partly filled last block. Deterministic for a seed.
 *
 * @param seed                   random seed
 * @param blockSize              tokens per block
 * @param durationSeconds        arrival window of new conversations and documents
 * @param conversationsPerMinute new conversations per minute
 * @param documentsPerMinute     one-off documents per minute
 * @param meanTurns              mean turns per conversation (geometric)
 * @param longPauseFraction      fraction of pauses between turns that are long
 * @param numTemplates           shared prompt templates
 * @param numUsers               distinct users
 */
public record MultiTurnWorkload(long seed, int blockSize, int durationSeconds, double conversationsPerMinute,
                                double documentsPerMinute, double meanTurns, double longPauseFraction,
                                int numTemplates, int numUsers) {

    /** The workload of the policy comparison (one hour, 20 conversations and 8 documents a minute). */
    public static MultiTurnWorkload standard(long seed, int blockSize) {
        return new MultiTurnWorkload(seed, blockSize, 3600, 20, 8, 4, 0.3, 200, 2000);
    }

    public MultiTurnWorkload {
        if (blockSize < 1 || durationSeconds < 1 || conversationsPerMinute < 0 || documentsPerMinute < 0
                || meanTurns < 1 || longPauseFraction < 0 || longPauseFraction > 1 || numTemplates < 1
                || numUsers < 1) {
            throw new IllegalArgumentException("invalid multi-turn workload: " + this);
        }
    }

    /** A new workload like this one over another arrival window. */
    public MultiTurnWorkload withDuration(int seconds) {
        return new MultiTurnWorkload(seed, blockSize, seconds, conversationsPerMinute, documentsPerMinute, meanTurns,
                longPauseFraction, numTemplates, numUsers);
    }

    /** A conversation's state between turns. */
    private static final class Conversation {
        final long[] prefix; // template + user context
        final List<Long> blockIds = new ArrayList<>();
        int tokens; // after the prefix
        int turnsLeft;
        long nextAt;

        Conversation(long[] prefix, int turns, long at) {
            this.prefix = prefix;
            this.turnsLeft = turns;
            this.nextAt = at;
        }
    }

    public List<TraceRequest> generate() {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] nextId = {1};
        long[][] templates = new long[numTemplates][];
        for (int t = 0; t < numTemplates; t++) {
            templates[t] = fresh(nextId, (300 + rnd.nextInt(2700)) / blockSize);
        }
        long[][] userContext = new long[numUsers][];
        int[] userTemplate = new int[numUsers];
        for (int u = 0; u < numUsers; u++) {
            userTemplate[u] = zipf(rnd, numTemplates, 1.0);
            userContext[u] = fresh(nextId, (200 + rnd.nextInt(1800)) / blockSize);
        }
        List<TraceRequest> out = new ArrayList<>();
        long endMs = durationSeconds * 1000L;

        double docGapMs = documentsPerMinute == 0 ? Double.POSITIVE_INFINITY : 60_000 / documentsPerMinute;
        for (double t = exp(rnd, docGapMs); t < endMs; t += exp(rnd, docGapMs)) {
            long[] template = templates[zipf(rnd, numTemplates, 1.0)];
            int docTokens = 2000 + rnd.nextInt(10_000);
            long[] ids = concat(template, fresh(nextId, ceilDiv(docTokens, blockSize)));
            out.add(new TraceRequest((long) t, template.length * blockSize + docTokens, 200 + rnd.nextInt(400), ids));
        }

        PriorityQueue<Conversation> pending = new PriorityQueue<>(Comparator.comparingLong(c -> c.nextAt));
        double convGapMs = conversationsPerMinute == 0 ? Double.POSITIVE_INFINITY : 60_000 / conversationsPerMinute;
        for (double t = exp(rnd, convGapMs); t < endMs; t += exp(rnd, convGapMs)) {
            int u = zipf(rnd, numUsers, 0.9);
            int turns = 1 + (int) Math.floor(Math.log(1 - rnd.nextDouble()) / Math.log(1 - 1 / meanTurns));
            pending.add(new Conversation(concat(templates[userTemplate[u]], userContext[u]), turns, (long) t));
        }
        while (!pending.isEmpty()) {
            Conversation c = pending.poll();
            int message = 20 + (int) (Math.abs(rnd.nextGaussian()) * 150);
            int promptTokens = c.tokens + message;
            int full = promptTokens / blockSize;
            while (c.blockIds.size() < full) {
                c.blockIds.add(nextId[0]++);
            }
            boolean partial = promptTokens % blockSize != 0;
            long[] ids = new long[c.prefix.length + full + (partial ? 1 : 0)];
            System.arraycopy(c.prefix, 0, ids, 0, c.prefix.length);
            for (int i = 0; i < full; i++) {
                ids[c.prefix.length + i] = c.blockIds.get(i);
            }
            if (partial) {
                ids[ids.length - 1] = nextId[0]++;
            }
            int answer = 50 + (int) (Math.abs(rnd.nextGaussian()) * 300);
            out.add(new TraceRequest(c.nextAt, c.prefix.length * blockSize + promptTokens, answer, ids));
            c.tokens = promptTokens + answer;
            if (--c.turnsLeft > 0) {
                double median = rnd.nextDouble() < longPauseFraction ? 600_000 : 30_000;
                c.nextAt += (long) (median * Math.exp(0.8 * rnd.nextGaussian()));
                pending.add(c);
            }
        }
        out.sort(Comparator.comparingLong(TraceRequest::timestampMs));
        return out;
    }

    private static long[] fresh(long[] nextId, int n) {
        long[] ids = new long[Math.max(1, n)];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = nextId[0]++;
        }
        return ids;
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = new long[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A Zipf-distributed rank in {@code [0, n)} with exponent {@code s}, by inversion of the continuous CDF. */
    private static int zipf(SplittableRandom rnd, int n, double s) {
        double u = rnd.nextDouble();
        double x;
        if (Math.abs(s - 1) < 1e-9) {
            x = Math.exp(u * Math.log(n + 1.0)) - 1;
        } else {
            double top = Math.pow(n + 1.0, 1 - s) - 1;
            x = Math.pow(u * top + 1, 1 / (1 - s)) - 1;
        }
        return Math.min(n - 1, (int) x);
    }

    private static double exp(SplittableRandom rnd, double mean) {
        return -Math.log(1 - rnd.nextDouble()) * mean;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
