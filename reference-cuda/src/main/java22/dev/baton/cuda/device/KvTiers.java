package dev.baton.cuda.device;

import dev.baton.accelerator.DType;
import dev.baton.accelerator.KvBlockAccess.Tier;
import dev.baton.cuda.driver.CudaDriver;
import dev.baton.cuda.driver.Memcpy2D;

import java.lang.foreign.MemorySegment;

/**
 * The KV memory of a CUDA device in fixed-size blocks, in the physical layout of
 * {@link dev.baton.accelerator.KvCacheLayout}, on two tiers.
 *
 * <h2>Device tier</h2>
 * One {@code cuMemAlloc_v2} holds the {@code 2 * layers} tensors back to back: tensor {@code 2l} is layer {@code l}'s
 * K, tensor {@code 2l + 1} its V, each {@code [numDeviceBlocks, blockSize, kvHeads, headDim]} row-major in the storage
 * type ({@code FP32}, or {@code BF16} for the standalone kernels). So block {@code b} is one {@code slabBytes} slab at
 * {@code base + t * tensorStride + b * slabBytes} in each tensor {@code t}. Block ids never move: a block table is valid
 * for as long as the pool lives. Block 0 is the null block; nothing here writes it.
 *
 * <h2>Host tier</h2>
 * One pinned allocation ({@code cuMemHostAlloc}) of {@code numHostBlocks} blocks of {@code bytesPerBlock} bytes, each
 * holding, for each layer in order, its K slab then its V slab: the byte order of
 * {@link dev.baton.accelerator.KvBlockAccess}.
 *
 * <h2>Moves</h2>
 * A swap moves one block with one {@code cuMemcpy2DAsync_v2}: {@code 2 * layers} rows of {@code slabBytes}, one tensor
 * apart on the device and consecutive on the host (with per-tensor {@code cuMemcpy*Async} calls instead when the tensor
 * stride exceeds the device's maximum pitch). A copy-on-write runs the copy kernel over (src, dst) pairs. Everything is
 * queued on the device's one stream, so moves and the forward pass run in plan order.
 *
 * <p>Confined to the device thread.
 */
final class KvTiers {

    private final CudaDevice device;
    private final CudaDriver driver;
    final int layers;
    final int blockSize;
    final int kvDim;
    final DType storage;
    final int numDeviceBlocks;
    final int numHostBlocks;
    final long slabBytes;
    final long tensorStride;
    final long bytesPerBlock;
    private final long base;
    private final MemorySegment host;
    private final MemorySegment blockStaging;
    private final Memcpy2D copy2d;

    KvTiers(CudaDevice device, int layers, int blockSize, int kvDim, DType storage, int numDeviceBlocks,
            int numHostBlocks) {
        if (storage != DType.FP32 && storage != DType.BF16) {
            throw new IllegalArgumentException("KV storage must be FP32 or BF16, got " + storage);
        }
        this.device = device;
        this.driver = device.driver();
        this.layers = layers;
        this.blockSize = blockSize;
        this.kvDim = kvDim;
        this.storage = storage;
        this.numDeviceBlocks = numDeviceBlocks;
        this.numHostBlocks = numHostBlocks;
        this.slabBytes = (long) blockSize * kvDim * (storage == DType.FP32 ? 4 : 2);
        this.tensorStride = slabBytes * numDeviceBlocks;
        this.bytesPerBlock = 2L * layers * slabBytes;
        this.base = device.alloc(2L * layers * tensorStride);
        driver.memsetAsync(base, (byte) 0, 2L * layers * tensorStride, device.stream());
        this.host = numHostBlocks > 0 ? device.pinned(numHostBlocks * bytesPerBlock) : null;
        this.blockStaging = device.pinned(bytesPerBlock);
        this.copy2d = new Memcpy2D(device.arena());
    }

