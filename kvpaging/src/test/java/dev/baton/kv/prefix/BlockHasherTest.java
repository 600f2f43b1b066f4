package dev.baton.kv.prefix;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class BlockHasherTest {

    @Test
    @DisplayName("SHA-256 block hashes follow the documented canonical byte layout")
    void sha256CanonicalLayout() throws Exception {
        BlockHasher h = BlockHasher.sha256(42);
        int[] tokens = {1, -2, 70000, 3};
        h.hashBlock(11, 12, tokens, 0, 4, true, 13, 14);
        ByteBuffer b = ByteBuffer.allocate(1 + 16 + 16 + 1 + 16);
        b.put((byte) 'B').putLong(11).putLong(12);
        for (int t : tokens) {
            b.putInt(t);
        }
        b.put((byte) 1).putLong(13).putLong(14);
        ByteBuffer d = ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(b.array()));
        assertThat(h.hi()).isEqualTo(d.getLong(0));
        assertThat(h.lo()).isEqualTo(d.getLong(8));

        h.hashString("sälz😀");
        byte[] utf8 = "sälz😀".getBytes(StandardCharsets.UTF_8);
        ByteBuffer s = ByteBuffer.allocate(1 + utf8.length).put((byte) 'S').put(utf8);
        ByteBuffer ds = ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(s.array()));
        assertThat(h.hi()).isEqualTo(ds.getLong(0));
    }

    @Test
    @DisplayName("the chain root depends on the seed and is deterministic")
    void rootFromSeed() {
        for (BlockHasher a : new BlockHasher[] {BlockHasher.fast128(1), BlockHasher.sha256(1)}) {
            BlockHasher same = a.algorithm().equals("fast128") ? BlockHasher.fast128(1) : BlockHasher.sha256(1);
            BlockHasher other = a.algorithm().equals("fast128") ? BlockHasher.fast128(2) : BlockHasher.sha256(2);
            assertThat(a.rootHi()).isEqualTo(same.rootHi());
            assertThat(a.rootLo()).isEqualTo(same.rootLo());
            assertThat(a.rootHi()).isNotEqualTo(other.rootHi());
        }
    }

    @Test
    @DisplayName("every input field changes the fast hash: tokens, order, parent, extra keys and their presence")
    void fastHashSeparatesInputs() {
        BlockHasher h = BlockHasher.fast128(7);
        Set<String> seen = new HashSet<>();
        int[][] blocks = {{1, 2, 3, 4, 5}, {2, 1, 3, 4, 5}, {1, 2, 3, 4, 6}, {0, 0, 0, 0, 0}};
        for (int[] t : blocks) {
            for (long parent : new long[] {0, 1}) {
                h.hashBlock(parent, 0, t, 0, t.length, false, 0, 0);
                assertThat(seen.add(h.hi() + ":" + h.lo())).isTrue();
                h.hashBlock(parent, 0, t, 0, t.length, true, 0, 0);
                assertThat(seen.add(h.hi() + ":" + h.lo())).isTrue();
                h.hashBlock(parent, 0, t, 0, t.length, true, 0, 1);
                assertThat(seen.add(h.hi() + ":" + h.lo())).isTrue();
            }
        }
        h.hashString("ab");
        long ab = h.lo();
        h.hashString("ba");
        assertThat(h.lo()).isNotEqualTo(ab);
        h.hashString("abcdefghij");
        long ten = h.lo();
        h.hashString("abcdefghik");
        assertThat(h.lo()).isNotEqualTo(ten);
    }

    @Test
    @DisplayName("a million distinct blocks get a million distinct 128-bit fast hashes")
    void noCollisionsAtScale() {
        BlockHasher h = BlockHasher.fast128(0);
        Set<Long> lows = new HashSet<>();
        int[] t = new int[16];
        int collisions = 0;
        for (int i = 0; i < 1_000_000; i++) {
            t[i % 16] = i;
            h.hashBlock(i & 7, 0, t, 0, 16, false, 0, 0);
            if (!lows.add(h.lo())) {
                collisions++;
            }
        }
        assertThat(collisions).isZero();
    }
}
