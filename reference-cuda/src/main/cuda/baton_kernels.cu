// Kernels of Baton's reference CUDA binding (reference-cuda).
//
// Built by build-fatbin.sh with nvcc 13 into src/main/resources/dev/baton/cuda/kernels/baton_kernels.fatbin
// (sm_90 SASS, compute_90 and compute_80 PTX, -fmad=false) and loaded at run time with cuModuleLoadData. The Java side
// declares every kernel's parameters in dev.baton.cuda.kernels.Kernel; a test checks those declarations against the
// signatures below, and another compiles this file for the host with src/test/cuda/cuda_emu.h (a small CUDA
// emulator) to run the kernels without a GPU. Kernels therefore use only what that emulator provides: threadIdx,
// blockIdx, blockDim, gridDim, __syncthreads, __syncwarp, __shfl_xor_sync over a full warp, statically sized
// __shared__ arrays, and the C math library.
//
// KV layout (dev.baton.accelerator.KvCacheLayout): per layer, K and V are each [numBlocks, blockSize, kvHeads, headDim]
// row-major; token position p of a sequence with block table t lives at row t[p / blockSize] * blockSize +
// p % blockSize. The device pool is one allocation holding the 2 * layers tensors back to back (layer l's K is tensor
// 2l, its V tensor 2l + 1), so one block of one tensor (a "slab") is blockSize * kvHeads * headDim elements.
//
// Arithmetic: compiled with -fmad=false, so a * b + c rounds twice as in Java. The baton_model_* kernels compute
// every output with one thread in exactly the order of the CPU reference device (dev.baton.accelerator.cpu.Kernels),
// which makes them bit-identical to it except where a double-precision exp differs from Java's Math.exp in the last
// place (the result is then rounded to float, so that almost never shows). Every kernel computes each output row
// from its own inputs only, so results never depend on what else is in the batch.

#if !defined(__CUDACC__) && !defined(BATON_CUDA_EMULATION)
#error "compile with nvcc, or for the host with -include cuda_emu.h"
#endif

#define BATON_WARP 32

// ------------------------------------------------------------------------------------------------------------------
// (a) Copy-on-write: copy whole blocks by (src, dst) id pairs, in every layer's K and V.

// Grid: (numPairs, numTensors). Block: any multiple of 32 threads (256 is used). Pairs must not overlap: no dst may
// be the src or dst of another pair of the same launch (the host splits runs of COPY moves at such conflicts).
extern "C" __global__ void baton_copy_blocks(const int* pairs, int numPairs, unsigned char* base, long long tensorStride,
                                             int numTensors, long long slabBytes) {
    const int pair = blockIdx.x;
    const int tensor = blockIdx.y;
    if (pair >= numPairs || tensor >= numTensors) {
        return;
    }
    unsigned char* t = base + (long long) tensor * tensorStride;
    const unsigned char* src = t + (long long) pairs[2 * pair] * slabBytes;
    unsigned char* dst = t + (long long) pairs[2 * pair + 1] * slabBytes;
    if ((slabBytes & 15) == 0 && (tensorStride & 15) == 0) {
        // Pairs never overlap, so the copy may keep several loads in flight (__restrict__).
        const uint4* __restrict__ s = reinterpret_cast<const uint4*>(src);
        uint4* __restrict__ d = reinterpret_cast<uint4*>(dst);
        const long long n = slabBytes >> 4;
#pragma unroll 4
        for (long long i = threadIdx.x; i < n; i += blockDim.x) {
            d[i] = s[i];
        }
    } else {
        // Slabs are whole 4-byte words: fp32 elements, or an even number of bf16 ones (headDim is even).
        const unsigned int* __restrict__ s = reinterpret_cast<const unsigned int*>(src);
        unsigned int* __restrict__ d = reinterpret_cast<unsigned int*>(dst);
        const long long n = slabBytes >> 2;
        for (long long i = threadIdx.x; i < n; i += blockDim.x) {
            d[i] = s[i];
        }
    }
}

