// A fake libcuda for tests on machines without a GPU: the CUDA driver API functions the binding uses, implemented on
// the host, with the kernels of src/main/cuda/baton_kernels.cu compiled in and run by the emulator of cuda_emu.h.
//
// It is compiled against the toolkit's cuda.h, so every function below is defined under the symbol the header maps its
// API name to (cuMemAlloc -> cuMemAlloc_v2, ...) with the header's exact prototype: a binding that looks up a legacy
// name, or declares a different signature in a way the compiler can see, fails against it as against a real driver.
// Device memory is host memory. It checks what a driver checks and a little more, and says why on stderr:
//   - a context must be current on the calling thread (cuCtxSetCurrent) for every call that needs one;
//   - every copy must lie inside one allocation of the right kind; asynchronous copies need pinned host memory;
//   - 2D copies need pitches >= width and <= CU_DEVICE_ATTRIBUTE_MAX_PITCH;
//   - module images must start with the fatbin magic; launches must name a known kernel with sane dimensions.
// Streams run synchronously. Knobs and counters: bfake_set / bfake_get (see below).

#include <cuda.h>

#include <ucontext.h>
#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

#include "baton_kernels.cu"

// ---------------------------------------------------------------------------------------------------- the emulator

namespace emu {

ThreadContext* current = nullptr;

namespace {

// Fibers. On x86-64 a switch saves the callee-saved registers and the stack pointer (a few nanoseconds: warp shuffles
// switch twice each, and the kernels shuffle a lot); elsewhere ucontext does it (slower: it also swaps signal masks).
#if defined(__x86_64__)
extern "C" void baton_emu_switch(void** save, void* load);
asm(R"(
    .text
    .globl baton_emu_switch
    .type baton_emu_switch, @function
baton_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size baton_emu_switch, .-baton_emu_switch
)");

struct Context {
    void* sp;
};

void switchTo(Context& save, Context& load) {
    baton_emu_switch(&save.sp, load.sp);
}

void prepare(Context& c, char* stack, std::size_t size, void (*entry)()) {
    // Six zeroed registers, then the entry as the return address; after its "ret" the stack pointer is 8 mod 16, as
    // at any function entry. The entry never returns.
    std::uintptr_t top = (reinterpret_cast<std::uintptr_t>(stack) + size) & ~static_cast<std::uintptr_t>(15);
    void** sp = reinterpret_cast<void**>(top - 64);
    for (int i = 0; i < 8; i++) {
        sp[i] = nullptr;
    }
    sp[6] = reinterpret_cast<void*>(entry);
    c.sp = sp;
}
#else
struct Context {
    ucontext_t uc;
};

void switchTo(Context& save, Context& load) {
    swapcontext(&save.uc, &load.uc);
}

void prepare(Context& c, char* stack, std::size_t size, void (*entry)()) {
    getcontext(&c.uc);
    c.uc.uc_stack.ss_sp = stack;
    c.uc.uc_stack.ss_size = size;
    c.uc.uc_link = nullptr;
    makecontext(&c.uc, entry, 0);
}
#endif

enum class State { Ready, BlockBarrier, WarpBarrier, Done };

struct Fiber {
    Context ctx;
    State state;
    ThreadContext tc;
    char* stack;
};

constexpr int kMaxThreads = 1024;
constexpr std::size_t kStackBytes = 256 * 1024;

Fiber fibers[kMaxThreads];
std::uint64_t slots[kMaxThreads];
Context scheduler;
Fiber* running = nullptr;
int blockThreads = 0;
void (*invokeKernel)(void**) = nullptr;
void** invokeParams = nullptr;
const char* kernelName = "";

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "fake libcuda: emulation error in kernel %s: %s\n", kernelName, what);
    std::fflush(stderr);
    std::abort();
}

[[noreturn]] void fiberEntry() {
    invokeKernel(invokeParams);
    Fiber* self = running;
    self->state = State::Done;
    switchTo(self->ctx, scheduler);
    die("a finished fiber was resumed");
}

void park(State s) {
    if (running == nullptr) {
        die("a barrier or warp shuffle in a kernel registered as simple (register it as cooperative)");
    }
    Fiber* self = running;
    self->state = s;
    switchTo(self->ctx, scheduler);
}

