// Reductions, all accumulated in double as ScalarBackend does.
#pragma once
#include "common.cuh"

// Backend.columnSums: out[j] = alpha * sum_i x[i, j] + beta * out[j]. One thread per column summing rows in
// index order, so the result equals the scalar backend's bit for bit (and reads are coalesced across threads).
// A block of 256 threads per 32 columns: thread (c, r) = (tid % 32, tid / 32) adds rows r, r + 8, ... of column c (in
// double; consecutive threads, consecutive words), then thread (c, 0) adds the column's 8 partial sums in order: a
// fixed order, so the result is the same run to run, and 8 times as many threads as columns share the rows (3,200
// rows: 400 dependent adds each instead of 3,200). The CPU adds the rows in order: the float result may differ in
// the last bit where the two double sums round differently.
extern "C" __global__ void k_column_sums(float* out, const float* x, int rows, int cols, float alpha, float beta) {
    extern __shared__ double scratch[];          // (256): the partial sums, [r][c]
    int c = threadIdx.x % 32, r = threadIdx.x / 32, j = blockIdx.x * 32 + c;
    double s = 0;
    if (j < cols) for (int i = r; i < rows; i += 8) s += x[(long long) i * cols + j];
    scratch[r * 32 + c] = s;
    __syncthreads();
    if (r == 0 && j < cols) {
        double t = scratch[c];
        for (int q = 1; q < 8; q++) t += scratch[q * 32 + c];
        out[j] = beta == 0.0f ? (float) (alpha * t) : (float) (alpha * t + beta * out[j]);
    }
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
