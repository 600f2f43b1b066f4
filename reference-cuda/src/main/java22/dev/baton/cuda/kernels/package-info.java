/**
 * The kernels compiled from {@code src/main/cuda}: the fatbin ({@link dev.baton.cuda.kernels.KernelImage}), their
 * parameter declarations ({@link dev.baton.cuda.kernels.Kernel}), argument packing for {@code cuLaunchKernel}
 * ({@link dev.baton.cuda.kernels.KernelArgs}), and typed launches of the standalone operations (block copy, K/V write,
 * paged-attention decode, draft verification) in {@link dev.baton.cuda.kernels.BatonKernels}.
 */
package dev.baton.cuda.kernels;
