package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.RTOL;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertClose;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertRefused;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertSameBits;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertViewsTouchOnlyTheirOutputs;
import static dev.tessitura.engine.cpu.ConformanceSupport.biasTensor;
import static dev.tessitura.engine.cpu.ConformanceSupport.binary;
import static dev.tessitura.engine.cpu.ConformanceSupport.blocks;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static dev.tessitura.engine.cpu.ConformanceSupport.reductionRtol;
import static dev.tessitura.engine.cpu.ConformanceSupport.s;
import static dev.tessitura.engine.cpu.ConformanceSupport.uniforms;
import static dev.tessitura.engine.cpu.ConformanceSupport.widen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ConformanceSupport.Bad;
import dev.tessitura.engine.cpu.ConformanceSupport.ViewCase;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The NADE ops on every CPU backend: the forward pass and the backward pass against float64 ({@link NadeF64}), with
 * bounds from the magnitudes of their sums; the backward also against central differences of the float64 cost;
 * sampling against float64 on the draws the documented layout names, and its frequencies against the model's exact
 * probabilities; a hand-computed case. Then SIMD against the scalar reference ({@link CrossChecks}), bad calls,
 * views. Sizes: nv 1, 7, 13, 88 x nh 1, 5, 150 x T 1, 7, 33, biases shared and per row.
 */
class NadeOpsTest extends CrossChecks {
    private static final long SEED = 0x4ADEL, STREAM = 11;
    static final int[] NVS = {1, 7, 13, 88}, NHS = {1, 5, 150}, TS = {1, 7, 33};

    /** One case's inputs: frames, weights in [-0.5, 0.5), biases in [-1, 1), shared or per row. */
    private record Case(int rows, int nv, int nh, boolean perRow, float[] v, float[] w, float[] vw, float[] bv, float[] bh) {
        static Case of(SplittableRandom r, int rows, int nv, int nh, boolean perRow) {
            return new Case(rows, nv, nh, perRow, binary(r, rows * nv), random(r, nv * nh, -0.5, 0.5), random(r, nh * nv, -0.5, 0.5),
                    random(r, perRow ? rows * nv : nv, -1, 1), random(r, perRow ? rows * nh : nh, -1, 1));
        }

        Tensor[] weights(Backend be) {
            return new Tensor[] {be.of(w, nv, nh), be.of(vw, nh, nv), biasTensor(be, bv, rows, nv, perRow), biasTensor(be, bh, rows, nh, perRow)};
        }

        String at(String backend, String op) {
            return backend + " " + op + " T=" + rows + " nv=" + nv + " nh=" + nh + " perRow=" + perRow;
        }
    }

