package dev.baton.api;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Virtual time moves only forward, and only when told to. */
class VirtualClockTest {

    @Test
    void starts_where_told_and_advances_by_the_given_amount() {
        VirtualClock c = new VirtualClock(1_000);
        assertThat(c.nanoTime()).isEqualTo(1_000);
        assertThat(c.advance(0)).isEqualTo(1_000);
        assertThat(c.advance(500)).isEqualTo(1_500);
        assertThat(c.nanoTime()).isEqualTo(1_500);
        assertThat(new VirtualClock().nanoTime()).isZero();
    }

    @Test
    void moving_backwards_is_refused_and_leaves_the_time_unchanged() {
        VirtualClock c = new VirtualClock(10);
        assertThatThrownBy(() -> c.advance(-1)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("backwards").hasMessageContaining("-1").hasMessageContaining(">= 0");
        assertThat(c.nanoTime()).isEqualTo(10);
    }

    @Test
    void an_advance_that_would_overflow_is_refused_instead_of_wrapping_into_the_past() {
        VirtualClock c = new VirtualClock(Long.MAX_VALUE - 10);
        assertThatThrownBy(() -> c.advance(11)).isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("overflow").hasMessageContaining("at most 10");
        assertThat(c.nanoTime()).isEqualTo(Long.MAX_VALUE - 10);
        assertThat(c.advance(10)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void advance_to_an_earlier_time_does_nothing() {
        VirtualClock c = new VirtualClock(100);
        assertThat(c.advanceTo(50)).isEqualTo(100);
        assertThat(c.advanceTo(150)).isEqualTo(150);
        assertThat(c.nanoTime()).isEqualTo(150);
    }

    @Property(tries = 200)
    void time_never_decreases_whatever_the_driver_asks(
            @ForAll @Size(max = 30) List<@LongRange(min = -1_000_000, max = 1_000_000_000) Long> moves) {
        VirtualClock c = new VirtualClock();
        long last = c.nanoTime();
        for (long m : moves) {
            try {
                if (m % 2 == 0) {
                    c.advanceTo(m);
                } else {
                    c.advance(m);
                }
            } catch (IllegalArgumentException refused) {
                assertThat(m).isNegative();
            }
            assertThat(c.nanoTime()).isGreaterThanOrEqualTo(last);
            last = c.nanoTime();
        }
    }
}
