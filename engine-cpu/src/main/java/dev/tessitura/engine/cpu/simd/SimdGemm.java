package dev.tessitura.engine.cpu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * C = alpha * op(A) * op(B) + beta * C on row-major float arrays, with a register-blocked micro-kernel.
 *
 * <p>op(B) (k, n) is seen as panels of NR = 2 vectors of columns (read in place, or packed zero-padded when
 * transposed or partial), so the kernel needs no
 * masks; each block of MR rows of op(A) is packed into (k, MR) so the kernel's loads are unit-stride whatever the
 * transposition. The kernel keeps an MR x NR tile of C in MR * 2 = 10 vector registers and runs the k loop in
 * order (a long k in stretches, the raw sums carried between them; never split among threads), so every C element is
 * one FMA chain over p = 0..k-1: the result does not depend on how rows are shared among threads. 5 x 2 rather than
 * the usual 6 x 2: with 12 accumulators C2 spills on the 16 AVX2 registers.
 *
 * <p>A mostly-zero op(A) (the RBM's binary samples and piano rolls: a Nottingham frame has ~4 of 88 notes on) runs
 * row by row over its nonzeros only ({@link SimdGemmSparse}). Skipping a term with a = 0 leaves an FMA chain unchanged
 * (fma(0, b, acc) = acc for finite b, and acc is never -0 since it starts at +0), so that path gives the dense
 * path's bits; only a non-finite B differs (0 * inf is NaN there and skipped here, as in the reference BLAS that
 * tested B(l, j) != 0).
 *
 * <p>This class holds the entry point, the tiled and dot-product paths, their micro-kernels, the packing and the one
 * epilogue; the recurrences' products against a B packed once are in {@link SimdGemmRows}.
 */
final class SimdGemm {
    static final int MR = 5;
    /**
     * Beyond this k the tiled path runs k in stretches of {@link #KC} ({@link #tilesInStretches}): up to it a tile's
     * panel of k rows stays in L1/L2 between row blocks.
     */
    static final int LONG_K = 512;
    /**
     * From this k, A B^T runs as blocks of dot products: each ends in a reduction of its lanes, which pays off only
     * over a long k.
     */
    static final int DOT_MIN_K = 256;
    /** Rows of A and of B per dot-product block: 3 x 3 accumulators + 3 loads of B fit the 16 AVX2 registers. */
    static final int DR = 3;
    /**
     * Up to this share of nonzeros in op(A) the product runs over the nonzeros only: one load of B per FMA instead of
     * the tiled kernel's 0.7, at a fraction of its FMAs (the break-even on Zen 3: bench/RESULTS.md).
     */
    static final float SPARSE_MAX_DENSITY = 0.42f;
    /** {@link #SPARSE_MAX_DENSITY}, settable by tests to force either path. */
    float sparseMaxDensity = SPARSE_MAX_DENSITY;

    /** Called after rows [i0, i1) of C are final, on the thread that computed them (for fused epilogues). */
    @FunctionalInterface
    interface RowsDone {
        void rows(int i0, int i1);
    }

    final Lanes lanes;
    /** The path for a mostly-zero op(A). */
    final SimdGemmSparse sparse;
    /**
     * The calling thread's buffer for packed op(B), kept between calls: a transposed op(B) can be large, and fresh
     * arrays per call were most of an LSTM training step's allocation.
     */
    private final ThreadLocal<float[]> packed = new ThreadLocal<>();

    SimdGemm(Lanes lanes) {
        this.lanes = lanes;
        this.sparse = new SimdGemmSparse(this);
    }

