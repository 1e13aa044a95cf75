package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.RTOL;
import static dev.tessitura.engine.cpu.ConformanceSupport.SIZES;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertClose;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static dev.tessitura.engine.cpu.ConformanceSupport.reductionRtol;
import static dev.tessitura.engine.cpu.ConformanceSupport.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every deterministic Backend op on every CPU backend against a float64 reference computed here, on fresh random
 * inputs of awkward sizes, plus hand-computed answers.
 *
 * <p>Tolerances ({@link ConformanceSupport#RTOL}, {@link ConformanceSupport#reductionRtol}): an elementwise result
 * is one or a few float32 roundings of the exact value (2^-24 = 6e-8 each; the SIMD transcendentals are within
 * 4 ulp), so rtol = 1e-6 leaves a margin of 4 or more. A reduction of k terms in float32 carries rounding errors
 * relative to the sum of the terms' magnitudes that grow like sqrt(k) for random data: rtol = 1e-6 sqrt(k) of that.
 */
class ConformanceTest {
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

    // ---------------------------------------------------------------- elementwise

    /** A two-input elementwise op and its float64 value and error scale. */
    private record Binary(String name, BinaryCall call, DoubleBinaryOperator want, DoubleBinaryOperator scale) {}

    @FunctionalInterface
    private interface BinaryCall {
        void run(Backend be, Tensor out, Tensor a, Tensor b);
    }

    private static final Binary[] BINARY = {
        new Binary("add", Backend::add, Double::sum, (a, b) -> Math.abs(a) + Math.abs(b)),
        new Binary("sub", Backend::sub, (a, b) -> a - b, (a, b) -> Math.abs(a) + Math.abs(b)),
        new Binary("mul", Backend::mul, (a, b) -> a * b, (a, b) -> Math.abs(a * b)),
        // out = 0.5 + a b: the test fills out with 0.5 first
        new Binary("addMul", Backend::addMul, (a, b) -> 0.5 + a * b, (a, b) -> 0.5 + Math.abs(a * b)),
        new Binary("sigmoidBackward", Backend::sigmoidBackward, (dy, y) -> dy * y * (1 - y), (dy, y) -> Math.abs(dy * y) * (1 + Math.abs(y))),
        new Binary("tanhBackward", Backend::tanhBackward, (dy, y) -> dy * (1 - y * y), (dy, y) -> Math.abs(dy) * (1 + y * y)),
    };

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void binaryElementwiseOps(String backend) {
        SplittableRandom r = new SplittableRandom(14);
        try (Backend be = create(backend)) {
            for (Binary op : BINARY) {
                for (int n : SIZES) {
                    float[] a = random(r, n, -3, 3), b = random(r, n, -1, 1);
                    Tensor out = be.zeros(n);
                    be.fill(out, 0.5f);
                    op.call.run(be, out, be.of(a, n), be.of(b, n));
                    double[] want = new double[n], scale = new double[n];
                    for (int i = 0; i < n; i++) {
                        want[i] = op.want.applyAsDouble(a[i], b[i]);
                        scale[i] = op.scale.applyAsDouble(a[i], b[i]);
                    }
                    assertClose(want, widen(be.toArray(out)), scale, 0, RTOL, op.name + " " + backend + " n=" + n);
                    if (op.name.equals("addMul")) continue;   // out += out * b would be another formula
                    // in place (output = first input) gives the same values
                    Tensor inPlace = be.of(a, n);
                    op.call.run(be, inPlace, inPlace, be.of(b, n));
                    assertArrayEquals(be.toArray(out), be.toArray(inPlace), op.name + " in place " + backend + " n=" + n);
                }
            }
        }
    }

    /** A one-input elementwise op and its float64 value. */
    private record Unary(String name, UnaryCall call, DoubleUnaryOperator want) {}

    @FunctionalInterface
    private interface UnaryCall {
        void run(Backend be, Tensor out, Tensor x);
    }

    private static final Unary[] UNARY = {
        new Unary("sigmoid", Backend::sigmoid, ConformanceSupport::sigmoid),
        new Unary("tanh", Backend::tanh, Math::tanh),
        new Unary("softplus", Backend::softplus, ConformanceSupport::softplus),
        new Unary("logSigmoid", Backend::logSigmoid, x -> -ConformanceSupport.softplus(-x)),
        new Unary("exp", Backend::exp, Math::exp),
        new Unary("clip", (be, out, x) -> be.clip(out, x, -1.5f, 2f), x -> Math.min(Math.max(x, -1.5), 2)),
    };

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void unaryElementwiseOps(String backend) {
        SplittableRandom r = new SplittableRandom(15);
        try (Backend be = create(backend)) {
            for (Unary op : UNARY) {
                for (int n : SIZES) {
                    // [-30, 30] covers both saturated tails of sigmoid and tanh; exp stays far from overflow
                    float[] x = random(r, n, -30, 30);
                    Tensor out = be.zeros(n), xt = be.of(x, n);
                    op.call.run(be, out, xt);
                    double[] want = new double[n];
                    for (int i = 0; i < n; i++) want[i] = op.want.applyAsDouble(x[i]);
                    assertClose(want, be.toArray(out), 1e-38, RTOL, op.name + " " + backend + " n=" + n);
                    op.call.run(be, xt, xt);
                    assertArrayEquals(be.toArray(out), be.toArray(xt), op.name + " in place " + backend + " n=" + n);
                }
                Tensor empty = be.zeros(0);
                op.call.run(be, empty, be.zeros(0));   // 0 elements: legal, nothing to do
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void transcendentalsByHand(String backend) {
        float ln2 = (float) Math.log(2);
        try (Backend be = create(backend)) {
            // x:                   0    1     -100   100   -inf  inf   NaN
            float[] x = {0f, 1f, -100f, 100f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN};
            Tensor xt = be.of(x, x.length), out = be.zeros(x.length);
            float e = (float) Math.E, tiny = (float) Math.exp(-100);   // 3.7e-44, a subnormal float
            be.sigmoid(out, xt);
            assertNear(new float[] {0.5f, (float) ConformanceSupport.sigmoid(1), tiny, 1, 0, 1, Float.NaN}, be.toArray(out), "sigmoid");
            be.tanh(out, xt);
            assertNear(new float[] {0, (float) Math.tanh(1), -1, 1, -1, 1, Float.NaN}, be.toArray(out), "tanh");
            be.softplus(out, xt);
            assertNear(new float[] {ln2, (float) Math.log1p(Math.E), tiny, 100, 0, Float.POSITIVE_INFINITY, Float.NaN}, be.toArray(out), "softplus");
            be.logSigmoid(out, xt);
            assertNear(new float[] {-ln2, (float) -Math.log1p(1 / Math.E), -100, -tiny, Float.NEGATIVE_INFINITY, 0, Float.NaN}, be.toArray(out), "logSigmoid");
            be.exp(out, xt);
            assertNear(new float[] {1, e, tiny, Float.POSITIVE_INFINITY, 0, Float.POSITIVE_INFINITY, Float.NaN}, be.toArray(out), "exp");
            be.clip(out, be.of(new float[] {-3, -1, 0, 0.5f, 1, 3, 7}, 7), -1, 1);
            assertArrayEquals(new float[] {-1, -1, 0, 0.5f, 1, 1, 1}, be.toArray(out), "clip");
        }
    }

    /**
     * Within 4 ulp of the expected float; NaN and infinities exactly. A result below the normal range (e^-100) may
     * be flushed to 0: the SIMD sigmoid is 1 / (1 + e^-x) with e^-x = inf for x < -88.7.
     */
    private static void assertNear(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            boolean ok = Float.isNaN(want[i]) ? Float.isNaN(got[i])
                    : Float.isInfinite(want[i]) ? want[i] == got[i]
                    : Math.abs(got[i] - want[i]) <= 4 * Math.ulp(want[i]) + Float.MIN_NORMAL;
            if (!ok) throw new AssertionError(what + "[" + i + "] = " + got[i] + ", expected " + want[i]);
        }
    }

    // ---------------------------------------------------------------- free energy

    /** (B, nv, nh) with vector and per-row biases; nh = 0 leaves F = -v.bv. */
    static final int[][] RBM_SHAPES = {{1, 1, 1}, {7, 9, 13}, {3, 88, 150}, {17, 15, 17}, {2, 100, 7}, {3, 5, 0}};

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void freeEnergyMatchesFloat64(String backend) {
        SplittableRandom r = new SplittableRandom(16);
        try (Backend be = create(backend)) {
            for (int[] s : RBM_SHAPES) {
                int rows = s[0], nv = s[1], nh = s[2];
                for (boolean perRow : new boolean[] {false, true}) {
                    float[] v = ConformanceSupport.binary(r, rows * nv), w = random(r, nv * nh, -0.5, 0.5);
                    float[] bv = random(r, perRow ? rows * nv : nv, -1, 1), bh = random(r, perRow ? rows * nh : nh, -1, 1);
                    Tensor f = be.zeros(rows);
                    be.freeEnergy(f, be.of(v, rows, nv), be.of(w, nv, nh), biasTensor(be, bv, rows, nv, perRow),
                            biasTensor(be, bh, rows, nh, perRow));
                    double[] want = ConformanceSupport.freeEnergy(v, widen(w), widen(bv), widen(bh), rows, nv, nh);
                    // every term of F is a float32 product, softplus or sum: nv + nh terms of magnitude <= |F| + nv
                    double[] scale = new double[rows];
                    for (int b = 0; b < rows; b++) scale[b] = Math.abs(want[b]) + nv + nh;
                    assertClose(want, widen(be.toArray(f)), scale, 0, reductionRtol(nv + nh),
                            backend + " freeEnergy " + Arrays.toString(s) + " perRow=" + perRow);
                }
            }
            // by hand: v = (1, 0), W = (ln 3, 5)^T, bv = (0.5, 2), bh = 0: F = -0.5 - softplus(ln 3) = -0.5 - ln 4
            Tensor f = be.zeros(1);
            be.freeEnergy(f, be.of(new float[] {1, 0}, 1, 2), be.of(new float[] {(float) Math.log(3), 5}, 2, 1),
                    be.of(new float[] {0.5f, 2}, 2), be.zeros(1));
            assertEquals(-0.5 - Math.log(4), be.toArray(f)[0], 1e-6);
        }
    }

    static Tensor biasTensor(Backend be, float[] bias, int rows, int cols, boolean perRow) {
        return perRow ? be.of(bias, rows, cols) : be.of(bias, cols);
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void freeEnergyGradIsTheDerivativeAndAccumulates(String backend) {
        SplittableRandom r = new SplittableRandom(17);
        float alpha = -0.75f;
        try (Backend be = create(backend)) {
            for (int[] s : RBM_SHAPES) {
                int rows = s[0], nv = s[1], nh = s[2];
                for (boolean perRow : new boolean[] {false, true}) {
                    String at = backend + " freeEnergyGrad " + Arrays.toString(s) + " perRow=" + perRow;
                    float[] v = ConformanceSupport.binary(r, rows * nv), w = random(r, nv * nh, -0.5, 0.5);
                    float[] bh = random(r, perRow ? rows * nh : nh, -1, 1), bv = random(r, perRow ? rows * nv : nv, -1, 1);
                    float[] gW = random(r, nv * nh, -1, 1), gBv = random(r, bv.length, -1, 1), gBh = random(r, bh.length, -1, 1);
                    Tensor vt = be.of(v, rows, nv), wt = be.of(w, nv, nh), bht = biasTensor(be, bh, rows, nh, perRow);
                    Tensor dW = be.of(gW, nv, nh), dBv = biasTensor(be, gBv, rows, nv, perRow), dBh = biasTensor(be, gBh, rows, nh, perRow);
                    be.freeEnergyGrad(dW, dBv, dBh, vt, wt, bht, alpha);

                    // float64 analytic: s = sigmoid(v W + bh); dW += -alpha v^T s, dBv += -alpha v, dBh += -alpha s
                    double[] wW = widen(gW), wBv = widen(gBv), wBh = widen(gBh), sW = new double[wW.length];
                    double[] sBh = new double[wBh.length];
                    for (int b = 0; b < rows; b++) {
                        for (int j = 0; j < nh; j++) {
                            double x = bh[(perRow ? b * nh : 0) + j];
                            for (int i = 0; i < nv; i++) x += v[b * nv + i] * w[i * nh + j];
                            double sig = ConformanceSupport.sigmoid(x);
                            wBh[(perRow ? b * nh : 0) + j] -= alpha * sig;
                            sBh[(perRow ? b * nh : 0) + j] += Math.abs(alpha * sig);
                            for (int i = 0; i < nv; i++) {
                                wW[i * nh + j] -= alpha * v[b * nv + i] * sig;
                                sW[i * nh + j] += Math.abs(alpha * v[b * nv + i] * sig);
                            }
                        }
                        for (int i = 0; i < nv; i++) wBv[(perRow ? b * nv : 0) + i] -= alpha * v[b * nv + i];
                    }
                    for (int i = 0; i < sW.length; i++) sW[i] += Math.abs(gW[i]);
                    for (int i = 0; i < sBh.length; i++) sBh[i] += Math.abs(gBh[i]);
                    float[] gotW = be.toArray(dW), gotBv = be.toArray(dBv), gotBh = be.toArray(dBh);
                    double rt = reductionRtol(rows + nv);
                    assertClose(wW, widen(gotW), sW, 0, rt, "dW " + at);
                    assertClose(wBv, gotBv, 1e-6, reductionRtol(rows), "dBv " + at);
                    assertClose(wBh, widen(gotBh), sBh, 0, rt, "dBh " + at);

                    if (nv * nh <= 300) checkFiniteDifferences(v, w, bv, bh, rows, nv, nh, perRow, alpha, gW, gotW, gBv, gotBv, gBh, gotBh, at);

                    // null gradients are skipped: each alone leaves the other two untouched
                    for (int only = 0; only < 3; only++) {
                        Tensor w1 = be.of(gW, nv, nh), v1 = biasTensor(be, gBv, rows, nv, perRow), h1 = biasTensor(be, gBh, rows, nh, perRow);
                        be.freeEnergyGrad(only == 0 ? w1 : null, only == 1 ? v1 : null, only == 2 ? h1 : null, vt, wt, bht, alpha);
                        assertArrayEquals(only == 0 ? gotW : gW, be.toArray(w1), "dW with only #" + only + " " + at);
                        assertArrayEquals(only == 1 ? gotBv : gBv, be.toArray(v1), "dBv with only #" + only + " " + at);
                        assertArrayEquals(only == 2 ? gotBh : gBh, be.toArray(h1), "dBh with only #" + only + " " + at);
                    }
                }
            }
        }
    }

    /**
     * Central differences of G = alpha sum_b F(v[b]) in float64 (h = 1e-5: truncation error ~h^2, rounding ~1e-16/h)
     * against the gradient the backend accumulated (its result minus the starting buffer).
     */
    private static void checkFiniteDifferences(float[] v, float[] w, float[] bv, float[] bh, int rows, int nv, int nh,
                                               boolean perRow, float alpha, float[] gW0, float[] gW, float[] gBv0,
                                               float[] gBv, float[] gBh0, float[] gBh, String at) {
        double[] wd = widen(w), bvd = widen(bv), bhd = widen(bh);
        double[][] params = {wd, bvd, bhd};
        float[][] start = {gW0, gBv0, gBh0}, got = {gW, gBv, gBh};
        String[] names = {"W", "bv", "bh"};
        double h = 1e-5;
        for (int p = 0; p < 3; p++) {
            double[] x = params[p];
            double[] fd = new double[x.length], analytic = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                double keep = x[i];
                x[i] = keep + h;
                double up = total(v, wd, bvd, bhd, rows, nv, nh);
                x[i] = keep - h;
                double down = total(v, wd, bvd, bhd, rows, nv, nh);
                x[i] = keep;
                fd[i] = alpha * (up - down) / (2 * h);
                analytic[i] = (double) got[p][i] - start[p][i];
            }
            assertClose(fd, analytic, null, 1e-5, 1e-4, "finite differences d/d" + names[p] + " " + at
                    + (perRow ? "" : " (shared bias: summed over rows)"));
        }
    }

    private static double total(float[] v, double[] w, double[] bv, double[] bh, int rows, int nv, int nh) {
        double s = 0;
        for (double f : ConformanceSupport.freeEnergy(v, w, bv, bh, rows, nv, nh)) s += f;
        return s;
    }
}
