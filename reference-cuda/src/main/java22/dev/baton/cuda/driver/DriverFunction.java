package dev.baton.cuda.driver;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Every CUDA driver API function the binding calls: its API name, the symbol to look up in {@code libcuda.so.1} for
 * CUDA 13, and its C signature as an FFM {@link FunctionDescriptor}.
 *
 * <h2>Symbols</h2>
 * {@code cuda.h} {@code #define}s many API names to versioned symbols ({@code cuMemAlloc -> cuMemAlloc_v2}); the
 * plain name is the legacy entry point (for {@code cuMemAlloc}: 32-bit sizes). So the binding looks up exactly the
 * symbol the header maps each name to, and names wrapped in {@code __CUDA_API_PTSZ}/{@code __CUDA_API_PTDS} by their
 * plain symbol (the header's choice when per-thread default streams are off; every call passes an explicit stream).
 * {@code CudaHeaderTest} checks this table against a CUDA 13 {@code cuda.h} where one is installed, and against the
 * committed list {@code cuda13-driver-functions.txt} everywhere.
 *
 * <h2>C types</h2>
 * {@code CUresult}, {@code int}, {@code unsigned int}, {@code CUdevice} and enums are {@code JAVA_INT};
 * {@code size_t} and {@code CUdeviceptr} (an {@code unsigned long long}) are {@code JAVA_LONG}; pointers and handles
 * ({@code CUcontext}, {@code CUstream}, ...) are {@code ADDRESS}; {@code unsigned char} is {@code JAVA_BYTE}.
 */
public enum DriverFunction {
    INIT("cuInit", "cuInit", JAVA_INT),
    DRIVER_GET_VERSION("cuDriverGetVersion", "cuDriverGetVersion", ADDRESS),
    DEVICE_GET_COUNT("cuDeviceGetCount", "cuDeviceGetCount", ADDRESS),
    DEVICE_GET("cuDeviceGet", "cuDeviceGet", ADDRESS, JAVA_INT),
    DEVICE_GET_NAME("cuDeviceGetName", "cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT),
    DEVICE_GET_ATTRIBUTE("cuDeviceGetAttribute", "cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT),
    DEVICE_TOTAL_MEM("cuDeviceTotalMem", "cuDeviceTotalMem_v2", ADDRESS, JAVA_INT),
    DEVICE_PRIMARY_CTX_RETAIN("cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT),
    DEVICE_PRIMARY_CTX_RELEASE("cuDevicePrimaryCtxRelease", "cuDevicePrimaryCtxRelease_v2", JAVA_INT),
    CTX_SET_CURRENT("cuCtxSetCurrent", "cuCtxSetCurrent", ADDRESS),
    CTX_SYNCHRONIZE("cuCtxSynchronize", "cuCtxSynchronize"),
    MEM_GET_INFO("cuMemGetInfo", "cuMemGetInfo_v2", ADDRESS, ADDRESS),
    MEM_ALLOC("cuMemAlloc", "cuMemAlloc_v2", ADDRESS, JAVA_LONG),
    MEM_FREE("cuMemFree", "cuMemFree_v2", JAVA_LONG),
    MEM_HOST_ALLOC("cuMemHostAlloc", "cuMemHostAlloc", ADDRESS, JAVA_LONG, JAVA_INT),
    MEM_FREE_HOST("cuMemFreeHost", "cuMemFreeHost", ADDRESS),
    MEMSET_D8_ASYNC("cuMemsetD8Async", "cuMemsetD8Async", JAVA_LONG, JAVA_BYTE, JAVA_LONG, ADDRESS),
    MEMCPY_HTOD("cuMemcpyHtoD", "cuMemcpyHtoD_v2", JAVA_LONG, ADDRESS, JAVA_LONG),
    MEMCPY_DTOH("cuMemcpyDtoH", "cuMemcpyDtoH_v2", ADDRESS, JAVA_LONG, JAVA_LONG),
    MEMCPY_HTOD_ASYNC("cuMemcpyHtoDAsync", "cuMemcpyHtoDAsync_v2", JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS),
    MEMCPY_DTOH_ASYNC("cuMemcpyDtoHAsync", "cuMemcpyDtoHAsync_v2", ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS),
    MEMCPY_DTOD_ASYNC("cuMemcpyDtoDAsync", "cuMemcpyDtoDAsync_v2", JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS),
    MEMCPY_2D_ASYNC("cuMemcpy2DAsync", "cuMemcpy2DAsync_v2", ADDRESS, ADDRESS),
    STREAM_CREATE("cuStreamCreate", "cuStreamCreate", ADDRESS, JAVA_INT),
    STREAM_DESTROY("cuStreamDestroy", "cuStreamDestroy_v2", ADDRESS),
    STREAM_SYNCHRONIZE("cuStreamSynchronize", "cuStreamSynchronize", ADDRESS),
    EVENT_CREATE("cuEventCreate", "cuEventCreate", ADDRESS, JAVA_INT),
    EVENT_RECORD("cuEventRecord", "cuEventRecord", ADDRESS, ADDRESS),
    EVENT_SYNCHRONIZE("cuEventSynchronize", "cuEventSynchronize", ADDRESS),
    EVENT_ELAPSED_TIME("cuEventElapsedTime", "cuEventElapsedTime_v2", ADDRESS, ADDRESS, ADDRESS),
    EVENT_DESTROY("cuEventDestroy", "cuEventDestroy_v2", ADDRESS),
    MODULE_LOAD_DATA("cuModuleLoadData", "cuModuleLoadData", ADDRESS, ADDRESS),
    MODULE_GET_FUNCTION("cuModuleGetFunction", "cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS),
    MODULE_UNLOAD("cuModuleUnload", "cuModuleUnload", ADDRESS),
    LAUNCH_KERNEL("cuLaunchKernel", "cuLaunchKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
            JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
    GET_ERROR_NAME("cuGetErrorName", "cuGetErrorName", JAVA_INT, ADDRESS);

    private final String api;
    private final String symbol;
    private final FunctionDescriptor descriptor;

    DriverFunction(String api, String symbol, MemoryLayout... params) {
        this.api = api;
        this.symbol = symbol;
        this.descriptor = FunctionDescriptor.of(JAVA_INT, params);
    }

    /** The name the CUDA documentation and {@code cuda.h} use, e.g. {@code cuMemAlloc}. */
    public String api() {
        return api;
    }

    /** The symbol exported by a CUDA 13 {@code libcuda.so.1}, e.g. {@code cuMemAlloc_v2}. */
    public String symbol() {
        return symbol;
    }

    /** The C signature; every function returns a {@code CUresult}. */
    public FunctionDescriptor descriptor() {
        return descriptor;
    }

    /**
     * The signature in the notation of {@code cuda13-driver-functions.txt}: the return and parameter layouts as
     * {@code i8}, {@code i32}, {@code i64}, {@code f32} or {@code ptr}, e.g. {@code i32(ptr,i64)}.
     */
    public String signature() {
        List<String> params = new ArrayList<>();
        for (MemoryLayout l : descriptor.argumentLayouts()) {
            params.add(notation(l));
        }
        return notation(descriptor.returnLayout().orElseThrow()) + "(" + String.join(",", params) + ")";
    }

    /** The line of this function in {@code cuda13-driver-functions.txt}: API name, symbol, signature. */
    public String line() {
        return api + " " + symbol + " " + signature();
    }

    static String notation(MemoryLayout l) {
        if (l instanceof ValueLayout v) {
            if (v.carrier() == int.class) {
                return "i32";
            }
            if (v.carrier() == long.class) {
                return "i64";
            }
            if (v.carrier() == byte.class) {
                return "i8";
            }
            if (v.carrier() == float.class) {
                return "f32";
            }
            if (v.carrier() == java.lang.foreign.MemorySegment.class) {
                return "ptr";
            }
        }
        throw new IllegalArgumentException("no notation for " + l);
    }
}