void runCooperativeBlock() {
    for (int t = 0; t < blockThreads; t++) {
        Fiber& f = fibers[t];
        if (f.stack == nullptr) {
            void* p = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) {
                die("cannot map a fiber stack");
            }
            f.stack = static_cast<char*>(p);
        }
        prepare(f.ctx, f.stack, kStackBytes, fiberEntry);
        f.state = State::Ready;
    }
    for (;;) {
        for (int t = 0; t < blockThreads; t++) {
            Fiber& f = fibers[t];
            if (f.state == State::Ready) {
                running = &f;
                current = &f.tc;
                switchTo(scheduler, f.ctx);
            }
        }
        running = nullptr;
        int live = 0;
        int atBlock = 0;
        for (int t = 0; t < blockThreads; t++) {
            if (fibers[t].state != State::Done) {
                live++;
                atBlock += fibers[t].state == State::BlockBarrier;
            }
        }
        if (live == 0) {
            return;
        }
        bool released = false;
        for (int w = 0; w < blockThreads; w += 32) {
            int lanes = 0;
            int waiting = 0;
            for (int t = w; t < w + 32 && t < blockThreads; t++) {
                if (fibers[t].state != State::Done) {
                    lanes++;
                    waiting += fibers[t].state == State::WarpBarrier;
                }
            }
            if (lanes > 0 && waiting == lanes) {
                for (int t = w; t < w + 32 && t < blockThreads; t++) {
                    if (fibers[t].state == State::WarpBarrier) {
                        fibers[t].state = State::Ready;
                    }
                }
                released = true;
            }
        }
        if (!released && atBlock == live) {
            for (int t = 0; t < blockThreads; t++) {
                if (fibers[t].state == State::BlockBarrier) {
                    fibers[t].state = State::Ready;
                }
            }
            released = true;
        }
        if (!released) {
            die("deadlock: threads wait at different barriers (divergent __syncthreads or warp shuffle)");
        }
    }
}

}  // namespace

void syncthreads() {
    park(State::BlockBarrier);
}

void syncwarp() {
    park(State::WarpBarrier);
}

std::uint64_t exchange(std::uint64_t bits, int laneMask) {
    const int t = current->linear;
    const int src = (t & ~31) | ((t & 31) ^ laneMask);
    if (src >= blockThreads) {
        die("warp shuffle in a partial warp");
    }
    slots[t] = bits;
    syncwarp();
    const std::uint64_t got = slots[src];
    syncwarp();
    return got;
}

void launch(const char* name, bool cooperative, void (*invoke)(void**), void** params, dim3 grid, dim3 block) {
    kernelName = name;
    invokeKernel = invoke;
    invokeParams = params;
    blockThreads = static_cast<int>(block.x * block.y * block.z);
    ThreadContext tc{};
    tc.blockShape = block;
    tc.gridShape = grid;
    for (unsigned bz = 0; bz < grid.z; bz++) {
        for (unsigned by = 0; by < grid.y; by++) {
            for (unsigned bx = 0; bx < grid.x; bx++) {
                int linear = 0;
                for (unsigned tz = 0; tz < block.z; tz++) {
                    for (unsigned ty = 0; ty < block.y; ty++) {
                        for (unsigned tx = 0; tx < block.x; tx++, linear++) {
                            ThreadContext& c = cooperative ? fibers[linear].tc : tc;
                            c = tc;
                            c.block = uint3{bx, by, bz};
                            c.thread = uint3{tx, ty, tz};
                            c.linear = linear;
                            if (!cooperative) {
                                current = &c;
                                invoke(params);
                            }
                        }
                    }
                }
                if (cooperative) {
                    runCooperativeBlock();
                }
            }
        }
    }
    current = nullptr;
}

}  // namespace emu

// ---------------------------------------------------------------------------------------------------- the kernels

template <typename... A, std::size_t... I>
static void callWith(void (*f)(A...), void** p, std::index_sequence<I...>) {
    f(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(p[I])...);
}

