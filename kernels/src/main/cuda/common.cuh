// Shared helpers. The whole tree is compiled with -fmad=false so that a*b+c is rounded twice, as in Java:
// the elementwise ops and the Gibbs chain's dot products then agree with the scalar backend bit for bit.
// Transcendentals are evaluated in double and rounded once, as ScalarBackend does, for the same reason.
#pragma once

#define GRID_STRIDE(i, n) \
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long) gridDim.x * blockDim.x)

// 1 / (1 + e^-x) in double, rounded once (ScalarBackend.sigmoid)
__device__ __forceinline__ float sigmoid_f(float x) {
    return (float) (1.0 / (1.0 + exp(-(double) x)));
}

// log(1 + e^x) = max(x, 0) + log1p(e^-|x|), never overflows (ScalarBackend.softplus)
__device__ __forceinline__ float softplus_f(float x) {
    double v = x;
    return (float) (fmax(v, 0.0) + log1p(exp(-fabs(v))));
}

// Block-wide sum of one double per thread in a fixed tree order (deterministic for a given blockDim, a power
// of two <= 1024). Every thread gets the total. scratch holds blockDim.x doubles.
__device__ double block_sum(double v, double* scratch) {
    scratch[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) scratch[threadIdx.x] += scratch[threadIdx.x + s];
        __syncthreads();
    }
    double total = scratch[0];
    __syncthreads();
    return total;
}
