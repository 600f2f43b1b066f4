package dev.baton.cuda.device;

import dev.baton.accelerator.DType;
import dev.baton.cuda.driver.CudaDriver;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The timings of {@code gpu-check.sh}: each operation of the binding against the plain CUDA copy that moves the same
 * bytes, timed with CUDA events on the device's stream, as the median of {@value #REPS} runs after {@value #WARMUP}
 * warm-up runs.
 * <ul>
 *   <li><b>block copy</b>: the copy-on-write kernel over 512 (src, dst) block pairs (2 MiB per block: 16 layers of K and
 *   V, 16 tokens of 8 KV heads of 128 floats) vs one {@code cuMemcpyDtoDAsync} of the same 1 GiB; goal 0.8;</li>
 *   <li><b>swap out / swap in</b>: 512 blocks, one {@code cuMemcpy2DAsync} each, vs one pinned
 *   {@code cuMemcpyDtoHAsync} / {@code cuMemcpyHtoDAsync} of the same 1 GiB; goal 0.9;</li>
 *   <li><b>paged attention</b>: decode of batch 64 at context 4096 (32 query heads, 8 KV heads of 128, blocks of 16,
 *   shuffled block tables), float32 and bfloat16 storage: bytes of K and V read per second vs the device-to-device
 *   copy's memory traffic (2 x bytes copied per second, reads plus writes); goal 0.5.</li>
 * </ul>
 * In the emulator the same code runs on tiny sizes, to check the program; its numbers are not GPU numbers.
 */
public final class GpuBenchmark {

    static final int WARMUP = 3;
    static final int REPS = 15;

    /** One line of the table. */
    public record Row(String operation, long bytes, double millis, String baseline, double baselineMillis,
                      double ratio, double goal) {
        boolean meetsGoal() {
            return ratio >= goal;
        }
    }

    /** The sizes: GPU or emulator. */
    record Sizes(int layers, int blockSize, int kvDim, int pairs, int batch, int context, int heads, int kvHeads,
                 int headDim) {
        static final Sizes GPU = new Sizes(16, 16, 1024, 512, 64, 4096, 32, 8, 128);
        static final Sizes EMULATOR = new Sizes(2, 4, 32, 16, 2, 64, 4, 2, 16);
    }

    private final CudaDevice device;
    private final CudaDriver driver;
    private final Sizes sizes;
    private MemorySegment start;
    private MemorySegment end;

    public GpuBenchmark(CudaDevice device, boolean emulated) {
        this.device = device;
        this.driver = device.driver();
        this.sizes = emulated ? Sizes.EMULATOR : Sizes.GPU;
    }

    /** Runs every timing; on the device thread. */
    public List<Row> run() {
        return device.call(() -> {
            start = device.event();
            end = device.event();
            List<Row> rows = new ArrayList<>(moves());
            double copyTraffic = 2.0 * rows.get(0).bytes() / (rows.get(0).baselineMillis() * 1e-3);
            rows.add(attention(DType.FP32, copyTraffic));
            rows.add(attention(DType.BF16, copyTraffic));
            return rows;
        });
    }

    private List<Row> moves() {
        Sizes s = sizes;
        int n = s.pairs();
        KvTiers kv = new KvTiers(device, s.layers(), s.blockSize(), s.kvDim(), DType.FP32, 2 * n + 1, n);
        long bytes = n * kv.bytesPerBlock;
        driver.memsetAsync(kv.base(), (byte) 0x3C, 2L * s.layers() * kv.tensorStride, device.stream());
        long a = device.alloc(bytes);
        long b = device.alloc(bytes);
        driver.memsetAsync(a, (byte) 0x3C, bytes, device.stream());
        Staging staging = new Staging(device, 8L * n);
        int[] pairs = new int[2 * n];
        for (int i = 0; i < n; i++) {
            pairs[2 * i] = 1 + i;
            pairs[2 * i + 1] = 1 + n + i;
        }
        long at = staging.put(pairs, pairs.length);
        staging.flush();
        long pairsDev = staging.device(at);
        MemorySegment hostAll = kv.hostTier();
        List<Row> rows = new ArrayList<>();
        double copy = median(() -> kv.copyBlocks(pairsDev, n));
        double dtod = median(() -> driver.copyDtoDAsync(b, a, bytes, device.stream()));
        rows.add(row("block copy kernel, " + n + " pairs", bytes, copy, "cuMemcpyDtoDAsync, same bytes", dtod, 0.8));
        double out = median(() -> {
            for (int i = 0; i < n; i++) {
                kv.swapOut(1 + i, i);
            }
        });
        double dtoh = median(() -> driver.copyDtoHAsync(hostAll, a, bytes, device.stream()));
        rows.add(row("swap out, " + n + " blocks (2D copies)", bytes, out, "pinned cuMemcpyDtoHAsync", dtoh, 0.9));
        double in = median(() -> {
            for (int i = 0; i < n; i++) {
                kv.swapIn(i, 1 + n + i);
            }
        });
        double htod = median(() -> driver.copyHtoDAsync(a, hostAll, bytes, device.stream()));
        rows.add(row("swap in, " + n + " blocks (2D copies)", bytes, in, "pinned cuMemcpyHtoDAsync", htod, 0.9));
        device.synchronize();
        staging.release();
        kv.release();
        device.free(a);
        device.free(b);
        return rows;
    }

