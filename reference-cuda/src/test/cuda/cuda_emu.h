// A small CUDA emulator for the host, so that tests run src/main/cuda/baton_kernels.cu without a GPU.
//
// Force-included (-include cuda_emu.h) when the kernels are compiled by a host C++ compiler for the fake driver
// (fake_libcuda.cpp). It maps the CUDA built-ins the kernels use onto a cooperative scheduler: every CUDA thread of a
// block is a fiber (a hand-written context switch on x86-64, ucontext elsewhere), __syncthreads parks it until every
// live thread of the block arrives, __syncwarp and __shfl_xor_sync until every live lane of its warp does; threads
// waiting at different barriers are reported as a deadlock. Blocks run one after another, so __shared__ arrays become
// function-local statics. Kernels registered as "simple" (no barriers) run their threads as plain calls, without
// fibers; a barrier in such a kernel is reported as an emulation error. What it cannot show: races that only real
// concurrency exposes, memory-model subtleties, and speed.
//
// Floating point: compile with -ffp-contract=off so that, like nvcc -fmad=false and like Java, a * b + c rounds twice.
#pragma once

#define BATON_CUDA_EMULATION 1

#include <cmath>
#include <cstdint>
#include <cstring>
#include <math.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)

struct uint3 {
    unsigned int x, y, z;
};

struct dim3 {
    unsigned int x, y, z;
};

struct uint4 {
    unsigned int x, y, z, w;
};

namespace emu {

struct ThreadContext {
    uint3 thread;
    uint3 block;
    dim3 blockShape;
    dim3 gridShape;
    int linear;  // the thread index flattened: x + y * blockDim.x + z * blockDim.x * blockDim.y
};

extern ThreadContext* current;

void syncthreads();
void syncwarp();
std::uint64_t exchange(std::uint64_t bits, int laneMask);

template <typename T>
T shfl_xor(T v, int laneMask) {
    static_assert(sizeof(T) <= 8, "shuffle of at most 8 bytes");
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    std::uint64_t got = exchange(bits, laneMask);
    T r;
    std::memcpy(&r, &got, sizeof(T));
    return r;
}

}  // namespace emu

#define threadIdx (emu::current->thread)
#define blockIdx (emu::current->block)
#define blockDim (emu::current->blockShape)
#define gridDim (emu::current->gridShape)

inline void __syncthreads() {
    emu::syncthreads();
}

inline void __syncwarp(unsigned int mask = 0xffffffffu) {
    (void) mask;
    emu::syncwarp();
}

template <typename T>
inline T __shfl_xor_sync(unsigned int mask, T v, int laneMask) {
    (void) mask;
    return emu::shfl_xor(v, laneMask);
}

inline int min(int a, int b) {
    return a < b ? a : b;
}

inline int max(int a, int b) {
    return a > b ? a : b;
}
