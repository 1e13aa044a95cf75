// The CUDA C++ that our kernels use, for the host: lets g++ compile kernels/src/main/cuda/*.cuh unchanged into a
// library that HostDevice (engine-cuda's tests) runs CudaBackend on, on machines without a GPU. emu.cpp runs a
// launch as the GPU would in the ways our kernels can tell: every block of blockDim threads (one fiber each) sees its
// own blockIdx/threadIdx, __syncthreads is a barrier of the block, dynamic shared memory is per block and starts as
// NaN bytes (a kernel reading shared memory it did not write reads NaN, as it would read garbage on the GPU).
// Blocks run one after another (first to last, or last to first when asked). What it cannot show: blocks running at
// the same time, warp-level behaviour, timing.
// Included (g++ -include) before tessitura.cu; nvcc never sees it.
#pragma once
#include <math.h>
#include <stdint.h>

struct dim3 { unsigned int x, y, z; };
struct uint4 { unsigned int x, y, z, w; };
inline uint4 make_uint4(unsigned int x, unsigned int y, unsigned int z, unsigned int w) { return uint4{x, y, z, w}; }

// The built-in variables of the calling (emulated) GPU thread.
struct EmuThread { dim3 thread, block, blockDim, gridDim; };
extern EmuThread emu_thread;
#define threadIdx (emu_thread.thread)
#define blockIdx (emu_thread.block)
#define blockDim (emu_thread.blockDim)
#define gridDim (emu_thread.gridDim)

void emu_syncthreads();
#define __syncthreads() emu_syncthreads()

#define __global__
#define __device__
#define __forceinline__ inline
// Only dynamic shared memory ("extern __shared__ T name[]") is supported: the names resolve to emu.cpp's per-block
// arrays (scratch: double, smem: float). A static __shared__ array would become a per-thread local: don't.
#define __shared__

inline unsigned int __umulhi(unsigned int a, unsigned int b) { return (unsigned int) (((unsigned long long) a * b) >> 32); }