    private Row attention(DType storage, double copyTraffic) {
        Sizes s = sizes;
        int perSeq = (s.context() + s.blockSize() - 1) / s.blockSize();
        int blocks = s.batch() * perSeq + 1;
        int kvDim = s.kvHeads() * s.headDim();
        KvTiers kv = new KvTiers(device, 1, s.blockSize(), kvDim, storage, blocks, 0);
        driver.memsetAsync(kv.base(), (byte) 0x3C, 2 * kv.tensorStride, device.stream());
        int[] tables = new int[blocks - 1];
        for (int i = 0; i < tables.length; i++) {
            tables[i] = i + 1;
        }
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = tables.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = tables[i];
            tables[i] = tables[j];
            tables[j] = t;
        }
        int[] offsets = new int[s.batch()];
        int[] lens = new int[s.batch()];
        for (int r = 0; r < s.batch(); r++) {
            offsets[r] = r * perSeq;
            lens[r] = s.context();
        }
        float[] q = new float[s.batch() * s.heads() * s.headDim()];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        Staging staging = new Staging(device, 1 << 20);
        long qAt = staging.put(q, q.length);
        long tAt = staging.put(tables, tables.length);
        long oAt = staging.put(offsets, offsets.length);
        long lAt = staging.put(lens, lens.length);
        staging.flush();
        long out = device.alloc(4L * q.length);
        float scale = (float) (1 / Math.sqrt(s.headDim()));
        double ms = median(() -> device.kernels().pagedAttention(storage, out, staging.device(qAt), kv.kCache(0),
                kv.vCache(0), staging.device(tAt), staging.device(oAt), staging.device(lAt), s.batch(), s.heads(),
                s.kvHeads(), s.headDim(), s.blockSize(), scale, device.stream()));
        long bytes = 2L * s.batch() * s.context() * kvDim * (storage == DType.FP32 ? 4 : 2);
        double rate = bytes / (ms * 1e-3);
        device.synchronize();
        staging.release();
        kv.release();
        device.free(out);
        String name = String.format(Locale.ROOT, "paged attention %s, batch %d, context %d", storage.name()
                .toLowerCase(Locale.ROOT), s.batch(), s.context());
        return new Row(name, bytes, ms, "copy traffic (2 x DtoD bytes/s)", bytes / copyTraffic * 1e3,
                rate / copyTraffic, 0.5);
    }

    private static Row row(String op, long bytes, double ms, String baseline, double baselineMs, double goal) {
        return new Row(op, bytes, ms, baseline, baselineMs, baselineMs / ms, goal);
    }

    /** Median milliseconds of {@code work} queued on the stream, timed by events around it. */
    private double median(Runnable work) {
        for (int i = 0; i < WARMUP; i++) {
            work.run();
        }
        device.synchronize();
        double[] ms = new double[REPS];
        for (int i = 0; i < REPS; i++) {
            driver.eventRecord(start, device.stream());
            work.run();
            driver.eventRecord(end, device.stream());
            driver.eventSynchronize(end);
            ms[i] = driver.eventElapsedMillis(start, end);
        }
        Arrays.sort(ms);
        return Math.max(ms[REPS / 2], 1e-6);
    }

    /** The table as printed by gpu-check.sh. */
    public static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "  %-44s %10s %10s %11s   %-32s %11s %7s  %s%n", "operation", "bytes",
                "median", "rate", "baseline", "rate", "ratio", "goal"));
        for (Row r : rows) {
            double rate = r.bytes() / (r.millis() * 1e-3);
            double baseRate = r.bytes() / (r.baselineMillis() * 1e-3);
            sb.append(String.format(Locale.ROOT, "  %-44s %10s %8.3f ms %11s   %-32s %11s %7.2f  >= %.1f %s%n",
                    r.operation(), bytes(r.bytes()), r.millis(), rate(rate), r.baseline(), rate(baseRate), r.ratio(),
                    r.goal(), r.meetsGoal() ? "met" : "MISSED"));
        }
        return sb.toString();
    }

    private static String bytes(long b) {
        return b >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }

    private static String rate(double bytesPerSecond) {
        return String.format(Locale.ROOT, "%.1f GB/s", bytesPerSecond / 1e9);
    }
}
