// Philox4x32-10 (Salmon et al., SC'11) with Tessitura's addressing, bit for bit the same as
// dev.tessitura.engine.Philox (engine-api), which is the reference these functions are tested against:
//   key = (seed lo, seed hi); counter = (block lo, block hi, stream lo, stream hi);
//   element e of a draw starting at block b0 is word (e & 3) of block b0 + (e >> 2);
//   uniform = (word >> 8) * 2^-24 in [0, 1); bernoulli(p) = uniform < p.
#pragma once

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

// The Philox parameters of one draw, passed by value to every random kernel.
struct PhiloxDraw {
    unsigned int k0, k1;          // key: seed lo, seed hi
    unsigned int s0, s1;          // stream lo, stream hi
    unsigned long long first;     // first block of the draw (Rng.take)
};

__device__ __forceinline__ uint4 philox_block(unsigned long long block, PhiloxDraw d) {
    unsigned int c0 = (unsigned int) block, c1 = (unsigned int) (block >> 32), c2 = d.s0, c3 = d.s1;
    unsigned int k0 = d.k0, k1 = d.k1;
#pragma unroll
    for (int r = 0; r < 10; r++) {
        if (r > 0) { k0 += PHILOX_W0; k1 += PHILOX_W1; }
        unsigned int hi0 = __umulhi(PHILOX_M0, c0), lo0 = PHILOX_M0 * c0;
        unsigned int hi1 = __umulhi(PHILOX_M1, c2), lo1 = PHILOX_M1 * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    return make_uint4(c0, c1, c2, c3);
}

__device__ __forceinline__ unsigned int philox_word(uint4 w, int j) {
    return j == 0 ? w.x : j == 1 ? w.y : j == 2 ? w.z : w.w;
}

// top 24 bits times 2^-24: exact in float32
__device__ __forceinline__ float philox_uniform(unsigned int word) {
    return (float) (word >> 8) * 5.9604644775390625e-8f;
}

// The uniform for element e of a draw (one block per element: for fused kernels whose threads do not own
// whole groups of four elements).
__device__ __forceinline__ float philox_uniform_at(unsigned long long e, PhiloxDraw d) {
    return philox_uniform(philox_word(philox_block(d.first + (e >> 2), d), (int) (e & 3)));
}
