package dev.tessitura.engine.cpu.simd;

import static dev.tessitura.engine.cpu.simd.SimdGemm.MR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SimdGemm's path for a mostly-zero op(A) (0/1 samples, piano rolls) and for a single row: C row by row over each
 * row's nonzeros, with SimdGemm's epilogue, so that it gives the tiled path's bits (see SimdGemm's class comment).
 */
final class SimdGemmSparse {
    private final SimdGemm gemm;
    private final Lanes lanes;

    SimdGemmSparse(SimdGemm gemm) {
        this.gemm = gemm;
        this.lanes = gemm.lanes;
    }

    /**
     * C row by row: row i = alpha * sum over op(A)[i, p] != 0 of op(A)[i, p] * B[p, :] + beta * C[i, :], with B = op(B)
     * row-major (k, n). Each element is the FMA chain of the tiled kernel without its a = 0 terms (the same bits, see
     * SimdGemm's class comment) and gets the same epilogue. Blocks of MR rows are shared among threads and reported to
     * {@code rowsDone} as the tiled path's are.
     *
     * <p>Columns go twelve vectors at a time; the last n mod 12 vectors in one block of four or twelve vectors that
     * reads past them, into the rest of B's row (or the next row): those lanes are summed and never stored, and
     * the B rows of a block that would run past the end of the array are added by a scalar loop instead, in the
     * same order. (A zero-padded copy of the last columns cost a copy per call, which a one-row product cannot
     * spread over rows.)
     */
    void rows(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, boolean transA,
              float[] b, int bOff, int ldb, int m, int n, int k, float alpha, float beta,
              WorkerPool pool, boolean parallel, SimdGemm.RowsDone rowsDone) {
        int w = 4 * lanes.floats().length();
        int blocks = (m + MR - 1) / MR;
        pool.forRange(blocks, parallel, (from, to) -> {
            int[] idx = new int[k];   // the nonzeros' p
            float[] val = new float[k], sums = new float[3 * w];
            // C = 1 * sums + 0 * C is the sums themselves (acc * 1 is exact): whole blocks go straight to C, which
            // for the sparsest rows (the chain's v W: ~4 nonzeros) saves most of a block's work
            boolean plain = alpha == 1f && beta == 0f;
            for (int blk = from; blk < to; blk++) {
                int i0 = blk * MR, i1 = Math.min(m, i0 + MR);
                for (int i = i0; i < i1; i++) {
                    int nnz = transA ? nonzeros(a, aOff + i, lda, k, idx, val)
                            : nonzeros(a, aOff + i * lda, k, idx, val);
                    int ci = cOff + i * ldc, j = 0;
                    for (; j + 3 * w <= n; j += 3 * w) {
                        if (plain) {
                            sums12(c, ci + j, idx, val, nnz, b, bOff + j, ldb);
                        } else {
                            sums12(sums, 0, idx, val, nnz, b, bOff + j, ldb);
                            gemm.storeTile(c, ci + j, ldc, sums, 1, 3 * w, alpha, beta);
                        }
                    }
                    if (j < n) {
                        int cols = n - j, width = cols <= w ? w : 3 * w, bj = bOff + j;
                        // the nonzeros whose block of B lies inside the array: a prefix, since idx ascends
                        int inside = nnz;
                        while (inside > 0 && (long) bj + (long) idx[inside - 1] * ldb + width > b.length) inside--;
                        if (width == w) sums4(sums, idx, val, inside, b, bj, ldb);
                        else sums12(sums, 0, idx, val, inside, b, bj, ldb);
                        for (int q = inside; q < nnz; q++) {
                            int bi = bj + idx[q] * ldb;
                            for (int t = 0; t < cols; t++) sums[t] = Math.fma(val[q], b[bi + t], sums[t]);
                        }
                        gemm.storeTile(c, ci + j, ldc, sums, 1, cols, alpha, beta);
                    }
                }
                if (rowsDone != null) rowsDone.rows(i0, i1);
            }
        });
    }

    /**
     * The nonzeros of a[ai .. ai + k) in order: val[q] = a[ai + idx[q]]. A vector compare per 8 elements and a walk
     * over its mask's set bits (a branch per element mispredicts on random samples).
     */
    private int nonzeros(float[] a, int ai, int k, int[] idx, float[] val) {
        VectorSpecies<Float> s = lanes.floats();
        int nnz = 0, p = 0;
        for (int bound = s.loopBound(k); p < bound; p += s.length()) {
            long bits = FloatVector.fromArray(s, a, ai + p).compare(VectorOperators.NE, 0f).toLong();
            for (; bits != 0; bits &= bits - 1) {
                int q = p + Long.numberOfTrailingZeros(bits);
                idx[nnz] = q;
                val[nnz++] = a[ai + q];
            }
        }
        for (; p < k; p++) {
            if (a[ai + p] != 0f) {
                idx[nnz] = p;
                val[nnz++] = a[ai + p];
            }
        }
        return nnz;
    }

