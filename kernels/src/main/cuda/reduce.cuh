// Reductions, all accumulated in double as ScalarBackend does.
#pragma once
#include "common.cuh"

// Backend.columnSums: out[j] = alpha * sum_i x[i, j] + beta * out[j]. One thread per column summing rows in
// index order, so the result equals the scalar backend's bit for bit (and reads are coalesced across threads).
extern "C" __global__ void k_column_sums(float* out, const float* x, int rows, int cols, float alpha, float beta) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= cols) return;
    double s = 0;
    for (int i = 0; i < rows; i++) s += x[(long long) i * cols + j];
    out[j] = beta == 0.0f ? (float) (alpha * s) : (float) (alpha * s + beta * out[j]);
}

// Backend.rowSums: out[i] = alpha * sum_j x[i, j] + beta * out[i]. One block per row, a fixed-order tree.
extern "C" __global__ void k_row_sums(float* out, const float* x, int rows, int cols, float alpha, float beta) {
    extern __shared__ double scratch[];          // (blockDim.x)
    int i = blockIdx.x;
    double s = 0;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) s += x[(long long) i * cols + j];
    s = block_sum(s, scratch);
    if (threadIdx.x == 0) out[i] = beta == 0.0f ? (float) (alpha * s) : (float) (alpha * s + beta * out[i]);
}

// Backend.sum and Backend.sumOfSquares, first pass: partial[b] = the sum of block b's grid-strided share of
// x (or x^2). The host adds the partials in block order; for a given n the grid is fixed, so the result is
// deterministic run to run.
extern "C" __global__ void k_partial_sums(double* partial, const float* x, long long n, int squares) {
    extern __shared__ double scratch[];          // (blockDim.x)
    double s = 0;
    GRID_STRIDE(i, n) { double v = x[i]; s += squares ? v * v : v; }
    s = block_sum(s, scratch);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}