    /** nadeForward on the case: {logp, p}. */
    private static float[][] forward(Backend be, Case c) {
        Tensor logp = be.zeros(c.rows), p = be.zeros(c.rows, c.nv);
        Tensor[] wt = c.weights(be);
        be.nadeForward(logp, p, be.of(c.v, c.rows, c.nv), wt[0], wt[1], wt[2], wt[3]);
        return new float[][] {be.toArray(logp), be.toArray(p)};
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void forwardMatchesFloat64(String backend) {
        SplittableRandom r = new SplittableRandom(31);
        try (Backend be = create(backend)) {
            for (int nv : NVS) for (int nh : NHS) for (int rows : TS) for (boolean perRow : new boolean[] {false, true}) {
                Case c = Case.of(r, rows, nv, nh, perRow);
                float[][] got = forward(be, c);
                NadeF64.Forward want = NadeF64.forward(c.v, c.w, c.vw, c.bv, c.bh, rows, nv, nh);
                // s carries the errors of its sum over nh and of a's over nv; p moves by p (1 - p) of that
                double rt = reductionRtol(nv + nh);
                double[] pBound = new double[want.p().length];
                for (int i = 0; i < pBound.length; i++) pBound[i] = want.p()[i] * (1 - want.p()[i]) * want.scaleS()[i] * rt / RTOL + want.p()[i];
                assertClose(want.p(), widen(got[1]), pBound, 1e-7, RTOL, c.at(backend, "p"));
                assertClose(want.logp(), widen(got[0]), want.terms(), 0, rt, c.at(backend, "logp"));
            }
        }
    }

    /** By hand, nv = 2, nh = 1: p_0 = sigmoid(bv_0 + sigmoid(bh) V_0), p_1 = sigmoid(bv_1 + sigmoid(bh + v_0 W_0) V_1). */
    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void handComputedConditionals(String backend) {
        try (Backend be = create(backend)) {
            Tensor logp = be.zeros(2), p = be.zeros(2, 2);
            // frames (1, 0) and (0, 1); W = (ln 3, 5)^T, V = (2, -4), bv = (0.5, 1), bh = 0
            be.nadeForward(logp, p, be.of(new float[] {1, 0, 0, 1}, 2, 2), be.of(new float[] {(float) Math.log(3), 5}, 2, 1),
                    be.of(new float[] {2, -4}, 1, 2), be.of(new float[] {0.5f, 1}, 2), be.zeros(1));
            double p0 = sig(0.5 + 0.5 * 2), p1After1 = sig(1 - 4 * 0.75), p1After0 = sig(1 - 4 * 0.5);   // sigmoid(ln 3) = 3/4
            float[] pg = be.toArray(p), lg = be.toArray(logp);
            double[] want = {p0, p1After1, p0, p1After0};
            for (int i = 0; i < 4; i++) assertEquals(want[i], pg[i], 1e-6, backend + " p[" + i + "]");
            assertEquals(Math.log(p0) + Math.log(1 - p1After1), lg[0], 1e-6, backend + " logp of (1, 0)");
            assertEquals(Math.log(1 - p0) + Math.log(p1After0), lg[1], 1e-6, backend + " logp of (0, 1)");
        }
    }

    private static double sig(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void backwardMatchesFloat64AndAccumulates(String backend) {
        SplittableRandom r = new SplittableRandom(32);
        float alpha = -0.375f;
        try (Backend be = create(backend)) {
            for (int nv : NVS) for (int nh : NHS) for (int rows : TS) for (boolean perRow : new boolean[] {false, true}) {
                Case c = Case.of(r, rows, nv, nh, perRow);
                float[] p = random(r, rows * nv, 0, 1);            // any p: the op takes the forward's as given
                float[][] start = {random(r, nv * nh, -1, 1), random(r, nh * nv, -1, 1), random(r, c.bv.length, -1, 1), random(r, c.bh.length, -1, 1)};
                float[][] got = backward(be, c, p, alpha, start);
                NadeF64.Grads want = NadeF64.backward(c.v, p, c.w, c.vw, c.bh, rows, nv, nh, alpha, perRow);
                double[][] w = {want.dW(), want.dV(), want.dBv(), want.dBh()}, sc = {want.sW(), want.sV(), want.sBv(), want.sBh()};
                String[] names = {"dW", "dV", "dBv", "dBh"};
                double rt = reductionRtol(rows + nv);
                for (int k = 0; k < 4; k++) {
                    double[] total = new double[w[k].length], scale = new double[w[k].length];
                    for (int i = 0; i < total.length; i++) {
                        total[i] = start[k][i] + w[k][i];                // accumulated onto what was there
                        scale[i] = sc[k][i] + Math.abs(start[k][i]) + Math.abs(w[k][i]);
                    }
                    assertClose(total, widen(got[k]), scale, 0, rt, c.at(backend, names[k]));
                }
            }
        }
    }

    /** nadeBackward on the case from gradients {@code start}: {dW, dV, dBv, dBh}. */
    private static float[][] backward(Backend be, Case c, float[] p, float alpha, float[][] start) {
        Tensor dW = be.of(start[0], c.nv, c.nh), dV = be.of(start[1], c.nh, c.nv);
        Tensor dBv = biasTensor(be, start[2], c.rows, c.nv, c.perRow), dBh = biasTensor(be, start[3], c.rows, c.nh, c.perRow);
        Tensor[] wt = c.weights(be);
        be.nadeBackward(dW, dV, dBv, dBh, be.of(c.v, c.rows, c.nv), be.of(p, c.rows, c.nv), wt[0], wt[1], wt[3], alpha);
        return new float[][] {be.toArray(dW), be.toArray(dV), be.toArray(dBv), be.toArray(dBh)};
    }

    /**
     * Central differences of alpha (-sum_t log p(v_t)) in float64 (h = 1e-5: truncation ~h^2, rounding ~1e-16/h)
     * against the gradient the backend accumulated from zero, given the p of its own forward pass.
     */
    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void backwardIsTheDerivative(String backend) {
        SplittableRandom r = new SplittableRandom(33);
        float alpha = 0.7f;
        try (Backend be = create(backend)) {
            for (int[] s : new int[][] {{1, 1, 1}, {3, 7, 5}, {4, 13, 1}, {2, 5, 6}}) {
                for (boolean perRow : new boolean[] {false, true}) {
                    Case c = Case.of(r, s[0], s[1], s[2], perRow);
                    float[] p = forward(be, c)[1];
                    float[][] got = backward(be, c, p, alpha, new float[][] {new float[c.nv * c.nh], new float[c.nv * c.nh],
                            new float[c.bv.length], new float[c.bh.length]});
                    float[][] params = {c.w, c.vw, c.bv, c.bh};
                    String[] names = {"W", "V", "bv", "bh"};
                    for (int k = 0; k < 4; k++) {
                        float[] x = params[k];
                        double[] fd = new double[x.length];
                        double h = 1e-5;
                        for (int i = 0; i < x.length; i++) fd[i] = alpha * (cost(c, k, i, x[i] + h) - cost(c, k, i, x[i] - h)) / (2 * h);
                        assertClose(fd, widen(got[k]), null, 1e-5, 1e-4, c.at(backend, "finite differences d/d" + names[k]));
                    }
                }
            }
        }
    }

    /** -sum_t log p(v_t) in float64 with parameter k's element i set to x (not rounded to float). */
    private static double cost(Case c, int k, int i, double x) {
        double[][] ps = {widen(c.w), widen(c.vw), widen(c.bv), widen(c.bh)};
        ps[k][i] = x;
        double[] a = new double[c.nh];
        double nll = 0;
        for (int t = 0; t < c.rows; t++) {
            for (int j = 0; j < c.nh; j++) a[j] = ps[3][(c.perRow ? t * c.nh : 0) + j];
            for (int u = 0; u < c.nv; u++) {
                double s = ps[2][(c.perRow ? t * c.nv : 0) + u];
                for (int j = 0; j < c.nh; j++) s += sig(a[j]) * ps[1][j * c.nv + u];
                double vi = c.v[t * c.nv + u];
                nll += vi * ConformanceSupport.softplus(-s) + (1 - vi) * ConformanceSupport.softplus(s);
                for (int j = 0; j < c.nh; j++) a[j] += vi * ps[0][u * c.nh + j];
            }
        }
        return nll;
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void sampleMatchesFloat64OnTheDocumentedDraws(String backend) {
        SplittableRandom r = new SplittableRandom(34);
        try (Backend be = create(backend)) {
            for (int nv : NVS) for (int nh : NHS) for (int rows : TS) for (boolean perRow : new boolean[] {false, true}) {
                Case c = Case.of(r, rows, nv, nh, perRow);
                String at = c.at(backend, "nadeSample");
                Tensor v = be.zeros(rows, nv), p = be.zeros(rows, nv);
                Tensor[] wt = c.weights(be);
                Rng rng = new Rng(SEED, STREAM);
                rng.seek(5);
                be.nadeSample(v, p, wt[0], wt[1], wt[2], wt[3], rng);
                assertEquals(5 + blocks((long) rows * nv), rng.position(), "rng position " + at);
                boolean[] close = new boolean[rows * nv];
                double[][] want = NadeF64.sample(uniforms(SEED, STREAM, 5, rows * nv), c.w, c.vw, c.bv, c.bh, rows, nv, nh, close);
                float[] vg = be.toArray(v), pg = be.toArray(p);
                // each row as drawn in float64 up to a draw within FLIP of its threshold that went the other way
                // (float32's p may lie on the other side of u there); the rest of that row then differs legitimately
                for (int t = 0; t < rows; t++) {
                    for (int i = 0; i < nv; i++) {
                        int e = t * nv + i;
                        if (vg[e] != want[0][e]) {
                            assertTrue(close[e], at + " row " + t + " unit " + i + ": drew " + vg[e] + " but p64 = " + want[1][e]);
                            break;
                        }
                        assertEquals(want[1][e], pg[e], 1e-5 + 1e-4 * want[1][e], at + " conditional of row " + t + " unit " + i);
                    }
                }
                // the forward pass of the drawn frames gives the sampler's conditionals, bit for bit
                float[][] fw = forward(be, new Case(rows, nv, nh, perRow, vg, c.w, c.vw, c.bv, c.bh));
                assertSameBits(widen(pg), widen(fw[1]), at + ": nadeForward of the sample");
            }
        }
    }

    /** 40,000 frames of nv = 3 from one NADE: each of the 8 frames as often as exp(log p) says, within 5 sigma. */
    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#preferredWidth")
    void sampleFrequenciesAreTheModelsProbabilities(String backend) {
        SplittableRandom r = new SplittableRandom(35);
        int rows = 40_000, nv = 3, nh = 4;
        try (Backend be = create(backend)) {
            Tensor w = be.of(random(r, nv * nh, -2, 2), nv, nh), vw = be.of(random(r, nh * nv, -2, 2), nh, nv);
            Tensor bv = be.of(random(r, nv, -1, 1), nv), bh = be.of(random(r, nh, -1, 1), nh);
            Tensor v = be.zeros(rows, nv), p = be.zeros(rows, nv);
            be.nadeSample(v, p, w, vw, bv, bh, new Rng(SEED, STREAM));
            float[] vs = be.toArray(v);
            int[] counts = new int[8];
            for (int t = 0; t < rows; t++) counts[(int) (vs[t * nv] + 2 * vs[t * nv + 1] + 4 * vs[t * nv + 2])]++;
            float[] all = new float[8 * nv];
            for (int k = 0; k < 8; k++) for (int i = 0; i < nv; i++) all[k * nv + i] = (k >> i) & 1;
            Tensor logp = be.zeros(8);
            be.nadeForward(logp, be.zeros(8, nv), be.of(all, 8, nv), w, vw, bv, bh);
            float[] lp = be.toArray(logp);
            double total = 0;
            for (int k = 0; k < 8; k++) {
                double q = Math.exp(lp[k]), sd = Math.sqrt(rows * q * (1 - q));
                total += q;
                assertTrue(Math.abs(counts[k] - rows * q) <= 5 * sd + 1, backend + " frame " + k + ": " + counts[k] + " of " + rows + ", expected " + rows * q);
            }
            assertEquals(1, total, 1e-5, backend + ": the 8 frames' probabilities sum to 1");
        }
    }

    // ---------------------------------------------------------------- SIMD against the scalar reference

    /** The model's sizes: n rows of nv = 88, nh = 150, sparse frames (about 9 % of units on). */
    private static final int MV = 88, MH = 150;

    private static Tensor frames(Backend be, SplittableRandom r, int n) {
        float[] x = random(r, n * MV, 0, 1);
        for (int i = 0; i < x.length; i++) x[i] = x[i] > 0.91f ? 1f : 0f;
        return be.of(x, n, MV);
    }

    @Override
    List<Op> crossOps() {
        return List.of(
            // s sums nh products and a's sum feeds through h: both reductions' errors, relative to |s| + ...
            close("nadeForward", Kind.MATRIX, 1e-5, reductionRtol(MV + MH), (be, n, r) -> {
                Tensor logp = be.zeros(n), p = be.zeros(n, MV);
                be.nadeForward(logp, p, frames(be, r, n), mat(be, r, MV, MH, -0.3, 0.3), mat(be, r, MH, MV, -0.3, 0.3),
                        mat(be, r, n, MV, -3, 0), vec(be, r, MH, -1, 1));
                return out(be, logp, p);
            }),
            // dW and dV sum over the rows terms that are themselves sums over the units
            close("nadeBackward", Kind.MATRIX, 1e-5, reductionRtol(MV + MAX_ROWS), (be, n, r) -> {
                Tensor dW = mat(be, r, MV, MH, 0, 1), dV = mat(be, r, MH, MV, 0, 1), dBv = vec(be, r, MV, 0, 1), dBh = mat(be, r, n, MH, 0, 1);
                be.nadeBackward(dW, dV, dBv, dBh, frames(be, r, n), mat(be, r, n, MV, 0, 1), mat(be, r, MV, MH, -0.3, 0.3),
                        mat(be, r, MH, MV, -0.3, 0.3), mat(be, r, n, MH, -1, 1), 1f / n);
                return out(be, dW, dV, dBv, dBh);
            }),
            // the frames must agree exactly (a flip would fail: 1 > atol) and the conditionals closely
            close("nadeSample", Kind.MATRIX, 1e-5, reductionRtol(MV + MH), (be, n, r) -> {
                Tensor v = be.zeros(n, MV), p = be.zeros(n, MV);
                be.nadeSample(v, p, mat(be, r, MV, MH, -0.3, 0.3), mat(be, r, MH, MV, -0.3, 0.3), mat(be, r, n, MV, -3, 0),
                        mat(be, r, n, MH, -1, 1), new Rng(r.nextLong(), 9));
                return out(be, v, p);
            }));
    }

    // ---------------------------------------------------------------- bad calls and views

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void badArgumentsNameTheOp(String backend) {
        assertRefused(backend, (be, other, big, a, overlapping, rng) -> {
            Tensor w = be.zeros(3, 5), vw = be.zeros(5, 3), v = be.zeros(2, 3), p = be.zeros(2, 3), lp = be.zeros(2);
            Tensor bv = be.zeros(3), bh = be.zeros(5), dW = be.zeros(3, 5), dV = be.zeros(5, 3);
            return List.of(
                new Bad("nadeForward", () -> be.nadeForward(lp, p, v, w, be.zeros(3, 5), bv, bh)),          // V not (nh, nv)
                new Bad("nadeForward", () -> be.nadeForward(be.zeros(3), p, v, w, vw, bv, bh)),             // logp not (T)
                new Bad("nadeForward", () -> be.nadeForward(lp, p, v, w, vw, be.zeros(2, 4), bh)),          // bv neither
                new Bad("nadeForward", () -> be.nadeForward(lp, v, v, w, vw, bv, bh)),                      // p aliases v
                new Bad("nadeForward", () -> be.nadeForward(lp, p, v, other.zeros(3, 5), vw, bv, bh)),      // another backend's W
                new Bad("nadeBackward", () -> be.nadeBackward(dW, dV, bv, be.zeros(4), v, p, w, vw, bh, 1)),   // dBh not (nh)
                new Bad("nadeBackward", () -> be.nadeBackward(dV, dV, bv, bh, v, p, w, vw, bh, 1)),          // dW not (nv, nh)
                new Bad("nadeBackward", () -> be.nadeBackward(dW, dV, bv, bh, v, p, w, vw, be.zeros(4), 1)),   // bh neither
                new Bad("nadeBackward", () -> be.nadeBackward(big.view(0, 3, 5), big.view(10, 5, 3), be.zeros(3), be.zeros(5),
                        v, p, w, vw, bh, 1)),                                                                   // dW overlaps dV
                new Bad("nadeSample", () -> be.nadeSample(v, be.zeros(2, 4), w, vw, bv, bh, rng)),          // p not (T, nv)
                new Bad("nadeSample", () -> be.nadeSample(a, overlapping, be.zeros(4, 5), be.zeros(5, 4), be.zeros(4), bh, rng))); // v overlaps p
        });
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void opsOnViewsTouchOnlyTheirOutputs(String backend) {
        int[] frames = {3, 9}, w = {9, 17}, vw = {17, 9};
        assertViewsTouchOnlyTheirOutputs(backend, List.of(
            new ViewCase("nadeForward", s(new int[] {3}, frames), s(frames, w, vw, new int[] {9}, new int[] {3, 17}),
                    (be, o, i) -> be.nadeForward(o[0], o[1], i[0], i[1], i[2], i[3], i[4])),
            new ViewCase("nadeBackward", s(w, vw, new int[] {9}, new int[] {3, 17}), s(frames, frames, w, vw, new int[] {17}),
                    (be, o, i) -> be.nadeBackward(o[0], o[1], o[2], o[3], i[0], i[1], i[2], i[3], i[4], 0.5f)),
            new ViewCase("nadeSample", s(frames, frames), s(w, vw, frames, new int[] {17}),
                    (be, o, i) -> be.nadeSample(o[0], o[1], i[0], i[1], i[2], i[3], new Rng(3, 4)))));
    }
}