    /** A buffer of at least n floats, taken from this thread's cache (so that a nested call gets another one). */
    private float[] takePacked(int n) {
        float[] a = packed.get();
        if (a == null || a.length < n) return new float[n];
        packed.set(null);
        return a;
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
        if (m == 0) return;
        if (n == 0 || k == 0) {
            // k = 0: C = beta C. n = 0: no C, but a fused epilogue (freeEnergy's -v.bv) still has rows to finish
            scaleRows(c, cOff, ldc, m, n, beta);
            if (rowsDone != null) rowsDone.rows(0, m);
            return;
        }
        if (!transB && (m == 1 || mostlyZero(a, aOff, lda, transA, m, k))) {
            // a mostly-zero op(A) (0/1 samples, piano rolls) or a single row (the recurrences' per-step products,
            // where the tiled path would compute MR - 1 rows of padding): row by row, over each row's nonzeros
            sparse.rows(c, cOff, ldc, a, aOff, lda, transA, b, bOff, ldb, m, n, k, alpha, beta, pool, parallel, rowsDone);
            return;
        }
        if (transB && !transA && k >= DOT_MIN_K) {
            // A B^T: rows of A and of B are both contiguous along k, so dot products need no packing at all
            gemmDot(c, cOff, ldc, a, aOff, lda, b, bOff, ldb, m, n, k, alpha, beta, pool, parallel, rowsDone);
            return;
        }
        // op(B) = B: full panels are read in place (rows of B are contiguous) and only a last partial panel is
        // packed, zero-padded, so the kernel needs no masks. Packing a weight matrix on every call cost as much as
        // the product itself at the LSTM's per-step shapes, and packing the weight gradients' dz (3,200 x 480, 6 MB)
        // a sixth of their time; with a long k the stretches keep an in-place panel's rows in L1.
        boolean inPlace = !transB;
        int nr = nr(), tailFrom = n / nr * nr;
        float[] bp;
        if (inPlace) {
            bp = takePacked(tailFrom < n ? k * nr : 0);
            if (tailFrom < n) packB(bp, 0, b, bOff + tailFrom, ldb, false, k, n - tailFrom);
        } else {
            // a transposed op(B), packed by all threads, a share of the panels each
            float[] all = bp = takePacked(packedBSize(k, n));
            pool.forRange((n + nr - 1) / nr, parallel, (q0, q1) -> {
                int j0 = q0 * nr;
                packB(all, q0 * k * nr, b, bOff + (transB ? j0 * ldb : j0), ldb, transB, k, Math.min(n, q1 * nr) - j0);
            });
        }
        try {
            if (k > LONG_K) tilesInStretches(c, cOff, ldc, a, aOff, lda, transA, b, bOff, ldb, bp, inPlace, m, n, k, alpha, beta, pool, parallel, rowsDone);
            else tiles(c, cOff, ldc, a, aOff, lda, transA, b, bOff, ldb, bp, inPlace, m, n, k, alpha, beta, pool, parallel, rowsDone);
        } finally {
            packed.set(bp);
        }
    }

    /** The row blocks of {@link #gemm}'s tiled path, op(B) in place (full panels) or packed in bp. */
    private void tiles(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, boolean transA, float[] b, int bOff, int ldb,
                       float[] bp, boolean inPlace, int m, int n, int k, float alpha, float beta, WorkerPool pool,
                       boolean parallel, RowsDone rowsDone) {
        int nr = nr(), tailFrom = n / nr * nr;
        int blocks = (m + MR - 1) / MR;
        pool.forRange(blocks, parallel, (from, to) -> {
            float[] ap = new float[k * MR];
            float[] tile = new float[MR * nr];
            for (int blk = from; blk < to; blk++) {
                int i0 = blk * MR, rows = Math.min(MR, m - i0);
                packA(ap, 0, a, aOff, lda, transA, i0, rows, k);
                for (int j0 = 0; j0 < n; j0 += nr) {
                    // these columns of op(B): a whole panel in place, or packed (every panel, or only the last
                    // partial one: in place, only whole panels are read from B)
                    if (inPlace && j0 < tailFrom) tileAt(c, cOff, ldc, i0, rows, j0, n, ap, 0, b, bOff + j0, ldb, k, alpha, beta, tile);
                    else tileAt(c, cOff, ldc, i0, rows, j0, n, ap, 0, bp, inPlace ? 0 : j0 / nr * k * nr, nr, k, alpha, beta, tile);
                }
                if (rowsDone != null) rowsDone.rows(i0, i0 + rows);
            }
        });
    }

    /** Rows of k per stretch of {@link #tilesInStretches}: a panel's stretch (KC x NR: 16 KB at 256 bits) stays in L1. */
    static final int KC = 256;