// ------------------------------------------------------------------------------------------------------------------
// bfloat16 storage: the upper half of a float32, rounded to nearest even (NaN stays NaN).

__device__ __forceinline__ float baton_bf16_to_float(unsigned short h) {
    unsigned int bits = ((unsigned int) h) << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

__device__ __forceinline__ unsigned short baton_float_to_bf16(float f) {
    unsigned int bits;
    memcpy(&bits, &f, 4);
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0) {
        return (unsigned short) ((bits >> 16) | 0x40u);
    }
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (unsigned short) (bits >> 16);
}

__device__ __forceinline__ float baton_load(const float* p, long long i) {
    return p[i];
}

__device__ __forceinline__ float baton_load(const unsigned short* p, long long i) {
    return baton_bf16_to_float(p[i]);
}

__device__ __forceinline__ void baton_store(float* p, long long i, float v) {
    p[i] = v;
}

__device__ __forceinline__ void baton_store(unsigned short* p, long long i, float v) {
    p[i] = baton_float_to_bf16(v);
}

// ------------------------------------------------------------------------------------------------------------------
// (b) Write a step's new K and V rows into the paged pool at the slots the plan names.

// k, v: [rows, kvDim] float32. slots[r] = block * blockSize + offset of row r (from the sequence's block table);
// a negative slot skips the row. Any 1-D grid; the kernel strides over rows * kvDim elements.
template <typename T>
__device__ void baton_write_kv(const float* k, const float* v, T* kCache, T* vCache, const long long* slots, int rows,
                               int kvDim) {
    const long long total = (long long) rows * kvDim;
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (long long) gridDim.x * blockDim.x) {
        const long long r = i / kvDim;
        const long long e = i - r * kvDim;
        const long long slot = slots[r];
        if (slot >= 0) {
            baton_store(kCache, slot * kvDim + e, k[i]);
            baton_store(vCache, slot * kvDim + e, v[i]);
        }
    }
}

extern "C" __global__ void baton_write_kv_f32(const float* k, const float* v, float* kCache, float* vCache,
                                              const long long* slots, int rows, int kvDim) {
    baton_write_kv(k, v, kCache, vCache, slots, rows, kvDim);
}

extern "C" __global__ void baton_write_kv_bf16(const float* k, const float* v, unsigned short* kCache,
                                               unsigned short* vCache, const long long* slots, int rows, int kvDim) {
    baton_write_kv(k, v, kCache, vCache, slots, rows, kvDim);
}

// ------------------------------------------------------------------------------------------------------------------
// (c) Paged-attention decode: one query row per sequence position over the KV of positions [0, len), read through
// the row's block table, grouped-query (heads / kvHeads query heads share one KV head).
//
// Grid: (numRows, kvHeads); block: BATON_ATT_THREADS threads. One CUDA block serves one (row, KV head) and its group
// of query heads, so every K and V element of the row's context is read from memory once. The context is walked in
// tiles of BATON_ATT_TILE positions with an online softmax (running max and sum, Milakov & Gimelshein 2018, as in
// FlashAttention and vLLM's paged attention): a warp computes the scores of one position (lanes split headDim), the
// softmax update runs one warp per query head, and the weighted sum of V rows runs one thread per (head dimension,
// position parity). The order of every sum depends only on len, so a row's result does not depend on the batch.
// Requires heads / kvHeads <= BATON_ATT_MAX_GROUP and headDim <= BATON_ATT_MAX_DIM.

#define BATON_ATT_THREADS 256
#define BATON_ATT_WARPS (BATON_ATT_THREADS / BATON_WARP)
#define BATON_ATT_TILE 256
#define BATON_ATT_MAX_GROUP 8
#define BATON_ATT_MAX_DIM 256
#define BATON_ATT_UNROLL 4

__device__ __forceinline__ float baton_warp_sum(float v) {
    for (int m = BATON_WARP / 2; m > 0; m >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, m);
    }
    return v;
}

