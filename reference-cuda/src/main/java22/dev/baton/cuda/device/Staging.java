package dev.baton.cuda.device;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The small per-step inputs of kernels (token ids, positions, slots, block tables, copy pairs), gathered in pinned
 * host memory and sent to the device with one asynchronous copy per step.
 *
 * <p>A step first {@link #put}s everything (offsets are returned, since the buffers may grow while putting), then
 * {@link #flush}es, then launches kernels on {@link #device} addresses. The buffers are reused from the next
 * {@link #reset()}, which the owner calls only once the previous step's work has finished (its stream was
 * synchronised), because the queued copy reads the pinned buffer when it runs.
 *
 * <p>Confined to the device thread; allocates nothing once grown to the working size.
 */
final class Staging {

    private static final long ALIGN = 16;

    private final CudaDevice device;
    private MemorySegment host;
    private long devicePointer;
    private long used;

    Staging(CudaDevice device, long capacity) {
        this.device = device;
        this.host = device.pinned(capacity);
        this.devicePointer = device.alloc(capacity);
    }

    /** Frees the buffers (they are freed with the device otherwise); the previous work must have finished. */
    void release() {
        device.freePinned(host);
        device.free(devicePointer);
    }

    /** Starts a new step: the previous one's work must have finished. */
    void reset() {
        used = 0;
    }

    /** Appends {@code n} ints of {@code src} and returns their offset. */
    long put(int[] src, int n) {
        long at = reserve(4L * n);
        MemorySegment.copy(src, 0, host, ValueLayout.JAVA_INT, at, n);
        return at;
    }

    /** Appends {@code n} longs of {@code src} and returns their offset. */
    long put(long[] src, int n) {
        long at = reserve(8L * n);
        MemorySegment.copy(src, 0, host, ValueLayout.JAVA_LONG, at, n);
        return at;
    }

    /** Appends {@code n} floats of {@code src} and returns their offset. */
    long put(float[] src, int n) {
        long at = reserve(4L * n);
        MemorySegment.copy(src, 0, host, ValueLayout.JAVA_FLOAT, at, n);
        return at;
    }

    /** Queues the copy of everything put since {@link #reset()} to the device. */
    void flush() {
        if (used > 0) {
            device.driver().copyHtoDAsync(devicePointer, host, used, device.stream());
        }
    }

    /** The device address of {@code offset} (valid until the next {@link #put} that grows the buffers). */
    long device(long offset) {
        return devicePointer + offset;
    }

    private long reserve(long bytes) {
        long at = (used + ALIGN - 1) / ALIGN * ALIGN;
        if (at + bytes > host.byteSize()) {
            grow(at + bytes);
        }
        used = at + bytes;
        return at;
    }

    private void grow(long needed) {
        long capacity = Math.max(needed, 2 * host.byteSize());
        MemorySegment bigger = device.pinned(capacity);
        MemorySegment.copy(host, 0, bigger, 0, used);
        device.freePinned(host);
        device.free(devicePointer);
        host = bigger;
        devicePointer = device.alloc(capacity);
    }
}
