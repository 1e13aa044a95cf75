package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ScalarBackend;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * Every op of CudaBackend against the scalar reference on awkward sizes. Needs a CUDA device, a driver >= 580,
 * the PTX and cuBLAS; skipped with the provider's reason otherwise (run on a GPU machine: see engine-cuda/README.md).
 *
 * <p>Tolerances: ops whose float operations are the scalar backend's in the same order (the PTX is built with
 * -fmad=false) must match exactly; transcendentals evaluated in double and rounded once may differ in the last bit
 * (CUDA's and Java's exp may differ by an ulp of a double); reductions whose order differs get a bound that grows
 * with their length; sampled bits match exactly except where |u - p| < 2e-5, where float32 rounding of p differs
 * between cuBLAS and the scalar GEMM and may legitimately flip a draw.
 */
class CudaBackendGpuTest extends GpuTestBase {
    static final int[] SIZES = {1, 3, 4, 5, 13, 207, 1000, 8800, 15003};
    static final Backend cpu = new ScalarBackend();

    static float[] random(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (scale * (2 * r.nextDouble() - 1));
        return a;
    }

    static void ulps(float[] want, float[] got, int maxUlps, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.compare(want[i], got[i]) == 0) continue;
            float tol = maxUlps * Math.ulp(want[i]);
            assertTrue(Math.abs(want[i] - got[i]) <= tol, what + " [" + i + "]: " + got[i] + " vs " + want[i]);
        }
    }

    static void near(float[] want, float[] got, double atol, double rtol, String what) {
        for (int i = 0; i < want.length; i++) {
            assertTrue(Math.abs(want[i] - got[i]) <= atol + rtol * Math.abs(want[i]),
                    what + " [" + i + "]: " + got[i] + " vs " + want[i]);
        }
    }

    /** Runs op on both backends with the same inputs and returns {cpu result, gpu result} of the output (argument 0). */
    interface Op {
        void run(Backend be, Tensor[] t);
    }

    static float[][] both(Op op, int[] outShape, float[]... inputs) {
        float[][] res = new float[2][];
        Backend[] bes = {cpu, gpu};
        for (int k = 0; k < 2; k++) {
            Backend be = bes[k];
            Tensor[] t = new Tensor[inputs.length + 1];
            t[0] = be.zeros(outShape);
            for (int i = 0; i < inputs.length; i++) t[i + 1] = be.of(inputs[i], inputs[i].length);
            op.run(be, t);
            res[k] = be.toArray(t[0]);
        }
        return res;
    }

    @Test
    void elementwiseOps() {
        SplittableRandom r = new SplittableRandom(1);
        for (int n : SIZES) {
            float[] a = random(r, n, 30), b = random(r, n, 3), y = random(r, n, 1);
            check(n, "add", 0, (be, t) -> be.add(t[0], t[1], t[2]), a, b);
            check(n, "sub", 0, (be, t) -> be.sub(t[0], t[1], t[2]), a, b);
            check(n, "mul", 0, (be, t) -> be.mul(t[0], t[1], t[2]), a, b);
            check(n, "addMul", 0, (be, t) -> { be.copy(t[0], t[1]); be.addMul(t[0], t[1], t[2]); }, a, b);
            check(n, "clip", 0, (be, t) -> be.clip(t[0], t[1], -2f, 5f), a);
            check(n, "sigmoid", 1, (be, t) -> be.sigmoid(t[0], t[1]), a);
            check(n, "tanh", 1, (be, t) -> be.tanh(t[0], t[1]), b);
            check(n, "softplus", 1, (be, t) -> be.softplus(t[0], t[1]), a);
            check(n, "logSigmoid", 1, (be, t) -> be.logSigmoid(t[0], t[1]), a);
            check(n, "exp", 1, (be, t) -> be.exp(t[0], t[1]), b);
            check(n, "sigmoidBackward", 0, (be, t) -> be.sigmoidBackward(t[0], t[1], t[2]), b, y);
            check(n, "tanhBackward", 0, (be, t) -> be.tanhBackward(t[0], t[1], t[2]), b, y);
            check(n, "scale", 0, (be, t) -> { be.copy(t[0], t[1]); be.scale(t[0], -0.37f); }, a);
            check(n, "axpy", 0, (be, t) -> { be.copy(t[0], t[1]); be.axpy(t[0], t[2], 1.7f); }, a, b);
            check(n, "fill", 0, (be, t) -> be.fill(t[0], 2.5f));
            check(n, "add in place", 0, (be, t) -> { be.copy(t[0], t[1]); be.add(t[0], t[0], t[2]); }, a, b);
        }
    }

    static void check(int n, String what, int maxUlps, Op op, float[]... in) {
        float[][] r = both(op, new int[] {n}, in);
        ulps(r[0], r[1], maxUlps, what + " n=" + n);
    }

    @Test
    void rowAndColumnOpsAtOffsets() {
        SplittableRandom r = new SplittableRandom(2);
        for (int[] rc : new int[][] {{1, 1}, {3, 5}, {100, 88}, {7, 150}, {207, 13}, {1000, 150}, {9, 70}, {0, 4}}) {
            int rows = rc[0], cols = rc[1];
            float[] x = random(r, rows * cols + 3, 2), bias = random(r, cols, 1), init = random(r, Math.max(rows, cols), 1);
            float[][] res = new float[2][];
            Backend[] bes = {cpu, gpu};
            for (int k = 0; k < 2; k++) {
                Backend be = bes[k];
                Tensor xs = be.of(x, x.length).view(3, rows, cols);   // an odd offset into the storage
                Tensor out = be.zeros(rows, cols), cs = be.of(init, init.length).view(0, cols), rs = be.of(init, init.length).view(0, rows);
                be.addRowVector(out, xs, be.of(bias, cols));
                be.columnSums(cs, xs, 0.5f, 2f);
                be.rowSums(rs, xs, -1f, 0f);
                float[] o = be.toArray(out), c = be.toArray(cs), s = be.toArray(rs);
                res[k] = new float[o.length + c.length + s.length];
                System.arraycopy(o, 0, res[k], 0, o.length);
                System.arraycopy(c, 0, res[k], o.length, c.length);
                System.arraycopy(s, 0, res[k], o.length + c.length, s.length);
                assertEquals(cpu.sum(cpu.of(x, x.length)), be.sum(be.of(x, x.length)), 1e-12 * x.length, "sum");
                assertEquals(cpu.sumOfSquares(cpu.of(x, x.length)), be.sumOfSquares(be.of(x, x.length)), 1e-12 * x.length, "sumOfSquares");
                Tensor ss = be.zeros(1);                                   // left on the device: x squared in float first
                be.sumOfSquares(be.of(x, x.length), ss);
                double want = cpu.sumOfSquares(cpu.of(x, x.length));
                assertEquals(want, be.toArray(ss)[0], 1e-6 * want, "sumOfSquares into a tensor");
            }
            // addRowVector and columnSums: the same operations in the same order; rowSums adds in a tree (double)
            ulps(res[0], res[1], 1, "row/column ops " + rows + "x" + cols);
        }
    }

    @Test
    void transposeAtOffsets() {
        SplittableRandom r = new SplittableRandom(3);
        for (int[] rc : new int[][] {{1, 1}, {1, 9}, {9, 1}, {120, 480}, {207, 13}, {0, 5}}) {
            int rows = rc[0], cols = rc[1];
            float[] x = random(r, rows * cols + 3, 2);
            Tensor xs = gpu.of(x, x.length).view(3, rows, cols), out = gpu.zeros(cols, rows);
            gpu.transpose(out, xs);
            float[] got = gpu.toArray(out);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) assertEquals(x[3 + i * cols + j], got[j * rows + i], rows + "x" + cols + " [" + i + ", " + j + "]");
            }
        }
    }

    @Test
    void hostCopiesWithOffsetsAndViews() {
        float[] src = new float[50];
        for (int i = 0; i < src.length; i++) src[i] = i * 0.5f;
        Tensor t = gpu.zeros(4, 10);
        gpu.copyFromHost(t.view(13, 2, 7), src, 9);   // 14 values from src[9] into elements 13 .. 26
        float[] back = new float[60];
        gpu.copyToHost(back, 5, t);
        for (int i = 0; i < 40; i++) {
            float want = i >= 13 && i < 27 ? src[9 + i - 13] : 0f;
            assertEquals(want, back[5 + i], "element " + i);
        }
        assertArrayEquals(new float[] {src[9], src[10]}, gpu.toArray(t.at(1).view(3, 2)));
        assertThrows(IndexOutOfBoundsException.class, () -> gpu.copyFromHost(t, src, 20));
        assertTrue(gpu.description().startsWith(gpu.name() + ": "), gpu.description());
    }

    @Test
    void copyRejectsPartialOverlapAndHandlesZeroSizes() {
        float[] a = new float[100];
        for (int i = 0; i < a.length; i++) a[i] = i;
        float[][] res = new float[2][];
        Backend[] bes = {cpu, gpu};
        for (int k = 0; k < 2; k++) {
            Tensor t = bes[k].of(a, 100);
            Backend be = bes[k];
            assertThrows(IllegalArgumentException.class, () -> be.copy(t.view(10, 50), t.view(0, 50)));
            be.copy(t.view(60, 30), t.view(0, 30));
            be.copy(t.view(0, 0), t.view(5, 0));
            res[k] = be.toArray(t);
        }
        assertArrayEquals(res[0], res[1]);
        assertEquals(0, gpu.sum(gpu.zeros(0)));
    }

    @Test
    void gemmAllTranspositions() {
        SplittableRandom r = new SplittableRandom(3);
        for (int[] mnk : new int[][] {{1, 1, 1}, {3, 5, 7}, {100, 150, 88}, {100, 88, 150}, {13, 207, 1}, {2, 3, 0}, {33, 17, 129}}) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            for (int ta = 0; ta < 2; ta++) {
                for (int tb = 0; tb < 2; tb++) {
                    boolean transA = ta == 1, transB = tb == 1;
                    float[] a = random(r, m * k, 1), b = random(r, k * n, 1), c = random(r, m * n, 1);
                    for (float beta : new float[] {0f, 1f, -0.5f}) {
                        float[][] res = new float[2][];
                        Backend[] bes = {cpu, gpu};
                        for (int q = 0; q < 2; q++) {
                            Backend be = bes[q];
                            Tensor ct = be.of(c, m, n);
                            if (beta == 0f) be.fill(ct, Float.NaN);   // beta = 0 must overwrite, not read, C
                            be.gemm(ct, be.of(a, transA ? k : m, transA ? m : k), transA, be.of(b, transB ? n : k, transB ? k : n), transB, 1.25f, beta);
                            res[q] = be.toArray(ct);
                        }
                        // different summation orders: each term |a||b| <= 1, so the error is below ~k ulps of k
                        near(res[0], res[1], 2e-6 * (k + 1), 1e-5, "gemm " + m + "x" + n + "x" + k + " tA=" + transA + " tB=" + transB + " beta=" + beta);
                    }
                }
            }
        }
    }

    @Test
    void uniformsAreBitIdenticalToPhilox() {
        for (int n : SIZES) {
            for (long[] ss : new long[][] {{0, 0, 0}, {0xDEADBEEFCAFEL << 12, (5L << 32) + 9, 123_456_789_012L}}) {
                Rng a = new Rng(ss[0], ss[1]);
                a.seek(ss[2]);
                Tensor t = gpu.zeros(n);
                gpu.uniform(t, a);
                float[] want = new float[n];
                Philox.uniforms(ss[0], ss[1], ss[2], want, 0, n);
                assertArrayEquals(want, gpu.toArray(t), "n=" + n);
                assertEquals(ss[2] + (n + 3) / 4, a.position());
            }
        }
    }

    @Test
    void bernoulliIsBitIdenticalToTheScalarBackend() {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : SIZES) {
            float[] p = new float[n];
            for (int i = 0; i < n; i++) p[i] = (float) r.nextDouble();
            float[][] res = both((be, t) -> be.bernoulli(t[0], t[1], new Rng(77, 3)), new int[] {n}, p);
            assertArrayEquals(res[0], res[1], "n=" + n);
        }
    }

    /** Samples equal except where the reference probability is within 2e-5 of the uniform that decided the draw. */
    static void samples(float[] want, float[] got, float[] pRef, long seed, long stream, long first, String what) {
        float[] u = new float[want.length];
        Philox.uniforms(seed, stream, first, u, 0, u.length);
        for (int i = 0; i < want.length; i++) {
            if (want[i] != got[i]) {
                assertTrue(Math.abs(u[i] - pRef[i]) < 2e-5, what + " [" + i + "]: sample " + got[i] + " vs " + want[i]
                        + " with u = " + u[i] + ", p = " + pRef[i]);
            }
        }
    }

    @Test
    void gibbsHalfStep() {
        SplittableRandom r = new SplittableRandom(5);
        for (int[] c : new int[][] {{1, 1, 1}, {3, 13, 7}, {100, 88, 150}, {100, 150, 88}, {5, 0, 9}}) {
            int rows = c[0], nIn = c[1], nOut = c[2];
            for (boolean transW : new boolean[] {false, true}) {
                for (boolean perRow : new boolean[] {false, true}) {
                    float[] x = new float[rows * nIn], w = random(r, nIn * nOut, 1), bias = random(r, perRow ? rows * nOut : nOut, 1);
                    for (int i = 0; i < x.length; i++) x[i] = r.nextBoolean() ? 1 : 0;
                    float[][] s = new float[2][], p = new float[2][];
                    Backend[] bes = {cpu, gpu};
                    for (int q = 0; q < 2; q++) {
                        Backend be = bes[q];
                        Tensor st = be.zeros(rows, nOut), pt = be.zeros(rows, nOut);
                        Tensor bt = perRow ? be.of(bias, rows, nOut) : be.of(bias, nOut);
                        Rng rng = new Rng(99, 1);
                        rng.seek(3);
                        be.gibbsHalfStep(st, pt, be.of(x, rows, nIn), be.of(w, transW ? nOut : nIn, transW ? nIn : nOut), transW, bt, rng);
                        assertEquals(3 + (rows * nOut + 3) / 4, rng.position());
                        s[q] = be.toArray(st);
                        p[q] = be.toArray(pt);
                        Tensor s2 = be.zeros(rows, nOut);   // prob = null: the same sample from the same position
                        Rng again = new Rng(99, 1);
                        again.seek(3);
                        be.gibbsHalfStep(s2, null, be.of(x, rows, nIn), be.of(w, transW ? nOut : nIn, transW ? nIn : nOut), transW, bt, again);
                        assertArrayEquals(s[q], be.toArray(s2), "prob = null");
                    }
                    String what = "gibbsHalfStep " + rows + "x" + nIn + "x" + nOut + " transW=" + transW + " perRow=" + perRow;
                    near(p[0], p[1], 1e-6 * (nIn + 1), 0, what);
                    samples(s[0], s[1], p[0], 99, 1, 3, what);
                }
            }
        }
    }

    @Test
    void fusedGibbsChainMatchesTheScalarChain() {
        // the kernel adds in the scalar GEMM's order (-fmad=false), so samples and probabilities agree exactly
        // unless CUDA's double exp differs from Java's in a bit that changes the float sigmoid next to a uniform
        chain(new int[][] {{1, 1, 1, 1}, {3, 13, 7, 2}, {100, 88, 150, 15}, {7, 150, 88, 4}, {2, 5, 300, 3}}, true);
    }

    @Test
    void chainFallsBackToHalfStepsWhenWDoesNotFitOnChip() {
        // 400 x 400 floats = 640 KB: more than any GPU's shared memory per block; cuBLAS path, so the draw allowance
        chain(new int[][] {{3, 400, 400, 1}}, false);
    }

    static void chain(int[][] cases, boolean exact) {
        SplittableRandom r = new SplittableRandom(6);
        for (int[] c : cases) {
            int rows = c[0], nv = c[1], nh = c[2], k = c[3];
            for (boolean perRow : new boolean[] {false, true}) {
                float[] v = new float[rows * nv], w = random(r, nv * nh, 0.5);
                float[] bv = random(r, perRow ? rows * nv : nv, 1), bh = random(r, perRow ? rows * nh : nh, 1);
                for (int i = 0; i < v.length; i++) v[i] = r.nextBoolean() ? 1 : 0;
                float[][] vs = new float[2][], ps = new float[2][];
                long[] pos = new long[2];
                Backend[] bes = {cpu, gpu};
                for (int q = 0; q < 2; q++) {
                    Backend be = bes[q];
                    Tensor vt = be.of(v, rows, nv), pt = be.zeros(rows, nv);
                    Rng rng = new Rng(0xABCDEF0123L, 5);
                    be.gibbsChain(vt, pt, be.of(w, nv, nh), perRow ? be.of(bv, rows, nv) : be.of(bv, nv),
                            perRow ? be.of(bh, rows, nh) : be.of(bh, nh), k, rng);
                    vs[q] = be.toArray(vt);
                    ps[q] = be.toArray(pt);
                    pos[q] = rng.position();
                }
                String what = "gibbsChain " + rows + "x" + nv + "x" + nh + " k=" + k + " perRow=" + perRow;
                assertEquals(pos[0], pos[1], what + ": Rng position");
                if (exact) {
                    assertArrayEquals(vs[0], vs[1], what);
                    ulps(ps[0], ps[1], 1, what + " vProb");
                } else {
                    // k = 1: the visible draw is the chain's second, after ceil(rows nh / 4) hidden blocks
                    near(ps[0], ps[1], 1e-6 * (nh + 1), 0, what + " vProb");
                    samples(vs[0], vs[1], ps[0], 0xABCDEF0123L, 5, (rows * nh + 3) / 4, what);
                }
            }
        }
    }

    @Test
    void freeEnergyAndItsGradient() {
        SplittableRandom r = new SplittableRandom(7);
        for (int[] c : new int[][] {{1, 1, 1}, {3, 13, 7}, {100, 88, 150}, {9, 150, 3}}) {
            int rows = c[0], nv = c[1], nh = c[2];
            for (boolean perRow : new boolean[] {false, true}) {
                float[] v = new float[rows * nv], w = random(r, nv * nh, 1);
                float[] bv = random(r, perRow ? rows * nv : nv, 1), bh = random(r, perRow ? rows * nh : nh, 1);
                for (int i = 0; i < v.length; i++) v[i] = r.nextBoolean() ? 1 : 0;
                float[] g0 = random(r, nv * nh + (perRow ? rows : 1) * (nv + nh), 1);
                float[][] f = new float[2][], g = new float[2][];
                Backend[] bes = {cpu, gpu};
                for (int q = 0; q < 2; q++) {
                    Backend be = bes[q];
                    Tensor vt = be.of(v, rows, nv), wt = be.of(w, nv, nh);
                    Tensor bvt = perRow ? be.of(bv, rows, nv) : be.of(bv, nv), bht = perRow ? be.of(bh, rows, nh) : be.of(bh, nh);
                    Tensor ft = be.zeros(rows);
                    be.freeEnergy(ft, vt, wt, bvt, bht);
                    f[q] = be.toArray(ft);
                    Tensor grads = be.of(g0, g0.length);   // one buffer: dW, dBv, dBh views, accumulated into
                    int nr = perRow ? rows : 1;
                    Tensor dW = grads.view(0, nv, nh), dBv = grads.view((long) nv * nh, perRow ? new int[] {rows, nv} : new int[] {nv});
                    Tensor dBh = grads.view((long) nv * nh + (long) nr * nv, perRow ? new int[] {rows, nh} : new int[] {nh});
                    be.freeEnergyGrad(dW, dBv, dBh, vt, wt, bht, 1f / 3);
                    g[q] = be.toArray(grads);
                }
                String what = rows + "x" + nv + "x" + nh + " perRow=" + perRow;
                // F sums nv + nh terms of size ~ nv
                near(f[0], f[1], 1e-6 * (nv + nh) * (nv + 1), 1e-6, "freeEnergy " + what);
                near(g[0], g[1], 2e-6 * (rows + 1) * (nv + 1), 1e-5, "freeEnergyGrad " + what);
            }
        }
    }

    /** gatherRows against the CPU at awkward sizes, repeated rows, offsets; an index that is not a row gives NaN here. */
    @Test
    void gatherRowsMatchesTheCpu() {
        SplittableRandom r = new SplittableRandom(9);
        for (int[] nmc : new int[][] {{1, 1, 1}, {7, 5, 13}, {3200, 700, 88}, {4, 9, 1}, {0, 3, 2}}) {
            int n = nmc[0], m = nmc[1], c = nmc[2];
            float[] src = random(r, m * c + 3, 2), idx = new float[n];
            for (int i = 0; i < n; i++) idx[i] = r.nextInt(m);
            float[][] out = new float[2][];
            Backend[] bes = {cpu, gpu};
            for (int q = 0; q < 2; q++) {
                Backend be = bes[q];
                Tensor dst = be.zeros(n * c + 2).view(1, n, c);
                be.gatherRows(dst, be.of(src, src.length).view(3, m, c), be.of(idx, n));
                out[q] = be.toArray(dst);
            }
            assertArrayEquals(out[0], out[1], "gatherRows " + n + "x" + m + "x" + c);
        }
        Tensor dst = gpu.zeros(3, 2);
        gpu.gatherRows(dst, gpu.of(new float[] {1, 2, 3, 4}, 2, 2), gpu.of(new float[] {1, 2, 0.5f}, 3));
        float[] got = gpu.toArray(dst);
        assertArrayEquals(new float[] {3, 4}, java.util.Arrays.copyOf(got, 2));
        for (int i = 2; i < 6; i++) assertTrue(Float.isNaN(got[i]), "row " + i / 2 + ": " + got[i]);
    }

    @Test
    void lstmCellForwardAndBackward() {
        SplittableRandom r = new SplittableRandom(8);
        for (int[] bh : new int[][] {{1, 1}, {3, 7}, {2, 9}, {3, 13}, {32, 120}, {100, 17}}) {
            int rows = bh[0], n = bh[1];
            float[] z = random(r, rows * 4 * n, 4), cp = random(r, rows * n, 2), dh = random(r, rows * n, 1), dc = random(r, rows * n, 1);
            for (boolean withPrev : new boolean[] {true, false}) {
                float[][] out = new float[2][];
                Backend[] bes = {cpu, gpu};
                for (int q = 0; q < 2; q++) {
                    Backend be = bes[q];
                    Tensor zt = be.of(z, rows, 4 * n), ct = be.zeros(rows, n), ht = be.zeros(rows, n), cpt = withPrev ? be.of(cp, rows, n) : null;
                    be.lstmCell(ht, ct, zt, cpt);
                    Tensor dz = be.zeros(rows, 4 * n), dct = be.of(dc, rows, n);
                    be.lstmCellBackward(dz, dct, be.of(dh, rows, n), zt, ct, cpt);
                    out[q] = concat(be.toArray(zt), be.toArray(ct), be.toArray(ht), be.toArray(dz), be.toArray(dct));
                }
                // activations agree to the last bit or one ulp; products of them a few ulps
                near(out[0], out[1], 1e-6, 4e-6, "lstm " + rows + "x" + n + " withPrev=" + withPrev);
            }
        }
    }

    /**
     * The layer ops against the CPU: persistent kernels (a block per sequence, Wh in shared memory) up to H = 120, per
     * step (cuBLAS products and the cell kernels) above, where Wh does not fit ({T, B, H}; 121: 235 KB); with and
     * without the carried state h0, c0.
     */
    @Test
    void lstmLayerForwardAndBackward() {
        SplittableRandom r = new SplittableRandom(10);
        for (int[] tbn : new int[][] {{1, 1, 1}, {4, 3, 7}, {6, 32, 120}, {3, 11, 17}, {7, 2, 33}, {2, 3, 121}, {0, 2, 5}}) {
            int t = tbn[0], b = tbn[1], n = tbn[2];
            for (boolean state : new boolean[] {true, false}) {
                float[] z = random(r, t * b * 4 * n, 2), wh = random(r, n * 4 * n, 0.5f), h0 = random(r, b * n, 1), c0 = random(r, b * n, 2);
                float[] dh = random(r, t * b * n, 1), dc = random(r, b * n, 1);
                float[][] out = new float[2][];
                Backend[] bes = {cpu, gpu};
                for (int q = 0; q < 2; q++) {
                    Backend be = bes[q];
                    Tensor zt = be.of(z, t * b, 4 * n), wt = be.of(wh, n, 4 * n), c0t = state ? be.of(c0, b, n) : null;
                    Tensor h = be.zeros(t * b, n), c = be.zeros(t * b, n), dz = be.zeros(t * b, 4 * n), dht = be.of(dh, t * b, n), dct = be.of(dc, b, n);
                    be.lstmForward(h, c, zt, wt, state ? be.of(h0, b, n) : null, c0t, b);
                    be.lstmBackward(dz, dct, dht, zt, c, c0t, wt, b);
                    out[q] = concat(be.toArray(h), be.toArray(c), be.toArray(zt), be.toArray(dz), be.toArray(dht), be.toArray(dct));
                }
                // a few steps of products (k = H, 4H) and cells compound the per-step ops' differences
                sameSums(out[0], out[1], 1e-5, 1e-4, "lstm layer T, B, H = " + t + ", " + b + ", " + n + " state=" + state);
            }
        }
    }

    /**
     * The RNN-RBM's recurrence ops: persistent kernels (a block per sequence, Wuu in shared memory), or per step when
     * Wuu does not fit ({T, n, B}; n = 260: 270 KB).
     */
    @Test
    void tanhRecurrenceForwardAndBackward() {
        SplittableRandom r = new SplittableRandom(11);
        for (int[] tnb : new int[][] {{1, 1, 1}, {5, 9, 1}, {100, 100, 1}, {3, 129, 1}, {40, 33, 1}, {2, 260, 1},
                {4, 9, 3}, {100, 100, 32}, {0, 5, 2}, {3, 260, 2}}) {
            int t = tnb[0], n = tnb[1], b = tnb[2], rows = (t + 1) * b;
            float[] u = random(r, rows * n, 2), wuu = random(r, n * n, (float) (1.5 / Math.sqrt(n))), du = random(r, rows * n, 1);
            float[][] out = new float[2][];
            Backend[] bes = {cpu, gpu};
            for (int q = 0; q < 2; q++) {
                Backend be = bes[q];
                Tensor ut = be.of(u, rows, n), wt = be.of(wuu, n, n), dut = be.of(du, rows, n), da = be.zeros(t * b, n);
                be.tanhRecurrence(ut, wt, b);
                be.tanhRecurrenceBackward(da, dut, ut, wt, b);
                out[q] = concat(be.toArray(ut), be.toArray(da), be.toArray(dut));
            }
            sameSums(out[0], out[1], 1e-5, 1e-4, "tanh recurrence T, n, B = " + t + ", " + n + ", " + b);
        }
    }

    /** The hidden half of an AIS temperature in one pass (k_ais_hidden, a block per chain) against the op sequence. */
    @Test
    void aisHiddenMatchesTheScalarBackend() {
        SplittableRandom r = new SplittableRandom(12);
        for (int[] sh : new int[][] {{1, 1}, {7, 150}, {300, 150}, {5, 13}}) {
            int rows = sh[0], nh = sh[1];
            for (boolean perRow : new boolean[] {false, true}) {
                for (boolean draw : new boolean[] {true, false}) {
                    float[] x = random(r, rows * nh, 3), w = random(r, rows, 1), bh = random(r, perRow ? rows * nh : nh, 1);
                    float[][] out = new float[2][];
                    long[] pos = new long[2];
                    Backend[] bes = {cpu, gpu};
                    for (int q = 0; q < 2; q++) {
                        Backend be = bes[q];
                        Tensor xt = be.of(x, rows, nh), wt = be.of(w, rows), ht = draw ? be.zeros(rows, nh) : null;
                        Tensor bt = perRow ? be.of(bh, rows, nh) : be.of(bh, nh);
                        Rng rng = new Rng(3, 9);
                        be.aisHidden(wt, ht, xt, bt, 0.37f, 0.41f, rng);
                        pos[q] = rng.position();
                        out[q] = concat(be.toArray(wt), be.toArray(xt), draw ? be.toArray(ht) : new float[0]);
                    }
                    String what = "aisHidden " + rows + "x" + nh + " perRow=" + perRow + " draw=" + draw;
                    assertEquals(pos[0], pos[1], what + ": the same draws");
                    // w: two sums of nh softplus terms in another order (double tree against double in row order), rounded to float
                    near(java.util.Arrays.copyOf(out[0], rows), java.util.Arrays.copyOf(out[1], rows), 1e-6 * 4 * nh, 1e-5, what + " w");
                    ulps(java.util.Arrays.copyOfRange(out[0], rows, rows + rows * nh), java.util.Arrays.copyOfRange(out[1], rows, rows + rows * nh), 0, what + " y");
                    int flips = 0;
                    for (int i = rows + rows * nh; i < out[0].length; i++) if (out[0][i] != out[1][i]) flips++;
                    assertTrue(flips <= rows * nh / 1000, what + ": " + flips + " sampled bits differ");
                }
            }
        }
    }

    /** The visible half of an AIS temperature in one pass (k_ais_visible, a block per chain) against the op sequence. */
    @Test
    void aisVisibleMatchesTheScalarBackend() {
        SplittableRandom r = new SplittableRandom(13);
        for (int[] sh : new int[][] {{1, 1}, {7, 88}, {300, 88}, {5, 13}}) {
            int rows = sh[0], nv = sh[1];
            for (boolean perRow : new boolean[] {false, true}) {
                for (boolean mix : new boolean[] {false, true}) {
                    for (boolean draw : new boolean[] {true, false}) {
                        int nb = perRow ? rows * nv : nv;
                        float[] x = random(r, rows * nv, 3), w = random(r, rows, 1), bv = random(r, nb, 1), a = random(r, nb, 1);
                        float[] v = random(r, rows * nv, 1);
                        for (int i = 0; i < v.length; i++) v[i] = v[i] < 0 ? 1 : 0;
                        float[][] out = new float[2][];
                        long[] pos = new long[2];
                        Backend[] bes = {cpu, gpu};
                        for (int q = 0; q < 2; q++) {
                            Backend be = bes[q];
                            Tensor vt = be.of(v, rows, nv), wt = be.of(w, rows), xt = draw ? be.of(x, rows, nv) : null;
                            Tensor bt = perRow ? be.of(bv, rows, nv) : be.of(bv, nv);
                            Tensor at = mix ? (perRow ? be.of(a, rows, nv) : be.of(a, nv)) : null;
                            Rng rng = new Rng(3, 9);
                            be.aisVisible(wt, vt, xt, bt, at, 0.37f, 0.41f, rng);
                            pos[q] = rng.position();
                            out[q] = concat(be.toArray(wt), be.toArray(vt));
                        }
                        String what = "aisVisible " + rows + "x" + nv + " perRow=" + perRow + " mix=" + mix + " draw=" + draw;
                        assertEquals(pos[0], pos[1], what + ": the same draws");
                        // w: two dot products of nv terms in another order (double tree against double in row order), rounded to float
                        near(java.util.Arrays.copyOf(out[0], rows), java.util.Arrays.copyOf(out[1], rows), 1e-6 * nv, 1e-5, what + " w");
                        int flips = 0;
                        for (int i = rows; i < out[0].length; i++) if (out[0][i] != out[1][i]) flips++;
                        assertTrue(flips <= rows * nv / 1000, what + ": " + flips + " sampled bits differ");
                        if (!draw) assertArrayEquals(v, java.util.Arrays.copyOfRange(out[1], rows, out[1].length), what + ": v kept");
                    }
                }
            }
        }
    }

    /**
     * Backend.record: the recorded body (a Gibbs chain with per-row biases, a product and an update in place) runs
     * once as it is recorded, and each replay gives what the same ops run one by one give at the Rng's position then,
     * advancing it alike; the CPU's default runs the body and records nothing; a body that reads back, allocates or
     * draws from another Rng is refused, and the backend goes on working.
     */
    @Test
    void recordingsReplayTheirOpsWithNewDraws() {
        SplittableRandom r = new SplittableRandom(21);
        int rows = 9, nv = 13, nh = 7;
        float[] w = random(r, nv * nh, 1), bv = random(r, rows * nv, 1), bh = random(r, rows * nh, 1), v0 = random(r, rows * nv, 1);
        for (int i = 0; i < v0.length; i++) v0[i] = v0[i] < 0 ? 1 : 0;
        float[][] eager = new float[4][], recorded = new float[4][];
        long[] eagerPos = new long[4], recordedPos = new long[4];
        for (int q = 0; q < 2; q++) {
            Tensor wt = gpu.of(w, nv, nh), bvt = gpu.of(bv, rows, nv), bht = gpu.of(bh, rows, nh), v = gpu.of(v0, rows, nv);
            Tensor x = gpu.zeros(rows, nh);
            Rng rng = new Rng(5, 2);
            Runnable body = () -> {
                gpu.gibbsChain(v, null, wt, bvt, bht, 2, rng);
                gpu.gemm(x, v, false, wt, false, 1f, 0f);
                gpu.axpy(bht, x, 0.01f);                                  // the next chain sees changed biases
            };
            Backend.Recording rec = q == 1 ? gpu.record(body, rng) : null;
            for (int rep = 0; rep < 4; rep++) {
                if (q == 0) body.run();
                else if (rep > 0) rec.replay();
                (q == 0 ? eager : recorded)[rep] = concat(gpu.toArray(v), gpu.toArray(bht));
                (q == 0 ? eagerPos : recordedPos)[rep] = rng.position();
            }
            if (rec != null) rec.close();
        }
        for (int rep = 0; rep < 4; rep++) {
            assertArrayEquals(eager[rep], recorded[rep], "run " + rep);
            assertEquals(eagerPos[rep], recordedPos[rep], "Rng after run " + rep);
        }
        assertFalse(java.util.Arrays.equals(eager[1], eager[2]), "new draws each run");

        int[] ran = {0};
        assertNull(cpu.record(() -> ran[0]++, new Rng(1, 1)));
        assertEquals(1, ran[0], "the CPU runs the body");

        Tensor t = gpu.of(new float[] {1, 2, 3}, 3), u = gpu.zeros(5);
        Rng rng = new Rng(1, 1);
        for (Runnable bad : new Runnable[] {() -> gpu.toArray(t), () -> gpu.zeros(2), () -> gpu.uniform(t, new Rng(1, 1))}) {
            assertThrows(IllegalStateException.class, () -> gpu.record(() -> {
                gpu.scale(t, 2f);
                gpu.uniform(u, rng);
                bad.run();
            }, rng));
            assertEquals(0, rng.position(), "a refused recording leaves its Rng where it was");
        }
        gpu.scale(t, 2f);
        assertArrayEquals(new float[] {2, 4, 6}, gpu.toArray(t), "the refused bodies ran nothing; the backend works");
    }

    @Test
    void optimizerSteps() {
        SplittableRandom r = new SplittableRandom(9);
        for (int n : SIZES) {
            float[] p = random(r, n, 1), g = random(r, n, 1);
            float[][] res = new float[2][];
            Backend[] bes = {cpu, gpu};
            for (int q = 0; q < 2; q++) {
                Backend be = bes[q];
                Tensor pa = be.of(p, n), ga = be.of(g, n), m = be.zeros(n), v = be.zeros(n), pr = be.of(p, n), rr = be.zeros(n);
                Tensor pm = be.of(p, n), vm = be.zeros(n), pn = be.of(p, n), vn = be.zeros(n);
                for (int step = 1; step <= 3; step++) {
                    be.adam(pa, ga, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, step);
                    be.rmsprop(pr, ga, rr, 1e-3f, 0.9f, 1e-6f);
                    be.momentum(pm, ga, vm, 1e-2f, 0.9f, false);
                    be.momentum(pn, ga, vn, 1e-2f, 0.9f, true);
                }
                res[q] = concat(be.toArray(pa), be.toArray(m), be.toArray(v), be.toArray(pr), be.toArray(rr),
                        be.toArray(pm), be.toArray(vm), be.toArray(pn), be.toArray(vn));
            }
            ulps(res[0], res[1], 2, "adam/rmsprop/momentum n=" + n);   // sqrtf and division are IEEE-rounded in both
        }
    }

    @Test
    void softmaxAndCrossEntropy() {
        SplittableRandom r = new SplittableRandom(10);
        for (int[] rc : new int[][] {{1, 1}, {3, 38}, {100, 88}, {5, 300}}) {
            int rows = rc[0], n = rc[1];
            float[] x = random(r, rows * n, 20), t = new float[rows * n];
            for (int i = 0; i < rows; i++) if (i != 1) t[i * n + r.nextInt(n)] = 1;   // row 1: padding
            double[] loss = new double[2];
            float[][] res = new float[2][];
            Backend[] bes = {cpu, gpu};
            for (int q = 0; q < 2; q++) {
                Backend be = bes[q];
                Tensor xt = be.of(x, rows, n), tt = be.of(t, rows, n), d = be.zeros(rows, n), s = be.zeros(rows, n);
                loss[q] = be.softmaxCrossEntropy(d, xt, tt);
                assertEquals(loss[q], be.softmaxCrossEntropy(null, xt, tt), 0);
                be.softmax(s, xt);
                be.softmax(xt, xt);   // in place
                res[q] = concat(be.toArray(d), be.toArray(s), be.toArray(xt));
            }
            assertEquals(loss[0], loss[1], 1e-12 * (1 + Math.abs(loss[0])) * n, "loss " + rows + "x" + n);
            near(res[0], res[1], 1e-7, 2e-7, "softmax " + rows + "x" + n);
        }
    }

    @Test
    void badCallsAreRejectedWithTheScalarBackendsWords() {
        BiConsumer<Op, String> same = (op, what) -> {
            String want = assertThrows(IllegalArgumentException.class, () -> op.run(cpu, null)).getMessage();
            String got = assertThrows(IllegalArgumentException.class, () -> op.run(gpu, null)).getMessage();
            assertEquals(want.replace("@" + cpu.name(), "@" + gpu.name()), got, what);
        };
        same.accept((be, t) -> be.gemm(be.zeros(2, 3), be.zeros(2, 4), false, be.zeros(5, 3), false, 1, 0), "gemm shapes");
        same.accept((be, t) -> { Tensor a = be.zeros(10); be.add(a.view(1, 5), a.view(0, 5), a.view(0, 5)); }, "partial overlap");
        same.accept((be, t) -> be.gibbsChain(be.zeros(2, 3), null, be.zeros(3, 4), be.zeros(5), be.zeros(4), 1, new Rng(1, 1)), "bias");
        same.accept((be, t) -> be.lstmCell(be.zeros(2, 3), be.zeros(2, 3), be.zeros(2, 10), null), "lstm width");
        Tensor foreign = cpu.zeros(3);
        assertThrows(IllegalArgumentException.class, () -> gpu.add(gpu.zeros(3), foreign, gpu.zeros(3)));
    }

    @Test
    void outOfMemoryIsATypedErrorNamingTheSize() {
        CudaException e = assertThrows(CudaException.class, () -> gpu.zeros(1 << 20, 51200));   // 200 GiB: more than an H200
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
        assertTrue(e.getMessage().startsWith("cuda: out of device memory allocating 214748364800 bytes"), e.getMessage());
        gpu.synchronize();   // and the backend still works
        assertEquals(6, gpu.sum(gpu.of(new float[] {1, 2, 3}, 3)));
    }

    /**
     * Results of ops whose sums run in the scalar backend's index order (the recurrence kernels): near on a GPU, where
     * the device's exp and tanh may round differently in the last bit; the same bits on the emulator (see the
     * emulated twin), where every float operation is the host's.
     */
    void sameSums(float[] want, float[] got, double atol, double rtol, String what) {
        near(want, got, atol, rtol, what);
    }

    static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] r = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, r, o, p.length);
            o += p.length;
        }
        return r;
    }
}
