// The RNN-RBM's tanh recurrence, (3) of the paper, and its backpropagation through time, each as one persistent
// kernel: one thread block walks all T steps with Wuu resident in shared memory, instead of T one-row cuBLAS
// products and T tanh launches (2T launches of ~9 us each against ~1 us of work per step). Thread j owns unit j
// (j, j + blockDim, ... when n > blockDim). B independent sequences, time-major (step t of sequence b is row
// t B + b), take a block each. Each one-row product adds in index order with -fmad=false, as the scalar backend's
// GEMM does, so the results agree with it bit for bit up to the last bit of tanh.
// Shared memory: (n * n + 2 n) floats; the host falls back to the per-step path when that does not fit.
#pragma once
#include "common.cuh"

// Backend.tanhRecurrence: for t = 1 .. T, u(t) = tanh(a(t) + u(t-1) Wuu). u ((T+1) B, n): u(0) in rows [0, B) and
// a(t) in step t's rows on entry, u(t) on return. Wuu (n, n) row-major; thread j reads row i at column j:
// consecutive threads, consecutive words (no bank conflicts), u(t-1)[i] a broadcast. u(t-1) and u(t) alternate between two buffers, so
// one barrier per step suffices.
extern "C" __global__ void k_tanh_recurrence(float* u, const float* Wuu, int steps, int batch, int n) {
    extern __shared__ float smem[];
    float* w = smem;                              // (n, n) = Wuu
    float* buf = w + (long long) n * n;           // (2, n): u(t-1) and u(t), alternating
    for (long long e = threadIdx.x; e < (long long) n * n; e += blockDim.x) w[e] = Wuu[e];
    float* ub = u + (long long) blockIdx.x * n;    // this block's sequence: row t of it at ub + t B n
    long long stride = (long long) batch * n;
    for (int j = threadIdx.x; j < n; j += blockDim.x) buf[j] = ub[j];
    __syncthreads();
    for (int t = 1; t <= steps; t++) {
        const float* prev = buf + ((t - 1) & 1) * n;
        float* cur = buf + (t & 1) * n;
        for (int j = threadIdx.x; j < n; j += blockDim.x) {
            float acc = 0.0f;
            for (int i = 0; i < n; i++) acc += prev[i] * w[(long long) i * n + j];
            float x = ub[t * stride + j] + acc;         // a(t) + u(t-1) Wuu: the GEMM's c + 1 * acc
            float ut = (float) tanh((double) x);
            cur[j] = ut;
            ub[t * stride + j] = ut;
        }
        __syncthreads();
    }
}

// Backend.tanhRecurrenceBackward: for t = T .. 1, da(t) = du(t) (1 - u(t)^2), then du(t-1) += da(t) Wuu^T.
// du ((T+1) B, n) updated in place (rows [0, B) end as the gradient reaching u(0)); da (T B, n), step t's rows
// [(t-1) B, t B) = da(t). One block per sequence, as above. Thread i
// needs row i of Wuu against da(t): Wuu is stored transposed in shared memory (wt[j n + i] = Wuu[i n + j]) so that
// consecutive threads read consecutive words. Thread j writes da(t)[j] from du(t)[j], which only thread j updated
// (at step t + 1), so only da(t) goes through shared memory, double-buffered: one barrier per step.
extern "C" __global__ void k_tanh_recurrence_backward(float* da, float* du, const float* u, const float* Wuu, int steps,
                                                      int batch, int n) {
    extern __shared__ float smem[];
    float* wt = smem;                             // (n, n) = Wuu^T
    float* buf = wt + (long long) n * n;          // (2, n): da(t), alternating
    for (long long e = threadIdx.x; e < (long long) n * n; e += blockDim.x) {
        long long i = e / n, j = e % n;
        wt[j * n + i] = Wuu[e];
    }
    long long seq = (long long) blockIdx.x * n, stride = (long long) batch * n;
    float* dab = da + seq;                        // row t of this sequence's da, du, u: at + t B n
    float* dub = du + seq;
    const float* ub = u + seq;
    __syncthreads();
    for (int t = steps; t >= 1; t--) {
        float* dat = buf + (t & 1) * n;
        for (int j = threadIdx.x; j < n; j += blockDim.x) {
            float y = ub[t * stride + j];
            float d = dub[t * stride + j] * (1.0f - y * y);         // Backend.tanhBackward's dy (1 - y^2)
            dat[j] = d;
            dab[(t - 1) * stride + j] = d;
        }
        __syncthreads();
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float acc = 0.0f;
            for (int j = 0; j < n; j++) acc += dat[j] * wt[(long long) j * n + i];
            dub[(t - 1) * stride + i] += acc;                 // the GEMM's c + 1 * acc
        }
    }
}