    /** The device address of tensor {@code t} ({@code 2 * layer} for K, {@code 2 * layer + 1} for V). */
    long tensor(int t) {
        return base + t * tensorStride;
    }

    long kCache(int layer) {
        return tensor(2 * layer);
    }

    long vCache(int layer) {
        return tensor(2 * layer + 1);
    }

    /** The start of the device allocation (tensor 0). */
    long base() {
        return base;
    }

    /** Host block {@code id} of the pinned tier. */
    MemorySegment hostBlock(int id) {
        return host.asSlice(id * bytesPerBlock, bytesPerBlock);
    }

    /** The whole pinned tier, {@code numHostBlocks * bytesPerBlock} bytes. */
    MemorySegment hostTier() {
        return host;
    }

    /** Queues SWAP_OUT: device block {@code deviceBlock} to host block {@code hostBlock}. */
    void swapOut(int deviceBlock, int hostBlock) {
        toHost(deviceBlock, hostBlock(hostBlock));
    }

    /** Queues SWAP_IN: host block {@code hostBlock} to device block {@code deviceBlock}. */
    void swapIn(int hostBlock, int deviceBlock) {
        fromHost(hostBlock(hostBlock), deviceBlock);
    }

    private void toHost(int deviceBlock, MemorySegment dst) {
        long src = base + deviceBlock * slabBytes;
        if (tensorStride <= device.maxPitch()) {
            copy2d.set(null, src, tensorStride, dst, 0, slabBytes, slabBytes, 2L * layers);
            driver.copy2DAsync(copy2d.segment(), device.stream());
        } else {
            for (int t = 0; t < 2 * layers; t++) {
                driver.copyDtoHAsync(dst.asSlice(t * slabBytes, slabBytes), src + t * tensorStride, slabBytes,
                        device.stream());
            }
        }
    }

    private void fromHost(MemorySegment src, int deviceBlock) {
        long dst = base + deviceBlock * slabBytes;
        if (tensorStride <= device.maxPitch()) {
            copy2d.set(src, 0, slabBytes, null, dst, tensorStride, slabBytes, 2L * layers);
            driver.copy2DAsync(copy2d.segment(), device.stream());
        } else {
            for (int t = 0; t < 2 * layers; t++) {
                driver.copyHtoDAsync(dst + t * tensorStride, src.asSlice(t * slabBytes, slabBytes), slabBytes,
                        device.stream());
            }
        }
    }

    /** Queues the copy kernel over {@code numPairs} (src, dst) pairs at device address {@code pairs}. */
    void copyBlocks(long pairs, int numPairs) {
        device.kernels().copyBlocks(pairs, numPairs, base, tensorStride, 2 * layers, slabBytes, device.stream());
    }

    /** Frees the pool and the pinned tier (they are freed with the device otherwise). */
    void release() {
        device.synchronize();
        device.free(base);
        if (host != null) {
            device.freePinned(host);
        }
        device.freePinned(blockStaging);
    }

    /** Copies block {@code id} of {@code tier} into {@code dst} (host-tier byte order); synchronous. */
    void read(Tier tier, int id, MemorySegment dst) {
        if (tier == Tier.HOST) {
            device.synchronize();
            MemorySegment.copy(hostBlock(id), 0, dst, 0, bytesPerBlock);
            return;
        }
        toHost(id, blockStaging);
        device.synchronize();
        MemorySegment.copy(blockStaging, 0, dst, 0, bytesPerBlock);
    }

    /** Overwrites block {@code id} of {@code tier} from {@code src} (host-tier byte order); synchronous. */
    void write(Tier tier, int id, MemorySegment src) {
        device.synchronize();
        if (tier == Tier.HOST) {
            MemorySegment.copy(src, 0, hostBlock(id), 0, bytesPerBlock);
            return;
        }
        MemorySegment.copy(src, 0, blockStaging, 0, bytesPerBlock);
        fromHost(blockStaging, id);
        device.synchronize();
    }
}
