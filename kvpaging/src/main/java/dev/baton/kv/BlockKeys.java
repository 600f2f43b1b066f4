package dev.baton.kv;

import dev.baton.api.request.MultimodalSpan;
import dev.baton.kv.prefix.BlockHasher;

import java.util.ArrayList;
import java.util.List;

/**
 * Computes what identifies a sequence's blocks in the prefix cache: per block, the extra keys (vLLM's
 * {@code generate_block_hash_extra_keys}) and the chained block hash (vLLM's {@code hash_block_tokens}).
 *
 * <p>Extra keys of block {@code i} (tokens {@code [start, end)}), in canonical order:
 * <ol>
 *   <li>the LoRA adapter name, in every block (two adapters never share KV);</li>
 *   <li>the cache salt, in block 0 only: later blocks inherit it through the chain (KV-11);</li>
 *   <li>for every multimodal item overlapping the block, its identifier and its offset relative to the block start,
 *   which may be negative (KV-12: {@code ((aaa,11))}, {@code ((aaa,-5),(bbb,14))}, {@code ((bbb,-2))}).</li>
 * </ol>
 * They are digested as the word list {@code [tag, lora?(2 words), salt?(2 words), (id digest(2 words), offset)*]}
 * where {@code tag = lora | salt << 1 | items << 8}; a block with no extra keys has none (digest 0).
 *
 * <p>Hashes are computed once per full block and kept on the sequence. Engine thread only; allocation-free (the
 * scratch buffers belong to the manager).
 */
final class BlockKeys {

    private final BlockHasher hasher;
    private final int blockSize;
    private final int[] scratch;
    private long[] words = new long[16];

    BlockKeys(BlockHasher hasher, int blockSize) {
        this.hasher = hasher;
        this.blockSize = blockSize;
        this.scratch = new int[blockSize];
    }

    BlockHasher hasher() {
        return hasher;
    }

    /** Digests the key strings of a sequence's context once, when it is opened. */
    void bind(PagedSequence seq, CacheKeyContext ctx) {
        seq.hasLora = ctx.loraName() != null;
        if (seq.hasLora) {
            hasher.hashString(ctx.loraName());
            seq.loraHi = hasher.hi();
            seq.loraLo = hasher.lo();
        }
        seq.hasSalt = ctx.cacheSalt() != null;
        if (seq.hasSalt) {
            hasher.hashString(ctx.cacheSalt());
            seq.saltHi = hasher.hi();
            seq.saltLo = hasher.lo();
        }
        List<MultimodalSpan> spans = ctx.multimodal();
        int n = spans.size();
        seq.numSpans = n;
        seq.ensureSpanCapacity(n);
        for (int k = 0; k < n; k++) {
            hasher.hashString(spans.get(k).identifier());
            seq.spanHi[k] = hasher.hi();
            seq.spanLo[k] = hasher.lo();
        }
    }

    /** Copies the tokens of block {@code index} into the scratch buffer and returns it. */
    int[] loadTokens(PagedSequence seq, int index) {
        seq.tokens.copyTo(index * blockSize, scratch, 0, blockSize);
        return scratch;
    }

    int[] scratch() {
        return scratch;
    }

    long parentHi(PagedSequence seq, int index) {
        return index == 0 ? hasher.rootHi() : seq.hashHi[index - 1];
    }

    long parentLo(PagedSequence seq, int index) {
        return index == 0 ? hasher.rootLo() : seq.hashLo[index - 1];
    }

    /**
     * Makes sure the hashes of blocks {@code [0, numBlocks)} are known; they must be full blocks. If block
     * {@code numBlocks - 1} is hashed here, its tokens are left in the scratch buffer.
     */
    void ensureHashed(PagedSequence seq, int numBlocks) {
        if (seq.numHashed >= numBlocks) {
            return;
        }
        seq.ensureHashCapacity(numBlocks);
        for (int i = seq.numHashed; i < numBlocks; i++) {
            hashLoaded(seq, i, loadTokens(seq, i));
        }
    }

    /**
     * Hashes block {@code index == seq.numHashed} whose tokens are in {@code tokens} (the scratch buffer), and
     * records the hash on the sequence.
     */
    void hashLoaded(PagedSequence seq, int index, int[] tokens) {
        seq.ensureHashCapacity(index + 1);
        boolean extras = extraKeys(seq, index);
        long eHi = extras ? hasher.hi() : 0;
        long eLo = extras ? hasher.lo() : 0;
        hasher.hashBlock(parentHi(seq, index), parentLo(seq, index), tokens, 0, blockSize, extras, eHi, eLo);
        seq.hashHi[index] = hasher.hi();
        seq.hashLo[index] = hasher.lo();
        seq.extraHi[index] = eHi;
        seq.extraLo[index] = eLo;
        seq.numHashed = index + 1;
    }

    /** Digests the extra keys of block {@code index} into the hasher's result; false if the block has none. */
    private boolean extraKeys(PagedSequence seq, int index) {
        int start = index * blockSize;
        int end = start + blockSize;
        boolean salt = seq.hasSalt && index == 0;
        int n = 1;
        int items = 0;
        if (seq.hasLora) {
            words = ensureWords(n + 2);
            words[n++] = seq.loraHi;
            words[n++] = seq.loraLo;
        }
        if (salt) {
            words = ensureWords(n + 2);
            words[n++] = seq.saltHi;
            words[n++] = seq.saltLo;
        }
        if (seq.numSpans > 0) {
            List<MultimodalSpan> spans = seq.context.multimodal();
            for (int k = 0; k < seq.numSpans; k++) {
                MultimodalSpan s = spans.get(k);
                if (overlaps(s, start, end)) {
                    words = ensureWords(n + 3);
                    words[n++] = seq.spanHi[k];
                    words[n++] = seq.spanLo[k];
                    words[n++] = s.offset() - start;
                    items++;
                }
            }
        }
        if (!seq.hasLora && !salt && items == 0) {
            return false;
        }
        words[0] = (seq.hasLora ? 1 : 0) | (salt ? 2 : 0) | ((long) items << 8);
        hasher.hashWords(words, n);
        return true;
    }

    private long[] ensureWords(int n) {
        return words.length >= n ? words : java.util.Arrays.copyOf(words, Math.max(n, words.length * 2));
    }

    static boolean overlaps(MultimodalSpan s, int start, int end) {
        return s.offset() < end && s.end() > start;
    }

    /**
     * The extra keys of tokens {@code [start, end)} as readable values (vLLM's {@code generate_block_hash_extra_keys}):
     * the LoRA name, the salt when {@code start == 0}, then {@code identifier:relativeOffset} per overlapping
     * multimodal item; empty when the block has none. For tests, diagnostics and documentation.
     */
    static List<String> describe(CacheKeyContext ctx, int start, int end) {
        List<String> out = new ArrayList<>();
        if (ctx.loraName() != null) {
            out.add("lora:" + ctx.loraName());
        }
        if (ctx.cacheSalt() != null && start == 0) {
            out.add("salt:" + ctx.cacheSalt());
        }
        for (MultimodalSpan s : ctx.multimodal()) {
            if (overlaps(s, start, end)) {
                out.add(s.identifier() + ":" + (s.offset() - start));
            }
        }
        return out;
    }
}
