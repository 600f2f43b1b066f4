package dev.baton.cuda.driver;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

/** How arguments cross into the driver: function descriptors and the CUDA_MEMCPY2D struct. */
class DriverMarshallingTest {

    @Test
    @DisplayName("descriptors follow the C types: sizes and device pointers are 64-bit, handles are addresses")
    void descriptors() {
        assertThat(DriverFunction.MEM_ALLOC.signature()).isEqualTo("i32(ptr,i64)");
        assertThat(DriverFunction.MEM_FREE.signature()).isEqualTo("i32(i64)");
        assertThat(DriverFunction.MEMCPY_DTOH_ASYNC.signature()).isEqualTo("i32(ptr,i64,i64,ptr)");
        assertThat(DriverFunction.MEMSET_D8_ASYNC.signature()).isEqualTo("i32(i64,i8,i64,ptr)");
        assertThat(DriverFunction.LAUNCH_KERNEL.descriptor().argumentLayouts()).hasSize(11);
        assertThat(DriverFunction.CTX_SYNCHRONIZE.signature()).isEqualTo("i32()");
        for (DriverFunction f : DriverFunction.values()) {
            assertThat(f.descriptor().returnLayout()).as(f.api() + " returns a CUresult").contains(JAVA_INT);
        }
    }

    @Test
    @DisplayName("a 2D copy from device to host fills the struct at the C offsets")
    void memcpy2dDeviceToHost() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(4096);
            Memcpy2D c = new Memcpy2D(arena).set(null, 0x7000_0000_1000L, 1L << 30, host, 0, 512, 512, 6);
            MemorySegment s = c.segment();
            assertThat(s.byteSize()).isEqualTo(128);
            assertThat(s.get(JAVA_INT, off("srcMemoryType"))).isEqualTo(Memcpy2D.DEVICE);
            assertThat(s.get(JAVA_LONG, off("srcDevice"))).isEqualTo(0x7000_0000_1000L);
            assertThat(s.get(ADDRESS, off("srcHost"))).isEqualTo(MemorySegment.NULL);
            assertThat(s.get(JAVA_LONG, off("srcPitch"))).isEqualTo(1L << 30);
            assertThat(s.get(JAVA_INT, off("dstMemoryType"))).isEqualTo(Memcpy2D.HOST);
            assertThat(s.get(ADDRESS, off("dstHost")).address()).isEqualTo(host.address());
            assertThat(s.get(JAVA_LONG, off("dstDevice"))).isZero();
            assertThat(s.get(JAVA_LONG, off("dstPitch"))).isEqualTo(512);
            assertThat(s.get(JAVA_LONG, off("WidthInBytes"))).isEqualTo(512);
            assertThat(s.get(JAVA_LONG, off("Height"))).isEqualTo(6);
            assertThat(s.get(JAVA_LONG, off("srcXInBytes")) | s.get(JAVA_LONG, off("srcY"))
                    | s.get(JAVA_LONG, off("dstXInBytes")) | s.get(JAVA_LONG, off("dstY"))).isZero();
            assertThat(off("srcPitch")).isEqualTo(48);
            assertThat(off("dstPitch")).isEqualTo(104);
        }
    }

    @Test
    @DisplayName("a 2D copy from host to device swaps the sides")
    void memcpy2dHostToDevice() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(64);
            MemorySegment s = new Memcpy2D(arena).set(host, 0, 16, null, 0x10_0000L, 4096, 16, 4).segment();
            assertThat(s.get(JAVA_INT, off("srcMemoryType"))).isEqualTo(Memcpy2D.HOST);
            assertThat(s.get(ADDRESS, off("srcHost")).address()).isEqualTo(host.address());
            assertThat(s.get(JAVA_INT, off("dstMemoryType"))).isEqualTo(Memcpy2D.DEVICE);
            assertThat(s.get(JAVA_LONG, off("dstDevice"))).isEqualTo(0x10_0000L);
            assertThat(s.get(JAVA_LONG, off("dstPitch"))).isEqualTo(4096);
        }
    }

    private static long off(String field) {
        return Memcpy2D.LAYOUT.byteOffset(PathElement.groupElement(field));
    }
}
