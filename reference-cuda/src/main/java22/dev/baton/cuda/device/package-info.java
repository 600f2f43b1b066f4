/**
 * A CUDA device running Baton's plans: the {@link dev.baton.cuda.device.CudaAccelerator} (the CPU reference device's
 * transformer on the GPU, its KV pool on two tiers, block moves, sampling shared with the CPU device) and the entry
 * points the JDK 17 provider calls ({@link dev.baton.cuda.device.CudaBinding}).
 */
package dev.baton.cuda.device;
