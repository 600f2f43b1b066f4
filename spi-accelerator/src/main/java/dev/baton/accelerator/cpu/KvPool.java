package dev.baton.accelerator.cpu;

import dev.baton.accelerator.KvBlockAccess;

import java.util.Arrays;

/**
 * The paged KV memory of the CPU device, in the physical layout of {@link dev.baton.accelerator.KvCacheLayout}.
 *
 * <h2>Layout</h2>
 * <ul>
 *   <li><b>Device tier</b>: per layer {@code l}, one float array for K ({@code k[l]}) and one for V ({@code v[l]}), each
 *   {@code [numDeviceBlocks, blockSize, kvHeads, headDim]} row-major. Token position {@code p} of a sequence with
 *   block table {@code t} has its K for KV head {@code h} at
 *   {@code k[l][((t[p / blockSize] * blockSize + p % blockSize) * kvHeads + h) * headDim ...]}. Block 0 is the null
 *   block: never written.</li>
 *   <li><b>Host tier</b>: one float array per host block, allocated on first use, holding for each layer in order the
 *   block's K slab then its V slab ({@code [blockSize, kvHeads, headDim]} each). A swap copies one contiguous slab per
 *   layer and per K/V.</li>
 *   <li><b>Bytes of a block</b> ({@link KvBlockAccess}): the host-tier order, each float little-endian IEEE 754
 *   binary32, {@code 2 * layers * blockSize * kvHeads * headDim * 4} bytes.</li>
 * </ul>
 *
 * <p>Confined to the device's thread.
 */
final class KvPool {

    final int layers;
    final int blockSize;
    final int kvDim;
    final int numDeviceBlocks;
    final int numHostBlocks;
    /** Floats of one block of one layer, K or V: {@code blockSize * kvDim}. */
    final int slab;
    final float[][] k;
    final float[][] v;
    private float[][] host;

    KvPool(int layers, int blockSize, int kvDim, int numDeviceBlocks, int numHostBlocks) {
        this.layers = layers;
        this.blockSize = blockSize;
        this.kvDim = kvDim;
        this.numDeviceBlocks = numDeviceBlocks;
        this.numHostBlocks = numHostBlocks;
        this.slab = blockSize * kvDim;
        long floats = (long) numDeviceBlocks * slab;
        if (floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(numDeviceBlocks + " device blocks of " + blockSize + " tokens need "
                    + floats + " floats per layer, more than one Java array holds; lower num-gpu-blocks-override"
                    + " (or cpu.kv-blocks) to at most " + (Integer.MAX_VALUE - 8) / slab);
        }
        this.k = new float[layers][(int) floats];
        this.v = new float[layers][(int) floats];
        this.host = new float[Math.min(numHostBlocks, 64)][];
    }

    /** Floats of one block over all layers, K and V. */
    int blockFloats() {
        return 2 * layers * slab;
    }

    void swapOut(int deviceBlock, int hostBlock) {
        float[] h = hostBlock(hostBlock, true);
        int off = deviceBlock * slab;
        for (int l = 0; l < layers; l++) {
            System.arraycopy(k[l], off, h, 2 * l * slab, slab);
            System.arraycopy(v[l], off, h, (2 * l + 1) * slab, slab);
        }
    }

    void swapIn(int hostBlock, int deviceBlock) {
        float[] h = hostBlock(hostBlock, true);
        int off = deviceBlock * slab;
        for (int l = 0; l < layers; l++) {
            System.arraycopy(h, 2 * l * slab, k[l], off, slab);
            System.arraycopy(h, (2 * l + 1) * slab, v[l], off, slab);
        }
    }

    void copy(int src, int dst) {
        for (int l = 0; l < layers; l++) {
            System.arraycopy(k[l], src * slab, k[l], dst * slab, slab);
            System.arraycopy(v[l], src * slab, v[l], dst * slab, slab);
        }
    }

    /** Copies block {@code block} of {@code tier} into {@code dst} in the host-tier order. */
    void read(KvBlockAccess.Tier tier, int block, float[] dst) {
        if (tier == KvBlockAccess.Tier.HOST) {
            float[] h = hostBlock(block, false);
            if (h == null) {
                Arrays.fill(dst, 0, blockFloats(), 0f);
            } else {
                System.arraycopy(h, 0, dst, 0, blockFloats());
            }
            return;
        }
        int off = block * slab;
        for (int l = 0; l < layers; l++) {
            System.arraycopy(k[l], off, dst, 2 * l * slab, slab);
            System.arraycopy(v[l], off, dst, (2 * l + 1) * slab, slab);
        }
    }

    /** Overwrites block {@code block} of {@code tier} from {@code src} in the host-tier order. */
    void write(KvBlockAccess.Tier tier, int block, float[] src) {
        if (tier == KvBlockAccess.Tier.HOST) {
            System.arraycopy(src, 0, hostBlock(block, true), 0, blockFloats());
            return;
        }
        int off = block * slab;
        for (int l = 0; l < layers; l++) {
            System.arraycopy(src, 2 * l * slab, k[l], off, slab);
            System.arraycopy(src, (2 * l + 1) * slab, v[l], off, slab);
        }
    }

    private float[] hostBlock(int id, boolean create) {
        if (id >= host.length) {
            if (!create) {
                return null;
            }
            int n = host.length;
            while (n <= id) {
                n = (int) Math.min(numHostBlocks, Math.max(16L, 2L * n));
            }
            host = Arrays.copyOf(host, n);
        }
        float[] h = host[id];
        if (h == null && create) {
            h = new float[blockFloats()];
            host[id] = h;
        }
        return h;
    }
}
