package dev.baton.cuda.device;

import dev.baton.accelerator.DType;
import dev.baton.accelerator.DeviceInfo;
import dev.baton.accelerator.Interconnect;
import dev.baton.accelerator.sim.HardwareProfiles;
import dev.baton.cuda.driver.CudaDriver;
import dev.baton.cuda.driver.DeviceThread;
import dev.baton.cuda.kernels.BatonKernels;
import dev.baton.cuda.kernels.KernelImage;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * One opened CUDA device: its primary context, made current once on the device's own {@link DeviceThread}, one stream
 * that every operation is queued on (so operations run in the order they are queued), the loaded kernels, and every
 * device allocation, pinned allocation and event made through it, all released by {@link #close()}.
 *
 * <p>The primary context is the one the CUDA runtime uses ({@code cuDevicePrimaryCtxRetain}), so libraries built on the
 * runtime (cuBLAS, NCCL) share it; it is retained at open and released at close
 * ({@code cuDevicePrimaryCtxRelease_v2}).
 *
 * <p>Every method except {@link #call}, {@link #run}, {@link #info()} and {@link #close()} must run on the device
 * thread (inside {@code call} or {@code run}); they check it.
 */
public final class CudaDevice implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CudaDevice.class.getName());
    private static final long GIB = 1L << 30;

    private final CudaDriver driver;
    private final DeviceThread thread;
    private final int ordinal;
    private final List<Long> allocations = new ArrayList<>();
    private final List<MemorySegment> pinnedAllocations = new ArrayList<>();
    private final List<MemorySegment> events = new ArrayList<>();

    private int device;
    private MemorySegment context;
    private MemorySegment stream;
    private BatonKernels kernels;
    private Arena arena;
    private DeviceInfo info;
    private long maxPitch;
    private boolean open;

    private CudaDevice(CudaDriver driver, int ordinal) {
        this.driver = driver;
        this.ordinal = ordinal;
        this.thread = new DeviceThread("baton-cuda-device-" + ordinal);
    }

    /**
     * Opens device {@code ordinal}: starts its thread, makes its primary context current there, creates the stream
     * and loads the kernels.
     */
    public static CudaDevice open(CudaDriver driver, int ordinal, KernelImage image) {
        CudaDevice d = new CudaDevice(driver, ordinal);
        try {
            d.thread.run(() -> d.start(image));
        } catch (RuntimeException | Error e) {
            d.close();
            throw e;
        }
        return d;
    }

    private void start(KernelImage image) {
        device = driver.device(ordinal);
        context = driver.primaryContextRetain(device);
        open = true;
        driver.setCurrent(context);
        arena = Arena.ofConfined();
        stream = driver.streamCreate(CudaDriver.STREAM_DEFAULT);
        kernels = BatonKernels.load(driver, image);
        maxPitch = Math.max(0, driver.attribute(device, CudaDriver.ATTRIBUTE_MAX_PITCH));
        info = describe();
    }

    private DeviceInfo describe() {
        String name = driver.deviceName(device);
        long memory = driver.totalMemory(device);
        int major = driver.attribute(device, CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        int minor = driver.attribute(device, CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        String lower = name.toLowerCase(Locale.ROOT);
        for (String profile : new String[] {"h200", "h100", "a100"}) {
            if (lower.contains(profile)) {
                DeviceInfo p = HardwareProfiles.get(profile);
                return new DeviceInfo(name, memory, p.memoryBandwidth(), p.peakFlops(), p.deviceLink(), p.hostLink(),
                        p.hostMemoryBytes(), p.pricePerHour());
            }
        }
        // Unknown device: bandwidth from the memory clock and bus width (double data rate), FP32 from the SMs.
        double memClockHz = driver.attribute(device, CudaDriver.ATTRIBUTE_MEMORY_CLOCK_RATE) * 1e3;
        double busBytes = driver.attribute(device, CudaDriver.ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH) / 8.0;
        double bandwidth = 2 * memClockHz * busBytes;
        double clockHz = driver.attribute(device, CudaDriver.ATTRIBUTE_CLOCK_RATE) * 1e3;
        int sms = driver.attribute(device, CudaDriver.ATTRIBUTE_MULTIPROCESSOR_COUNT);
        double fp32 = sms * clockHz * 2 * (major == 8 && minor == 0 ? 64 : 128);
        Interconnect pcie = major >= 9 ? new Interconnect("PCIe5 x16", 55e9, 10_000)
                : new Interconnect("PCIe4 x16", 25e9, 10_000);
        return new DeviceInfo(name, memory, bandwidth > 0 ? bandwidth : 1e12,
                Map.of(DType.FP32, fp32 > 0 ? fp32 : 1e12), pcie, pcie, 64 * GIB, 0);
    }

    /** Runs {@code task} on the device thread. */
    public <T> T call(Callable<T> task) {
        return thread.call(task);
    }

    /** Runs {@code task} on the device thread. */
    public void run(Runnable task) {
        thread.run(task);
    }

    /** What the device is: name, memory, bandwidth (from a known profile, or from its attributes). */
    public DeviceInfo info() {
        return info;
    }

    public CudaDriver driver() {
        return driver;
    }

    /** The stream everything is queued on. */
    public MemorySegment stream() {
        onThread();
        return stream;
    }

    public BatonKernels kernels() {
        onThread();
        return kernels;
    }

    /** The largest pitch a 2D copy accepts ({@code CU_DEVICE_ATTRIBUTE_MAX_PITCH}). */
    public long maxPitch() {
        return maxPitch;
    }

    /** An arena confined to the device thread, closed with the device. */
    public Arena arena() {
        onThread();
        return arena;
    }

    /** {@code cuMemAlloc_v2}, released at close unless {@link #free}d before. */
    public long alloc(long bytes) {
        onThread();
        long p = driver.memAlloc(bytes);
        allocations.add(p);
        return p;
    }

    public void free(long pointer) {
        onThread();
        if (allocations.remove(pointer)) {
            driver.memFree(pointer);
        }
    }

    /** {@code cuMemHostAlloc} of zeroed pinned memory, released at close unless {@link #freePinned}d before. */
    public MemorySegment pinned(long bytes) {
        onThread();
        MemorySegment m = driver.hostAlloc(bytes, CudaDriver.MEMHOSTALLOC_PORTABLE);
        pinnedAllocations.add(m);
        m.fill((byte) 0);
        return m;
    }

    public void freePinned(MemorySegment memory) {
        onThread();
        if (pinnedAllocations.remove(memory)) {
            driver.freeHost(memory);
        }
    }

    /** {@code cuEventCreate} of a timing event, destroyed at close. */
    public MemorySegment event() {
        onThread();
        MemorySegment e = driver.eventCreate(CudaDriver.EVENT_DEFAULT);
        events.add(e);
        return e;
    }

    /** Waits for everything queued on the stream. */
    public void synchronize() {
        onThread();
        driver.streamSynchronize(stream);
    }

    private void onThread() {
        if (!thread.isCurrent()) {
            throw new IllegalStateException("CUDA device " + ordinal + " is used from " + Thread.currentThread().getName()
                    + "; driver calls must run on its device thread (CudaDevice.call)");
        }
    }

    /** Releases every allocation, the kernels, the stream and the primary context, then stops the thread. */
    @Override
    public void close() {
        try {
            thread.run(this::release);
        } finally {
            thread.close();
        }
    }

    private void release() {
        if (!open) {
            return;
        }
        open = false;
        attempt("synchronize", () -> driver.streamSynchronize(stream), stream != null);
        for (long p : allocations) {
            attempt("cuMemFree_v2", () -> driver.memFree(p), true);
        }
        allocations.clear();
        for (MemorySegment m : pinnedAllocations) {
            attempt("cuMemFreeHost", () -> driver.freeHost(m), true);
        }
        pinnedAllocations.clear();
        for (MemorySegment e : events) {
            attempt("cuEventDestroy_v2", () -> driver.eventDestroy(e), true);
        }
        events.clear();
        attempt("cuModuleUnload", () -> kernels.close(), kernels != null);
        attempt("cuStreamDestroy_v2", () -> driver.streamDestroy(stream), stream != null);
        attempt("close arena", () -> arena.close(), arena != null);
        attempt("cuCtxSetCurrent", () -> driver.setCurrent(MemorySegment.NULL), true);
        attempt("cuDevicePrimaryCtxRelease_v2", () -> driver.primaryContextRelease(device), true);
    }

    /** Closing goes on after a failed release (a sticky error fails them all); the failure is logged. */
    private static void attempt(String what, Runnable release, boolean needed) {
        if (!needed) {
            return;
        }
        try {
            release.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "closing a CUDA device: " + what + " failed: " + e.getMessage());
        }
    }
}
