package dev.baton.cuda.driver;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The CUDA driver API, bound with the FFM API to {@code libcuda.so.1} loaded at run time: one downcall handle per
 * {@link DriverFunction}. No CUDA toolkit and no JNI is involved; the driver ships {@code libcuda.so.1}.
 *
 * <p>Every checked method turns a {@code CUresult} other than {@code CUDA_SUCCESS} into a {@link CudaException} that
 * names the symbol and the error. Out-parameters live in a confined arena per call; the calls a step makes many times
 * ({@link #launchKernel}, the asynchronous copies, event and stream calls) take none, so they allocate nothing.
 *
 * <h2>Threads</h2>
 * The object is immutable and may be shared, but CUDA binds contexts to OS threads: every call that needs a context
 * must come from the thread that made it current ({@link #setCurrent}), which for a device is its
 * {@link DeviceThread}. Probing calls ({@link #probeView()}) need no context.
 */
public final class CudaDriver {

    /** The driver library's soname; the unversioned {@code libcuda.so} belongs to development packages and stubs. */
    public static final String LIBRARY = "libcuda.so.1";

    /** {@code CU_MEMHOSTALLOC_PORTABLE}: pinned memory usable from every context. */
    public static final int MEMHOSTALLOC_PORTABLE = 0x01;
    /** {@code CU_EVENT_DEFAULT}: an event that records timing. */
    public static final int EVENT_DEFAULT = 0;
    /** {@code CU_STREAM_DEFAULT}. */
    public static final int STREAM_DEFAULT = 0;

    /** {@code CUdevice_attribute} values the binding reads (CUDA 13 {@code cuda.h}). */
    public static final int ATTRIBUTE_MAX_PITCH = 11;
    public static final int ATTRIBUTE_CLOCK_RATE = 13;
    public static final int ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public static final int ATTRIBUTE_MEMORY_CLOCK_RATE = 36;
    public static final int ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37;
    public static final int ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public static final int ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

    /** What loading the library gave: a bound driver, or why there is none. */
    public sealed interface Loading permits Loaded, Failed {
    }

    /** The library was found and every symbol bound. */
    public record Loaded(CudaDriver driver) implements Loading {
    }

    /** @param reason why the driver cannot be used, precise enough to act on */
    public record Failed(String reason) implements Loading {
    }

    private final String library;
    private final MethodHandle[] handles;

    private CudaDriver(String library, MethodHandle[] handles) {
        this.library = library;
        this.handles = handles;
    }

    /**
     * Loads {@code library} (a soname searched like {@code dlopen} does, or a path) and binds every
     * {@link DriverFunction}. The library stays loaded for the life of the JVM.
     */
    public static Loading load(String library) {
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            return new Failed("no " + library + " (" + e.getMessage() + "): install the NVIDIA driver (R580 or newer"
                    + " for CUDA 13); the CUDA toolkit is not needed at run time");
        }
        Linker linker = Linker.nativeLinker();
        MethodHandle[] handles = new MethodHandle[DriverFunction.values().length];
        List<String> missing = new ArrayList<>();
        for (DriverFunction f : DriverFunction.values()) {
            Optional<MemorySegment> symbol = lookup.find(f.symbol());
            if (symbol.isEmpty()) {
                missing.add(f.symbol());
            } else {
                handles[f.ordinal()] = linker.downcallHandle(symbol.get(), f.descriptor());
            }
        }
        if (!missing.isEmpty()) {
            return new Failed(library + " lacks " + String.join(", ", missing) + ": the NVIDIA driver is older than"
                    + " CUDA 13 needs; install driver R580 or newer");
        }
        return new Loaded(new CudaDriver(library, handles));
    }

    /** The library this driver was loaded from. */
    public String library() {
        return library;
    }

    private MethodHandle h(DriverFunction f) {
        return handles[f.ordinal()];
    }

    private static void check(DriverFunction f, int result) {
        if (result != CuResult.SUCCESS) {
            throw new CudaException(f.symbol(), result);
        }
    }

    /** {@code t} as an unchecked exception to throw (errors are thrown from here). */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    // ---------------------------------------------------------------- initialisation and devices

    /** {@code cuInit(0)}. */
    public void init() {
        check(DriverFunction.INIT, rawInit());
    }

    int rawInit() {
        try {
            return (int) h(DriverFunction.INIT).invokeExact(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuDriverGetVersion}: the CUDA version the driver supports, e.g. 13000 for 13.0. */
    public int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check(DriverFunction.DRIVER_GET_VERSION, (int) h(DriverFunction.DRIVER_GET_VERSION).invokeExact(out));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuDeviceGetCount}. */
    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check(DriverFunction.DEVICE_GET_COUNT, (int) h(DriverFunction.DEVICE_GET_COUNT).invokeExact(out));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuDeviceGet}: the {@code CUdevice} handle of device {@code ordinal}. */
    public int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check(DriverFunction.DEVICE_GET, (int) h(DriverFunction.DEVICE_GET).invokeExact(out, ordinal));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuDeviceGetName}. */
    public String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(256);
            check(DriverFunction.DEVICE_GET_NAME, (int) h(DriverFunction.DEVICE_GET_NAME).invokeExact(out, 256,
                    device));
            return out.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuDeviceGetAttribute}. */
    public int attribute(int device, int attribute) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check(DriverFunction.DEVICE_GET_ATTRIBUTE, (int) h(DriverFunction.DEVICE_GET_ATTRIBUTE).invokeExact(out,
                    attribute, device));
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuDeviceTotalMem_v2}, in bytes. */
    public long totalMemory(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            check(DriverFunction.DEVICE_TOTAL_MEM, (int) h(DriverFunction.DEVICE_TOTAL_MEM).invokeExact(out, device));
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- contexts

    /** {@code cuDevicePrimaryCtxRetain}: the device's primary context (the one the CUDA runtime uses). */
    public MemorySegment primaryContextRetain(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(DriverFunction.DEVICE_PRIMARY_CTX_RETAIN,
                    (int) h(DriverFunction.DEVICE_PRIMARY_CTX_RETAIN).invokeExact(out, device));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuDevicePrimaryCtxRelease_v2}. */
    public void primaryContextRelease(int device) {
        try {
            check(DriverFunction.DEVICE_PRIMARY_CTX_RELEASE,
                    (int) h(DriverFunction.DEVICE_PRIMARY_CTX_RELEASE).invokeExact(device));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuCtxSetCurrent}: binds {@code context} to the calling OS thread. */
    public void setCurrent(MemorySegment context) {
        try {
            check(DriverFunction.CTX_SET_CURRENT, (int) h(DriverFunction.CTX_SET_CURRENT).invokeExact(context));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuCtxSynchronize}. */
    public void synchronizeContext() {
        try {
            check(DriverFunction.CTX_SYNCHRONIZE, (int) h(DriverFunction.CTX_SYNCHRONIZE).invokeExact());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- memory

    /** {@code cuMemGetInfo_v2}: {free, total} bytes of the current context's device. */
    public long[] memoryInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(JAVA_LONG);
            MemorySegment total = a.allocate(JAVA_LONG);
            check(DriverFunction.MEM_GET_INFO, (int) h(DriverFunction.MEM_GET_INFO).invokeExact(free, total));
            return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuMemAlloc_v2}: a device pointer to {@code bytes} bytes (256-byte aligned). */
    public long memAlloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            int r = (int) h(DriverFunction.MEM_ALLOC).invokeExact(out, bytes);
            if (r != CuResult.SUCCESS) {
                throw new CudaException(DriverFunction.MEM_ALLOC.symbol(), r, bytes + " bytes");
            }
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuMemFree_v2}. */
    public void memFree(long pointer) {
        try {
            check(DriverFunction.MEM_FREE, (int) h(DriverFunction.MEM_FREE).invokeExact(pointer));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuMemHostAlloc}: {@code bytes} of page-locked host memory, as a segment of that size. */
    public MemorySegment hostAlloc(long bytes, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = (int) h(DriverFunction.MEM_HOST_ALLOC).invokeExact(out, bytes, flags);
            if (r != CuResult.SUCCESS) {
                throw new CudaException(DriverFunction.MEM_HOST_ALLOC.symbol(), r, bytes + " bytes of pinned memory");
            }
            return out.get(ADDRESS, 0).reinterpret(bytes);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuMemFreeHost}. */
    public void freeHost(MemorySegment memory) {
        try {
            check(DriverFunction.MEM_FREE_HOST, (int) h(DriverFunction.MEM_FREE_HOST).invokeExact(memory));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuMemsetD8Async}: sets {@code bytes} bytes at {@code pointer} to {@code value}. */
    public void memsetAsync(long pointer, byte value, long bytes, MemorySegment stream) {
        try {
            check(DriverFunction.MEMSET_D8_ASYNC,
                    (int) h(DriverFunction.MEMSET_D8_ASYNC).invokeExact(pointer, value, bytes, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuMemcpyHtoD_v2} (synchronous; {@code src} may be any native memory). */
    public void copyHtoD(long dst, MemorySegment src, long bytes) {
        try {
            check(DriverFunction.MEMCPY_HTOD, (int) h(DriverFunction.MEMCPY_HTOD).invokeExact(dst, src, bytes));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuMemcpyDtoH_v2} (synchronous). */
    public void copyDtoH(MemorySegment dst, long src, long bytes) {
        try {
            check(DriverFunction.MEMCPY_DTOH, (int) h(DriverFunction.MEMCPY_DTOH).invokeExact(dst, src, bytes));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuMemcpyHtoDAsync_v2}; {@code src} must be pinned ({@link #hostAlloc}). */
    public void copyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            check(DriverFunction.MEMCPY_HTOD_ASYNC,
                    (int) h(DriverFunction.MEMCPY_HTOD_ASYNC).invokeExact(dst, src, bytes, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuMemcpyDtoHAsync_v2}; {@code dst} must be pinned ({@link #hostAlloc}). */
    public void copyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        try {
            check(DriverFunction.MEMCPY_DTOH_ASYNC,
                    (int) h(DriverFunction.MEMCPY_DTOH_ASYNC).invokeExact(dst, src, bytes, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuMemcpyDtoDAsync_v2}. */
    public void copyDtoDAsync(long dst, long src, long bytes, MemorySegment stream) {
        try {
            check(DriverFunction.MEMCPY_DTOD_ASYNC,
                    (int) h(DriverFunction.MEMCPY_DTOD_ASYNC).invokeExact(dst, src, bytes, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuMemcpy2DAsync_v2} with a filled {@link Memcpy2D} struct. */
    public void copy2DAsync(MemorySegment params, MemorySegment stream) {
        try {
            check(DriverFunction.MEMCPY_2D_ASYNC, (int) h(DriverFunction.MEMCPY_2D_ASYNC).invokeExact(params, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- streams and events

    /** {@code cuStreamCreate}. */
    public MemorySegment streamCreate(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(DriverFunction.STREAM_CREATE, (int) h(DriverFunction.STREAM_CREATE).invokeExact(out, flags));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuStreamDestroy_v2}. */
    public void streamDestroy(MemorySegment stream) {
        try {
            check(DriverFunction.STREAM_DESTROY, (int) h(DriverFunction.STREAM_DESTROY).invokeExact(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuStreamSynchronize}: waits for everything queued on {@code stream}. */
    public void streamSynchronize(MemorySegment stream) {
        try {
            check(DriverFunction.STREAM_SYNCHRONIZE, (int) h(DriverFunction.STREAM_SYNCHRONIZE).invokeExact(stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuEventCreate}. */
    public MemorySegment eventCreate(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(DriverFunction.EVENT_CREATE, (int) h(DriverFunction.EVENT_CREATE).invokeExact(out, flags));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuEventRecord}. */
    public void eventRecord(MemorySegment event, MemorySegment stream) {
        try {
            check(DriverFunction.EVENT_RECORD, (int) h(DriverFunction.EVENT_RECORD).invokeExact(event, stream));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuEventSynchronize}. */
    public void eventSynchronize(MemorySegment event) {
        try {
            check(DriverFunction.EVENT_SYNCHRONIZE, (int) h(DriverFunction.EVENT_SYNCHRONIZE).invokeExact(event));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuEventElapsedTime_v2}: milliseconds between two recorded events. */
    public float eventElapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_FLOAT);
            check(DriverFunction.EVENT_ELAPSED_TIME,
                    (int) h(DriverFunction.EVENT_ELAPSED_TIME).invokeExact(out, start, end));
            return out.get(JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuEventDestroy_v2}. */
    public void eventDestroy(MemorySegment event) {
        try {
            check(DriverFunction.EVENT_DESTROY, (int) h(DriverFunction.EVENT_DESTROY).invokeExact(event));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- modules and launches

    /** {@code cuModuleLoadData}: loads a fatbin, cubin or PTX image held in native memory. */
    public MemorySegment moduleLoadData(MemorySegment image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(DriverFunction.MODULE_LOAD_DATA, (int) h(DriverFunction.MODULE_LOAD_DATA).invokeExact(out, image));
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuModuleGetFunction}. */
    public MemorySegment moduleGetFunction(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = (int) h(DriverFunction.MODULE_GET_FUNCTION).invokeExact(out, module, a.allocateFrom(name));
            if (r != CuResult.SUCCESS) {
                throw new CudaException(DriverFunction.MODULE_GET_FUNCTION.symbol(), r, "kernel " + name);
            }
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuModuleUnload}. */
    public void moduleUnload(MemorySegment module) {
        try {
            check(DriverFunction.MODULE_UNLOAD, (int) h(DriverFunction.MODULE_UNLOAD).invokeExact(module));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code cuLaunchKernel} with parameters passed as {@code void** kernelParams} (see
     * {@link dev.baton.cuda.kernels.KernelArgs}) and no dynamic shared memory.
     */
    public void launchKernel(MemorySegment function, int gridX, int gridY, int gridZ, int blockX, int blockY,
                             int blockZ, MemorySegment stream, MemorySegment params) {
        try {
            int r = (int) h(DriverFunction.LAUNCH_KERNEL).invokeExact(function, gridX, gridY, gridZ, blockX, blockY,
                    blockZ, 0, stream, params, MemorySegment.NULL);
            check(DriverFunction.LAUNCH_KERNEL, r);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code cuGetErrorName}, falling back to {@link CuResult#name} when the driver does not know the code. */
    public String errorName(int code) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = (int) h(DriverFunction.GET_ERROR_NAME).invokeExact(code, out);
            MemorySegment p = out.get(ADDRESS, 0);
            if (r != CuResult.SUCCESS || p.equals(MemorySegment.NULL)) {
                return CuResult.name(code);
            }
            return p.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- probing

    /** The calls the availability probe makes, with raw result codes, on this driver. */
    public ProbeDriver probeView() {
        return new ProbeDriver() {
            @Override
            public int init() {
                return rawInit();
            }

            @Override
            public int driverVersion(int[] out) {
                return raw(() -> out[0] = CudaDriver.this.driverVersion());
            }

            @Override
            public int deviceCount(int[] out) {
                return raw(() -> out[0] = CudaDriver.this.deviceCount());
            }

            @Override
            public int computeCapability(int ordinal, int[] out) {
                return raw(() -> {
                    int d = device(ordinal);
                    out[0] = attribute(d, ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
                    out[1] = attribute(d, ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
                });
            }

            @Override
            public int describe(int ordinal, String[] name, long[] memory) {
                return raw(() -> {
                    int d = device(ordinal);
                    name[0] = deviceName(d);
                    memory[0] = totalMemory(d);
                });
            }
        };
    }

    private static int raw(Runnable call) {
        try {
            call.run();
            return CuResult.SUCCESS;
        } catch (CudaException e) {
            return e.code();
        }
    }
}
