package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.FLIP;
import static dev.tessitura.engine.cpu.ConformanceSupport.RTOL;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertClose;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertRefused;
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
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ConformanceSupport.Bad;
import dev.tessitura.engine.cpu.ConformanceSupport.ViewCase;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused RBM ops on every CPU backend: the free energy and its gradient against float64 (and finite differences),
 * the Gibbs half-step and chain against float64 on the draws the documented Philox layout names; a sample may differ
 * from u &lt; p(float64) only where |u - p| &lt; 2e-5, far above the float32 error of p. Then SIMD against the scalar
 * reference ({@link CrossChecks}), bad calls refused by name (drawing nothing), views.
 */
class RbmOpsTest extends CrossChecks {
    private static final long SEED = 0x5EEDL, STREAM = 7;

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

    // ---------------------------------------------------------------- fused RBM sampling

    /** (B, n_in, n_out): odd sizes and the model's 88 and 150; n_in from 1 to 300 (both SimdGemm A B^T paths). */
    static final int[][] HALF_STEP_SHAPES = {{1, 1, 1}, {7, 9, 13}, {3, 88, 150}, {17, 150, 88}, {2, 300, 17}, {5, 15, 0}, {4, 0, 7}};

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void gibbsHalfStepMatchesFloat64AndPhilox(String backend) {
        SplittableRandom r = new SplittableRandom(22);
        try (Backend be = create(backend)) {
            for (int[] s : HALF_STEP_SHAPES) {
                int rows = s[0], nIn = s[1], nOut = s[2];
                for (int variant = 0; variant < 8; variant++) {
                    boolean transW = (variant & 1) != 0, perRow = (variant & 2) != 0, withProb = (variant & 4) != 0;
                    String at = backend + " gibbsHalfStep " + Arrays.toString(s) + " transW=" + transW + " perRow=" + perRow
                            + " prob=" + withProb;
                    float[] x = binary(r, rows * nIn), w = random(r, nIn * nOut, -0.5, 0.5);
                    float[] bias = random(r, perRow ? rows * nOut : nOut, -1, 1);
                    Tensor sample = be.zeros(rows, nOut), prob = withProb ? be.zeros(rows, nOut) : null;
                    Rng rng = new Rng(SEED, STREAM);
                    rng.seek(3);
                    // W holds op(W) (n_in, n_out) or, transposed, (n_out, n_in)
                    be.gibbsHalfStep(sample, prob, be.of(x, rows, nIn), be.of(w, transW ? nOut : nIn, transW ? nIn : nOut),
                            transW, biasTensor(be, bias, rows, nOut, perRow), rng);
                    assertEquals(3 + blocks((long) rows * nOut), rng.position(), "rng position " + at);

                    double[] p = new double[rows * nOut], scale = new double[rows * nOut];
                    for (int b = 0; b < rows; b++) {
                        for (int j = 0; j < nOut; j++) {
                            double z = bias[(perRow ? b * nOut : 0) + j], mag = Math.abs(z);
                            for (int i = 0; i < nIn; i++) {
                                double t = x[b * nIn + i] * ConformanceSupport.at(w, transW ? nIn : nOut, transW, i, j);
                                z += t;
                                mag += Math.abs(t);
                            }
                            p[b * nOut + j] = ConformanceSupport.sigmoid(z);
                            // sigmoid' <= 1/4 carries the pre-activation's error; then the sigmoid's own rounding
                            scale[b * nOut + j] = mag * reductionRtol(nIn) / RTOL / 4 + p[b * nOut + j];
                        }
                    }
                    float[] u = uniforms(SEED, STREAM, 3, rows * nOut), got = be.toArray(sample);
                    if (withProb) {
                        float[] pf = be.toArray(prob);
                        assertClose(p, widen(pf), scale, 0, RTOL, "prob " + at);
                        // the sample is exactly u < (the float32 probability the op reports)
                        for (int i = 0; i < got.length; i++) assertEquals(u[i] < pf[i] ? 1f : 0f, got[i], "sample vs prob " + at + " at " + i);
                    }
                    assertSamples(p, u, got, null, at);
                }
            }
        }
    }

