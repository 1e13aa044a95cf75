// Backend.uniform and Backend.bernoulli. Thread t owns Philox block first + t, i.e. elements 4t .. 4t+3, so
// each block is computed once.
#pragma once
#include "philox.cuh"

// The Philox arguments every random kernel takes, in this order (see PhiloxDraw). The draw starts at block
// first + *replay: replay is null in a plain launch; in a recorded step (a CUDA graph) it points at the device word
// that says how far the Rng has moved since the recording, so that each replay draws new numbers (Backend.record).
#define PHILOX_PARAMS unsigned int k0, unsigned int k1, unsigned int s0, unsigned int s1, unsigned long long first, \
                      const unsigned long long* replay
#define PHILOX_DRAW PhiloxDraw{k0, k1, s0, s1, first + (replay != 0 ? *replay : 0ULL)}

// Backend.record's replays: *word = value, the Rng's advance since the recording, before the graph runs
extern "C" __global__ void k_store_offset(unsigned long long* word, unsigned long long value) {
    if (threadIdx.x == 0 && blockIdx.x == 0) *word = value;
}

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
