package dev.baton.cuda.kernels;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Kernel arguments are packed as cuLaunchKernel reads them: {@code void** kernelParams} pointing at value slots. */
class KernelArgsTest {

    @Test
    @DisplayName("kernelParams[i] points at argument i's value; 4-byte values fill the low half of a poisoned slot")
    void packsValuesBehindPointers() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena);
            args.begin().ptr(0x1234_5678_9ABCL).i32(-7).i64(1L << 40).f32(0.5f);
            assertThat(args.count()).isEqualTo(4);
            MemorySegment params = args.pointers();
            MemorySegment p0 = params.getAtIndex(ADDRESS, 0).reinterpret(8);
            MemorySegment p1 = params.getAtIndex(ADDRESS, 1).reinterpret(8);
            MemorySegment p2 = params.getAtIndex(ADDRESS, 2).reinterpret(8);
            MemorySegment p3 = params.getAtIndex(ADDRESS, 3).reinterpret(8);
            assertThat(p0.get(JAVA_LONG, 0)).isEqualTo(0x1234_5678_9ABCL);
            assertThat(p1.get(JAVA_INT, 0)).isEqualTo(-7);
            assertThat(p1.get(JAVA_INT, 4)).as("poisoned high half").isEqualTo((int) KernelArgs.POISON);
            assertThat(p2.get(JAVA_LONG, 0)).isEqualTo(1L << 40);
            assertThat(p3.get(JAVA_FLOAT, 0)).isEqualTo(0.5f);
            assertThat(p3.get(JAVA_INT, 4)).isEqualTo((int) KernelArgs.POISON);
            assertThat(p1.address() - p0.address()).as("8-byte slots").isEqualTo(8);
            assertThat(p0.address() % 8).as("slots are 8-byte aligned").isZero();
        }
    }

    @Test
    @DisplayName("begin() starts over, reusing the same slots")
    void beginReuses() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena);
            args.begin().i32(1).i32(2);
            long first = args.pointers().getAtIndex(ADDRESS, 0).address();
            args.begin().i64(9);
            assertThat(args.count()).isEqualTo(1);
            assertThat(args.type(0)).isEqualTo(Kernel.Param.I64);
            assertThat(args.pointers().getAtIndex(ADDRESS, 0).address()).isEqualTo(first);
        }
    }

    @Test
    @DisplayName("arguments that do not match the kernel's parameters are refused, naming the first mismatch")
    void checksAgainstTheKernel() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena);
            args.begin().ptr(1).i32(2).ptr(3).i64(4).i32(5).i64(6);
            args.checkFor(Kernel.COPY_BLOCKS);
            args.begin().ptr(1).i32(2).ptr(3).i32(4).i32(5).i64(6);
            assertThatThrownBy(() -> args.checkFor(Kernel.COPY_BLOCKS)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("baton_copy_blocks argument 3 is I64, got I32");
            args.begin().ptr(1);
            assertThatThrownBy(() -> args.checkFor(Kernel.COPY_BLOCKS)).hasMessageContaining("takes 6 arguments");
        }
    }

    @Test
    @DisplayName("more arguments than slots is refused")
    void tooManyArguments() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena).begin();
            for (int i = 0; i < KernelArgs.MAX; i++) {
                args.i32(i);
            }
            assertThatThrownBy(() -> args.i32(0)).isInstanceOf(IllegalStateException.class);
        }
    }
}
