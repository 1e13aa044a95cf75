// NADE (Backend.nadeForward, nadeBackward, nadeSample). The forward pass and sampling take a block per frame: the
// block keeps a (nh) and h = sigmoid(a) in shared memory, and a changes only after a unit that is on, so the units
// fall into runs that share one h; within a run the threads take a unit each and its s_i = bv_i + h . V[:, i] adds in
// index order (-fmad=false), as ScalarNade does, so p agrees with the scalar backend bit for bit up to the last bit
// of exp. The backward pass takes a block per hidden unit j and a thread per frame, so that dW[:, j] and dV[j, :]
// are sums over the frames in a fixed tree (block_sum) with no atomics.
// A bias is a vector (stride 0) or one row per frame (stride cols), as Checks.bias allows.
#pragma once
#include "random.cuh"

// log(1 + e^x) in double, not rounded: the log-likelihood's terms, summed in double as ScalarNade does
__device__ __forceinline__ double softplus_d(double x) {
    return fmax(x, 0.0) + log1p(exp(-fabs(x)));
}

// The last unit of the run that starts at i0: the first unit from i0 on that is on, or nv - 1. Every thread of the
// block gets the same answer, so the loops around it stay uniform.
__device__ __forceinline__ int nade_run_end(const float* v, int i0, int nv) {
    int i = i0;
    while (i < nv - 1 && v[i] == 0.0f) i++;
    return i;
}

// s_i = bv_i + h . V[:, i], in index order; V (nh, nv) row-major, so threads taking consecutive i read consecutive words
__device__ __forceinline__ float nade_s(const float* h, const float* V, float bvi, int i, int nv, int nh) {
    float s = bvi;
    for (int j = 0; j < nh; j++) s += h[j] * V[(long long) j * nv + i];
    return s;
}

// a += vi W[i, :] and h = sigmoid(a) over the block's threads, with the barriers around them
__device__ __forceinline__ void nade_step(float* a, float* h, const float* W, float vi, int i, int nh, bool add) {
    if (add) for (int j = threadIdx.x; j < nh; j += blockDim.x) a[j] += vi * W[(long long) i * nh + j];
    __syncthreads();
    for (int j = threadIdx.x; j < nh; j += blockDim.x) h[j] = sigmoid_f(a[j]);
    __syncthreads();
}

// Backend.nadeForward: one block per frame b. Shared memory: nv doubles (the log-likelihood's terms, summed by thread
// 0 in index order), then a and h (nh floats each).
extern "C" __global__ void k_nade_forward(float* logp, float* p, const float* v, const float* W, const float* V,
                                          const float* bv, int bvStride, const float* bh, int bhStride, int nv, int nh) {
    extern __shared__ double scratch[];
    double* terms = scratch;                     // (nv)
    float* a = (float*) (terms + nv);            // (nh)
    float* h = a + nh;                           // (nh)
    long long b = blockIdx.x;
    const float* vb = v + b * nv;
    for (int j = threadIdx.x; j < nh; j += blockDim.x) a[j] = bh[b * bhStride + j];   // a_0 = bh(b)
    nade_step(a, h, W, 0.0f, 0, nh, false);
    for (int i0 = 0; i0 < nv;) {
        int i1 = nade_run_end(vb, i0, nv);
        for (int i = i0 + threadIdx.x; i <= i1; i += blockDim.x) {
            float s = nade_s(h, V, bv[b * bvStride + i], i, nv, nh);
            p[b * nv + i] = sigmoid_f(s);
            double vi = vb[i];
            terms[i] = vi * softplus_d(-(double) s) + (1 - vi) * softplus_d((double) s);   // -log p(v_i)
        }
        __syncthreads();                         // every s of the run has read h
        if (i1 + 1 < nv) nade_step(a, h, W, vb[i1], i1, nh, vb[i1] != 0.0f);
        i0 = i1 + 1;
    }
    if (threadIdx.x == 0) {
        double lp = 0;
        for (int i = 0; i < nv; i++) lp -= terms[i];
        logp[b] = (float) lp;
    }
}

