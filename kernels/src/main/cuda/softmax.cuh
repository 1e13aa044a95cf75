// Row-wise softmax and softmax cross-entropy, in double like ScalarBackend.softmaxRow. One block per row.
#pragma once
#include "common.cuh"

// max of one float per thread over the block; every thread gets it
__device__ float block_max(float v, float* scratch) {
    scratch[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) scratch[threadIdx.x] = fmaxf(scratch[threadIdx.x], scratch[threadIdx.x + s]);
        __syncthreads();
    }
    float m = scratch[0];
    __syncthreads();
    return m;
}

// log sum_j exp(x_j) = m + log sum_j exp(x_j - m), m = max x
__device__ double row_log_sum_exp(const float* x, int n, double* scratch) {
    float m = -INFINITY;
    for (int j = threadIdx.x; j < n; j += blockDim.x) m = fmaxf(m, x[j]);
    m = block_max(m, (float*) scratch);
    double z = 0;
    for (int j = threadIdx.x; j < n; j += blockDim.x) z += exp((double) x[j] - m);
    return m + log(block_sum(z, scratch));
}

// Backend.softmax: out = softmax(x) row by row (in place is fine: each thread reads x_j before writing out_j)
extern "C" __global__ void k_softmax(float* out, const float* x, int n) {
    extern __shared__ double scratch[];          // (blockDim.x)
    long long r = blockIdx.x;
    double lse = row_log_sum_exp(x + r * n, n, scratch);
    for (int j = threadIdx.x; j < n; j += blockDim.x) out[r * n + j] = (float) exp(x[r * n + j] - lse);
}

// Backend.softmaxCrossEntropy: rowLoss[r] = -sum_j t_j log q_j and, if dLogits is not null, dLogits = q - t.
// A row whose targets sum to 0 is padding: loss 0, gradient 0. The host adds rowLoss in row order.
extern "C" __global__ void k_softmax_xent(double* rowLoss, float* dLogits, const float* x, const float* t, int n) {
    extern __shared__ double scratch[];          // (blockDim.x)
    long long r = blockIdx.x;
    const float* xr = x + r * n;
    const float* tr = t + r * n;
    double ts = 0;
    for (int j = threadIdx.x; j < n; j += blockDim.x) ts += tr[j];
    ts = block_sum(ts, scratch);
    if (ts == 0) {
        if (dLogits != 0) for (int j = threadIdx.x; j < n; j += blockDim.x) dLogits[r * n + j] = 0.0f;
        if (threadIdx.x == 0) rowLoss[r] = 0;
        return;
    }
    double lse = row_log_sum_exp(xr, n, scratch);
    double loss = 0;
    for (int j = threadIdx.x; j < n; j += blockDim.x) {
        double tj = tr[j], lq = xr[j] - lse;
        if (tj != 0) loss -= tj * lq;
        if (dLogits != 0) dLogits[r * n + j] = (float) (exp(lq) - tj);
    }
    loss = block_sum(loss, scratch);
    if (threadIdx.x == 0) rowLoss[r] = loss;
}
