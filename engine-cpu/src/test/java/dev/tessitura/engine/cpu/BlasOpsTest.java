package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.RTOL;
import static dev.tessitura.engine.cpu.ConformanceSupport.SIZES;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertClose;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertRefused;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertSameBits;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertViewsTouchOnlyTheirOutputs;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static dev.tessitura.engine.cpu.ConformanceSupport.reductionRtol;
import static dev.tessitura.engine.cpu.ConformanceSupport.s;
import static dev.tessitura.engine.cpu.ConformanceSupport.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ConformanceSupport.Bad;
import dev.tessitura.engine.cpu.ConformanceSupport.ViewCase;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The memory and BLAS-like ops (gemm, transpose, gatherRows, addRowVector, columnSums, rowSums, axpy, scale, fill,
 * copy, sum, sumOfSquares) on every CPU backend: against a float64 reference computed here, on fresh random inputs of
 * awkward sizes, and against hand-computed answers; SIMD against the scalar reference ({@link CrossChecks}); bad
 * calls refused by name; views.
 */
class BlasOpsTest extends CrossChecks {
    // ---------------------------------------------------------------- GEMM

    /**
     * (m, n, k): SimdGemm reads B in place for k <= 512 and packs it above; A B^T runs as 3x3 dot products from
     * k = 256; m and n not multiples of MR = 5, of the 3x3 blocks or of the panel width (2 vectors = 8 or 16).
     */
    static final int[][] GEMM_SHAPES = {
        {1, 1, 1}, {7, 9, 15}, {17, 13, 207}, {13, 88, 100}, {11, 19, 150}, {9, 17, 300}, {6, 33, 600}, {16, 15, 257},
        {5, 16, 3}, {4, 1, 520}, {1, 40, 0}, {0, 3, 4}, {3, 0, 4},
    };

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void gemmAllTranspositionsAndScalings(String backend) {
        SplittableRandom r = new SplittableRandom(11);
        float[][] alphaBeta = {{1f, 0f}, {0.7f, 1f}, {-1.3f, 0.5f}};
        try (Backend be = create(backend)) {
            for (int[] mnk : GEMM_SHAPES) {
                int m = mnk[0], n = mnk[1], k = mnk[2];
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                    for (float[] ab : alphaBeta) {
                        float[] a = random(r, m * k, -1, 1), b = random(r, k * n, -1, 1), c = random(r, m * n, -1, 1);
                        // beta = 0 must overwrite C without reading it: NaN there must not leak through 0 * NaN
                        if (ab[1] == 0f) Arrays.fill(c, Float.NaN);
                        Tensor ct = be.of(c, m, n);
                        be.gemm(ct, be.of(a, ta ? k : m, ta ? m : k), ta, be.of(b, tb ? n : k, tb ? k : n), tb, ab[0], ab[1]);
                        double[] mag = new double[m * n];
                        double[] want = ConformanceSupport.gemm(c, a, ta ? m : k, ta, b, tb ? k : n, tb, m, n, k, ab[0], ab[1], mag);
                        assertClose(want, widen(be.toArray(ct)), mag, 1e-30, reductionRtol(k),
                                backend + " gemm " + Arrays.toString(mnk) + " transA=" + ta + " transB=" + tb
                                        + " alpha=" + ab[0] + " beta=" + ab[1]);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void gemmByHand(String backend) {
        try (Backend be = create(backend)) {
            Tensor a = be.of(new float[] {1, 2, 3, 4}, 2, 2), b = be.of(new float[] {5, 6, 7, 8}, 2, 2);
            Tensor c = be.of(new float[] {1, 1, 1, 1}, 2, 2);
            be.gemm(c, a, false, b, false, 2f, 1f);                 // 2 [[19, 22], [43, 50]] + 1
            assertArrayEquals(new float[] {39, 45, 87, 101}, be.toArray(c));
            be.gemm(c, a, true, b, false, 1f, 0f);                  // A^T B
            assertArrayEquals(new float[] {26, 30, 38, 44}, be.toArray(c));
            be.gemm(c, a, false, b, true, 1f, 0f);                  // A B^T
            assertArrayEquals(new float[] {17, 23, 39, 53}, be.toArray(c));
            be.gemm(c, a, true, b, true, 1f, 0f);                   // A^T B^T = (B A)^T
            assertArrayEquals(new float[] {23, 31, 34, 46}, be.toArray(c));
            Tensor z = be.zeros(2, 0);                              // k = 0: C = beta C
            be.gemm(c, z, false, be.zeros(0, 2), false, 3f, 0.5f);
            assertArrayEquals(new float[] {11.5f, 15.5f, 17, 23}, be.toArray(c));
        }
    }

    // ---------------------------------------------------------------- BLAS-like vector ops

    /** sumOfSquares into a tensor: the double sum rounded once; beyond float's range a finite sum stays finite. */
    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void sumOfSquaresIntoATensor(String backend) {
        SplittableRandom r = new SplittableRandom(19);
        try (Backend be = create(backend)) {
            Tensor out = be.zeros(3).view(1, 1);                                    // at an offset
            for (int n : new int[] {0, 1, 7, 17, 1000}) {
                Tensor x = be.of(random(r, n, -2, 2), n);
                be.sumOfSquares(x, out);
                assertEquals((float) be.sumOfSquares(x), be.toArray(out)[0], backend + " n=" + n);
            }
            be.sumOfSquares(be.of(new float[] {3e30f, 1}, 2), out);
            assertEquals(Float.MAX_VALUE, be.toArray(out)[0], "finite, beyond float's range");
            be.sumOfSquares(be.of(new float[] {Float.POSITIVE_INFINITY, 1}, 2), out);
            assertEquals(Float.POSITIVE_INFINITY, be.toArray(out)[0]);
            be.sumOfSquares(be.of(new float[] {Float.NaN, 1}, 2), out);
            assertTrue(Float.isNaN(be.toArray(out)[0]));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void gatherRowsCopiesTheIndexedRowsAtOffsets(String backend) {
        SplittableRandom r = new SplittableRandom(17);
        try (Backend be = create(backend)) {
            // rows repeated, in any order, the first and the last; a one-column src; no rows at all
            for (int[] nmc : new int[][] {{1, 1, 1}, {7, 5, 13}, {300, 41, 88}, {4, 9, 1}, {0, 3, 2}}) {
                int n = nmc[0], m = nmc[1], c = nmc[2];
                float[] src = random(r, m * c + 3, -2, 2), idx = new float[n];
                for (int i = 0; i < n; i++) idx[i] = i == 0 ? m - 1 : i == 1 ? 0 : r.nextInt(m);
                Tensor dst = be.zeros(n * c + 1).view(1, n, c);
                be.gatherRows(dst, be.of(src, src.length).view(3, m, c), be.of(idx, n));
                float[] got = be.toArray(dst);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < c; j++) {
                        assertEquals(src[3 + (int) idx[i] * c + j], got[i * c + j], backend + " " + n + "x" + m + "x" + c + " [" + i + ", " + j + "]");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void transposeIsExactAtOffsets(String backend) {
        SplittableRandom r = new SplittableRandom(13);
        try (Backend be = create(backend)) {
            // awkward shapes around the 16 x 16 tiles, a row, a column, and empty ones
            for (int[] rc : new int[][] {{1, 1}, {1, 17}, {17, 1}, {7, 13}, {16, 16}, {33, 15}, {120, 480}, {0, 4}, {4, 0}}) {
                int rows = rc[0], cols = rc[1];
                float[] x = random(r, rows * cols + 5, -2, 2);
                Tensor out = be.zeros(cols + 2, rows).view(rows, cols, rows);   // at an offset in a bigger storage
                be.transpose(out, be.of(x, x.length).view(5, rows, cols));
                float[] got = be.toArray(out);
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        assertEquals(x[5 + i * cols + j], got[j * rows + i], backend + " " + rows + "x" + cols + " [" + i + ", " + j + "]");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void rowAndColumnOps(String backend) {
        SplittableRandom r = new SplittableRandom(12);
        try (Backend be = create(backend)) {
            for (int rows : new int[] {1, 3, 17}) {
                for (int cols : SIZES) {
                    String at = backend + " (" + rows + ", " + cols + ")";
                    float[] x = random(r, rows * cols, -2, 2), bias = random(r, cols, -2, 2);
                    Tensor xt = be.of(x, rows, cols), out = be.zeros(rows, cols);
                    be.addRowVector(out, xt, be.of(bias, cols));
                    double[] want = new double[rows * cols], mag = new double[rows * cols];
                    for (int i = 0; i < rows * cols; i++) {
                        want[i] = (double) x[i] + bias[i % cols];
                        mag[i] = Math.abs(x[i]) + Math.abs(bias[i % cols]);
                    }
                    assertClose(want, widen(be.toArray(out)), mag, 0, RTOL, "addRowVector " + at);

                    for (float beta : new float[] {0f, 1.5f}) {
                        float[] oc = random(r, cols, -1, 1), or = random(r, rows, -1, 1);
                        Tensor ct = be.of(oc, cols), rt = be.of(or, rows);
                        be.columnSums(ct, xt, 0.5f, beta);
                        be.rowSums(rt, xt, 0.5f, beta);
                        double[] cw = new double[cols], cm = new double[cols], rw = new double[rows], rm = new double[rows];
                        for (int i = 0; i < rows; i++) {
                            for (int j = 0; j < cols; j++) {
                                double v = 0.5 * x[i * cols + j];
                                cw[j] += v;
                                cm[j] += Math.abs(v);
                                rw[i] += v;
                                rm[i] += Math.abs(v);
                            }
                        }
                        for (int j = 0; j < cols; j++) {
                            cw[j] += beta * oc[j];
                            cm[j] += Math.abs(beta * oc[j]);
                        }
                        for (int i = 0; i < rows; i++) {
                            rw[i] += beta * or[i];
                            rm[i] += Math.abs(beta * or[i]);
                        }
                        assertClose(cw, widen(be.toArray(ct)), cm, 0, reductionRtol(rows), "columnSums beta=" + beta + " " + at);
                        assertClose(rw, widen(be.toArray(rt)), rm, 0, reductionRtol(cols), "rowSums beta=" + beta + " " + at);
                    }
                }
            }
            // by hand: [[1, 2, 3], [4, 5, 6]]
            Tensor x = be.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), cs = be.of(new float[] {1, 1, 1}, 3), rs = be.zeros(2);
            be.columnSums(cs, x, 2f, 1f);
            be.rowSums(rs, x, 1f, 0f);
            assertArrayEquals(new float[] {11, 15, 19}, be.toArray(cs));
            assertArrayEquals(new float[] {6, 15}, be.toArray(rs));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void axpyScaleFillCopyAndSums(String backend) {
        SplittableRandom r = new SplittableRandom(13);
        try (Backend be = create(backend)) {
            for (int n : SIZES) {
                String at = backend + " n=" + n;
                float[] x = random(r, n, -3, 3), y = random(r, n, -3, 3);
                Tensor xt = be.of(x, n), yt = be.of(y, n);
                be.axpy(yt, xt, -0.7f);
                double[] want = new double[n], mag = new double[n];
                for (int i = 0; i < n; i++) {
                    want[i] = y[i] + (double) -0.7f * x[i];
                    mag[i] = Math.abs(y[i]) + Math.abs(0.7 * x[i]);
                }
                assertClose(want, widen(be.toArray(yt)), mag, 0, RTOL, "axpy " + at);

                be.scale(xt, 1.25f);
                for (int i = 0; i < n; i++) want[i] = 1.25 * x[i];
                assertClose(want, be.toArray(xt), 0, RTOL, "scale " + at);

                Tensor d = be.zeros(n);
                be.copy(d, xt);
                assertArrayEquals(be.toArray(xt), be.toArray(d), "copy " + at);
                be.fill(d, -2.5f);
                float[] filled = new float[n];
                Arrays.fill(filled, -2.5f);
                assertArrayEquals(filled, be.toArray(d), "fill " + at);

                double s = 0, sq = 0, abs = 0;
                for (float v : y) {
                    s += v;
                    sq += (double) v * v;
                    abs += Math.abs(v);
                }
                // float64 accumulation of float32 values: errors of n * 2^-53 of the magnitude at most
                assertEquals(s, be.sum(be.of(y, n)), 1e-13 * abs, "sum " + at);
                assertEquals(sq, be.sumOfSquares(be.of(y, n)), 1e-13 * sq, "sumOfSquares " + at);
            }
            assertEquals(0.0, be.sum(be.zeros(0)));
            assertEquals(0.0, be.sumOfSquares(be.zeros(0)));
            assertEquals(14.0, be.sumOfSquares(be.of(new float[] {1, -2, 3}, 3)));
            // sums are float64: 2^24 + 1 is not a float, but the sum of its parts is exact
            assertEquals(16777217.0, be.sum(be.of(new float[] {16777216f, 1f}, 2)));
            assertEquals(Double.POSITIVE_INFINITY, be.sumOfSquares(be.of(new float[] {1, Float.POSITIVE_INFINITY}, 2)));
            assertEquals(Double.NaN, be.sumOfSquares(be.of(new float[] {Float.NaN, 1, 2}, 3)));
        }
    }

    // ---------------------------------------------------------------- SIMD against the scalar reference

    /** gemm C (n, cols) = alpha op(A) op(B) + beta C, inputs in [0, 1) so nothing cancels. */
    private static Op gemm(boolean ta, boolean tb, int cols, int k) {
        return close("gemm" + (ta ? "T" : "N") + (tb ? "T" : "N") + " k=" + k, Kind.MATRIX, 0, reductionRtol(k), (be, n, r) -> {
            Tensor a = ta ? mat(be, r, k, n, 0, 1) : mat(be, r, n, k, 0, 1);
            Tensor b = tb ? mat(be, r, cols, k, 0, 1) : mat(be, r, k, cols, 0, 1);
            Tensor c = mat(be, r, n, cols, 0, 1);
            be.gemm(c, a, ta, b, tb, 0.75f, 0.5f);
            return out(be, c);
        });
    }

    @Override
    List<Op> crossOps() {
        return List.of(
            // the four transpositions and every SimdGemm path: B in place (k <= 512), packed (k > 512 or B^T), dot products (A B^T, k >= 256)
            gemm(false, false, 150, 150), gemm(false, false, 150, 520), gemm(false, true, 150, 300), gemm(false, true, 150, 100),
            gemm(true, false, 150, 600), gemm(true, true, 150, 17),
            close("axpy", Kind.ELEMENTWISE, 0, RTOL, (be, n, r) -> { Tensor y = vec(be, r, n, 0, 1); be.axpy(y, vec(be, r, n, 0, 3), 0.7f); return out(be, y); }),
            bits("scale", Kind.ELEMENTWISE, (be, n, r) -> { Tensor x = vec(be, r, n, -3, 3); be.scale(x, -1.3f); return out(be, x); }),
            bits("fill+copy", Kind.ELEMENTWISE, (be, n, r) -> {
                Tensor x = vec(be, r, n, -3, 3), y = be.zeros(n);
                be.copy(y, x);
                be.fill(x.view(0, n / 2), 0.25f);
                return out(be, x, y);
            }),
            // float64 sums in another order: exact to ~n 2^-53 of the sum of positive terms
            close("sum, sumOfSquares", Kind.ELEMENTWISE, 0, 1e-12, (be, n, r) -> {
                Tensor x = vec(be, r, n, 0, 2);
                return new double[] {be.sum(x), be.sumOfSquares(x)};
            }),
            bits("addRowVector", Kind.MATRIX, (be, n, r) -> { Tensor o = be.zeros(n, NV); be.addRowVector(o, mat(be, r, n, NV, -3, 3), vec(be, r, NV, -3, 3)); return out(be, o); }),
            // MATRIX ops run on up to MAX_ROWS rows here: a column sum has that many terms
            close("columnSums", Kind.MATRIX, 0, reductionRtol(MAX_ROWS), (be, n, r) -> {
                Tensor o = vec(be, r, NV, 0, 1);
                be.columnSums(o, mat(be, r, n, NV, 0, 1), 0.5f, 1.5f);
                return out(be, o);
            }),
            close("rowSums", Kind.MATRIX, 0, reductionRtol(NV), (be, n, r) -> {
                Tensor o = vec(be, r, n, 0, 1);
                be.rowSums(o, mat(be, r, n, NV, 0, 1), 0.5f, 1.5f);
                return out(be, o);
            }));
    }

    /**
     * columnSums goes parallel by blocks of columns from 2^18 elements, past the catalog's sizes: the LSTM's db (3,200
     * rows of dz, 480 columns) and a width that leaves a partial block, one vector and a scalar tail.
     */
    @ParameterizedTest(name = "{0}-bit")
    @MethodSource("widths")
    void bigColumnSumsGiveTheSameBitsOnAnyThreadCount(int bits) {
        try (Backend one = create("simd-" + bits + "x1"); Backend two = create("simd-" + bits + "x2");
             Backend three = create("simd-" + bits + "x3"); Backend ref = create("scalar")) {
            for (int[] rc : new int[][] {{3200, 480}, {2000, 157}}) {
                SplittableRandom seed = new SplittableRandom(rc[1]);
                float[] x = random(seed, rc[0] * rc[1], 0, 1), o = random(seed, rc[1], 0, 1);
                double[][] got = new double[4][];
                Backend[] bes = {one, two, three, ref};
                for (int q = 0; q < 4; q++) {
                    Tensor out = bes[q].of(o, rc[1]);
                    bes[q].columnSums(out, bes[q].of(x, rc[0], rc[1]), 0.5f, 1.5f);
                    got[q] = out(bes[q], out);
                }
                String at = bits + "-bit columnSums " + rc[0] + " x " + rc[1];
                assertSameBits(got[0], got[1], at + ", 1 vs 2 threads");
                assertSameBits(got[0], got[2], at + ", 1 vs 3 threads");
                ConformanceSupport.assertClose(got[3], got[1], null, 0, reductionRtol(rc[0]), at + " vs scalar");
            }
        }
    }

    static Stream<Integer> widths() {
        return Stream.of(128, 256);
    }

    // ---------------------------------------------------------------- bad calls and views

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void badArgumentsNameTheOp(String backend) {
        assertRefused(backend, (be, other, big, a, overlapping, rng) -> List.of(
                // shape mismatches
                new Bad("gemm", () -> be.gemm(be.zeros(2, 3), be.zeros(2, 4), false, be.zeros(5, 3), false, 1, 0)),
                new Bad("gemm", () -> be.gemm(be.zeros(2, 3), be.zeros(4, 2), false, be.zeros(4, 3), false, 1, 0)),
                new Bad("axpy", () -> be.axpy(be.zeros(3), be.zeros(4), 1)),
                new Bad("copy", () -> be.copy(be.zeros(3), be.zeros(4))),
                new Bad("transpose", () -> be.transpose(be.zeros(3, 4), be.zeros(3, 4))),
                new Bad("transpose", () -> be.transpose(big.view(0, 4, 4), big.view(10, 4, 4))),
                new Bad("addRowVector", () -> be.addRowVector(be.zeros(2, 3), be.zeros(2, 3), be.zeros(4))),
                new Bad("columnSums", () -> be.columnSums(be.zeros(2), be.zeros(2, 3), 1, 0)),
                new Bad("rowSums", () -> be.rowSums(be.zeros(3), be.zeros(2, 3), 1, 0)),
                new Bad("sumOfSquares", () -> be.sumOfSquares(be.zeros(3), be.zeros(2))),
                new Bad("sumOfSquares", () -> be.sumOfSquares(big.view(0, 4), big.view(3, 1))),
                new Bad("gatherRows", () -> be.gatherRows(be.zeros(2, 3), be.zeros(4, 4), be.zeros(2))),
                new Bad("gatherRows", () -> be.gatherRows(be.zeros(2, 3), be.zeros(4, 3), be.zeros(3))),
                new Bad("gatherRows", () -> be.gatherRows(be.zeros(1, 3), be.zeros(4, 3), be.of(new float[] {4}, 1))),
                new Bad("gatherRows", () -> be.gatherRows(be.zeros(1, 3), be.zeros(4, 3), be.of(new float[] {1.5f}, 1))),
                new Bad("gatherRows", () -> be.gatherRows(be.zeros(1, 3), be.zeros(4, 3), be.of(new float[] {-1}, 1))),
                // an output partly overlapping an input (views of one tensor); exactly in place is fine for elementwise ops
                new Bad("copy", () -> be.copy(a, overlapping)),
                // GEMM and fused ops: no overlap at all, in place included
                new Bad("gemm", () -> be.gemm(a, a, false, be.zeros(4, 4), false, 1, 0)),
                new Bad("gemm", () -> be.gemm(a, be.zeros(4, 4), false, overlapping, true, 1, 0)),
                new Bad("gatherRows", () -> be.gatherRows(big.view(0, 2, 4), big.view(4, 4, 4), be.zeros(2))),
                // tensors of another backend instance
                new Bad("gemm", () -> be.gemm(be.zeros(2, 2), be.zeros(2, 2), false, other.zeros(2, 2), false, 1, 0)),
                // negative sizes
                new Bad("zeros", () -> be.zeros(2, -1))));
    }

    /** A copy of a view onto itself is legal: in place, as for every elementwise op. */
    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void aCopyInPlaceIsLegal(String backend) {
        try (Backend be = create(backend)) {
            Tensor a = be.zeros(64).view(0, 4, 4);
            be.copy(a, a);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void opsOnViewsTouchOnlyTheirOutputs(String backend) {
        assertViewsTouchOnlyTheirOutputs(backend, List.of(
            new ViewCase("gemm", s(new int[] {5, 7}), s(new int[] {5, 9}, new int[] {9, 7}), (be, o, i) -> be.gemm(o[0], i[0], false, i[1], false, 1f, 0.5f)),
            new ViewCase("gemm A B^T k=300", s(new int[] {4, 6}), s(new int[] {4, 300}, new int[] {6, 300}), (be, o, i) -> be.gemm(o[0], i[0], false, i[1], true, 1f, 0f)),
            new ViewCase("gemm A^T B k=520", s(new int[] {3, 17}), s(new int[] {520, 3}, new int[] {520, 17}), (be, o, i) -> be.gemm(o[0], i[0], true, i[1], false, 1f, 1f)),
            new ViewCase("addRowVector", s(new int[] {3, 17}), s(new int[] {3, 17}, new int[] {17}), (be, o, i) -> be.addRowVector(o[0], i[0], i[1])),
            new ViewCase("columnSums", s(new int[] {17}), s(new int[] {3, 17}), (be, o, i) -> be.columnSums(o[0], i[0], 0.5f, 1f)),
            new ViewCase("rowSums", s(new int[] {3}), s(new int[] {3, 17}), (be, o, i) -> be.rowSums(o[0], i[0], 0.5f, 1f)),
            new ViewCase("axpy", s(new int[] {37}), s(new int[] {37}), (be, o, i) -> be.axpy(o[0], i[0], 0.5f)),
            new ViewCase("scale, fill", s(new int[] {37}, new int[] {9}), s(), (be, o, i) -> { be.scale(o[0], 3f); be.fill(o[1], 2f); }),
            new ViewCase("copy", s(new int[] {37}), s(new int[] {37}), (be, o, i) -> be.copy(o[0], i[0]))));
    }
}
