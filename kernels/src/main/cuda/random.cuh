// Backend.uniform and Backend.bernoulli. Thread t owns Philox block first + t, i.e. elements 4t .. 4t+3, so
// each block is computed once.
#pragma once
#include "philox.cuh"

// The Philox arguments every random kernel takes, in this order (see PhiloxDraw).
#define PHILOX_PARAMS unsigned int k0, unsigned int k1, unsigned int s0, unsigned int s1, unsigned long long first
#define PHILOX_DRAW PhiloxDraw{k0, k1, s0, s1, first}

// Backend.uniform: out[e] = uniform of element e of the draw
extern "C" __global__ void k_uniform(float* out, long long n, PHILOX_PARAMS) {
    PhiloxDraw d = PHILOX_DRAW;
    GRID_STRIDE(t, (n + 3) >> 2) {
        uint4 w = philox_block(d.first + t, d);
        for (int j = 0; j < 4 && 4 * t + j < n; j++) out[4 * t + j] = philox_uniform(philox_word(w, j));
    }
}

// Backend.bernoulli: out[e] = 1 if uniform(e) < p[e] else 0 (in place over p is fine)
extern "C" __global__ void k_bernoulli(float* out, const float* p, long long n, PHILOX_PARAMS) {
    PhiloxDraw d = PHILOX_DRAW;
    GRID_STRIDE(t, (n + 3) >> 2) {
        uint4 w = philox_block(d.first + t, d);
        for (int j = 0; j < 4 && 4 * t + j < n; j++) {
            long long e = 4 * t + j;
            out[e] = philox_uniform(philox_word(w, j)) < p[e] ? 1.0f : 0.0f;
        }
    }
}