__device__ __forceinline__ float baton_warp_max(float v) {
    for (int m = BATON_WARP / 2; m > 0; m >>= 1) {
        const float o = __shfl_xor_sync(0xffffffffu, v, m);
        v = o > v ? o : v;
    }
    return v;
}

__device__ __forceinline__ long long baton_kv_row(const int* table, int p, int blockSize) {
    return (long long) table[p / blockSize] * blockSize + p % blockSize;
}

template <typename T>
__device__ void baton_paged_attention(float* __restrict__ out, const float* __restrict__ q,
                                      const T* __restrict__ kCache, const T* __restrict__ vCache,
                                      const int* __restrict__ tables, const int* __restrict__ tableOffsets,
                                      const int* __restrict__ contextLens, int heads, int kvHeads, int headDim,
                                      int blockSize, float scale) {
    __shared__ float sQ[BATON_ATT_MAX_GROUP * BATON_ATT_MAX_DIM];
    __shared__ float sW[BATON_ATT_MAX_GROUP * BATON_ATT_TILE];
    __shared__ float sPart[BATON_ATT_THREADS * BATON_ATT_MAX_GROUP];
    __shared__ float sMax[BATON_ATT_MAX_GROUP];
    __shared__ float sSum[BATON_ATT_MAX_GROUP];
    __shared__ float sAlpha[BATON_ATT_MAX_GROUP];

    const int row = blockIdx.x;
    const int g = blockIdx.y;
    const int group = heads / kvHeads;
    const int tid = threadIdx.x;
    const int lane = tid % BATON_WARP;
    const int warp = tid / BATON_WARP;
    const int len = contextLens[row];
    const int* table = tables + tableOffsets[row];
    const long long kvDim = (long long) kvHeads * headDim;
    const long long headBase = (long long) g * headDim;

    for (int i = tid; i < group * headDim; i += BATON_ATT_THREADS) {
        sQ[i] = q[((long long) row * heads + (long long) g * group) * headDim + i];
    }
    if (tid < group) {
        sMax[tid] = -INFINITY;
        sSum[tid] = 0.0f;
    }
    // Weighted-sum mapping: thread tid owns dimension d of positions part, part + parts, ... of each tile.
    const int parts = BATON_ATT_THREADS / headDim;
    const int d = tid % headDim;
    const int part = tid / headDim;
    const bool accumulates = part < parts;
    float acc[BATON_ATT_MAX_GROUP];
#pragma unroll
    for (int h = 0; h < BATON_ATT_MAX_GROUP; h++) {
        acc[h] = 0.0f;
    }
    __syncthreads();

    for (int t0 = 0; t0 < len; t0 += BATON_ATT_TILE) {
        const int tileLen = min(BATON_ATT_TILE, len - t0);
        // 1. Scores: warp w takes positions w, w + WARPS, ...; BATON_ATT_UNROLL positions at a time keep loads in flight.
        //    Loops over heads run to the constant BATON_ATT_MAX_GROUP so that the partial sums stay in registers.
        for (int j0 = warp * BATON_ATT_UNROLL; j0 < tileLen; j0 += BATON_ATT_WARPS * BATON_ATT_UNROLL) {
            float dots[BATON_ATT_UNROLL][BATON_ATT_MAX_GROUP];
#pragma unroll
            for (int u = 0; u < BATON_ATT_UNROLL; u++) {
#pragma unroll
                for (int h = 0; h < BATON_ATT_MAX_GROUP; h++) {
                    dots[u][h] = 0.0f;
                }
            }
#pragma unroll
            for (int u = 0; u < BATON_ATT_UNROLL; u++) {
                const int j = j0 + u;
                if (j < tileLen) {
                    const long long base = baton_kv_row(table, t0 + j, blockSize) * kvDim + headBase;
                    for (int e = lane; e < headDim; e += BATON_WARP) {
                        const float kv = baton_load(kCache, base + e);
#pragma unroll
                        for (int h = 0; h < BATON_ATT_MAX_GROUP; h++) {
                            if (h < group) {
                                dots[u][h] += sQ[h * headDim + e] * kv;
                            }
                        }
                    }
                }
            }
#pragma unroll
            for (int u = 0; u < BATON_ATT_UNROLL; u++) {
                const int j = j0 + u;
#pragma unroll
                for (int h = 0; h < BATON_ATT_MAX_GROUP; h++) {
                    if (h < group) {
                        const float s = baton_warp_sum(dots[u][h]);
                        if (lane == 0 && j < tileLen) {
                            sW[h * BATON_ATT_TILE + j] = s * scale;
                        }
                    }
                }
            }
        }
        __syncthreads();
        // 2. Online softmax: warp h updates head h's running max and sum and turns scores into weights.
        for (int h = warp; h < group; h += BATON_ATT_WARPS) {
            float m = -INFINITY;
            for (int j = lane; j < tileLen; j += BATON_WARP) {
                const float s = sW[h * BATON_ATT_TILE + j];
                m = s > m ? s : m;
            }
            m = baton_warp_max(m);
            const float old = sMax[h];
            const float mNew = old > m ? old : m;
            float sum = 0.0f;
            for (int j = lane; j < tileLen; j += BATON_WARP) {
                const float e = expf(sW[h * BATON_ATT_TILE + j] - mNew);
                sW[h * BATON_ATT_TILE + j] = e;
                sum += e;
            }
            sum = baton_warp_sum(sum);
            if (lane == 0) {
                const float alpha = expf(old - mNew);
                sAlpha[h] = alpha;
                sSum[h] = sSum[h] * alpha + sum;
                sMax[h] = mNew;
            }
        }
        __syncthreads();
        // 3. Weighted sum of V rows.
        if (accumulates) {
#pragma unroll
            for (int h = 0; h < BATON_ATT_MAX_GROUP; h++) {
                if (h < group) {
                    acc[h] *= sAlpha[h];
                }
            }
            for (int j0 = part; j0 < tileLen; j0 += parts * BATON_ATT_UNROLL) {
                float vals[BATON_ATT_UNROLL];
#pragma unroll
                for (int u = 0; u < BATON_ATT_UNROLL; u++) {
                    const int j = j0 + u * parts;
                    vals[u] = j < tileLen
                            ? baton_load(vCache, baton_kv_row(table, t0 + j, blockSize) * kvDim + headBase + d)
                            : 0.0f;
                }
#pragma unroll
                for (int u = 0; u < BATON_ATT_UNROLL; u++) {
                    const int j = j0 + u * parts;
                    if (j < tileLen) {
#pragma unroll
                        for (int h = 0; h < BATON_ATT_MAX_GROUP; h++) {
                            if (h < group) {
                                acc[h] += sW[h * BATON_ATT_TILE + j] * vals[u];
                            }
                        }
                    }
                }
            }
        }
        __syncthreads();
    }
    // Combine the parts in a fixed order and normalise.
    if (accumulates) {
#pragma unroll
        for (int h = 0; h < BATON_ATT_MAX_GROUP; h++) {
            if (h < group) {
                sPart[(part * BATON_ATT_MAX_GROUP + h) * headDim + d] = acc[h];
            }
        }
    }
    __syncthreads();
    for (int i = tid; i < group * headDim; i += BATON_ATT_THREADS) {
        const int h = i / headDim;
        const int dd = i - h * headDim;
        float total = 0.0f;
        for (int p = 0; p < parts; p++) {
            total += sPart[(p * BATON_ATT_MAX_GROUP + h) * headDim + dd];
        }
        out[((long long) row * heads + (long long) g * group + h) * headDim + dd] = total / sSum[h];
    }
}