    /** {@link #nonzeros(float[], int, int, int[], float[])} of a column: a[ai + p * lda], p = 0..k-1. */
    private static int nonzeros(float[] a, int ai, int lda, int k, int[] idx, float[] val) {
        int nnz = 0;
        for (int p = 0; p < k; p++) {
            float x = a[ai + p * lda];
            if (x != 0f) {
                idx[nnz] = p;
                val[nnz++] = x;
            }
        }
        return nnz;
    }

    /**
     * sums[at .. at + 12 vectors) = sum_q val[q] * b[bj + idx[q] * ldb ..], the raw FMA chains (the caller applies the
     * epilogue: twelve calls of SimdGemm's finish here would exceed C2's inlining budget and box the accumulators).
     * Twelve chains: a row of the chain's h W^T (88 columns) in one pass over its nonzeros instead of two (eight
     * vectors, then four); with the broadcast and the loads folded into the FMAs they still fit the 16 AVX2
     * registers.
     */
    private void sums12(float[] sums, int at, int[] idx, float[] val, int nnz, float[] b, int bj, int ldb) {
        VectorSpecies<Float> s = lanes.floats();
        int len = s.length();
        FloatVector c0 = FloatVector.zero(s), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0,
                c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int q = 0; q < nnz; q++) {
            FloatVector av = FloatVector.broadcast(s, val[q]);
            int bi = bj + idx[q] * ldb;
            c0 = av.fma(FloatVector.fromArray(s, b, bi), c0);
            c1 = av.fma(FloatVector.fromArray(s, b, bi + len), c1);
            c2 = av.fma(FloatVector.fromArray(s, b, bi + 2 * len), c2);
            c3 = av.fma(FloatVector.fromArray(s, b, bi + 3 * len), c3);
            c4 = av.fma(FloatVector.fromArray(s, b, bi + 4 * len), c4);
            c5 = av.fma(FloatVector.fromArray(s, b, bi + 5 * len), c5);
            c6 = av.fma(FloatVector.fromArray(s, b, bi + 6 * len), c6);
            c7 = av.fma(FloatVector.fromArray(s, b, bi + 7 * len), c7);
            c8 = av.fma(FloatVector.fromArray(s, b, bi + 8 * len), c8);
            c9 = av.fma(FloatVector.fromArray(s, b, bi + 9 * len), c9);
            c10 = av.fma(FloatVector.fromArray(s, b, bi + 10 * len), c10);
            c11 = av.fma(FloatVector.fromArray(s, b, bi + 11 * len), c11);
        }
        c0.intoArray(sums, at);
        c1.intoArray(sums, at + len);
        c2.intoArray(sums, at + 2 * len);
        c3.intoArray(sums, at + 3 * len);
        c4.intoArray(sums, at + 4 * len);
        c5.intoArray(sums, at + 5 * len);
        c6.intoArray(sums, at + 6 * len);
        c7.intoArray(sums, at + 7 * len);
        c8.intoArray(sums, at + 8 * len);
        c9.intoArray(sums, at + 9 * len);
        c10.intoArray(sums, at + 10 * len);
        c11.intoArray(sums, at + 11 * len);
    }

    /**
     * {@link #sums12} a third as wide, for the last columns: sums[0 .. 4 vectors) = sum_q val[q] * b[bj + idx[q] * ldb ..]
     * (written out twice because accumulators kept in an array, or passed to a shared helper that C2 does not
     * inline, are boxed).
     */
    private void sums4(float[] sums, int[] idx, float[] val, int nnz, float[] b, int bj, int ldb) {
        VectorSpecies<Float> s = lanes.floats();
        int len = s.length();
        FloatVector c0 = FloatVector.zero(s), c1 = c0, c2 = c0, c3 = c0;
        for (int q = 0; q < nnz; q++) {
            FloatVector av = FloatVector.broadcast(s, val[q]);
            int bi = bj + idx[q] * ldb;
            c0 = av.fma(FloatVector.fromArray(s, b, bi), c0);
            c1 = av.fma(FloatVector.fromArray(s, b, bi + len), c1);
            c2 = av.fma(FloatVector.fromArray(s, b, bi + 2 * len), c2);
            c3 = av.fma(FloatVector.fromArray(s, b, bi + 3 * len), c3);
        }
        c0.intoArray(sums, 0);
        c1.intoArray(sums, len);
        c2.intoArray(sums, 2 * len);
        c3.intoArray(sums, 3 * len);
    }
}
