package dev.baton.cuda.driver;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A {@code CUDA_MEMCPY2D} (CUDA 13 {@code cuda.h}, {@code struct CUDA_MEMCPY2D_st}) for {@code cuMemcpy2DAsync_v2}:
 * {@code height} rows of {@code width} bytes, each side with its own pitch. A swap moves one KV block with one such
 * copy: the block's slab in each of the pool's {@code 2 * layers} tensors (a pitch of one tensor apart) to consecutive
 * slabs of a host block (a pitch of one slab).
 *
 * <p>Reusable: {@link #set} fills the struct in place. Confined to the device thread.
 */
public final class Memcpy2D {

    /** {@code CUmemorytype}: {@code CU_MEMORYTYPE_HOST}. */
    public static final int HOST = 1;
    /** {@code CUmemorytype}: {@code CU_MEMORYTYPE_DEVICE}. */
    public static final int DEVICE = 2;

    /** The C layout on LP64 platforms: 128 bytes; {@code CudaHeaderTest} checks it against the header. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("srcXInBytes"),
            JAVA_LONG.withName("srcY"),
            JAVA_INT.withName("srcMemoryType"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("srcHost"),
            JAVA_LONG.withName("srcDevice"),
            ADDRESS.withName("srcArray"),
            JAVA_LONG.withName("srcPitch"),
            JAVA_LONG.withName("dstXInBytes"),
            JAVA_LONG.withName("dstY"),
            JAVA_INT.withName("dstMemoryType"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("dstHost"),
            JAVA_LONG.withName("dstDevice"),
            ADDRESS.withName("dstArray"),
            JAVA_LONG.withName("dstPitch"),
            JAVA_LONG.withName("WidthInBytes"),
            JAVA_LONG.withName("Height"));

    private static final long SRC_MEMORY_TYPE = offset("srcMemoryType");
    private static final long SRC_HOST = offset("srcHost");
    private static final long SRC_DEVICE = offset("srcDevice");
    private static final long SRC_PITCH = offset("srcPitch");
    private static final long DST_MEMORY_TYPE = offset("dstMemoryType");
    private static final long DST_HOST = offset("dstHost");
    private static final long DST_DEVICE = offset("dstDevice");
    private static final long DST_PITCH = offset("dstPitch");
    private static final long WIDTH = offset("WidthInBytes");
    private static final long HEIGHT = offset("Height");

    private final MemorySegment struct;

    public Memcpy2D(Arena arena) {
        this.struct = arena.allocate(LAYOUT);
    }

    /** The struct, for {@link CudaDriver#copy2DAsync}. */
    public MemorySegment segment() {
        return struct;
    }

    /**
     * Fills the struct for a copy of {@code height} rows of {@code width} bytes. A side in device memory is given by
     * its address ({@code host == null}); a side in host memory by a pinned segment.
     */
    public Memcpy2D set(MemorySegment srcHost, long srcDevice, long srcPitch, MemorySegment dstHost, long dstDevice,
                        long dstPitch, long width, long height) {
        struct.fill((byte) 0);
        struct.set(JAVA_INT, SRC_MEMORY_TYPE, srcHost != null ? HOST : DEVICE);
        struct.set(ADDRESS, SRC_HOST, srcHost != null ? srcHost : MemorySegment.NULL);
        struct.set(JAVA_LONG, SRC_DEVICE, srcHost != null ? 0 : srcDevice);
        struct.set(JAVA_LONG, SRC_PITCH, srcPitch);
        struct.set(JAVA_INT, DST_MEMORY_TYPE, dstHost != null ? HOST : DEVICE);
        struct.set(ADDRESS, DST_HOST, dstHost != null ? dstHost : MemorySegment.NULL);
        struct.set(JAVA_LONG, DST_DEVICE, dstHost != null ? 0 : dstDevice);
        struct.set(JAVA_LONG, DST_PITCH, dstPitch);
        struct.set(JAVA_LONG, WIDTH, width);
        struct.set(JAVA_LONG, HEIGHT, height);
        return this;
    }

    private static long offset(String field) {
        return LAYOUT.byteOffset(PathElement.groupElement(field));
    }
}