// q, out: [numRows, heads, headDim] float32. Row r attends positions [0, contextLens[r]) through the block table at
// tables[tableOffsets[r] ..]. kCache, vCache: one layer's K and V tensors.
extern "C" __global__ void baton_paged_attention_f32(float* out, const float* q, const float* kCache,
                                                     const float* vCache, const int* tables, const int* tableOffsets,
                                                     const int* contextLens, int heads, int kvHeads, int headDim,
                                                     int blockSize, float scale) {
    baton_paged_attention(out, q, kCache, vCache, tables, tableOffsets, contextLens, heads, kvHeads, headDim, blockSize,
                          scale);
}

extern "C" __global__ void baton_paged_attention_bf16(float* out, const float* q, const unsigned short* kCache,
                                                      const unsigned short* vCache, const int* tables,
                                                      const int* tableOffsets, const int* contextLens, int heads,
                                                      int kvHeads, int headDim, int blockSize, float scale) {
    baton_paged_attention(out, q, kCache, vCache, tables, tableOffsets, contextLens, heads, kvHeads, headDim, blockSize,
                          scale);
}

// ------------------------------------------------------------------------------------------------------------------
// (d) Speculative decoding: the acceptance rule of dev.baton.accelerator.sampling.RejectionSampler, draw for draw, on
// the counter-based stream of dev.baton.accelerator.sampling.SamplingStream (SplitMix64; see its Javadoc).

