// Optimizer steps over one parameter block.
#pragma once
#include "common.cuh"

// Backend.adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr (m / c1) / (sqrt(v / c2) + eps),
// with the bias corrections c1 = 1 - b1^t, c2 = 1 - b2^t computed on the host as ScalarBackend does.
extern "C" __global__ void k_adam(float* p, const float* g, float* m, float* v, long long n, float lr, float beta1,
                                  float beta2, float eps, float c1, float c2) {
    GRID_STRIDE(i, n) {
        float gi = g[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * gi;
        float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr * (mi / c1) / (sqrtf(vi / c2) + eps);
    }
}

// Backend.momentum: v = mu v - lr g; p += v, or (Nesterov) p += mu v - lr g. Each product and sum rounded as the
// interface's op sequence rounds it (k_scale's v mu, then k_axpy's y + alpha x), so the bits are those of the ops.
extern "C" __global__ void k_momentum(float* p, const float* g, float* v, long long n, float lr, float mu, int nesterov) {
    GRID_STRIDE(i, n) {
        float gi = g[i], vi = v[i] * mu;
        vi += -lr * gi;
        v[i] = vi;
        float pi = p[i];
        if (nesterov) {
            pi += mu * vi;
            pi += -lr * gi;
        } else {
            pi += 1.0f * vi;
        }
        p[i] = pi;
    }
}

// Backend.rmsprop: r = decay r + (1 - decay) g^2; p -= lr g / (sqrt(r) + eps)
extern "C" __global__ void k_rmsprop(float* p, const float* g, float* r, long long n, float lr, float decay, float eps) {
    GRID_STRIDE(i, n) {
        float gi = g[i];
        float ri = decay * r[i] + (1.0f - decay) * gi * gi;
        r[i] = ri;
        p[i] -= lr * gi / (sqrtf(ri) + eps);
    }
}