template <typename... A>
static void callAll(void (*f)(A...), void** p) {
    callWith(f, p, std::index_sequence_for<A...>{});
}

template <auto F>
static void invoke(void** p) {
    callAll(F, p);
}

struct CUfunc_st {
    const char* name;
    bool cooperative;
    void (*invoke)(void**);
};

#define BATON_KERNEL(fn, cooperative) CUfunc_st{#fn, cooperative, &invoke<fn>}

static CUfunc_st kKernels[] = {
        BATON_KERNEL(baton_copy_blocks, false),
        BATON_KERNEL(baton_write_kv_f32, false),
        BATON_KERNEL(baton_write_kv_bf16, false),
        BATON_KERNEL(baton_paged_attention_f32, true),
        BATON_KERNEL(baton_paged_attention_bf16, true),
        BATON_KERNEL(baton_verify_drafts, true),
        BATON_KERNEL(baton_model_embed, false),
        BATON_KERNEL(baton_model_rmsnorm, false),
        BATON_KERNEL(baton_model_matmul, false),
        BATON_KERNEL(baton_model_rope, false),
        BATON_KERNEL(baton_model_attn_scores, false),
        BATON_KERNEL(baton_model_attn_output, false),
        BATON_KERNEL(baton_model_add, false),
        BATON_KERNEL(baton_model_swiglu, false),
};

// ---------------------------------------------------------------------------------------------------- the driver

struct CUctx_st {
    int device;
};

struct CUstream_st {
    int unused;
};

struct CUevent_st {
    std::chrono::steady_clock::time_point at;
    bool recorded;
};

struct CUmod_st {
    int unused;
};

namespace {

struct Allocation {
    std::size_t size;
    bool host;
};

std::mutex mu;
std::map<std::uintptr_t, Allocation> allocations;
bool initialized = false;
CUctx_st primary{0};
int primaryRefs = 0;
thread_local CUcontext currentContext = nullptr;

std::map<std::string, long long> knobs = {
        {"init_result", 0},  {"driver_version", 13000}, {"device_count", 1},    {"cc_major", 9},
        {"cc_minor", 0},     {"total_mem", 8LL << 30},  {"max_pitch", 2147483647LL}, {"launches", 0},
        {"streams", 0},      {"events", 0},             {"modules", 0},
};

CUresult complain(CUresult code, const char* call, const std::string& why) {
    std::fprintf(stderr, "fake libcuda: %s: %s\n", call, why.c_str());
    std::fflush(stderr);
    return code;
}

CUresult ready(const char* call) {
    if (!initialized) {
        return complain(CUDA_ERROR_NOT_INITIALIZED, call, "cuInit has not succeeded");
    }
    if (currentContext == nullptr) {
        return complain(CUDA_ERROR_INVALID_CONTEXT, call, "no context is current on this thread");
    }
    return CUDA_SUCCESS;
}

bool inside(std::uintptr_t p, std::size_t n, bool host) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = allocations.upper_bound(p);
    if (it == allocations.begin()) {
        return false;
    }
    --it;
    return it->second.host == host && p >= it->first && p + n <= it->first + it->second.size;
}

CUresult checkRange(const char* call, std::uintptr_t p, std::size_t n, bool host) {
    if (!inside(p, n, host)) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "%zu bytes at %p are not inside one %s allocation", n, (void*) p,
                      host ? "pinned host" : "device");
        return complain(CUDA_ERROR_INVALID_VALUE, call, buf);
    }
    return CUDA_SUCCESS;
}

CUresult allocate(std::uintptr_t* out, std::size_t n, bool host) {
    if (n == 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    void* p = std::aligned_alloc(256, (n + 255) / 256 * 256);
    if (p == nullptr) {
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    std::lock_guard<std::mutex> lock(mu);
    allocations[reinterpret_cast<std::uintptr_t>(p)] = Allocation{n, host};
    *out = reinterpret_cast<std::uintptr_t>(p);
    return CUDA_SUCCESS;
}

CUresult release(const char* call, std::uintptr_t p, bool host) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = allocations.find(p);
    if (it == allocations.end() || it->second.host != host) {
        return complain(CUDA_ERROR_INVALID_VALUE, call, "not the start of a live allocation of this kind");
    }
    allocations.erase(it);
    std::free(reinterpret_cast<void*>(p));
    return CUDA_SUCCESS;
}

long long liveAllocations(bool host) {
    std::lock_guard<std::mutex> lock(mu);
    long long n = 0;
    for (auto& a : allocations) {
        n += a.second.host == host;
    }
    return n;
}

}  // namespace