#define BATON_GOLDEN 0x9E3779B97F4A7C15ull
#define BATON_PURPOSE_STEP 0xD1B54A32D192ED03ull
#define BATON_SAMPLE 0
#define BATON_ACCEPT 1
#define BATON_RECOVER 2
#define BATON_VERIFY_THREADS 256
#define BATON_GREEDY 1
#define BATON_HAS_DRAFT_ROWS 2

__device__ __forceinline__ unsigned long long baton_mix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

__device__ __forceinline__ unsigned long long baton_stream_key(long long seed, int position, int purpose) {
    const unsigned long long p = (unsigned long long) ((long long) position + 1);
    const unsigned long long k = baton_mix64((unsigned long long) seed + BATON_GOLDEN * p);
    return baton_mix64(k + BATON_PURPOSE_STEP * (unsigned long long) (purpose + 1));
}

__device__ __forceinline__ double baton_uniform(unsigned long long key, int index) {
    const unsigned long long bits = baton_mix64(key + BATON_GOLDEN * (unsigned long long) ((long long) index + 1));
    return (double) (bits >> 11) * 0x1.0p-53;
}

// The better of two (score, id) candidates: the higher score, ties to the lower id; id -1 is no candidate.
__device__ __forceinline__ bool baton_better(double s, int id, double bestS, int bestId) {
    if (id < 0) {
        return false;
    }
    if (bestId < 0) {
        return true;
    }
    return s > bestS || (s == bestS && id < bestId);
}

// Block-wide pick of the best (score, id); the winner is the same whatever the reduction order, since the order is
// total. Every thread of the block must call it; all get the result.
__device__ int baton_block_best(double s, int id, double* sS, int* sId) {
    const int tid = threadIdx.x;
    sS[tid] = s;
    sId[tid] = id;
    __syncthreads();
    for (int stride = BATON_VERIFY_THREADS / 2; stride > 0; stride >>= 1) {
        if (tid < stride && baton_better(sS[tid + stride], sId[tid + stride], sS[tid], sId[tid])) {
            sS[tid] = sS[tid + stride];
            sId[tid] = sId[tid + stride];
        }
        __syncthreads();
    }
    const int best = sId[0];
    __syncthreads();
    return best;
}

// The exponential race of SamplingStream.race over w[0 .. vocab): argmax of w(v) / E(v) over w(v) > 0, with
// E(v) = -log(1 - uniform(key, v)); a candidate must beat the race's starting score -1, as in the Java loop.
// mode 0: w = p; mode 1: w = max(0, p - q) (float); mode 2: w = p with the draft x's one-hot mass removed.
__device__ int baton_race(const float* p, const float* qRow, int x, int mode, int vocab, unsigned long long key,
                          double* sS, int* sId) {
    double best = 0.0;
    int bestId = -1;
    for (int v = threadIdx.x; v < vocab; v += BATON_VERIFY_THREADS) {
        float w = p[v];
        if (mode == 1) {
            const float r = p[v] - qRow[v];
            w = r > 0.0f ? r : 0.0f;
        } else if (mode == 2) {
            const float r = v == x ? p[v] - 1.0f : p[v];
            w = r > 0.0f ? r : 0.0f;
        }
        if (w > 0.0f) {
            const double e = -log(1.0 - baton_uniform(key, v));
            const double score = (double) w / e;
            if (score > -1.0 && baton_better(score, v, best, bestId)) {
                best = score;
                bestId = v;
            }
        }
    }
    return baton_block_best(best, bestId, sS, sId);
}

