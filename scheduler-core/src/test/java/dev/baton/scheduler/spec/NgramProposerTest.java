package dev.baton.scheduler.spec;

import dev.baton.kv.TokenSequence;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Prompt-lookup proposals follow vLLM's n-gram rules (anchors §2.6, {@code test_ngram.py}). */
class NgramProposerTest {

    static TokenSequence tokens(int... t) {
        return new TokenSequence() {
            @Override
            public int length() {
                return t.length;
            }

            @Override
            public int tokenAt(int index) {
                return t[index];
            }
        };
    }

    static int[] propose(int[] context, int minN, int maxN, int k) {
        int[] out = new int[Math.max(k, 1)];
        int n = new NgramProposer(minN, maxN).propose(tokens(context), k, out, 0);
        return Arrays.copyOf(out, n);
    }

    static Stream<Arguments> cases() {
        int[] c32 = {1, 2, 3, 4, 1, 2, 3};
        int[] c35 = {1, 3, 6, 2, 3, 4, 1, 2, 3};
        return Stream.of(
                Arguments.of("SPEC-31", "no match of the 2-gram suffix", new int[] {1, 2, 3, 4, 1, 2, 3, 5, 6}, 2, 2, 2,
                        new int[0]),
                Arguments.of("SPEC-32", "2-gram match, k = 3", c32, 2, 2, 3, new int[] {4, 1, 2}),
                Arguments.of("SPEC-33", "2-gram match, k = 2", c32, 2, 2, 2, new int[] {4, 1}),
                Arguments.of("SPEC-34", "1-gram match, k = 3", c32, 1, 1, 3, new int[] {4, 1, 2}),
                Arguments.of("SPEC-35", "2-gram match in the middle", c35, 2, 2, 3, new int[] {4, 1, 2}),
                Arguments.of("SPEC-36", "1-gram: the first (earliest) match wins", c35, 1, 1, 2, new int[] {6, 2}),
                Arguments.of("SPEC-37", "no repeated 2-gram", new int[] {1, 2, 3, 4, 5}, 2, 2, 2, new int[0]),
                Arguments.of("SPEC-38", "no 4-gram match", c32, 4, 4, 2, new int[0]),
                Arguments.of("SPEC-39", "falls back from 4 to 3", c32, 3, 4, 2, new int[] {4, 1}),
                Arguments.of("SPEC-40", "the 4-gram wins over the earlier 3-gram",
                        new int[] {2, 3, 4, 5, 1, 2, 3, 4, 1, 2, 3, 4}, 3, 4, 2, new int[] {1, 2}),
                Arguments.of("SPEC-41", "the longest n that matches (3 of 2..4)", new int[] {3, 4, 5, 2, 3, 4, 1, 2, 3, 4},
                        2, 4, 2, new int[] {1, 2}),
                Arguments.of("SPEC-42", "the earliest of several equal matches",
                        new int[] {1, 2, 3, 100, 1, 2, 3, 200, 1, 2, 3, 300, 1, 2, 3}, 3, 3, 2, new int[] {100, 1}),
                Arguments.of("SPEC-43", "capped at the end of the context", new int[] {1, 2, 3, 4, 2, 3}, 2, 3, 4,
                        new int[] {4, 2, 3}));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    @DisplayName("SPEC-31..43: n-gram proposals")
    void ngram(String id, String what, int[] context, int minN, int maxN, int k, int[] expected) {
        assertThat(propose(context, minN, maxN, k)).as(id + ": " + what).containsExactly(expected);
    }

    @org.junit.jupiter.api.Test
    @DisplayName("nothing for a context shorter than min_n or k <= 0; bad n-gram bounds are refused")
    void edges() {
        assertThat(propose(new int[] {7}, 1, 3, 3)).isEmpty();
        assertThat(propose(new int[] {1, 2, 1, 2}, 3, 3, 2)).isEmpty();
        assertThat(propose(new int[] {1, 2, 1, 2}, 1, 2, 0)).isEmpty();
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() -> new NgramProposer(0, 2));
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() -> new NgramProposer(3, 2));
    }

    /** The rule as stated, quadratic: longest n in [minN, maxN] whose suffix recurs, earliest occurrence. */
    static int[] reference(int[] c, int minN, int maxN, int k) {
        int len = c.length;
        for (int n = Math.min(maxN, len - 1); n >= minN; n--) {
            for (int start = 0; start + n < len; start++) {
                boolean match = true;
                for (int t = 0; t < n && match; t++) {
                    match = c[start + t] == c[len - n + t];
                }
                if (match) {
                    int from = start + n;
                    return Arrays.copyOfRange(c, from, Math.min(len, from + k));
                }
            }
        }
        return new int[0];
    }

    @Property(tries = 500)
    @Label("the linear-time matcher agrees with the rule as stated on random contexts")
    void matchesReference(@ForAll @Size(min = 1, max = 60) List<@IntRange(min = 0, max = 3) Integer> context,
                          @ForAll @IntRange(min = 1, max = 4) int minN, @ForAll @IntRange(min = 0, max = 3) int extra,
                          @ForAll @IntRange(min = 1, max = 6) int k) {
        int[] c = context.stream().mapToInt(Integer::intValue).toArray();
        assertThat(propose(c, minN, minN + extra, k)).containsExactly(reference(c, minN, minN + extra, k));
    }
}
