// The host emulator's launcher: compiled by HostDevice with the kernels (see cuda_host.h) into one library.
// emu_launch runs kernel `name` as cuLaunchKernel would, with args as its kernelParams (one pointer per argument).
#include "cuda_host.h"
#include "tessitura.cu"

#include <barrier>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
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

thread_local EmuThread emu_thread;
static thread_local std::barrier<>* emu_block_barrier;

void emu_syncthreads() { emu_block_barrier->arrive_and_wait(); }

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

// 0 when the kernel ran; 1 no such kernel; 2 a launch shape CUDA would refuse (CUDA_ERROR_INVALID_VALUE).
extern "C" int emu_launch(const char* name, int grid, int block, int sharedBytes, void** args) {
    const Entry* e = find(name);
    if (e == nullptr) return 1;
    if (grid < 1 || grid > 0x7fffffff || block < 1 || block > 1024 || sharedBytes < 0 || sharedBytes > EMU_SHARED) return 2;
    static std::mutex one_launch_at_a_time;   // the shared-memory arrays are global
    std::lock_guard<std::mutex> lock(one_launch_at_a_time);
    std::barrier<> done(block);
    std::optional<std::barrier<>> sync;
    sync.emplace(block);
    std::memset(scratch, 0xff, sharedBytes);
    std::memset(smem, 0xff, sharedBytes);
    std::vector<std::thread> threads;
    for (int t = 0; t < block; t++) {
        threads.emplace_back([&, t] {
            for (int b = 0; b < grid; b++) {
                emu_thread = EmuThread{{(unsigned) t, 0, 0}, {(unsigned) b, 0, 0}, {(unsigned) block, 1, 1}, {(unsigned) grid, 1, 1}};
                emu_block_barrier = &*sync;
                e->run(args);
                sync->arrive_and_drop();       // a thread that has returned no longer takes part in __syncthreads
                done.arrive_and_wait();        // the whole block has returned
                if (t == 0) {                  // next block: a fresh barrier, fresh (garbage) shared memory
                    sync.emplace(block);
                    std::memset(scratch, 0xff, sharedBytes);
                    std::memset(smem, 0xff, sharedBytes);
                }
                done.arrive_and_wait();
            }
        });
    }
    for (std::thread& th : threads) th.join();
    return 0;
}