// The argmax of row[0 .. vocab), ties to the lowest index (TokenSampler.argmax); rows must hold no NaN.
__device__ int baton_row_argmax(const float* row, int vocab, double* sS, int* sId) {
    double best = 0.0;
    int bestId = -1;
    for (int v = threadIdx.x; v < vocab; v += BATON_VERIFY_THREADS) {
        if (baton_better((double) row[v], v, best, bestId)) {
            best = row[v];
            bestId = v;
        }
    }
    return baton_block_best(best, bestId, sS, sId);
}

// One block of BATON_VERIFY_THREADS threads per request r (grid: numRequests). Request r has
// k = draftStart[r + 1] - draftStart[r] drafts at drafts[draftStart[r] ..], k + 1 target rows of vocab probabilities
// from row draftStart[r] + r of target, and (with flag BATON_HAS_DRAFT_ROWS) k draft rows from row draftStart[r] of
// draftRows. Its first draft sits at sequence position firstPositions[r]. It writes 1 .. k + 1 tokens from
// outTokens[draftStart[r] + r] and their number to outCounts[r] (-1 when a target row has no positive entry).
// Greedy requests (flag BATON_GREEDY) take the argmax of each target row.
extern "C" __global__ void baton_verify_drafts(int vocab, const int* draftStart, const int* drafts, const float* target,
                                               const float* draftRows, const long long* seeds,
                                               const int* firstPositions, const int* flags, int* outTokens,
                                               int* outCounts) {
    __shared__ double sS[BATON_VERIFY_THREADS];
    __shared__ int sId[BATON_VERIFY_THREADS];
    __shared__ int sStop;
    __shared__ int sRejected;

    const int r = blockIdx.x;
    const int first = draftStart[r];
    const int k = draftStart[r + 1] - first;
    const float* p = target + (long long) (first + r) * vocab;
    const bool hasQ = (flags[r] & BATON_HAS_DRAFT_ROWS) != 0;
    const float* q = hasQ ? draftRows + (long long) first * vocab : nullptr;
    const int* x = drafts + first;
    int* out = outTokens + first + r;
    const long long seed = seeds[r];
    const int position = firstPositions[r];

    if ((flags[r] & BATON_GREEDY) != 0) {
        for (int j = 0; j <= k; j++) {
            const int t = baton_row_argmax(p + (long long) j * vocab, vocab, sS, sId);
            if (threadIdx.x == 0) {
                out[j] = t;
            }
            if (j == k || x[j] != t) {
                if (threadIdx.x == 0) {
                    outCounts[r] = j + 1;
                }
                return;
            }
        }
        return;
    }
    if (threadIdx.x == 0) {
        int stop = k;
        int rejected = -1;
        for (int j = 0; j < k; j++) {
            const int xj = x[j];
            const bool isToken = xj >= 0 && xj < vocab;
            if (isToken) {
                const double px = (double) p[(long long) j * vocab + xj];
                const double qx = hasQ ? (double) q[(long long) j * vocab + xj] : 1.0;
                const double u = baton_uniform(baton_stream_key(seed, position + j, BATON_ACCEPT), 0);
                if (qx > 0.0 && u < px / qx) {
                    out[j] = xj;
                    continue;
                }
            }
            stop = j;
            rejected = isToken ? xj : -1;
            break;
        }
        sStop = stop;
        sRejected = rejected;
    }
    __syncthreads();
    const int stop = sStop;
    const float* row = p + (long long) stop * vocab;
    int token;
    if (stop < k) {
        const unsigned long long key = baton_stream_key(seed, position + stop, BATON_RECOVER);
        token = hasQ ? baton_race(row, q + (long long) stop * vocab, -1, 1, vocab, key, sS, sId)
                     : baton_race(row, nullptr, sRejected, 2, vocab, key, sS, sId);
        if (token < 0) {
            token = baton_race(row, nullptr, -1, 0, vocab, key, sS, sId);
        }
    } else {
        token = baton_race(row, nullptr, -1, 0, vocab, baton_stream_key(seed, position + k, BATON_SAMPLE), sS, sId);
    }
    if (threadIdx.x == 0) {
        out[stop] = token;
        outCounts[r] = token < 0 ? -1 : stop + 1;
    }
}

