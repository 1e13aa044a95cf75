// Backend.lstmCell and Backend.lstmCellBackward, side by side. z (B, 4H) holds the gates in column blocks
// (i, f, g, o). One thread per cell element (r, j); it owns the four gate entries of its column.
#pragma once
#include "common.cuh"

// One unit's cell, which the cell kernels and the persistent layer kernels below share: the gates' pre-activations
// zi, zf, zg, zo become their activations i = sigmoid, f = sigmoid, g = tanh, o = sigmoid; then c = f cp + i g and
// h = o tanh(c).
__device__ __forceinline__ void lstm_unit(float& zi, float& zf, float& zg, float& zo, float cp, float& c, float& h) {
    zi = sigmoid_f(zi);
    zf = sigmoid_f(zf);
    zg = (float) tanh((double) zg);
    zo = sigmoid_f(zo);
    c = zf * cp + zi * zg;
    h = zo * (float) tanh((double) c);
}

// Its backward, from the activations i, f, g, o, c and cp: with dC = dc + dh o (1 - tanh^2 c): d[0] = dz_i =
// dC g i (1 - i), d[1] = dz_f = dC cp f (1 - f), d[2] = dz_g = dC i (1 - g^2), d[3] = dz_o = dh tanh(c) o (1 - o);
// dc becomes dC f, the gradient reaching cp.
__device__ __forceinline__ void lstm_unit_backward(float i, float f, float g, float o, float c, float cp, float dh, float& dc,
                                                   float* d) {
    float tc = (float) tanh((double) c);
    float dC = dc + dh * o * (1.0f - tc * tc);
    d[0] = dC * g * i * (1.0f - i);
    d[1] = dC * cp * f * (1.0f - f);
    d[2] = dC * i * (1.0f - g * g);
    d[3] = dh * tc * o * (1.0f - o);
    dc = dC * f;
}

// Backend.lstmCell: z <- activations; c = f cPrev + i g; h = o tanh(c). cPrev null means c_0 = 0.
extern "C" __global__ void k_lstm_cell(float* h, float* c, float* z, const float* cPrev, int rows, int n) {
    GRID_STRIDE(e, (long long) rows * n) {
        long long r = e / n, j = e % n;
        float* zr = z + r * 4 * n;
        lstm_unit(zr[j], zr[n + j], zr[2 * n + j], zr[3 * n + j], cPrev == 0 ? 0.0f : cPrev[e], c[e], h[e]);
    }
}

// Backend.lstmCellBackward: lstm_unit_backward per element; dc <- the gradient reaching cPrev.
extern "C" __global__ void k_lstm_cell_backward(float* dz, float* dc, const float* dh, const float* z, const float* c,
                                                const float* cPrev, int rows, int n) {
    GRID_STRIDE(e, (long long) rows * n) {
        long long r = e / n, j = e % n;
        const float* zr = z + r * 4 * n;
        float d[4];
        lstm_unit_backward(zr[j], zr[n + j], zr[2 * n + j], zr[3 * n + j], c[e], cPrev == 0 ? 0.0f : cPrev[e], dh[e], dc[e], d);
        for (int q = 0; q < 4; q++) dz[r * 4 * n + q * n + j] = d[q];
    }
}

// Backend.lstmForward and Backend.lstmBackward as persistent kernels: one thread block walks all T steps of one
// sequence (B sequences, time-major: step s of sequence b is row s B + b) with Wh resident in shared memory, instead
// of a cuBLAS product and a cell launch per step (2T launches of ~9 us each against ~1 us of work). Thread j owns
// unit j (and j + blockDim, ... when H > blockDim): its four gate columns, its c and its h. Each one-row product adds
// in index order with -fmad=false, as the scalar backend's GEMM does, so the emulator reproduces it bit for bit.
// Shared memory: (4 H^2 + 2 H) floats forward, (4 H^2 + 4 H) backward: H = 120 (the 3 x 120 LSTM) needs 231,360 and
// 232,320 bytes of the H100's 232,448; the host falls back to the per-step path where it does not fit.

