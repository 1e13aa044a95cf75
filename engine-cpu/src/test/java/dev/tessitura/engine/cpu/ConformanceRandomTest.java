package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.FLIP;
import static dev.tessitura.engine.cpu.ConformanceSupport.RTOL;
import static dev.tessitura.engine.cpu.ConformanceSupport.SIZES;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertClose;
import static dev.tessitura.engine.cpu.ConformanceSupport.binary;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static dev.tessitura.engine.cpu.ConformanceSupport.reductionRtol;
import static dev.tessitura.engine.cpu.ConformanceSupport.uniforms;
import static dev.tessitura.engine.cpu.ConformanceSupport.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;


/**
 * The random ops on every CPU backend against the documented Philox layout (element e of a draw starting at block
 * b0 is word e &amp; 3 of block b0 + e/4; a draw of n takes ceil(n/4) blocks), recomputed here with
 * {@link dev.tessitura.engine.Philox#uniforms}. Uniforms and Bernoulli draws match bit for bit; in the fused RBM
 * ops a sample may differ from u &lt; p(float64) only where |u - p| &lt; 2e-5, far above the float32 error of p.
 */
class ConformanceRandomTest {
    private static final long SEED = 0x5EEDL, STREAM = 7;

    private static long blocks(long n) {
        return (n + 3) / 4;
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void uniformIsPhiloxBitForBitAndAdvancesTheRng(String backend) {
        try (Backend be = create(backend)) {
            for (int n : new int[] {0, 1, 2, 3, 5, 7, 9, 15, 17, 13, 207, 88, 100, 150, 1001}) {
                Rng rng = new Rng(SEED, STREAM);
                rng.seek(5);
                Tensor out = be.zeros(n);
                be.uniform(out, rng);
                assertArrayEquals(uniforms(SEED, STREAM, 5, n), be.toArray(out), backend + " uniform n=" + n);
                assertEquals(5 + blocks(n), rng.position(), backend + " rng position after n=" + n);
                // the next draw starts on the next whole block, and a view at an odd offset draws the same numbers
                Tensor big = be.zeros(n + 10);
                be.fill(big, -1f);
                be.uniform(big.view(3, n), rng);
                float[] got = be.toArray(big), want = new float[n + 10];
                Arrays.fill(want, -1f);
                System.arraycopy(uniforms(SEED, STREAM, 5 + blocks(n), n), 0, want, 3, n);
                assertArrayEquals(want, got, backend + " uniform into a view, n=" + n);
                assertEquals(5 + 2 * blocks(n), rng.position());
            }
            Tensor u = be.zeros(4099);
            be.uniform(u, new Rng(1, 2));
            for (float x : be.toArray(u)) assertTrue(x >= 0f && x < 1f, "uniform out of [0, 1): " + x);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void bernoulliIsUBelowPBitForBit(String backend) {
        SplittableRandom r = new SplittableRandom(21);
        try (Backend be = create(backend)) {
            for (int n : SIZES) {
                float[] p = random(r, n, 0, 1);
                p[0] = 0f;
                p[n - 1] = 1f;
                Rng rng = new Rng(SEED, STREAM);
                rng.seek(11);
                Tensor out = be.zeros(n);
                be.bernoulli(out, be.of(p, n), rng);
                float[] u = uniforms(SEED, STREAM, 11, n), want = new float[n];
                for (int i = 0; i < n; i++) want[i] = u[i] < p[i] ? 1f : 0f;
                assertArrayEquals(want, be.toArray(out), backend + " bernoulli n=" + n);
                assertEquals(11 + blocks(n), rng.position());
                // in place: the probabilities are replaced by the samples
                Tensor inPlace = be.of(p, n);
                rng.seek(11);
                be.bernoulli(inPlace, inPlace, rng);
                assertArrayEquals(want, be.toArray(inPlace), backend + " bernoulli in place n=" + n);
            }
        }
    }

    /**
     * On the scalar reference only: every SIMD setting draws bit-identical samples (see
     * {@link #bernoulliIsUBelowPBitForBit} and ConformanceCrossTest), so these statistics are theirs too, and 6e6
     * draws through the Vector API cost seconds in a JVM that mixes two widths.
     */
    @Test
    void bernoulliMeansAndCertainties() {
        int n = 1_000_000;
        String backend = "scalar";
        try (Backend be = create(backend)) {
            Tensor p = be.zeros(n), out = be.zeros(n);
            Rng rng = new Rng(99, 1);
            for (float prob : new float[] {0.001f, 0.3f, 0.5f, 0.97f}) {
                be.fill(p, prob);
                be.bernoulli(out, p, rng);
                double mean = be.sum(out) / n, sigma = Math.sqrt(prob * (1.0 - prob) / n);
                assertTrue(Math.abs(mean - prob) <= 5 * sigma, backend + " p=" + prob + ": mean " + mean + ", 5 sigma " + 5 * sigma);
            }
            be.fill(p, 0f);
            be.bernoulli(out, p, rng);
            assertEquals(0.0, be.sum(out), backend + ": p = 0 gave a 1");
            be.fill(p, 1f);
            be.bernoulli(out, p, rng);
            assertEquals(n, be.sum(out), backend + ": p = 1 gave a 0");
            assertEquals(6 * blocks(n), rng.position());
        }
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
                            transW, ConformanceTest.biasTensor(be, bias, rows, nOut, perRow), rng);
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
                        be.gibbsChain(v, vProb, be.of(w, nv, nh), ConformanceTest.biasTensor(be, bv, rows, nv, perRow),
                                ConformanceTest.biasTensor(be, bh, rows, nh, perRow), k, rng);
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
}
