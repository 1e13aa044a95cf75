// The host emulator's launcher: compiled by HostDevice with the kernels (see cuda_host.h) into one library.
// emu_launch runs kernel `name` as cuLaunchKernel would, with args as its kernelParams (one pointer per argument).
#include "cuda_host.h"
#include "tessitura.cu"

#include <cstdlib>
#include <cstring>
#include <ucontext.h>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

// The dynamic shared memory kernels declare ("extern __shared__ double scratch[]" / "float smem[]"): one region,
// the H100's 227 KB a block may opt into.
#define EMU_SHARED (227 * 1024)
extern "C" {
alignas(16) double scratch[EMU_SHARED / sizeof(double)];
alignas(16) float smem[EMU_SHARED / sizeof(float)];
}

EmuThread emu_thread;   // the running fiber's built-in variables (all fibers run on the launching OS thread)

// One fiber per GPU thread of a block, switched with ucontext on the launching OS thread: a fiber runs until it
// calls __syncthreads or returns; when every fiber of the block is waiting or done, the barrier opens. Threads that
// have returned no longer take part in __syncthreads, as on the GPU. Deterministic: thread 0 runs first to each
// barrier, so a thread that reads what another writes in the same phase reads it unwritten (NaN, in shared memory).
struct Fiber {
    ucontext_t ctx;
    char* stack = nullptr;
    bool done = false, waiting = false;
};
static const size_t FIBER_STACK = 256 * 1024;
static std::vector<Fiber> fibers;
static ucontext_t scheduler;
static int running;
static void** running_args;
static void (*running_kernel)(void**);   // the launched kernel's call through its kernelParams

static void fiber_main() {
    running_kernel(running_args);
    fibers[running].done = true;          // returning resumes the scheduler (uc_link)
}

void emu_syncthreads() {
    fibers[running].waiting = true;
    swapcontext(&fibers[running].ctx, &scheduler);
}

// A kernel parameter's type as one letter: p pointer, i int, u unsigned int, l long long, L unsigned long long, f float.
template <class T> constexpr char code() {
    if constexpr (std::is_pointer_v<T>) return 'p';
    else if constexpr (std::is_same_v<T, int>) return 'i';
    else if constexpr (std::is_same_v<T, unsigned int>) return 'u';
    else if constexpr (std::is_same_v<T, long long>) return 'l';
    else if constexpr (std::is_same_v<T, unsigned long long>) return 'L';
    else if constexpr (std::is_same_v<T, float>) return 'f';
    else static_assert(sizeof(T) == 0, "a kernel parameter type the emulator does not know");
}

template <class... A> struct Signature {
    static constexpr char codes[] = {code<A>()..., 0};
    template <size_t... I> static void call(void (*f)(A...), void** args, std::index_sequence<I...>) {
        f(*static_cast<A*>(args[I])...);
    }
};
template <class... A> const char* signature(void (*)(A...)) { return Signature<A...>::codes; }
template <class... A> void call(void (*f)(A...), void** args) { Signature<A...>::call(f, args, std::index_sequence_for<A...>{}); }

struct Entry { const char* name; const char* signature; void (*run)(void**); };
#define EMU_KERNEL(k) {#k, signature(&k), [](void** a) { call(&k, a); }},
static const Entry entries[] = {
#include "entries.inc"   // EMU_KERNEL(k_...) for every kernel, written by HostDevice from the sources
};

static const Entry* find(const char* name) {
    for (const Entry& e : entries) if (std::strcmp(e.name, name) == 0) return &e;
    return nullptr;
}

// The parameter letters of kernel `name`, or null if there is no such kernel.
extern "C" const char* emu_signature(const char* name) {
    const Entry* e = find(name);
    return e ? e->signature : nullptr;
}

extern "C" int emu_shared_bytes() { return EMU_SHARED; }

static void run_block(const Entry* e, void** args, int b, int grid, int block) {
    if ((int) fibers.size() < block) fibers.resize(block);
    for (int t = 0; t < block; t++) {
        Fiber& f = fibers[t];
        if (f.stack == nullptr) f.stack = static_cast<char*>(std::malloc(FIBER_STACK));
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = f.stack;
        f.ctx.uc_stack.ss_size = FIBER_STACK;
        f.ctx.uc_link = &scheduler;
        makecontext(&f.ctx, fiber_main, 0);
        f.done = f.waiting = false;
    }
    running_kernel = e->run;
    running_args = args;
    for (bool live = true; live; ) {
        live = false;
        for (int t = 0; t < block; t++) {
            Fiber& f = fibers[t];
            if (f.done || f.waiting) continue;
            running = t;
            emu_thread = EmuThread{{(unsigned) t, 0, 0}, {(unsigned) b, 0, 0}, {(unsigned) block, 1, 1}, {(unsigned) grid, 1, 1}};
            swapcontext(&scheduler, &f.ctx);   // back here when it waits at a barrier or returns
        }
        for (int t = 0; t < block; t++) {   // every live fiber waits at the barrier now: open it
            if (!fibers[t].done) {
                fibers[t].waiting = false;
                live = true;
            }
        }
    }
}

// 0 when the kernel ran; 1 no such kernel; 2 a launch shape CUDA would refuse (CUDA_ERROR_INVALID_VALUE).
// reverse: the blocks last to first (a GPU runs them in any order, or at once).
extern "C" int emu_launch(const char* name, int grid, int block, int sharedBytes, void** args, int reverse) {
    const Entry* e = find(name);
    if (e == nullptr) return 1;
    if (grid < 1 || grid > 0x7fffffff || block < 1 || block > 1024 || sharedBytes < 0 || sharedBytes > EMU_SHARED) return 2;
    static std::mutex one_launch_at_a_time;   // the shared memory and the fibers are global
    std::lock_guard<std::mutex> lock(one_launch_at_a_time);
    for (int i = 0; i < grid; i++) {
        int b = reverse ? grid - 1 - i : i;
        std::memset(scratch, 0xff, sharedBytes);   // each block's shared memory starts as garbage (NaN bytes)
        std::memset(smem, 0xff, sharedBytes);
        run_block(e, args, b, grid, block);
    }
    return 0;
}
