package dev.tessitura.engine.cpu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C = alpha * op(A) * op(B) + beta * C on row-major float arrays, with a register-blocked micro-kernel.
 *
 * <p>op(B) (k, n) is seen as panels of NR = 2 vectors of columns (read in place, or packed zero-padded when
 * transposed or partial), so the kernel needs no
 * masks; each block of MR rows of op(A) is packed into (k, MR) so the kernel's loads are unit-stride whatever the
 * transposition. The kernel keeps an MR x NR tile of C in MR * 2 = 10 vector registers and runs the whole k loop
 * (K is never split), so every C element is one FMA chain over p = 0..k-1 in order: the result does not depend on
 * how rows are shared among threads. 5 x 2 rather than the usual 6 x 2: with 12 accumulators C2 spills on the 16
 * AVX2 registers (measured 43 vs 80+ GFLOP/s on Zen 3).
 */
final class SimdGemm {
    static final int MR = 5;

    /** Called after rows [i0, i1) of C are final, on the thread that computed them (for fused epilogues). */
    @FunctionalInterface
    interface RowsDone {
        void rows(int i0, int i1);
    }

    private final Lanes lanes;

    SimdGemm(Lanes lanes) {
        this.lanes = lanes;
    }

    /** Columns per packed panel of op(B): two vectors. */
    int nr() {
        return 2 * lanes.floats().length();
    }

    /** Floats needed for the packed op(B) of (k, n). */
    int packedBSize(int k, int n) {
        int nr = nr();
        return (n + nr - 1) / nr * nr * k;
    }