// ------------------------------------------------------------------------------------------------------------------
// The CPU reference transformer (dev.baton.accelerator.cpu.ForwardPass) on the GPU: one thread per output element,
// each computed in exactly the order of dev.baton.accelerator.cpu.Kernels. All 1-D grids stride over their outputs.

#define BATON_FOR_EACH(i, total) \
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (total); \
         i += (long long) gridDim.x * blockDim.x)

// Kernels.dot: four interleaved partial sums combined as (s0 + s1) + (s2 + s3), then the tail in order.
__device__ __forceinline__ float baton_dot(const float* a, const float* b, int n) {
    float s0 = 0.0f;
    float s1 = 0.0f;
    float s2 = 0.0f;
    float s3 = 0.0f;
    int i = 0;
    for (; i + 3 < n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    float s = (s0 + s1) + (s2 + s3);
    for (; i < n; i++) {
        s += a[i] * b[i];
    }
    return s;
}

// x[r, :] = embedding[tokens[r], :] for rows * hidden elements.
extern "C" __global__ void baton_model_embed(float* x, const float* embedding, const int* tokens, int rows,
                                             int hidden) {
    BATON_FOR_EACH(i, (long long) rows * hidden) {
        const long long r = i / hidden;
        x[i] = embedding[(long long) tokens[r] * hidden + (i - r * hidden)];
    }
}

// Kernels.rmsNorm, one thread per output row: y[o, :] = x[src, :] * inv * gain with src = rowIndex[o] (or o when
// rowIndex is null) and inv = (float) (1 / sqrt(dot(x, x) / n + eps)) in double.
extern "C" __global__ void baton_model_rmsnorm(float* y, const float* x, const float* gain, const int* rowIndex,
                                               int rows, int n, float eps) {
    BATON_FOR_EACH(o, rows) {
        const long long src = rowIndex == nullptr ? o : rowIndex[o];
        const float* xr = x + src * n;
        float* yr = y + o * n;
        const float ms = baton_dot(xr, xr, n) / n;
        const float inv = (float) (1.0 / sqrt((double) (ms + eps)));
        for (int i = 0; i < n; i++) {
            yr[i] = xr[i] * inv * gain[i];
        }
    }
}

// Kernels.matmul: y[r, j] = dot(x[r, :], w[j, :]) for x [rows, in] and w [out, in].
extern "C" __global__ void baton_model_matmul(float* y, const float* x, const float* w, int rows, int in, int out) {
    BATON_FOR_EACH(i, (long long) rows * out) {
        const long long r = i / out;
        const long long j = i - r * out;
        y[i] = baton_dot(x + r * in, w + j * in, in);
    }
}

// Kernels.rope on rows of numHeads heads: element e pairs with e + headDim / 2, rotated by the angle of the row's
// position (cos/sin[position * headDim / 2 + e]).
extern "C" __global__ void baton_model_rope(float* x, const int* positions, const float* cosTable,
                                            const float* sinTable, int rows, int numHeads, int headDim) {
    const int half = headDim / 2;
    BATON_FOR_EACH(i, (long long) rows * numHeads * half) {
        const long long r = i / ((long long) numHeads * half);
        const long long rest = i - r * numHeads * half;
        const long long h = rest / half;
        const int e = (int) (rest - h * half);
        const long long t = (long long) positions[r] * half + e;
        const float c = cosTable[t];
        const float s = sinTable[t];
        float* base = x + (r * numHeads + h) * headDim;
        const float x1 = base[e];
        const float x2 = base[e + half];
        base[e] = x1 * c - x2 * s;
        base[e + half] = x2 * c + x1 * s;
    }
}

// Attention scores of Kernels.attendPaged, one thread per (row, head): w[(r * heads + h) * stride + p] =
// (float) exp(s_p - max) with s_p = dot(q_h, k_p) * scale for p < contextLens[r], and sums[r * heads + h] = the sum
// of those weights in position order.
extern "C" __global__ void baton_model_attn_scores(float* w, float* sums, const float* q, const float* kCache,
                                                   const int* tables, const int* tableOffsets,
                                                   const int* contextLens, int rows, int heads, int kvHeads,
                                                   int headDim, int blockSize, float scale, int stride) {
    const int group = heads / kvHeads;
    const long long kvDim = (long long) kvHeads * headDim;
    BATON_FOR_EACH(i, (long long) rows * heads) {
        const long long r = i / heads;
        const int h = (int) (i - r * heads);
        const int len = contextLens[r];
        const int* table = tables + tableOffsets[r];
        const float* qh = q + i * headDim;
        float* wr = w + i * stride;
        const long long kvOff = (long long) (h / group) * headDim;
        for (int p = 0; p < len; p++) {
            wr[p] = baton_dot(qh, kCache + baton_kv_row(table, p, blockSize) * kvDim + kvOff, headDim) * scale;
        }
        float max = -INFINITY;
        for (int p = 0; p < len; p++) {
            max = wr[p] > max ? wr[p] : max;
        }
        float sum = 0.0f;
        for (int p = 0; p < len; p++) {
            const float e = (float) exp((double) (wr[p] - max));
            wr[p] = e;
            sum += e;
        }
        sums[i] = sum;
    }
}

// The weighted sum of Kernels.attendPaged, one thread per (row, head, d): out = (sum_p w_p v_p[d]) * (1 / sum).
extern "C" __global__ void baton_model_attn_output(float* out, const float* w, const float* sums, const float* vCache,
                                                   const int* tables, const int* tableOffsets,
                                                   const int* contextLens, int rows, int heads, int kvHeads,
                                                   int headDim, int blockSize, int stride) {
    const int group = heads / kvHeads;
    const long long kvDim = (long long) kvHeads * headDim;
    BATON_FOR_EACH(i, (long long) rows * heads * headDim) {
        const long long rh = i / headDim;
        const int d = (int) (i - rh * headDim);
        const long long r = rh / heads;
        const int h = (int) (rh - r * heads);
        const int len = contextLens[r];
        const int* table = tables + tableOffsets[r];
        const float* wr = w + rh * stride;
        const long long vOff = (long long) (h / group) * headDim + d;
        float acc = 0.0f;
        for (int p = 0; p < len; p++) {
            acc += wr[p] * vCache[baton_kv_row(table, p, blockSize) * kvDim + vOff];
        }
        const float inv = 1.0f / sums[rh];
        out[i] = acc * inv;
    }
}

// acc[i] += delta[i].
extern "C" __global__ void baton_model_add(float* acc, const float* delta, long long n) {
    BATON_FOR_EACH(i, n) {
        acc[i] += delta[i];
    }
}

// Kernels.swiglu: gate[i] = (float) (g / (1 + exp(-g))) * up[i] with the quotient in double.
extern "C" __global__ void baton_model_swiglu(float* gate, const float* up, long long n) {
    BATON_FOR_EACH(i, n) {
        const float g = gate[i];
        gate[i] = (float) (g / (1.0 + exp((double) -g))) * up[i];
    }
}
