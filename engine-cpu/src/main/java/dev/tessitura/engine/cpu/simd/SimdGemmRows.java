package dev.tessitura.engine.cpu.simd;

import static dev.tessitura.engine.cpu.simd.SimdGemm.MR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The products a recurrence makes at every step against one weight matrix, packed once for all of them: rows of
 * C += A B on SimdGemm's tiled kernel ({@link #rowsPacked}, B sequences at once) and one row of C += x op(B) in
 * panels of eight vectors ({@link #rowAddPacked}, one sequence). Each gives SimdGemm's bits for the same product.
 */
final class SimdGemmRows {
    private final SimdGemm gemm;
    private final Lanes lanes;

    SimdGemmRows(SimdGemm gemm) {
        this.gemm = gemm;
        this.lanes = gemm.lanes;
    }

    /** {@link #rowsPacked}'s ap for a thread's {@code rows} rows of a k-wide A: whole blocks of MR rows. */
    static float[] rowsScratch(int rows, int k) {
        return new float[(rows + MR - 1) / MR * MR * k];
    }

    /** {@link #rowsPacked}'s tile: one MR x NR block of C. */
    float[] tileScratch() {
        return new float[MR * gemm.nr()];
    }

    /**
     * Rows [i0, i1) of C = alpha * A * B + beta * C on the calling thread (A row-major, a[aOff + i * lda + p]), against
     * a B (k, n) that {@link SimdGemm#packB} packed once into bp for the many products a recurrence makes with it
     * (z_t += h_{t-1} Wh, every step, each thread its own rows). Blocks of MR rows run through the tiled kernel panel
     * by panel with the blocks inner, so a panel stays in L1 while every block uses it; a last single row goes through
     * the one-row path over B in place (b, row-major, ldb), cheaper than a block padded with four rows of zeros (two
     * rows are not). Every element is the FMA chain of {@link SimdGemm#gemm}'s paths: the same bits. ap: scratch of
     * at least ceil((i1 - i0) / MR) * MR * k floats; tile: MR * NR ({@link #rowsScratch}, {@link #tileScratch}).
     */
    void rowsPacked(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, float[] bp, float[] b, int bOff, int ldb,
                    int i0, int i1, int n, int k, float alpha, float beta, float[] ap, float[] tile, WorkerPool pool) {
        int nr = gemm.nr(), rest = (i1 - i0) % MR == 1 ? 1 : 0, tiled = i1 - i0 - rest;
        int blocks = (tiled + MR - 1) / MR;
        for (int blk = 0; blk < blocks; blk++) {
            int r0 = i0 + blk * MR;
            SimdGemm.packA(ap, blk * MR * k, a, aOff, lda, false, r0, Math.min(MR, i0 + tiled - r0), k);
        }
        for (int j0 = 0, panel = 0; j0 < n; j0 += nr, panel += k * nr) {
            for (int blk = 0; blk < blocks; blk++) {
                int r0 = i0 + blk * MR;
                gemm.tileAt(c, cOff, ldc, r0, Math.min(MR, i0 + tiled - r0), j0, n, ap, blk * MR * k, bp, panel, nr, k, alpha, beta, tile);
            }
        }
        if (rest > 0) {
            int r0 = i0 + tiled;
            gemm.sparse.rows(c, cOff + r0 * ldc, ldc, a, aOff + r0 * lda, lda, false, b, bOff, ldb, rest, n, k, alpha, beta,
                    pool, false, null);
        }
    }

    /** Vectors of columns per pass of {@link #rowAddPacked}: eight independent FMA chains hide the FMA latency. */
    static final int ROW_VECTORS = 8;

    /** Floats that {@link #packRowPanels} writes for an op(B) of (k, n). */
    int rowPanelsSize(int k, int n) {
        int len = lanes.floats().length();
        if (n < len) return 0;                             // rowAddPacked reads B itself
        int vectors = (n + len - 1) / len;
        return (vectors + ROW_VECTORS - 1) / ROW_VECTORS * k * ROW_VECTORS * len;
    }

    /**
     * op(B) (k, n) packed for {@link #rowAddPacked}: per pass of eight vectors a (k, 8 len) panel whose vector q holds
     * the columns from min((8 g + q) len, n - len), g the pass. So a last vector that would run past n starts at
     * n - len instead (it recomputes a few columns rather than masking), and the vectors past the end repeat it.
     * op(B)[p, j] is b[bOff + p * ldb + j], or b[bOff + j * ldb + p] when transB (Wuu^T, packed straight from Wuu).
     */
    void packRowPanels(float[] bp, float[] b, int bOff, int ldb, boolean transB, int k, int n) {
        VectorSpecies<Float> s = lanes.floats();
        int len = s.length(), w = ROW_VECTORS * len, last = n - len;
        for (int g = 0, at = 0; g < rowPanelsSize(k, n) / (k * w); g++, at += k * w) {
            for (int q = 0; q < ROW_VECTORS; q++) {
                int j = Math.min((ROW_VECTORS * g + q) * len, last);
                for (int p = 0, dst = at + q * len; p < k; p++, dst += w) {
                    if (!transB) FloatVector.fromArray(s, b, bOff + p * ldb + j).intoArray(bp, dst);
                    else for (int l = 0; l < len; l++) bp[dst + l] = b[bOff + (j + l) * ldb + p];
                }
            }
        }
    }

    /**
     * One row of C += x op(B): c[cOff + j] = sum_p x[xOff + p] op(B)[p, j] + c[cOff + j], j = 0..n-1, each element the
     * FMA chain over p = 0..k-1 from +0 that {@link SimdGemm#gemm} computes for it with alpha = beta = 1, then one
     * rounded addition: the same bits (x's zeros are not skipped, which changes nothing for a finite B, see SimdGemm's
     * class comment). For the recurrences' per-step products. op(B) is read from {@link #packRowPanels}' panels bp
     * (contiguous loads at fixed distances, rather than loads at eight clamped offsets into B itself); a row narrower
     * than a vector runs scalar on op(B) as packRowPanels reads it. Every vector of a pass is computed and stored, C
     * read before any store, and the vector at n - len adds C as it was before the first pass: overlapping columns
     * are stored twice with the same values.
     */
    void rowAddPacked(float[] c, int cOff, float[] x, int xOff, float[] bp, float[] b, int bOff, int ldb,
                      boolean transB, int k, int n) {
        VectorSpecies<Float> s = lanes.floats();
        int len = s.length(), w = ROW_VECTORS * len, last = n - len;
        if (last < 0) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int p = 0; p < k; p++) acc = Math.fma(x[xOff + p], transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j], acc);
                c[cOff + j] = acc + c[cOff + j];
            }
            return;
        }
        // the vectors at n - len may cover columns that an earlier pass has already stored: they add C as it was
        FloatVector cLast = FloatVector.fromArray(s, c, cOff + last);
        for (int jp = 0, at = 0; jp < n; jp += w, at += k * w) {
            FloatVector c0 = FloatVector.zero(s), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
            for (int p = 0, bi = at; p < k; p++, bi += w) {
                FloatVector a = FloatVector.broadcast(s, x[xOff + p]);
                c0 = a.fma(FloatVector.fromArray(s, bp, bi), c0);
                c1 = a.fma(FloatVector.fromArray(s, bp, bi + len), c1);
                c2 = a.fma(FloatVector.fromArray(s, bp, bi + 2 * len), c2);
                c3 = a.fma(FloatVector.fromArray(s, bp, bi + 3 * len), c3);
                c4 = a.fma(FloatVector.fromArray(s, bp, bi + 4 * len), c4);
                c5 = a.fma(FloatVector.fromArray(s, bp, bi + 5 * len), c5);
                c6 = a.fma(FloatVector.fromArray(s, bp, bi + 6 * len), c6);
                c7 = a.fma(FloatVector.fromArray(s, bp, bi + 7 * len), c7);
            }
            int o0 = cOff + Math.min(jp, last), o1 = cOff + Math.min(jp + len, last),
                    o2 = cOff + Math.min(jp + 2 * len, last), o3 = cOff + Math.min(jp + 3 * len, last),
                    o4 = cOff + Math.min(jp + 4 * len, last), o5 = cOff + Math.min(jp + 5 * len, last),
                    o6 = cOff + Math.min(jp + 6 * len, last), o7 = cOff + Math.min(jp + 7 * len, last);
            int l = cOff + last;
            c0 = c0.add(o0 == l ? cLast : FloatVector.fromArray(s, c, o0));
            c1 = c1.add(o1 == l ? cLast : FloatVector.fromArray(s, c, o1));
            c2 = c2.add(o2 == l ? cLast : FloatVector.fromArray(s, c, o2));
            c3 = c3.add(o3 == l ? cLast : FloatVector.fromArray(s, c, o3));
            c4 = c4.add(o4 == l ? cLast : FloatVector.fromArray(s, c, o4));
            c5 = c5.add(o5 == l ? cLast : FloatVector.fromArray(s, c, o5));
            c6 = c6.add(o6 == l ? cLast : FloatVector.fromArray(s, c, o6));
            c7 = c7.add(o7 == l ? cLast : FloatVector.fromArray(s, c, o7));
            c0.intoArray(c, o0);
            c1.intoArray(c, o1);
            c2.intoArray(c, o2);
            c3.intoArray(c, o3);
            c4.intoArray(c, o4);
            c5.intoArray(c, o5);
            c6.intoArray(c, o6);
            c7.intoArray(c, o7);
        }
    }
}
