// Backend.lstmCell and Backend.lstmCellBackward, side by side. z (B, 4H) holds the gates in column blocks
// (i, f, g, o). One thread per cell element (r, j); it owns the four gate entries of its column.
#pragma once
#include "common.cuh"

// Backend.lstmCell: z <- activations; c = f cPrev + i g; h = o tanh(c). cPrev null means c_0 = 0.
extern "C" __global__ void k_lstm_cell(float* h, float* c, float* z, const float* cPrev, int rows, int n) {
    GRID_STRIDE(e, (long long) rows * n) {
        long long r = e / n, j = e % n, zr = r * 4 * n;
        float i = sigmoid_f(z[zr + j]), f = sigmoid_f(z[zr + n + j]);
        float g = (float) tanh((double) z[zr + 2 * n + j]), o = sigmoid_f(z[zr + 3 * n + j]);
        z[zr + j] = i;
        z[zr + n + j] = f;
        z[zr + 2 * n + j] = g;
        z[zr + 3 * n + j] = o;
        float cp = cPrev == 0 ? 0.0f : cPrev[e];
        float cj = f * cp + i * g;
        c[e] = cj;
        h[e] = o * (float) tanh((double) cj);
    }
}

// Backend.lstmCellBackward: with dC = dc + dh o (1 - tanh^2 c): dz_i = dC g i (1 - i), dz_f = dC cPrev f (1 - f),
// dz_g = dC i (1 - g^2), dz_o = dh tanh(c) o (1 - o); dc <- dC f.
extern "C" __global__ void k_lstm_cell_backward(float* dz, float* dc, const float* dh, const float* z, const float* c,
                                                const float* cPrev, int rows, int n) {
    GRID_STRIDE(e, (long long) rows * n) {
        long long r = e / n, j = e % n, zr = r * 4 * n;
        float i = z[zr + j], f = z[zr + n + j], g = z[zr + 2 * n + j], o = z[zr + 3 * n + j];
        float tc = (float) tanh((double) c[e]);
        float cp = cPrev == 0 ? 0.0f : cPrev[e];
        float dhj = dh[e];
        float dC = dc[e] + dhj * o * (1.0f - tc * tc);
        dz[zr + j] = dC * g * i * (1.0f - i);
        dz[zr + n + j] = dC * cp * f * (1.0f - f);
        dz[zr + 2 * n + j] = dC * i * (1.0f - g * g);
        dz[zr + 3 * n + j] = dhj * tc * o * (1.0f - o);
        dc[e] = dC * f;
    }
}