    /**
     * {@link #tiles} for a long k (the weight gradients' x^T dz, k = 3,200), op(B) in place (full panels) or packed
     * in bp: k in stretches of KC, and within a stretch panel by panel with the thread's row blocks inner, so the
     * panel's stretch is read from L1 by every block and only the blocks' stretches of op(A) (5 x KC each) come from
     * L2 (the whole k at once streamed a 64 KB block of op(A) and a 200 KB panel from L2 for every tile). Each tile's
     * raw sums are carried between stretches in memory ({@link #kernelCarry}), so every element is still the one FMA
     * chain over p = 0..k-1 from +0 and gets the same epilogue: the bits of {@link #tiles}.
     */
    private void tilesInStretches(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, boolean transA,
                                  float[] b, int bOff, int ldb, float[] bp, boolean inPlace,
                                  int m, int n, int k, float alpha, float beta, WorkerPool pool, boolean parallel,
                                  RowsDone rowsDone) {
        int nr = nr(), panels = (n + nr - 1) / nr, blocks = (m + MR - 1) / MR, tileSize = MR * nr, tailFrom = n / nr * nr;
        pool.forRange(blocks, parallel, (from, to) -> {
            int nb = to - from;
            float[] ap = new float[nb * MR * KC];
            float[] sums = new float[panels * nb * tileSize];   // tile (panel q, block b) at (q nb + b) tileSize; +0
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0), aStretch = transA ? aOff + p0 * lda : aOff + p0;
                for (int blk = 0; blk < nb; blk++) {
                    int i0 = (from + blk) * MR;
                    packA(ap, blk * MR * kc, a, aStretch, lda, transA, i0, Math.min(MR, m - i0), kc);
                }
                for (int q = 0; q < panels; q++) {
                    for (int blk = 0; blk < nb; blk++) {
                        int j0 = q * nr, at = (q * nb + blk) * tileSize;
                        if (inPlace && j0 < tailFrom) kernelCarry(sums, at, ap, blk * MR * kc, b, bOff + p0 * ldb + j0, ldb, kc);
                        else kernelCarry(sums, at, ap, blk * MR * kc, bp, (inPlace ? 0 : q * k * nr) + p0 * nr, nr, kc);
                    }
                }
            }
            for (int blk = 0; blk < nb; blk++) {
                int i0 = (from + blk) * MR, rows = Math.min(MR, m - i0);
                for (int q = 0; q < panels; q++) {
                    storeTile(c, cOff + i0 * ldc + q * nr, ldc, sums, (q * nb + blk) * tileSize, rows, Math.min(nr, n - q * nr), alpha, beta);
                }
                if (rowsDone != null) rowsDone.rows(i0, i0 + rows);
            }
        });
    }

    /**
     * One tile of C: rows [r0, r0 + rows) (at most MR), columns [j0, j0 + NR) cut at n, from the packed block of
     * op(A) at ap[apOff] and the columns of op(B) at bsrc[bOff] (rows ldbp apart). A full tile goes straight from the
     * registers to C, a partial one through the scratch tile; a last panel of at most one vector of columns (n = 88,
     * 120: 8 of 16) runs one vector wide rather than computing a vector of zero padding.
     */
    void tileAt(float[] c, int cOff, int ldc, int r0, int rows, int j0, int n, float[] ap, int apOff,
                      float[] bsrc, int bOff, int ldbp, int k, float alpha, float beta, float[] tile) {
        int nr = nr();
        boolean full = rows == MR && j0 + nr <= n;
        if (n - j0 <= nr / 2) kernelOneVector(tile, ap, apOff, bsrc, bOff, ldbp, k);
        else if (full) kernel(c, cOff + r0 * ldc + j0, ldc, true, ap, apOff, bsrc, bOff, ldbp, k, alpha, beta);
        else kernel(tile, 0, nr, false, ap, apOff, bsrc, bOff, ldbp, k, alpha, beta);
        if (!full) storeTile(c, cOff + r0 * ldc + j0, ldc, tile, rows, Math.min(nr, n - j0), alpha, beta);
    }

    /**
     * The register-blocked inner loop: the (MR, NR) product ap (k, MR)^T * (k, NR) of op(B) at bp[bOff] (rows ldbp
     * apart). With {@code toC} it is finished as {@link #finish} would, straight into dst[dOff + r * ldd ..];
     * otherwise the raw sums go to the scratch tile dst (rows ldd = NR apart).
     */
    void kernel(float[] dst, int dOff, int ldd, boolean toC, float[] ap, int apOff, float[] bp, int bOff, int ldbp, int k,
                float alpha, float beta) {
        VectorSpecies<Float> s = lanes.floats();
        int len = s.length();
        FloatVector c00 = FloatVector.zero(s), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00;
        for (int p = 0; p < k; p++) {
            int ai = apOff + p * MR, bi = bOff + p * ldbp;
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
        // finish()'s epilogue written out: as ten calls C2 stops inlining them into this already large method and
        // boxes the accumulators (measured: the LSTM step's allocation doubled, 55 -> 107 MB)
        if (toC && beta == 0f) {
            FloatVector al = FloatVector.broadcast(s, alpha);
            c00 = c00.mul(al); c01 = c01.mul(al); c10 = c10.mul(al); c11 = c11.mul(al); c20 = c20.mul(al);
            c21 = c21.mul(al); c30 = c30.mul(al); c31 = c31.mul(al); c40 = c40.mul(al); c41 = c41.mul(al);
        } else if (toC) {
            FloatVector al = FloatVector.broadcast(s, alpha);
            int r1 = dOff + ldd, r2 = r1 + ldd, r3 = r2 + ldd, r4 = r3 + ldd;
            c00 = c00.fma(al, FloatVector.fromArray(s, dst, dOff).mul(beta));
            c01 = c01.fma(al, FloatVector.fromArray(s, dst, dOff + len).mul(beta));
            c10 = c10.fma(al, FloatVector.fromArray(s, dst, r1).mul(beta));
            c11 = c11.fma(al, FloatVector.fromArray(s, dst, r1 + len).mul(beta));
            c20 = c20.fma(al, FloatVector.fromArray(s, dst, r2).mul(beta));
            c21 = c21.fma(al, FloatVector.fromArray(s, dst, r2 + len).mul(beta));
            c30 = c30.fma(al, FloatVector.fromArray(s, dst, r3).mul(beta));
            c31 = c31.fma(al, FloatVector.fromArray(s, dst, r3 + len).mul(beta));
            c40 = c40.fma(al, FloatVector.fromArray(s, dst, r4).mul(beta));
            c41 = c41.fma(al, FloatVector.fromArray(s, dst, r4 + len).mul(beta));
        }
        c00.intoArray(dst, dOff);               c01.intoArray(dst, dOff + len);
        c10.intoArray(dst, dOff + ldd);         c11.intoArray(dst, dOff + ldd + len);
        c20.intoArray(dst, dOff + 2 * ldd);     c21.intoArray(dst, dOff + 2 * ldd + len);
        c30.intoArray(dst, dOff + 3 * ldd);     c31.intoArray(dst, dOff + 3 * ldd + len);
        c40.intoArray(dst, dOff + 4 * ldd);     c41.intoArray(dst, dOff + 4 * ldd + len);
    }

    /**
     * {@link #kernel}'s loop over one stretch of k, its MR x NR raw sums read from and written back to sums[sOff ..]
     * (rows NR apart): stored and reloaded floats are exact, so stretch after stretch is the one FMA chain. A method
     * of its own rather than an option of the kernel: a kernel that could start from memory kept its accumulators out
     * of registers.
     */
    void kernelCarry(float[] sums, int sOff, float[] ap, int apOff, float[] bp, int bOff, int ldbp, int k) {
        VectorSpecies<Float> s = lanes.floats();
        int len = s.length(), nr = 2 * len;
        FloatVector c00 = FloatVector.fromArray(s, sums, sOff), c01 = FloatVector.fromArray(s, sums, sOff + len),
                c10 = FloatVector.fromArray(s, sums, sOff + nr), c11 = FloatVector.fromArray(s, sums, sOff + nr + len),
                c20 = FloatVector.fromArray(s, sums, sOff + 2 * nr), c21 = FloatVector.fromArray(s, sums, sOff + 2 * nr + len),
                c30 = FloatVector.fromArray(s, sums, sOff + 3 * nr), c31 = FloatVector.fromArray(s, sums, sOff + 3 * nr + len),
                c40 = FloatVector.fromArray(s, sums, sOff + 4 * nr), c41 = FloatVector.fromArray(s, sums, sOff + 4 * nr + len);
        for (int p = 0; p < k; p++) {
            int ai = apOff + p * MR, bi = bOff + p * ldbp;
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
        c00.intoArray(sums, sOff);          c01.intoArray(sums, sOff + len);
        c10.intoArray(sums, sOff + nr);     c11.intoArray(sums, sOff + nr + len);
        c20.intoArray(sums, sOff + 2 * nr); c21.intoArray(sums, sOff + 2 * nr + len);
        c30.intoArray(sums, sOff + 3 * nr); c31.intoArray(sums, sOff + 3 * nr + len);
        c40.intoArray(sums, sOff + 4 * nr); c41.intoArray(sums, sOff + 4 * nr + len);
    }

    /**
     * As {@link #kernel} into the scratch tile, for a panel whose columns fit in its first vector: MR accumulators
     * instead of 2 MR, each element the same FMA chain over p = 0..k-1 as in the full kernel.
     */
    void kernelOneVector(float[] tile, float[] ap, int apOff, float[] bp, int bOff, int ldbp, int k) {
        VectorSpecies<Float> s = lanes.floats();
        int nr = 2 * s.length();
        FloatVector c0 = FloatVector.zero(s), c1 = c0, c2 = c0, c3 = c0, c4 = c0;
        for (int p = 0; p < k; p++) {
            int ai = apOff + p * MR;
            FloatVector b0 = FloatVector.fromArray(s, bp, bOff + p * ldbp);
            c0 = FloatVector.broadcast(s, ap[ai]).fma(b0, c0);
            c1 = FloatVector.broadcast(s, ap[ai + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(s, ap[ai + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(s, ap[ai + 3]).fma(b0, c3);
            c4 = FloatVector.broadcast(s, ap[ai + 4]).fma(b0, c4);
        }
        c0.intoArray(tile, 0);
        c1.intoArray(tile, nr);
        c2.intoArray(tile, 2 * nr);
        c3.intoArray(tile, 3 * nr);
        c4.intoArray(tile, 4 * nr);
    }

    /** Whether at most {@link #sparseMaxDensity} of op(A)'s m k elements are nonzero (counted until it is clear). */
    private boolean mostlyZero(float[] a, int aOff, int lda, boolean transA, int m, int k) {
        int rows = transA ? k : m, cols = transA ? m : k;   // as stored
        long limit = (long) (sparseMaxDensity * ((long) m * k)), nnz = 0;
        VectorSpecies<Float> s = lanes.floats();
        for (int r = 0; r < rows && nnz <= limit; r++) {
            int o = aOff + r * lda, j = 0;
            for (int bound = s.loopBound(cols); j < bound; j += s.length()) {
                nnz += FloatVector.fromArray(s, a, o + j).compare(VectorOperators.NE, 0f).trueCount();
            }
            for (; j < cols; j++) if (a[o + j] != 0f) nnz++;
        }
        return nnz <= limit;
    }

    /**
     * The one epilogue of every path: C[at ..] = alpha * acc, or with beta != 0 alpha * acc + beta * C[at ..] as one
     * fma per element (BLAS: beta = 0 never reads C).
     */
    private static void finish(FloatVector acc, float[] c, int at, float alpha, float beta) {
        FloatVector r = beta == 0f ? acc.mul(alpha)
                : acc.fma(FloatVector.broadcast(acc.species(), alpha), FloatVector.fromArray(acc.species(), c, at).mul(beta));
        r.intoArray(c, at);
    }

    /** {@link #finish(FloatVector, float[], int, float, float)} for one element (the same two roundings). */
    private static void finish(float acc, float[] c, int at, float alpha, float beta) {
        c[at] = beta == 0f ? alpha * acc : Math.fma(acc, alpha, beta * c[at]);
    }

    /**
     * C[r, 0..cols) = alpha * tile[r, ..] + beta * C[r, ..] for the first {@code rows} rows of the tile (rows NR
     * apart; a single row may be wider, as {@link SimdGemmSparse#rows}'s twelve or four vectors of sums).
     */
    void storeTile(float[] c, int cOff, int ldc, float[] tile, int rows, int cols, float alpha, float beta) {
        storeTile(c, cOff, ldc, tile, 0, rows, cols, alpha, beta);
    }

    /** As above, from the tile at tile[tOff ..]. */
    private void storeTile(float[] c, int cOff, int ldc, float[] tile, int tOff, int rows, int cols, float alpha, float beta) {
        VectorSpecies<Float> s = lanes.floats();
        int len = s.length(), nr = 2 * len;
        for (int r = 0; r < rows; r++) {
            int ci = cOff + r * ldc, ti = tOff + r * nr;
            int j = 0;
            for (; j + len <= cols; j += len) finish(FloatVector.fromArray(s, tile, ti + j), c, ci + j, alpha, beta);
            for (; j < cols; j++) finish(tile[ti + j], c, ci + j, alpha, beta);
        }
    }

    /**
     * C = alpha A B^T + beta C with A (m, k) and B (n, k) both row-major: C[i, j] = dot(A_i, B_j). Blocks of
     * DR x DR dot products share their loads; each dot product accumulates lanes over k and is reduced once at the
     * end, then the scalar tail of k is added, so the result depends on the vector width but not on threads.
     */
    private void gemmDot(float[] c, int cOff, int ldc, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                         int m, int n, int k, float alpha, float beta, WorkerPool pool, boolean parallel, RowsDone rowsDone) {
        int blocks = (m + DR - 1) / DR;
        pool.forRange(blocks, parallel, (from, to) -> {
            float[] dots = new float[DR * DR], scratch = new float[DR * DR * lanes.floats().length()];
            for (int blk = from; blk < to; blk++) {
                int i0 = blk * DR, rows = Math.min(DR, m - i0);
                for (int j0 = 0; j0 < n; j0 += DR) {
                    int cols = Math.min(DR, n - j0);
                    if (rows == DR && cols == DR) {
                        dot3x3(dots, scratch, a, aOff + i0 * lda, lda, b, bOff + j0 * ldb, ldb, k);
                    } else {
                        for (int r = 0; r < rows; r++) {
                            for (int q = 0; q < cols; q++) dots[r * DR + q] = dot(a, aOff + (i0 + r) * lda, b, bOff + (j0 + q) * ldb, k);
                        }
                    }
                    for (int r = 0; r < rows; r++) {
                        for (int q = 0; q < cols; q++) {
                            int ci = cOff + (i0 + r) * ldc + j0 + q;
                            finish(dots[r * DR + q], c, ci, alpha, beta);
                        }
                    }
                }
                if (rowsDone != null) rowsDone.rows(i0, i0 + rows);
            }
        });
    }

    /** dots[r * 3 + q] = A_r . B_q for the 3 rows of A at a[ao + r * lda] and of B at b[bo + q * ldb]. */
    private void dot3x3(float[] dots, float[] scratch, float[] a, int ao, int lda, float[] b, int bo, int ldb, int k) {
        VectorSpecies<Float> s = lanes.floats();
        FloatVector s00 = FloatVector.zero(s), s01 = s00, s02 = s00, s10 = s00, s11 = s00, s12 = s00,
                s20 = s00, s21 = s00, s22 = s00;
        int p = 0;
        for (int bound = s.loopBound(k); p < bound; p += s.length()) {
            FloatVector b0 = FloatVector.fromArray(s, b, bo + p), b1 = FloatVector.fromArray(s, b, bo + ldb + p),
                    b2 = FloatVector.fromArray(s, b, bo + 2 * ldb + p);
            FloatVector x = FloatVector.fromArray(s, a, ao + p);
            s00 = x.fma(b0, s00); s01 = x.fma(b1, s01); s02 = x.fma(b2, s02);
            x = FloatVector.fromArray(s, a, ao + lda + p);
            s10 = x.fma(b0, s10); s11 = x.fma(b1, s11); s12 = x.fma(b2, s12);
            x = FloatVector.fromArray(s, a, ao + 2 * lda + p);
            s20 = x.fma(b0, s20); s21 = x.fma(b1, s21); s22 = x.fma(b2, s22);
        }
        // spill the nine accumulators to a scratch row and add each one's lanes in lane order (see SimdMath.sumLanes;
        // an array of vectors would box them)
        int len = s.length();
        float[] t = scratch;
        s00.intoArray(t, 0); s01.intoArray(t, len); s02.intoArray(t, 2 * len);
        s10.intoArray(t, 3 * len); s11.intoArray(t, 4 * len); s12.intoArray(t, 5 * len);
        s20.intoArray(t, 6 * len); s21.intoArray(t, 7 * len); s22.intoArray(t, 8 * len);
        for (int r = 0; r < DR; r++) {
            for (int q = 0; q < DR; q++) {
                int o = (r * DR + q) * len;
                float sum = 0f;
                for (int l = 0; l < len; l++) sum += t[o + l];
                for (int x = p; x < k; x++) sum = Math.fma(a[ao + r * lda + x], b[bo + q * ldb + x], sum);
                dots[r * DR + q] = sum;
            }
        }
    }

    /**
     * sum_p a[ao + p] b[bo + p] the same way as {@link #dot3x3} does each of its nine: one FMA chain per lane, one
     * reduction, the tail (also freeEnergy's v.bv).
     */
    float dot(float[] a, int ao, float[] b, int bo, int k) {
        VectorSpecies<Float> s = lanes.floats();
        FloatVector acc = FloatVector.zero(s);
        int p = 0;
        for (int bound = s.loopBound(k); p < bound; p += s.length()) {
            acc = FloatVector.fromArray(s, a, ao + p).fma(FloatVector.fromArray(s, b, bo + p), acc);
        }
        float sum = SimdMath.sumLanes(acc);
        for (; p < k; p++) sum = Math.fma(a[ao + p], b[bo + p], sum);
        return sum;
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

    /** bp[bpOff + panel q][p][c] = op(B)[p, q * NR + c], zero beyond column n. */
    void packB(float[] bp, int bpOff, float[] b, int bOff, int ldb, boolean transB, int k, int n) {
        VectorSpecies<Float> s = lanes.floats();
        int len = s.length(), nr = 2 * len;
        for (int j0 = 0, panel = bpOff; j0 < n; j0 += nr, panel += k * nr) {
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
            // zero padding for a last partial panel (the buffer is reused; padding columns only reach padding outputs)
            if (cols < nr) {
                for (int p = 0; p < k; p++) java.util.Arrays.fill(bp, panel + p * nr + cols, panel + (p + 1) * nr, 0f);
            }
        }
    }

    /** ap[apOff + p * MR + r] = op(A)[i0 + r, p] for r < rows, 0 for the padding rows. */
    static void packA(float[] ap, int apOff, float[] a, int aOff, int lda, boolean transA, int i0, int rows, int k) {
        if (transA && rows == MR) {
            // the weight gradients' x^T dz: k = 3,200 strided rows of five, written out (the loops over r cost more
            // than the copies)
            for (int p = 0, ai = aOff + i0, di = apOff; p < k; p++, ai += lda, di += MR) {
                ap[di] = a[ai];
                ap[di + 1] = a[ai + 1];
                ap[di + 2] = a[ai + 2];
                ap[di + 3] = a[ai + 3];
                ap[di + 4] = a[ai + 4];
            }
        } else if (transA) {
            for (int p = 0; p < k; p++) {
                int ai = aOff + p * lda + i0, di = apOff + p * MR;
                for (int r = 0; r < rows; r++) ap[di + r] = a[ai + r];
                for (int r = rows; r < MR; r++) ap[di + r] = 0f;
            }
        } else {
            for (int r = 0; r < rows; r++) {
                int ai = aOff + (i0 + r) * lda;
                for (int p = 0; p < k; p++) ap[apOff + p * MR + r] = a[ai + p];
            }
            for (int r = rows; r < MR; r++) {
                for (int p = 0; p < k; p++) ap[apOff + p * MR + r] = 0f;
            }
        }
    }
}