    /**
     * C (m, n) at c[cOff + i * ldc + j] = alpha * op(A) (m, k) * op(B) (k, n) + beta * C; op(A)[i, p] is
     * a[aOff + i * lda + p], or a[aOff + p * lda + i] when transA; likewise op(B). beta = 0 overwrites C without
     * reading it (BLAS). {@code rowsDone}, if not null, is called once per finished block of rows.
     */
    void gemm(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, boolean transA,
              float[] b, int bOff, int ldb, boolean transB, int m, int n, int k, float alpha, float beta,
              WorkerPool pool, boolean parallel, RowsDone rowsDone) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            scaleRows(c, cOff, ldc, m, n, beta);
            if (rowsDone != null) rowsDone.rows(0, m);
            return;
        }
        // op(B) = B: full panels are read in place (rows of B are contiguous), only a last partial panel is packed,
        // zero-padded, so the kernel needs no masks. op(B) = B^T: every panel is packed (a transposition).
        // Packing a weight matrix on every call costs as much as the GEMM itself at the LSTM's per-step shapes.
        boolean inPlace = !transB;
        int nr = nr(), tailFrom = n / nr * nr;
        float[] bp;
        if (inPlace) {
            bp = new float[tailFrom < n ? k * nr : 0];
            if (tailFrom < n) packB(bp, b, bOff + tailFrom, ldb, false, k, n - tailFrom);
        } else {
            bp = new float[packedBSize(k, n)];
            packB(bp, b, bOff, ldb, true, k, n);
        }
        int blocks = (m + MR - 1) / MR;
        pool.forRange(blocks, parallel, (from, to) -> {
            float[] ap = new float[k * MR];
            float[] tile = new float[MR * nr];
            for (int blk = from; blk < to; blk++) {
                int i0 = blk * MR, rows = Math.min(MR, m - i0);
                packA(ap, a, aOff, lda, transA, i0, rows, k);
                for (int j0 = 0; j0 < n; j0 += nr) {
                    if (!inPlace) kernel(tile, ap, bp, j0 / nr * k * nr, nr, k);
                    else if (j0 < tailFrom) kernel(tile, ap, b, bOff + j0, ldb, k);
                    else kernel(tile, ap, bp, 0, nr, k);
                    storeTile(c, cOff + i0 * ldc + j0, ldc, tile, rows, Math.min(nr, n - j0), alpha, beta);
                }
                if (rowsDone != null) rowsDone.rows(i0, i0 + rows);
            }
        });
    }

    /** tile (MR, NR) = ap (k, MR)^T * (k, NR) starting at bp[bOff], rows ldbp apart: the register-blocked inner loop. */
    void kernel(float[] tile, float[] ap, float[] bp, int bOff, int ldbp, int k) {
        VectorSpecies<Float> s = lanes.floats();
        int len = s.length(), nr = 2 * len;
        FloatVector c00 = FloatVector.zero(s), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00;
        for (int p = 0; p < k; p++) {
            int ai = p * MR, bi = bOff + p * ldbp;
            FloatVector b0 = FloatVector.fromArray(s, bp, bi), b1 = FloatVector.fromArray(s, bp, bi + len);
            FloatVector a = FloatVector.broadcast(s, ap[ai]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(s, ap[ai + 1]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(s, ap[ai + 2]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(s, ap[ai + 3]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(s, ap[ai + 4]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
        }
        c00.intoArray(tile, 0);          c01.intoArray(tile, len);
        c10.intoArray(tile, nr);         c11.intoArray(tile, nr + len);
        c20.intoArray(tile, 2 * nr);     c21.intoArray(tile, 2 * nr + len);
        c30.intoArray(tile, 3 * nr);     c31.intoArray(tile, 3 * nr + len);
        c40.intoArray(tile, 4 * nr);     c41.intoArray(tile, 4 * nr + len);
    }

    /** C[r, 0..cols) = alpha * tile[r, ..] + beta * C[r, ..] for the first {@code rows} rows. */
    private void storeTile(float[] c, int cOff, int ldc, float[] tile, int rows, int cols, float alpha, float beta) {
        VectorSpecies<Float> s = lanes.floats();
        int len = s.length(), nr = 2 * len;
        for (int r = 0; r < rows; r++) {
            int ci = cOff + r * ldc, ti = r * nr;
            int j = 0;
            if (beta == 0f) {
                for (; j + len <= cols; j += len) {
                    FloatVector.fromArray(s, tile, ti + j).mul(alpha).intoArray(c, ci + j);
                }
                for (; j < cols; j++) c[ci + j] = alpha * tile[ti + j];
            } else {
                for (; j + len <= cols; j += len) {
                    FloatVector cv = FloatVector.fromArray(s, c, ci + j).mul(beta);
                    FloatVector.fromArray(s, tile, ti + j).fma(FloatVector.broadcast(s, alpha), cv).intoArray(c, ci + j);
                }
                for (; j < cols; j++) c[ci + j] = Math.fma(tile[ti + j], alpha, beta * c[ci + j]);
            }
        }
    }

    /** C = beta * C (k = 0). */
    private static void scaleRows(float[] c, int cOff, int ldc, int m, int n, float beta) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0f ? 0f : beta * c[ci];
            }
        }
    }

    /** bp[panel q][p][c] = op(B)[p, q * NR + c], zero beyond column n. */
    void packB(float[] bp, float[] b, int bOff, int ldb, boolean transB, int k, int n) {
        VectorSpecies<Float> s = lanes.floats();
        int len = s.length(), nr = 2 * len;
        for (int j0 = 0, panel = 0; j0 < n; j0 += nr, panel += k * nr) {
            int cols = Math.min(nr, n - j0);
            if (transB) {
                // op(B)[p, j] = b[j * ldb + p]: read each column of op(B) contiguously
                for (int cc = 0; cc < cols; cc++) {
                    int bi = bOff + (j0 + cc) * ldb;
                    for (int p = 0; p < k; p++) bp[panel + p * nr + cc] = b[bi + p];
                }
            } else if (cols == nr) {
                for (int p = 0; p < k; p++) {
                    int bi = bOff + p * ldb + j0, di = panel + p * nr;
                    FloatVector.fromArray(s, b, bi).intoArray(bp, di);
                    FloatVector.fromArray(s, b, bi + len).intoArray(bp, di + len);
                }
            } else {
                for (int p = 0; p < k; p++) {
                    System.arraycopy(b, bOff + p * ldb + j0, bp, panel + p * nr, cols);
                }
            }
            // the zero padding of a last partial panel comes from the fresh array
        }
    }

    /** ap[p * MR + r] = op(A)[i0 + r, p] for r < rows, 0 for the padding rows. */
    static void packA(float[] ap, float[] a, int aOff, int lda, boolean transA, int i0, int rows, int k) {
        if (transA) {
            for (int p = 0; p < k; p++) {
                int ai = aOff + p * lda + i0, di = p * MR;
                for (int r = 0; r < rows; r++) ap[di + r] = a[ai + r];
                for (int r = rows; r < MR; r++) ap[di + r] = 0f;
            }
        } else {
            for (int r = 0; r < rows; r++) {
                int ai = aOff + (i0 + r) * lda;
                for (int p = 0; p < k; p++) ap[p * MR + r] = a[ai + p];
            }
            for (int r = rows; r < MR; r++) {
                for (int p = 0; p < k; p++) ap[p * MR + r] = 0f;
            }
        }
    }
}