extern "C" {

// Test knobs: init_result, driver_version, device_count, cc_major, cc_minor, total_mem, max_pitch. Returns 0, or -1
// for an unknown key.
int bfake_set(const char* key, long long value) {
    auto it = knobs.find(key);
    if (it == knobs.end()) {
        return -1;
    }
    it->second = value;
    return 0;
}

// Knobs, and counters: launches, streams, events, modules (live), device_allocations, host_allocations (live),
// primary_refs. Unknown keys read as -1.
long long bfake_get(const char* key) {
    std::string k(key);
    if (k == "device_allocations") {
        return liveAllocations(false);
    }
    if (k == "host_allocations") {
        return liveAllocations(true);
    }
    if (k == "primary_refs") {
        return primaryRefs;
    }
    auto it = knobs.find(k);
    return it == knobs.end() ? -1 : it->second;
}

CUresult cuInit(unsigned int flags) {
    if (flags != 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    const CUresult r = static_cast<CUresult>(knobs["init_result"]);
    initialized = r == CUDA_SUCCESS;
    return r;
}

CUresult cuDriverGetVersion(int* version) {
    *version = static_cast<int>(knobs["driver_version"]);
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int* count) {
    if (!initialized) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    *count = static_cast<int>(knobs["device_count"]);
    return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice* device, int ordinal) {
    if (!initialized) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    if (ordinal < 0 || ordinal >= knobs["device_count"]) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    *device = ordinal;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char* name, int len, CUdevice device) {
    (void) device;
    std::snprintf(name, static_cast<std::size_t>(len), "%s", "Baton CUDA emulator (fake libcuda, host C++)");
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int* value, CUdevice_attribute attribute, CUdevice device) {
    (void) device;
    switch (attribute) {
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *value = static_cast<int>(knobs["cc_major"]); break;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *value = static_cast<int>(knobs["cc_minor"]); break;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *value = 2; break;
        case CU_DEVICE_ATTRIBUTE_CLOCK_RATE: *value = 1000000; break;
        case CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE: *value = 1000000; break;
        case CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH: *value = 64; break;
        case CU_DEVICE_ATTRIBUTE_MAX_PITCH: *value = static_cast<int>(knobs["max_pitch"]); break;
        default: *value = 0; break;
    }
    return CUDA_SUCCESS;
}

CUresult cuDeviceTotalMem(size_t* bytes, CUdevice device) {
    (void) device;
    *bytes = static_cast<size_t>(knobs["total_mem"]);
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext* ctx, CUdevice device) {
    if (!initialized) {
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    primary.device = device;
    primaryRefs++;
    *ctx = &primary;
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease(CUdevice device) {
    (void) device;
    if (primaryRefs == 0) {
        return complain(CUDA_ERROR_INVALID_CONTEXT, "cuDevicePrimaryCtxRelease_v2", "not retained");
    }
    primaryRefs--;
    return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext ctx) {
    if (ctx != nullptr && ctx != &primary) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    currentContext = ctx;
    return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize(void) {
    return ready("cuCtxSynchronize");
}

CUresult cuMemGetInfo(size_t* free, size_t* total) {
    CUresult r = ready("cuMemGetInfo_v2");
    if (r == CUDA_SUCCESS) {
        *total = static_cast<size_t>(knobs["total_mem"]);
        *free = *total / 2;
    }
    return r;
}

CUresult cuMemAlloc(CUdeviceptr* dptr, size_t bytesize) {
    CUresult r = ready("cuMemAlloc_v2");
    if (r != CUDA_SUCCESS) {
        return r;
    }
    std::uintptr_t p = 0;
    r = allocate(&p, bytesize, false);
    *dptr = static_cast<CUdeviceptr>(p);
    return r;
}

CUresult cuMemFree(CUdeviceptr dptr) {
    CUresult r = ready("cuMemFree_v2");
    return r != CUDA_SUCCESS ? r : release("cuMemFree_v2", static_cast<std::uintptr_t>(dptr), false);
}

CUresult cuMemHostAlloc(void** pp, size_t bytesize, unsigned int flags) {
    (void) flags;
    CUresult r = ready("cuMemHostAlloc");
    if (r != CUDA_SUCCESS) {
        return r;
    }
    std::uintptr_t p = 0;
    r = allocate(&p, bytesize, true);
    *pp = reinterpret_cast<void*>(p);
    return r;
}

CUresult cuMemFreeHost(void* p) {
    CUresult r = ready("cuMemFreeHost");
    return r != CUDA_SUCCESS ? r : release("cuMemFreeHost", reinterpret_cast<std::uintptr_t>(p), true);
}

CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t n, CUstream stream) {
    (void) stream;
    CUresult r = ready("cuMemsetD8Async");
    if (r == CUDA_SUCCESS) {
        r = checkRange("cuMemsetD8Async", static_cast<std::uintptr_t>(dst), n, false);
    }
    if (r == CUDA_SUCCESS) {
        std::memset(reinterpret_cast<void*>(static_cast<std::uintptr_t>(dst)), value, n);
    }
    return r;
}

CUresult cuMemcpyHtoD(CUdeviceptr dst, const void* src, size_t n) {
    CUresult r = ready("cuMemcpyHtoD_v2");
    if (r == CUDA_SUCCESS) {
        r = checkRange("cuMemcpyHtoD_v2", static_cast<std::uintptr_t>(dst), n, false);
    }
    if (r == CUDA_SUCCESS) {
        std::memcpy(reinterpret_cast<void*>(static_cast<std::uintptr_t>(dst)), src, n);
    }
    return r;
}

CUresult cuMemcpyDtoH(void* dst, CUdeviceptr src, size_t n) {
    CUresult r = ready("cuMemcpyDtoH_v2");
    if (r == CUDA_SUCCESS) {
        r = checkRange("cuMemcpyDtoH_v2", static_cast<std::uintptr_t>(src), n, false);
    }
    if (r == CUDA_SUCCESS) {
        std::memcpy(dst, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(src)), n);
    }
    return r;
}

CUresult cuMemcpyHtoDAsync(CUdeviceptr dst, const void* src, size_t n, CUstream stream) {
    (void) stream;
    CUresult r = ready("cuMemcpyHtoDAsync_v2");
    if (r == CUDA_SUCCESS) {
        r = checkRange("cuMemcpyHtoDAsync_v2", static_cast<std::uintptr_t>(dst), n, false);
    }
    if (r == CUDA_SUCCESS) {
        r = checkRange("cuMemcpyHtoDAsync_v2", reinterpret_cast<std::uintptr_t>(src), n, true);
    }
    if (r == CUDA_SUCCESS) {
        std::memcpy(reinterpret_cast<void*>(static_cast<std::uintptr_t>(dst)), src, n);
    }
    return r;
}

CUresult cuMemcpyDtoHAsync(void* dst, CUdeviceptr src, size_t n, CUstream stream) {
    (void) stream;
    CUresult r = ready("cuMemcpyDtoHAsync_v2");
    if (r == CUDA_SUCCESS) {
        r = checkRange("cuMemcpyDtoHAsync_v2", static_cast<std::uintptr_t>(src), n, false);
    }
    if (r == CUDA_SUCCESS) {
        r = checkRange("cuMemcpyDtoHAsync_v2", reinterpret_cast<std::uintptr_t>(dst), n, true);
    }
    if (r == CUDA_SUCCESS) {
        std::memcpy(dst, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(src)), n);
    }
    return r;
}

CUresult cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream stream) {
    (void) stream;
    CUresult r = ready("cuMemcpyDtoDAsync_v2");
    if (r == CUDA_SUCCESS) {
        r = checkRange("cuMemcpyDtoDAsync_v2", static_cast<std::uintptr_t>(dst), n, false);
    }
    if (r == CUDA_SUCCESS) {
        r = checkRange("cuMemcpyDtoDAsync_v2", static_cast<std::uintptr_t>(src), n, false);
    }
    if (r == CUDA_SUCCESS) {
        std::memmove(reinterpret_cast<void*>(static_cast<std::uintptr_t>(dst)),
                     reinterpret_cast<const void*>(static_cast<std::uintptr_t>(src)), n);
    }
    return r;
}

CUresult cuMemcpy2DAsync(const CUDA_MEMCPY2D* c, CUstream stream) {
    (void) stream;
    const char* call = "cuMemcpy2DAsync_v2";
    CUresult r = ready(call);
    if (r != CUDA_SUCCESS) {
        return r;
    }
    const bool srcHost = c->srcMemoryType == CU_MEMORYTYPE_HOST;
    const bool dstHost = c->dstMemoryType == CU_MEMORYTYPE_HOST;
    if ((!srcHost && c->srcMemoryType != CU_MEMORYTYPE_DEVICE) || (!dstHost && c->dstMemoryType != CU_MEMORYTYPE_DEVICE)) {
        return complain(CUDA_ERROR_INVALID_VALUE, call, "memory types must be host or device");
    }
    const std::size_t maxPitch = static_cast<std::size_t>(knobs["max_pitch"]);
    if (c->Height > 1 && (c->srcPitch < c->WidthInBytes || c->dstPitch < c->WidthInBytes)) {
        return complain(CUDA_ERROR_INVALID_VALUE, call, "a pitch is smaller than the width");
    }
    if ((!srcHost && c->srcPitch > maxPitch) || (!dstHost && c->dstPitch > maxPitch)) {
        return complain(CUDA_ERROR_INVALID_VALUE, call, "a device pitch exceeds CU_DEVICE_ATTRIBUTE_MAX_PITCH");
    }
    const std::uintptr_t src = (srcHost ? reinterpret_cast<std::uintptr_t>(c->srcHost)
                                        : static_cast<std::uintptr_t>(c->srcDevice))
            + c->srcY * c->srcPitch + c->srcXInBytes;
    const std::uintptr_t dst = (dstHost ? reinterpret_cast<std::uintptr_t>(c->dstHost)
                                        : static_cast<std::uintptr_t>(c->dstDevice))
            + c->dstY * c->dstPitch + c->dstXInBytes;
    for (std::size_t row = 0; row < c->Height; row++) {
        r = checkRange(call, src + row * c->srcPitch, c->WidthInBytes, srcHost);
        if (r == CUDA_SUCCESS) {
            r = checkRange(call, dst + row * c->dstPitch, c->WidthInBytes, dstHost);
        }
        if (r != CUDA_SUCCESS) {
            return r;
        }
    }
    for (std::size_t row = 0; row < c->Height; row++) {
        std::memcpy(reinterpret_cast<void*>(dst + row * c->dstPitch),
                    reinterpret_cast<const void*>(src + row * c->srcPitch), c->WidthInBytes);
    }
    return CUDA_SUCCESS;
}

CUresult cuStreamCreate(CUstream* stream, unsigned int flags) {
    (void) flags;
    CUresult r = ready("cuStreamCreate");
    if (r == CUDA_SUCCESS) {
        *stream = new CUstream_st{0};
        knobs["streams"]++;
    }
    return r;
}

CUresult cuStreamDestroy(CUstream stream) {
    CUresult r = ready("cuStreamDestroy_v2");
    if (r == CUDA_SUCCESS) {
        delete stream;
        knobs["streams"]--;
    }
    return r;
}

CUresult cuStreamSynchronize(CUstream stream) {
    (void) stream;
    return ready("cuStreamSynchronize");
}

CUresult cuEventCreate(CUevent* event, unsigned int flags) {
    (void) flags;
    CUresult r = ready("cuEventCreate");
    if (r == CUDA_SUCCESS) {
        *event = new CUevent_st{std::chrono::steady_clock::now(), false};
        knobs["events"]++;
    }
    return r;
}

CUresult cuEventRecord(CUevent event, CUstream stream) {
    (void) stream;
    CUresult r = ready("cuEventRecord");
    if (r == CUDA_SUCCESS) {
        event->at = std::chrono::steady_clock::now();
        event->recorded = true;
    }
    return r;
}

CUresult cuEventSynchronize(CUevent event) {
    (void) event;
    return ready("cuEventSynchronize");
}

CUresult cuEventElapsedTime(float* ms, CUevent start, CUevent end) {
    CUresult r = ready("cuEventElapsedTime_v2");
    if (r != CUDA_SUCCESS) {
        return r;
    }
    if (!start->recorded || !end->recorded) {
        return complain(CUDA_ERROR_INVALID_HANDLE, "cuEventElapsedTime_v2", "an event was never recorded");
    }
    *ms = std::chrono::duration<float, std::milli>(end->at - start->at).count();
    return CUDA_SUCCESS;
}

CUresult cuEventDestroy(CUevent event) {
    CUresult r = ready("cuEventDestroy_v2");
    if (r == CUDA_SUCCESS) {
        delete event;
        knobs["events"]--;
    }
    return r;
}

CUresult cuModuleLoadData(CUmodule* module, const void* image) {
    CUresult r = ready("cuModuleLoadData");
    if (r != CUDA_SUCCESS) {
        return r;
    }
    unsigned int magic;
    std::memcpy(&magic, image, 4);
    if (magic != 0xBA55ED50u) {
        return complain(CUDA_ERROR_INVALID_IMAGE, "cuModuleLoadData", "the image is not a fatbin");
    }
    *module = new CUmod_st{0};
    knobs["modules"]++;
    return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction* fn, CUmodule module, const char* name) {
    (void) module;
    CUresult r = ready("cuModuleGetFunction");
    if (r != CUDA_SUCCESS) {
        return r;
    }
    for (CUfunc_st& k : kKernels) {
        if (std::strcmp(k.name, name) == 0) {
            *fn = &k;
            return CUDA_SUCCESS;
        }
    }
    return complain(CUDA_ERROR_NOT_FOUND, "cuModuleGetFunction", std::string("no kernel named ") + name);
}

CUresult cuModuleUnload(CUmodule module) {
    CUresult r = ready("cuModuleUnload");
    if (r == CUDA_SUCCESS) {
        delete module;
        knobs["modules"]--;
    }
    return r;
}

CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ,
                        unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ,
                        unsigned int sharedMemBytes, CUstream hStream, void** kernelParams, void** extra) {
    (void) sharedMemBytes;
    (void) hStream;
    CUresult r = ready("cuLaunchKernel");
    if (r != CUDA_SUCCESS) {
        return r;
    }
    if (extra != nullptr || kernelParams == nullptr) {
        return complain(CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel", "pass parameters through kernelParams");
    }
    const unsigned long long threads = 1ull * blockDimX * blockDimY * blockDimZ;
    if (threads == 0 || threads > 1024 || gridDimX == 0 || gridDimY == 0 || gridDimZ == 0 || gridDimY > 65535
        || gridDimZ > 65535) {
        return complain(CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel", std::string("bad launch dimensions for ") + f->name);
    }
    if (f->cooperative && threads % 32 != 0) {
        return complain(CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel", "cooperative kernels need whole warps");
    }
    knobs["launches"]++;
    emu::launch(f->name, f->cooperative, f->invoke, kernelParams, dim3{gridDimX, gridDimY, gridDimZ},
                dim3{blockDimX, blockDimY, blockDimZ});
    return CUDA_SUCCESS;
}

CUresult cuFuncSetAttribute(CUfunction f, CUfunction_attribute attribute, int value) {
    (void) f;
    (void) attribute;
    (void) value;
    return ready("cuFuncSetAttribute");
}

CUresult cuGetErrorName(CUresult error, const char** name) {
    switch (error) {
        case CUDA_SUCCESS: *name = "CUDA_SUCCESS"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_VALUE: *name = "CUDA_ERROR_INVALID_VALUE"; return CUDA_SUCCESS;
        default: *name = nullptr; return CUDA_ERROR_INVALID_VALUE;
    }
}

}  // extern "C"