// Backend.nadeSample: one block per frame b, drawing unit i with element b nv + i of the draw. From i0, the threads
// compute s for the next blockDim units with the current h (a guess: valid up to the first unit drawn on), then
// thread 0 draws them in order up to the first that comes out on, where a changes. Shared memory: s (blockDim), the
// run's end, a and h (nh each), all floats.
extern "C" __global__ void k_nade_sample(float* v, float* p, const float* W, const float* V, const float* bv, int bvStride,
                                         const float* bh, int bhStride, int nv, int nh, PHILOX_PARAMS) {
    extern __shared__ double scratch[];
    float* s = (float*) scratch;                 // (blockDim)
    float* end = s + blockDim.x;                 // (1): the last unit drawn in this round
    float* a = end + 1;                          // (nh)
    float* h = a + nh;                           // (nh)
    PhiloxDraw d = PHILOX_DRAW;
    long long b = blockIdx.x;
    float* vb = v + b * nv;
    for (int j = threadIdx.x; j < nh; j += blockDim.x) a[j] = bh[b * bhStride + j];
    nade_step(a, h, W, 0.0f, 0, nh, false);
    for (int i0 = 0; i0 < nv;) {
        int n = nv - i0 < (int) blockDim.x ? nv - i0 : (int) blockDim.x;
        if (threadIdx.x < n) s[threadIdx.x] = nade_s(h, V, bv[b * bvStride + i0 + threadIdx.x], i0 + threadIdx.x, nv, nh);
        __syncthreads();
        if (threadIdx.x == 0) {
            int i = i0;
            for (;; i++) {
                float pi = sigmoid_f(s[i - i0]);
                float vi = philox_uniform_at(b * nv + i, d) < pi ? 1.0f : 0.0f;
                p[b * nv + i] = pi;
                vb[i] = vi;
                if (vi != 0.0f || i == i0 + n - 1) break;
            }
            end[0] = (float) i;
        }
        __syncthreads();
        int i1 = (int) end[0];
        if (i1 + 1 < nv) nade_step(a, h, W, vb[i1], i1, nh, vb[i1] != 0.0f);
        i0 = i1 + 1;
    }
}

// a_i of frame t at hidden unit j in the forward pass's order: bh + v_k W[k, j] for the units k < i that are on
__device__ __forceinline__ float nade_a(const float* vt, const float* W, float bhj, int i, int j, int nh) {
    float a = bhj;
    for (int k = 0; k < i; k++) if (vt[k] != 0.0f) a += vt[k] * W[(long long) k * nh + j];
    return a;
}

// Backend.nadeBackward without dBv (the host adds alpha (p - v) with the elementwise ops): one block per hidden unit
// j, thread t per frame (blocks of blockDim frames at a time). Each thread walks its frame's units from nv - 1 down,
// carrying da = d/d a_{i+1} at unit j, and recomputes a_i in the forward's order each time it passes a unit that is
// on (a changes nowhere else), so that h_i has the forward's bits. Per unit i the frames' terms of dW[i, j] and
// dV[j, i] are added by block_sum (double, a fixed tree; blockDim a power of two), then once into the gradient.
// dBh (rows, nh) per frame (dBhStride nh) or (nh) summed (0). Shared memory: blockDim doubles.
extern "C" __global__ void k_nade_backward(float* dW, float* dV, float* dBh, int dBhStride, const float* v, const float* p,
                                           const float* W, const float* V, const float* bh, int bhStride, int rows, int nv,
                                           int nh, float alpha) {
    extern __shared__ double scratch[];          // (blockDim)
    int j = blockIdx.x;
    double dBhSum = 0;
    for (int r0 = 0; r0 < rows; r0 += blockDim.x) {
        int t = r0 + threadIdx.x;
        bool live = t < rows;
        const float* vt = v + (long long) (live ? t : 0) * nv;
        float bhj = live ? bh[(long long) t * bhStride + j] : 0.0f;
        float a = live ? nade_a(vt, W, bhj, nv - 1, j, nh) : 0.0f, da = 0.0f;
        for (int i = nv - 1; i >= 0; i--) {
            float vi = live ? vt[i] : 0.0f;
            float h = sigmoid_f(a);
            float ds = live ? alpha * (p[(long long) t * nv + i] - vi) : 0.0f;
            double gW = (double) (vi * da), gV = (double) (ds * h);   // dW[i, j] += v_i da_{i+1}; dV[j, i] += ds_i h_i
            da += ds * V[(long long) j * nv + i] * h * (1.0f - h);
            gW = block_sum(gW, scratch);
            gV = block_sum(gV, scratch);
            if (threadIdx.x == 0) {
                dW[(long long) i * nh + j] += (float) gW;
                dV[(long long) j * nv + i] += (float) gV;
            }
            if (live && i > 0 && vt[i - 1] != 0.0f) a = nade_a(vt, W, bhj, i - 1, j, nh);
        }
        if (live && dBhStride != 0) dBh[(long long) t * dBhStride + j] += da;
        if (live) dBhSum += da;
    }
    if (dBhStride == 0) {
        dBhSum = block_sum(dBhSum, scratch);
        if (threadIdx.x == 0) dBh[j] += (float) dBhSum;
    }
}
