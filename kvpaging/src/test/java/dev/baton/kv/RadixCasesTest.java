package dev.baton.kv;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static dev.baton.kv.Tokens.concat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SGLang radix-cache cases KV-20..KV-25 (anchors/kv-cache.md §2.2), mapped onto blocks: a page of {@code p} tokens
 * is a block of block size {@code p}. Where SGLang's case is about its tree (node splits), the test pins the
 * equivalent block-level outcome and says so.
 */
class RadixCasesTest {

    private final PagedKvCacheManager m = (PagedKvCacheManager) KvCacheManager.create(KvCacheConfig.builder()
            .blockSize(2).numDeviceBlocks(32).build());

    private PagedSequence prefill(int... tokens) {
        return KvConformanceTest.prefill(m, tokens);
    }

    @Test
    @DisplayName("KV-20: inserting [1..8] then [1,2,9,10] caches 10 tokens (the shared page is stored once)")
    void kv20_sharedPageStoredOnce() {
        m.free(prefill(1, 2, 3, 4, 5, 6, 7, 8, 0));
        m.free(prefill(1, 2, 9, 10, 0));
        assertThat(m.cache().size() * 2).isEqualTo(10);
    }

    @Test
    @DisplayName("KV-21: matching [1,2,3,4,999,1000] returns the first 4 tokens and changes no cached size "
            + "(blocks need no node split)")
    void kv21_partialMatch() {
        m.free(prefill(1, 2, 3, 4, 5, 6, 7, 8, 0));
        int before = m.cache().size();
        KvSequence probe = m.open(Tokens.of(1, 2, 3, 4, 999, 1000, 0), CacheKeyContext.NONE);
        assertThat(m.lookupPrefix(probe)).isEqualTo(4);
        assertThat(m.cache().size()).isEqualTo(before);
    }

    @Test
    @DisplayName("KV-22: holding a hit moves its blocks from evictable to protected; releasing moves them back")
    void kv22_lockMovesEvictable() {
        m.free(prefill(1, 2, 3, 4, 5, 6, 7, 8, 0));
        int evictable = m.numFreeBlocks();
        PagedSequence holder = prefill(1, 2, 3, 4, 0);
        assertThat(holder.prefixHitTokens()).isEqualTo(4);
        assertThat(m.numFreeBlocks()).isEqualTo(evictable - 3); // two hit blocks protected + one new block
        m.free(holder);
        assertThat(m.numFreeBlocks()).isEqualTo(evictable);
    }

    @Test
    @DisplayName("KV-23: the match length is a multiple of the page (block) size")
    void kv23_pageAlignedMatch() {
        m.free(prefill(1, 2, 3, 4, 5, 6, 7, 8, 0));
        for (int n = 1; n <= 9; n++) {
            int[] probe = concat(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, new int[] {42});
            KvSequence seq = m.open(Tokens.of(java.util.Arrays.copyOf(probe, n)), CacheKeyContext.NONE);
            assertThat(m.lookupPrefix(seq) % 2).isZero();
        }
    }

    @Test
    @DisplayName("KV-24: a repeated page pattern gets two different chain hashes, the second's parent is the first")
    void kv24_repeatedPatternChains() {
        PagedKvCacheManager m4 = (PagedKvCacheManager) KvCacheManager.create(KvCacheConfig.builder().blockSize(4)
                .numDeviceBlocks(8).build());
        PagedSequence seq = KvConformanceTest.prefill(m4, new int[] {1, 2, 3, 4, 1, 2, 3, 4, 0});
        assertThat(seq.hashLo[0]).isNotEqualTo(seq.hashLo[1]);
        int second = KvConformanceTest.table(seq)[1];
        assertThat(m4.cache().parentHashHi(second)).isEqualTo(seq.hashHi[0]);
        assertThat(m4.cache().parentHashLo(second)).isEqualTo(seq.hashLo[0]);
    }

    @Test
    @DisplayName("KV-25: a different extra key (LoRA adapter, salt) never matches")
    void kv25_extraKeyNamespaces() {
        KvConformanceTest.prefill(m, new int[] {1, 2, 3, 4, 0}, CacheKeyContext.of("adapter-a", null));
        assertThat(m.lookupPrefix(m.open(Tokens.of(1, 2, 3, 4, 0), CacheKeyContext.of("adapter-b", null)))).isZero();
        assertThat(m.lookupPrefix(m.open(Tokens.of(1, 2, 3, 4, 0), CacheKeyContext.NONE))).isZero();
        assertThat(m.lookupPrefix(m.open(Tokens.of(1, 2, 3, 4, 0), CacheKeyContext.of("adapter-a", "t1")))).isZero();
        assertThat(m.lookupPrefix(m.open(Tokens.of(1, 2, 3, 4, 0), CacheKeyContext.of("adapter-a", null))))
                .isEqualTo(4);
    }
}