    /** sample[i] == (u[i] &lt; p[i]) except where u is within FLIP of p and {@code flipAllowed} (if given) allows it. */
    private static void assertSamples(double[] p, float[] u, float[] got, boolean[] flipAllowed, String at) {
        for (int i = 0; i < got.length; i++) {
            float want = u[i] < p[i] ? 1f : 0f;
            boolean ambiguous = Math.abs(u[i] - p[i]) < FLIP && (flipAllowed == null || flipAllowed[i]);
            assertTrue(got[i] == want || ambiguous, "sample " + at + " at " + i + ": " + got[i] + " but u " + u[i] + ", p " + p[i]);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void gibbsChainMatchesAFloat64ChainOnTheSameDraws(String backend) {
        SplittableRandom r = new SplittableRandom(24);
        try (Backend be = create(backend)) {
            for (int[] s : new int[][] {{1, 1, 1}, {7, 9, 13}, {3, 88, 150}, {2, 17, 15}}) {
                int rows = s[0], nv = s[1], nh = s[2];
                for (int k : new int[] {0, 1, 3}) {
                    for (int variant = 0; variant < 4; variant++) {
                        boolean perRow = (variant & 1) != 0, withProb = (variant & 2) != 0;
                        String at = backend + " gibbsChain " + Arrays.toString(s) + " k=" + k + " perRow=" + perRow + " vProb=" + withProb;
                        float[] v0 = binary(r, rows * nv), w = random(r, nv * nh, -1, 1);
                        float[] bv = random(r, perRow ? rows * nv : nv, -1, 1), bh = random(r, perRow ? rows * nh : nh, -1, 1);
                        float[] vp0 = random(r, rows * nv, 2, 3);      // not a probability: k = 0 must leave it alone
                        Tensor v = be.of(v0, rows, nv), vProb = withProb ? be.of(vp0, rows, nv) : null;
                        Rng rng = new Rng(SEED, STREAM);
                        rng.seek(2);
                        be.gibbsChain(v, vProb, be.of(w, nv, nh), biasTensor(be, bv, rows, nv, perRow),
                                biasTensor(be, bh, rows, nh, perRow), k, rng);
                        checkChain(be, v, vProb, v0, vp0, w, bv, bh, rows, nv, nh, k, rng, at);
                    }
                }
            }
        }
    }

    /**
     * Runs the chain in float64 on the draws the contract names (hidden draw of B*nh, then visible of B*nv, per
     * step) and compares. A decision within FLIP of its threshold before the last visible draw would let the chains
     * part legitimately; the inputs are fixed, and the test asserts no such decision occurs in them.
     */
    private static void checkChain(Backend be, Tensor v, Tensor vProb, float[] v0, float[] vp0, float[] w, float[] bv,
                                   float[] bh, int rows, int nv, int nh, int k, Rng rng, String at) {
        float[] vs = v0.clone(), h = new float[rows * nh];
        double[] pv = widen(vp0);
        boolean[] lastFlipAllowed = new boolean[rows * nv];
        long block = 2;
        int ambiguousBeforeLast = 0;
        float[] u = new float[0];
        for (int step = 0; step < k; step++) {
            double[] ph = conditional(vs, w, bh, rows, nv, nh, false);
            u = uniforms(SEED, STREAM, block, rows * nh);
            block += blocks((long) rows * nh);
            for (int i = 0; i < h.length; i++) {
                h[i] = u[i] < ph[i] ? 1f : 0f;
                if (Math.abs(u[i] - ph[i]) < FLIP) ambiguousBeforeLast++;
            }
            pv = conditional(h, w, bv, rows, nh, nv, true);
            u = uniforms(SEED, STREAM, block, rows * nv);
            block += blocks((long) rows * nv);
            for (int i = 0; i < vs.length; i++) {
                vs[i] = u[i] < pv[i] ? 1f : 0f;
                boolean ambiguous = Math.abs(u[i] - pv[i]) < FLIP;
                if (step == k - 1) lastFlipAllowed[i] = ambiguous;
                else if (ambiguous) ambiguousBeforeLast++;
            }
        }
        assertEquals(0, ambiguousBeforeLast, "test inputs: a decision before the last draw is too close to call; change the seed");
        assertEquals(block, rng.position(), "rng position " + at);
        float[] got = be.toArray(v);
        if (k == 0) {
            assertArrayEquals(v0, got, "k = 0 leaves v " + at);
        } else {
            assertSamples(pv, u, got, lastFlipAllowed, at);
        }
        if (vProb != null) {
            if (k == 0) {
                assertArrayEquals(vp0, be.toArray(vProb), "k = 0 leaves vProb " + at);
            } else {
                // P(v | h) sums nh terms of |W| <= 1: error <= rtol(nh) * nh / 4 through the sigmoid
                assertClose(pv, be.toArray(vProb), reductionRtol(nh) * nh / 4, RTOL, "vProb " + at);
            }
        }
    }

    /** sigmoid(x W + b) (transW false: x (B, nv)) or sigmoid(x W^T + b) (x (B, nh)) in float64; W (nv, nh). */
    private static double[] conditional(float[] x, float[] w, float[] bias, int rows, int nIn, int nOut, boolean transW) {
        double[] p = new double[rows * nOut];
        boolean perRow = bias.length == rows * nOut;
        for (int b = 0; b < rows; b++) {
            for (int j = 0; j < nOut; j++) {
                double z = bias[(perRow ? b * nOut : 0) + j];
                for (int i = 0; i < nIn; i++) z += x[b * nIn + i] * (transW ? w[j * nIn + i] : w[i * nOut + j]);
                p[b * nOut + j] = ConformanceSupport.sigmoid(z);
            }
        }
        return p;
    }

    // ---------------------------------------------------------------- SIMD against the scalar reference

    @Override
    List<Op> crossOps() {
        return List.of(
            new Op("gibbsHalfStep", Kind.MATRIX, Match.SAMPLES, 0, RTOL, (be, n, r) -> {
                Tensor s = be.zeros(n, NH), p = be.zeros(n, NH);
                Rng rng = new Rng(r.nextLong(), 5);
                long first = rng.position();
                be.gibbsHalfStep(s, p, be.of(binary(r, n * NV), n, NV), mat(be, r, NV, NH, -0.3, 0.3), false, vec(be, r, NH, -1, 1), rng);
                return withUniforms(out(be, s, p), rng, first, n * NH);
            }),
            new Op("gibbsChain", Kind.MATRIX, Match.SAMPLES, 0, RTOL, (be, n, r) -> {
                Tensor v = be.of(binary(r, n * NV), n, NV), vp = be.zeros(n, NV);
                Rng rng = new Rng(r.nextLong(), 6);
                be.gibbsChain(v, vp, mat(be, r, NV, NH, -0.3, 0.3), mat(be, r, n, NV, -1, 1), vec(be, r, NH, -1, 1), 2, rng);
                // the last visible draw: the final n * NV elements before the rng's position
                return withUniforms(out(be, v, vp), rng, rng.position() - (n * NV + 3) / 4, n * NV);
            }),
            close("freeEnergy", Kind.MATRIX, 0, reductionRtol(NV + NH), (be, n, r) -> {
                Tensor f = be.zeros(n);
                be.freeEnergy(f, be.of(binary(r, n * NV), n, NV), mat(be, r, NV, NH, -0.3, 0.3), vec(be, r, NV, 0, 1), mat(be, r, n, NH, -1, 1));
                return out(be, f);
            }),
            // dW sums over the rows of products with s = sigmoid(a sum over NV): both reductions' errors add up
            close("freeEnergyGrad", Kind.MATRIX, 0, reductionRtol(NV + MAX_ROWS), (be, n, r) -> {
                Tensor dW = mat(be, r, NV, NH, 0, 1), dBv = vec(be, r, NV, 0, 1), dBh = mat(be, r, n, NH, 0, 1);
                be.freeEnergyGrad(dW, dBv, dBh, be.of(binary(r, n * NV), n, NV), mat(be, r, NV, NH, -0.3, 0.3), vec(be, r, NH, -1, 1), -0.5f);
                return out(be, dW, dBv, dBh);
            }));
    }

    // ---------------------------------------------------------------- bad calls and views

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void badArgumentsNameTheOp(String backend) {
        assertRefused(backend, (be, other, big, a, overlapping, rng) -> {
            Tensor w = be.zeros(3, 5), v = be.zeros(2, 3);
            return List.of(
                // shape mismatches
                new Bad("gibbsHalfStep", () -> be.gibbsHalfStep(be.zeros(2, 5), null, be.zeros(2, 4), w, false, be.zeros(5), rng)),
                new Bad("gibbsHalfStep", () -> be.gibbsHalfStep(be.zeros(2, 5), null, v, w, false, be.zeros(4), rng)),
                new Bad("gibbsChain", () -> be.gibbsChain(v, null, w, be.zeros(4), be.zeros(5), 1, rng)),
                new Bad("freeEnergy", () -> be.freeEnergy(be.zeros(3), v, w, be.zeros(3), be.zeros(5))),
                new Bad("freeEnergyGrad", () -> be.freeEnergyGrad(be.zeros(5, 3), null, null, v, w, be.zeros(5), 1)),
                // GEMM and fused ops: no overlap at all, in place included
                new Bad("gibbsHalfStep", () -> be.gibbsHalfStep(v, null, v, be.zeros(3, 3), false, be.zeros(3), rng)),
                new Bad("freeEnergy", () -> be.freeEnergy(big.view(0, 2), big.view(1, 2, 3), w, be.zeros(3), be.zeros(5))),
                // negative sizes
                new Bad("gibbsChain", () -> be.gibbsChain(v, null, w, be.zeros(3), be.zeros(5), -1, rng)));
        });
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void opsOnViewsTouchOnlyTheirOutputs(String backend) {
        assertViewsTouchOnlyTheirOutputs(backend, List.of(
            new ViewCase("gibbsHalfStep", s(new int[] {3, 17}, new int[] {3, 17}), s(new int[] {3, 9}, new int[] {9, 17}, new int[] {17}),
                    (be, o, i) -> be.gibbsHalfStep(o[0], o[1], i[0], i[1], false, i[2], new Rng(5, 6))),
            new ViewCase("gibbsChain", s(new int[] {3, 9}, new int[] {3, 9}), s(new int[] {9, 17}, new int[] {3, 9}, new int[] {17}),
                    (be, o, i) -> be.gibbsChain(o[0], o[1], i[0], i[1], i[2], 2, new Rng(7, 8))),
            new ViewCase("freeEnergy", s(new int[] {3}), s(new int[] {3, 9}, new int[] {9, 17}, new int[] {9}, new int[] {3, 17}),
                    (be, o, i) -> be.freeEnergy(o[0], i[0], i[1], i[2], i[3])),
            new ViewCase("freeEnergyGrad", s(new int[] {9, 17}, new int[] {3, 9}, new int[] {17}), s(new int[] {3, 9}, new int[] {9, 17}, new int[] {17}),
                    (be, o, i) -> be.freeEnergyGrad(o[0], o[1], o[2], i[0], i[1], i[2], 0.5f))));
    }
}
