// Annealed importance sampling (the model's Ais): each half of one temperature over R chains in one pass.
#pragma once
#include "random.cuh"

// Backend.aisHidden, after cuBLAS wrote x = v W (R, nh): with y = x + bh,
//   w[r] += sum_j softplus(beta y_rj) - sum_j softplus(betaPrev y_rj),   h = bernoulli(sigmoid(beta y)) unless h is null,
// x left holding y. One block per chain (row): its threads stride over the row, the two sums are block_sum's fixed
// tree in double, then thread 0 updates w in the backend's order (w + current, then - previous, in float). The
// draw is element r nh + j of a draw of R nh (Backend.bernoulli's). Replaces ten ops, each a pass over (R, nh).
extern "C" __global__ void k_ais_hidden(float* w, float* h, float* x, const float* bh, int bhStride, int nh,
                                        float betaPrev, float beta, PHILOX_PARAMS) {
    extern __shared__ double scratch[];          // (blockDim.x)
    PhiloxDraw d = PHILOX_DRAW;
    long long r = blockIdx.x;
    double prev = 0, cur = 0;
    for (int j = threadIdx.x; j < nh; j += blockDim.x) {
        long long e = r * nh + j;
        float y = x[e] + bh[r * bhStride + j];
        x[e] = y;
        float z = beta * y;
        prev += softplus_f(betaPrev * y);
        cur += softplus_f(z);
        if (h != 0) h[e] = philox_uniform_at(e, d) < sigmoid_f(z) ? 1.0f : 0.0f;
    }
    prev = block_sum(prev, scratch);
    cur = block_sum(cur, scratch);
    if (threadIdx.x == 0) w[r] = (w[r] + (float) cur) - (float) prev;
}

// Backend.aisVisible, after cuBLAS wrote x = beta h W^T (R, nv): with a (the base-rate biases) not null,
//   w[r] += (beta - betaPrev) v_r.bv_r + (betaPrev - beta) v_r.a_r       for the v on entry,
// then, unless x is null, v = bernoulli(sigmoid(x + bv_beta)), bv_beta = beta bv + (1 - beta) a (bv when a is null).
// One block per chain: each thread reads and then redraws the same elements of its row, so the dot products see the
// old v without a second buffer; the sums are block_sum's tree in double over the float products, thread 0 updates
// w in the backend's order. The draw is element r nv + i of a draw of R nv. Replaces about twelve ops over (R, nv).
extern "C" __global__ void k_ais_visible(float* w, float* v, const float* x, const float* bv, const float* a, int biasStride,
                                         int nv, float betaPrev, float beta, PHILOX_PARAMS) {
    extern __shared__ double scratch[];          // (blockDim.x)
    PhiloxDraw d = PHILOX_DRAW;
    long long r = blockIdx.x;
    if (a != 0) {
        double vb = 0, va = 0;
        for (int i = threadIdx.x; i < nv; i += blockDim.x) {
            float vi = v[r * nv + i];
            vb += (double) (vi * bv[r * biasStride + i]);
            va += (double) (vi * a[r * biasStride + i]);
        }
        vb = block_sum(vb, scratch);
        va = block_sum(va, scratch);
        if (threadIdx.x == 0) w[r] = (w[r] + (beta - betaPrev) * (float) vb) + (betaPrev - beta) * (float) va;
    }
    if (x == 0) return;
    for (int i = threadIdx.x; i < nv; i += blockDim.x) {
        long long e = r * nv + i;
        float b = bv[r * biasStride + i];
        if (a != 0) b = b * beta + (1.0f - beta) * a[r * biasStride + i];
        v[e] = philox_uniform_at(e, d) < sigmoid_f(x[e] + b) ? 1.0f : 0.0f;
    }
}
