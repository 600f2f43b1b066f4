package dev.baton.cuda.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The arguments of one kernel launch, packed as {@code cuLaunchKernel} takes them ({@code void** kernelParams}): one
 * 8-byte slot per argument holding its value, and an array whose entry {@code i} is the address of slot {@code i}.
 * The driver reads each slot with the size of the kernel's parameter, so a 4-byte value occupies the low half of its
 * slot (little-endian) and the high half holds a poison pattern, making a size mismatch visible rather than silently
 * right.
 *
 * <p>Reused for every launch: {@link #begin} resets it. Confined to the device thread; allocates nothing after
 * construction.
 */
public final class KernelArgs {

    /** The most arguments one launch takes. */
    public static final int MAX = 16;
    /** What the unused half of a 4-byte argument's slot holds. */
    public static final long POISON = 0xA5A5A5A5A5A5A5A5L;

    private final MemorySegment slots;
    private final MemorySegment pointers;
    private final Kernel.Param[] types = new Kernel.Param[MAX];
    private int count;

    public KernelArgs(Arena arena) {
        this.slots = arena.allocate(8L * MAX, 8);
        this.pointers = arena.allocate(ADDRESS, MAX);
        for (int i = 0; i < MAX; i++) {
            pointers.setAtIndex(ADDRESS, i, slots.asSlice(8L * i, 8));
        }
    }

    /** Starts a new argument list. */
    public KernelArgs begin() {
        count = 0;
        return this;
    }

    /** A device pointer ({@code CUdeviceptr}, 8 bytes). */
    public KernelArgs ptr(long devicePointer) {
        slots.set(JAVA_LONG, slot(Kernel.Param.PTR), devicePointer);
        return this;
    }

    /** An {@code int}. */
    public KernelArgs i32(int value) {
        long at = slot(Kernel.Param.I32);
        slots.set(JAVA_LONG, at, POISON);
        slots.set(JAVA_INT, at, value);
        return this;
    }

    /** A {@code long long}. */
    public KernelArgs i64(long value) {
        slots.set(JAVA_LONG, slot(Kernel.Param.I64), value);
        return this;
    }

    /** A {@code float}. */
    public KernelArgs f32(float value) {
        long at = slot(Kernel.Param.F32);
        slots.set(JAVA_LONG, at, POISON);
        slots.set(JAVA_FLOAT, at, value);
        return this;
    }

    /** Arguments added since {@link #begin}. */
    public int count() {
        return count;
    }

    /** The type of argument {@code i}. */
    public Kernel.Param type(int i) {
        return types[i];
    }

    /** {@code void** kernelParams}. */
    public MemorySegment pointers() {
        return pointers;
    }

    /**
     * Checks that the arguments match {@code kernel}'s parameters.
     *
     * @throws IllegalArgumentException naming the first mismatch
     */
    public void checkFor(Kernel kernel) {
        if (count != kernel.params().size()) {
            throw new IllegalArgumentException(kernel.entry() + " takes " + kernel.params().size() + " arguments "
                    + kernel.params() + ", got " + count);
        }
        for (int i = 0; i < count; i++) {
            if (types[i] != kernel.params().get(i)) {
                throw new IllegalArgumentException(kernel.entry() + " argument " + i + " is " + kernel.params().get(i)
                        + ", got " + types[i]);
            }
        }
    }

    private long slot(Kernel.Param type) {
        if (count == MAX) {
            throw new IllegalStateException("more than " + MAX + " kernel arguments");
        }
        types[count] = type;
        return 8L * count++;
    }
}
