// Elementwise ops and the BLAS-1-like helpers of dev.tessitura.engine.Backend. Every pointer is a contiguous
// view (the backend adds the view's offset); n is the element count. In-place calls (out == an input) are fine:
// each thread reads its element before writing it.
#pragma once
#include "common.cuh"

// Backend.add: out = a + b
extern "C" __global__ void k_add(float* out, const float* a, const float* b, long long n) {
    GRID_STRIDE(i, n) out[i] = a[i] + b[i];
}

// Backend.sub: out = a - b
extern "C" __global__ void k_sub(float* out, const float* a, const float* b, long long n) {
    GRID_STRIDE(i, n) out[i] = a[i] - b[i];
}

// Backend.mul: out = a * b
extern "C" __global__ void k_mul(float* out, const float* a, const float* b, long long n) {
    GRID_STRIDE(i, n) out[i] = a[i] * b[i];
}

// Backend.addMul: out += a * b (two roundings, as in Java; see common.cuh)
extern "C" __global__ void k_add_mul(float* out, const float* a, const float* b, long long n) {
    GRID_STRIDE(i, n) out[i] += a[i] * b[i];
}

// Backend.clip: out = min(max(x, lo), hi)
extern "C" __global__ void k_clip(float* out, const float* x, long long n, float lo, float hi) {
    GRID_STRIDE(i, n) out[i] = fminf(fmaxf(x[i], lo), hi);
}

// Backend.sigmoid: out = 1 / (1 + e^-x)
extern "C" __global__ void k_sigmoid(float* out, const float* x, long long n) {
    GRID_STRIDE(i, n) out[i] = sigmoid_f(x[i]);
}

// Backend.tanh
extern "C" __global__ void k_tanh(float* out, const float* x, long long n) {
    GRID_STRIDE(i, n) out[i] = (float) tanh((double) x[i]);
}

// Backend.softplus: out = log(1 + e^x)
extern "C" __global__ void k_softplus(float* out, const float* x, long long n) {
    GRID_STRIDE(i, n) out[i] = softplus_f(x[i]);
}

// Backend.logSigmoid: out = -softplus(-x)
extern "C" __global__ void k_log_sigmoid(float* out, const float* x, long long n) {
    GRID_STRIDE(i, n) out[i] = -softplus_f(-x[i]);
}

// Backend.exp
extern "C" __global__ void k_exp(float* out, const float* x, long long n) {
    GRID_STRIDE(i, n) out[i] = (float) exp((double) x[i]);
}

// Backend.sigmoidBackward: dx = dy * y * (1 - y)
extern "C" __global__ void k_sigmoid_backward(float* dx, const float* dy, const float* y, long long n) {
    GRID_STRIDE(i, n) { float yi = y[i]; dx[i] = dy[i] * yi * (1.0f - yi); }
}

// Backend.tanhBackward: dx = dy * (1 - y^2)
extern "C" __global__ void k_tanh_backward(float* dx, const float* dy, const float* y, long long n) {
    GRID_STRIDE(i, n) { float yi = y[i]; dx[i] = dy[i] * (1.0f - yi * yi); }
}

// Backend.scale: x *= alpha
extern "C" __global__ void k_scale(float* x, long long n, float alpha) {
    GRID_STRIDE(i, n) x[i] *= alpha;
}

// Backend.axpy: y += alpha * x
extern "C" __global__ void k_axpy(float* y, const float* x, long long n, float alpha) {
    GRID_STRIDE(i, n) y[i] += alpha * x[i];
}

// Backend.transpose: out (cols, rows) = a^T, a (rows, cols); thread i reads a[i] (coalesced reads)
extern "C" __global__ void k_transpose(float* out, const float* a, long long n, int rows, int cols) {
    GRID_STRIDE(i, n) out[(i % cols) * rows + i / cols] = a[i];
}

// Backend.gatherRows: dst row r = src row rows[r], the indices held as floats; one that is not a row of src gives a
// row of NaN (a kernel cannot throw: the trainer's finite checks then stop). Element i of dst per thread (coalesced
// writes; each row's reads are contiguous too).
extern "C" __global__ void k_gather_rows(float* dst, const float* src, const float* rows, long long n, int cols, int srcRows) {
    GRID_STRIDE(i, n) {
        float x = rows[i / cols];
        bool row = x >= 0.0f && x < (float) srcRows && x == floorf(x);
        dst[i] = row ? src[(long long) x * cols + i % cols] : nanf("");
    }
}

// Backend.addRowVector: out[i, j] = x[i, j] + bias[j]
extern "C" __global__ void k_add_row_vector(float* out, const float* x, const float* bias, long long n, int cols) {
    GRID_STRIDE(i, n) out[i] = x[i] + bias[i % cols];
}
