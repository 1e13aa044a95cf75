// The RBM's fused ops: Gibbs sampling and the free energy. The GEMMs around them run in cuBLAS; these are
// their epilogues, plus one kernel that runs a whole k-step chain without leaving the chip.
// A bias is a vector (biasStride = 0) or one row per batch row (biasStride = cols), as Checks.bias allows.
#pragma once
#include "random.cuh"

// Backend.gibbsHalfStep, after cuBLAS wrote prob = x op(W): prob = sigmoid(prob + bias), sample = bernoulli(prob)
// with one draw of rows * cols elements. Thread t owns Philox block first + t (elements 4t .. 4t+3).
extern "C" __global__ void k_gibbs_epilogue(float* sample, float* prob, const float* bias, int biasStride,
                                            int rows, int cols, PHILOX_PARAMS) {
    PhiloxDraw d = PHILOX_DRAW;
    long long n = (long long) rows * cols;
    GRID_STRIDE(t, (n + 3) >> 2) {
        uint4 w = philox_block(d.first + t, d);
        for (int j = 0; j < 4 && 4 * t + j < n; j++) {
            long long e = 4 * t + j;
            long long r = e / cols, c = e % cols;
            float p = sigmoid_f(prob[e] + bias[r * biasStride + c]);
            prob[e] = p;
            sample[e] = philox_uniform(philox_word(w, j)) < p ? 1.0f : 0.0f;
        }
    }
}

// Backend.freeEnergyGrad, after cuBLAS wrote s = v W: s = sigmoid(s + bh) = E[h | v].
extern "C" __global__ void k_bias_sigmoid(float* s, const float* bias, int biasStride, int rows, int cols) {
    long long n = (long long) rows * cols;
    GRID_STRIDE(e, n) {
        long long r = e / cols, c = e % cols;
        s[e] = sigmoid_f(s[e] + bias[r * biasStride + c]);
    }
}

// Backend.freeEnergy, after cuBLAS wrote x = v W (rows, nh):
// f[b] = -v[b].bv[b] - sum_j softplus(x[b, j] + bh[b, j]), in double. One block per row.
extern "C" __global__ void k_free_energy_epilogue(float* f, const float* x, const float* v, const float* bv,
                                                  int bvStride, const float* bh, int bhStride, int nv, int nh) {
    extern __shared__ double scratch[];          // (blockDim.x)
    long long b = blockIdx.x;
    double e = 0;
    for (int i = threadIdx.x; i < nv; i += blockDim.x) e -= (double) v[b * nv + i] * bv[b * bvStride + i];
    for (int j = threadIdx.x; j < nh; j += blockDim.x) e -= softplus_f(x[b * nh + j] + bh[b * bhStride + j]);
    e = block_sum(e, scratch);
    if (threadIdx.x == 0) f[b] = (float) e;
}

// Backend.gibbsChain: k steps of block Gibbs sampling, all in one launch. One thread block per batch row (one
// RBM conditional); W (nv, nh) is copied once into shared memory, v and h live there too. For s = 0 .. k-1:
//   h = bernoulli(sigmoid(v W + bh)), draw s of the chain: elements b*nh + j of the draw at hFirst(s);
//   v = bernoulli(sigmoid(h W^T + bv)), elements b*nv + i of the draw at hFirst(s) + hBlocks;
// with hFirst(s) = first + s * (hBlocks + vBlocks), hBlocks = ceil(B nh / 4), vBlocks = ceil(B nv / 4): exactly
// the draws of the 2k half-steps in Backend.gibbsChain's javadoc. Dot products add in index order with
// -fmad=false, as ScalarBackend's GEMM does, so probabilities match it bit for bit (up to exp's last bit).
// Shared memory: (nv * nh + nv + nh) floats; the host opts in above 48 KB and falls back to half-steps when W
// does not fit. The visible half-step reads W along rows (stride nh across threads): a 2-way bank conflict at
// nh = 150, accepted for now.
extern "C" __global__ void k_gibbs_chain(float* v, float* vProb, const float* W, const float* bv, int bvStride,
                                         const float* bh, int bhStride, int nv, int nh, int k, PHILOX_PARAMS,
                                         unsigned long long hBlocks, unsigned long long vBlocks) {
    extern __shared__ float smem[];
    float* w = smem;                             // (nv, nh)
    float* vs = w + (long long) nv * nh;         // (nv)
    float* hs = vs + nv;                         // (nh)
    long long b = blockIdx.x;
    for (long long e = threadIdx.x; e < (long long) nv * nh; e += blockDim.x) w[e] = W[e];
    for (int i = threadIdx.x; i < nv; i += blockDim.x) vs[i] = v[b * nv + i];
    __syncthreads();
    PhiloxDraw d = PHILOX_DRAW;
    for (int s = 0; s < k; s++) {
        PhiloxDraw dh = d, dv = d;
        dh.first = d.first + (unsigned long long) s * (hBlocks + vBlocks);
        dv.first = dh.first + hBlocks;
        for (int j = threadIdx.x; j < nh; j += blockDim.x) {
            float acc = 0.0f;
            for (int i = 0; i < nv; i++) acc += vs[i] * w[i * nh + j];
            float p = sigmoid_f(acc + bh[b * bhStride + j]);
            hs[j] = philox_uniform_at(b * nh + j, dh) < p ? 1.0f : 0.0f;
        }
        __syncthreads();
        for (int i = threadIdx.x; i < nv; i += blockDim.x) {
            float acc = 0.0f;
            for (int j = 0; j < nh; j++) acc += hs[j] * w[i * nh + j];
            float p = sigmoid_f(acc + bv[b * bvStride + i]);
            vs[i] = philox_uniform_at(b * nv + i, dv) < p ? 1.0f : 0.0f;
            if (vProb != 0 && s == k - 1) vProb[b * nv + i] = p;
        }
        __syncthreads();
    }
    for (int i = threadIdx.x; i < nv; i += blockDim.x) v[b * nv + i] = vs[i];
}
