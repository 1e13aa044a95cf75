// Annealed importance sampling (the model's Ais): the hidden half of one temperature over R chains in one pass.
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