// Backend.lstmForward: for s = 0 .. T-1, z_s += h_{s-1} Wh, then the cell (lstm_unit). Wh (H, 4H)
// row-major as given: thread j reads row i at columns j, H + j, 2H + j, 3H + j (consecutive threads, consecutive
// words), h_{s-1}[i] a broadcast. h_{s-1} and h_s alternate between two buffers: one barrier per step. h0 null: no
// product at step 0; c0 null: c_{-1} = 0.
extern "C" __global__ void k_lstm_forward(float* h, float* c, float* z, const float* Wh, const float* h0, const float* c0,
                                          int steps, int batch, int n) {
    extern __shared__ float smem[];
    long long n4 = 4LL * n;
    float* w = smem;                              // (H, 4H) = Wh
    float* buf = w + n4 * n;                      // (2, H): h_{s-1} and h_s, alternating
    for (long long e = threadIdx.x; e < n4 * n; e += blockDim.x) w[e] = Wh[e];
    long long b = blockIdx.x;
    for (int j = threadIdx.x; j < n; j += blockDim.x) buf[j] = h0 == 0 ? 0.0f : h0[b * n + j];
    __syncthreads();
    for (int s = 0; s < steps; s++) {
        const float* prev = buf + (s & 1) * n;
        float* cur = buf + ((s + 1) & 1) * n;
        long long row = (long long) s * batch + b;
        float* zr = z + row * n4;
        for (int j = threadIdx.x; j < n; j += blockDim.x) {
            float zi = zr[j], zf = zr[n + j], zg = zr[2 * n + j], zo = zr[3 * n + j];
            if (s > 0 || h0 != 0) {
                float ai = 0.0f, af = 0.0f, ag = 0.0f, ao = 0.0f;
                for (int i = 0; i < n; i++) {
                    float hi = prev[i];
                    const float* wi = w + i * n4;
                    ai += hi * wi[j];
                    af += hi * wi[n + j];
                    ag += hi * wi[2 * n + j];
                    ao += hi * wi[3 * n + j];
                }
                zi += ai;                                // the GEMM's c + 1 * acc
                zf += af;
                zg += ag;
                zo += ao;
            }
            float cp = s > 0 ? c[(row - batch) * n + j] : (c0 == 0 ? 0.0f : c0[b * n + j]), cj, hj;
            lstm_unit(zi, zf, zg, zo, cp, cj, hj);
            zr[j] = zi;
            zr[n + j] = zf;
            zr[2 * n + j] = zg;
            zr[3 * n + j] = zo;
            c[row * n + j] = cj;
            h[row * n + j] = hj;
            cur[j] = hj;
        }
        __syncthreads();
    }
}

// Backend.lstmBackward: for s = T-1 .. 0, the cell's backward (lstm_unit_backward), then
// dh_{s-1} += dz_s Wh^T. Thread j needs row j of Wh against dz_s: Wh is stored transposed in shared memory
// (wt[k H + j] = Wh[j 4H + k]) so that consecutive threads read consecutive words. dc (B, H) row b and dh_{s-1}[j]
// are touched only by thread j, so only dz_s goes through shared memory: written, a barrier, read, a barrier.
extern "C" __global__ void k_lstm_backward(float* dz, float* dc, float* dh, const float* z, const float* c, const float* c0,
                                           const float* Wh, int steps, int batch, int n) {
    extern __shared__ float smem[];
    long long n4 = 4LL * n;
    float* wt = smem;                             // (4H, H) = Wh^T
    float* buf = wt + n4 * n;                     // (4H): dz_s
    for (long long e = threadIdx.x; e < n4 * n; e += blockDim.x) {
        long long j = e / n4, k = e % n4;
        wt[k * n + j] = Wh[e];
    }
    long long b = blockIdx.x;
    __syncthreads();
    for (int s = steps - 1; s >= 0; s--) {
        long long row = (long long) s * batch + b;
        const float* zr = z + row * n4;
        float* dzr = dz + row * n4;
        for (int j = threadIdx.x; j < n; j += blockDim.x) {
            float cp = s > 0 ? c[(row - batch) * n + j] : (c0 == 0 ? 0.0f : c0[b * n + j]), d[4];
            lstm_unit_backward(zr[j], zr[n + j], zr[2 * n + j], zr[3 * n + j], c[row * n + j], cp, dh[row * n + j], dc[b * n + j], d);
            for (int q = 0; q < 4; q++) {
                dzr[q * n + j] = d[q];
                buf[q * n + j] = d[q];
            }
        }
        __syncthreads();
        if (s > 0) {
            for (int j = threadIdx.x; j < n; j += blockDim.x) {
                float acc = 0.0f;
                for (long long k = 0; k < n4; k++) acc += buf[k] * wt[k * n + j];
                dh[(row - batch) * n + j] += acc;        // the GEMM's c + 1 * acc
            }
        }
        __syncthreads();
    }
}
