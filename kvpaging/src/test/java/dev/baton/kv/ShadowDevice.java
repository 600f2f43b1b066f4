package dev.baton.kv;

import dev.baton.api.plan.StepPlan;
import dev.baton.kv.pool.BlockPool;

/**
 * A model of what each device and host block really contains, driven by the moves a manager emits and the tokens the
 * "device" writes. Content is a label: a digest of (group, cache-key context, every token up to the end of the block)
 * — the KV of a block depends on its whole prefix. Moves of a failed step and writes into it leave garbage.
 */
final class ShadowDevice {

    private final long[] dev;
    private final long[] host;
    private long garbage = -1;

    ShadowDevice(int deviceBlocks, int hostBlocks) {
        dev = new long[deviceBlocks];
        host = new long[Math.max(1, hostBlocks)];
    }

    /** The label of block content covering tokens {@code [0, upTo)} of a sequence in a group. */
    static long label(int group, CacheKeyContext ctx, TokenSequence t, int upTo) {
        long h = 0x9E3779B97F4A7C15L * (group + 1) ^ ctx.hashCode();
        for (int i = 0; i < upTo; i++) {
            h = (h ^ t.tokenAt(i)) * 0x100000001B3L;
            h ^= h >>> 29;
        }
        return (h ^ upTo) & Long.MAX_VALUE; // non-negative: garbage labels are negative
    }

    /** Runs the plan's moves in order, as a device does before the forward pass. */
    void run(StepPlan plan, boolean success) {
        for (int m = 0; m < plan.numMoves(); m++) {
            int src = plan.moveSrc(m);
            int dst = plan.moveDst(m);
            switch (plan.moveKind(m)) {
                case COPY -> dev[dst] = success ? dev[src] : garbage--;
                case SWAP_OUT -> host[dst] = success ? dev[src] : garbage--;
                case SWAP_IN -> dev[dst] = success ? host[src] : garbage--;
                default -> throw new AssertionError();
            }
        }
    }

    /** The forward pass writes positions {@code [from, to)} of a sequence (all groups); false: garbage. */
    void write(PagedSequence seq, int from, int to, boolean valid) {
        int bs = seq.owner.config().blockSize();
        for (int g = 0; g < seq.tables.length; g++) {
            BlockList t = seq.tables[g];
            for (int j = from / bs; j * bs < to; j++) {
                int b = t.get(j);
                if (b == BlockPool.NULL_BLOCK) {
                    continue;
                }
                int upTo = Math.min(to, (j + 1) * bs);
                dev[b] = valid && upTo <= seq.tokens.length() ? label(g, seq.context, seq.tokens, upTo) : garbage--;
            }
        }
    }

    long device(int block) {
        return dev[block];
    }

    long host(int block) {
        return host[block];
    }

    /** Whether the first {@code blocks} full blocks of every group of the sequence hold its own content. */
    boolean holdsOwnContent(PagedSequence seq, int blocks) {
        int bs = seq.owner.config().blockSize();
        for (int g = 0; g < seq.tables.length; g++) {
            for (int i = 0; i < blocks; i++) {
                int b = seq.tables[g].get(i);
                if (b != BlockPool.NULL_BLOCK && dev[b] != label(g, seq.context, seq.tokens, (i + 1) * bs)) {
                    return false;
                }
            }
        }
        return true;
    }
}
