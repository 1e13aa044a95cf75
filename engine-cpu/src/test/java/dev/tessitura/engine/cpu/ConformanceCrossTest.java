package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.FLIP;
import static dev.tessitura.engine.cpu.ConformanceSupport.RTOL;
import static dev.tessitura.engine.cpu.ConformanceSupport.SIZES;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertClose;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertSameBits;
import static dev.tessitura.engine.cpu.ConformanceSupport.binary;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static dev.tessitura.engine.cpu.ConformanceSupport.reductionRtol;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Backend op run on the SIMD backend (each width and thread count) and on the scalar reference with the same
 * inputs: identical bits where the SIMD kernel does the reference's float operations in the same order, within
 * tolerance elsewhere. Then every op on inputs big enough for the parallel paths: identical bits with 1 and 2
 * threads, as SimdBackend promises.
 *
 * <p>Identical to the reference: add, sub, mul, scale, fill, copy, clip, addRowVector, sigmoidBackward,
 * tanhBackward (same operations per element), uniform, bernoulli (the same Philox words), adam, rmsprop (same order
 * by design), softmax and softmaxCrossEntropy (the reference's own row kernel). Not identical: axpy and addMul (one
 * FMA against a product and a sum), the transcendentals (SimdMath polynomials against correctly rounded float64),
 * sums and GEMM (another summation order), and what is built on them. The inputs of those are positive where they
 * are sums, so the tolerance relative to the result is relative to the sum of magnitudes.
 */
class ConformanceCrossTest {

    /** How the SIMD result is compared with the reference. */
    private enum Match { BITS, CLOSE, SAMPLES }

    /** ELEMENTWISE ops take n elements; MATRIX ops n rows. */
    private enum Kind { ELEMENTWISE, MATRIX }

    @FunctionalInterface
    private interface Run {
        /** Builds inputs from r (the same for every backend), runs the op, returns every output. */
        double[] run(Backend be, int n, SplittableRandom r);
    }

    /** An op of the catalog; SAMPLES results are (samples, probabilities, uniforms), each a third. */
    private record Op(String name, Kind kind, Match match, double atol, double rtol, Run run) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Op bits(String name, Kind kind, Run run) {
        return new Op(name, kind, Match.BITS, 0, 0, run);
    }

    private static Op close(String name, Kind kind, double atol, double rtol, Run run) {
        return new Op(name, kind, Match.CLOSE, atol, rtol, run);
    }

    private static double[] out(Backend be, Tensor... ts) {
        int n = 0;
        for (Tensor t : ts) n += (int) t.size();
        double[] d = new double[n];
        int at = 0;
        for (Tensor t : ts) for (float v : be.toArray(t)) d[at++] = v;
        return d;
    }

    private static Tensor vec(Backend be, SplittableRandom r, int n, double lo, double hi) {
        return be.of(random(r, n, lo, hi), n);
    }

    private static Tensor mat(Backend be, SplittableRandom r, int rows, int cols, double lo, double hi) {
        return be.of(random(r, rows * cols, lo, hi), rows, cols);
    }

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

    /** The RBM sizes of the MATRIX ops: n rows of nv = 150 visible and nh = 88 hidden units. */
    private static final int NV = 150, NH = 88, LSTM_H = 40, SOFTMAX_N = 150;
    /** Row counts of the MATRIX ops against the reference. */
    private static final int[] ROWS = {1, 7, 17, 100};
    /** The most rows any MATRIX op gets: the thread test's size. */
    private static final int MAX_ROWS = 240;

    static final List<Op> OPS = List.of(
        // the four transpositions and every SimdGemm path: B in place (k <= 512), packed (k > 512 or B^T), dot products (A B^T, k >= 256)
        gemm(false, false, 150, 150), gemm(false, false, 150, 520), gemm(false, true, 150, 300), gemm(false, true, 150, 100),
        gemm(true, false, 150, 600), gemm(true, true, 150, 17),
        bits("add", Kind.ELEMENTWISE, (be, n, r) -> { Tensor o = be.zeros(n); be.add(o, vec(be, r, n, -3, 3), vec(be, r, n, -3, 3)); return out(be, o); }),
        bits("sub", Kind.ELEMENTWISE, (be, n, r) -> { Tensor o = be.zeros(n); be.sub(o, vec(be, r, n, -3, 3), vec(be, r, n, -3, 3)); return out(be, o); }),
        bits("mul", Kind.ELEMENTWISE, (be, n, r) -> { Tensor o = be.zeros(n); be.mul(o, vec(be, r, n, -3, 3), vec(be, r, n, -3, 3)); return out(be, o); }),
        close("addMul", Kind.ELEMENTWISE, 0, RTOL, (be, n, r) -> { Tensor o = vec(be, r, n, 0, 1); be.addMul(o, vec(be, r, n, 0, 3), vec(be, r, n, 0, 3)); return out(be, o); }),
        close("axpy", Kind.ELEMENTWISE, 0, RTOL, (be, n, r) -> { Tensor y = vec(be, r, n, 0, 1); be.axpy(y, vec(be, r, n, 0, 3), 0.7f); return out(be, y); }),
        bits("scale", Kind.ELEMENTWISE, (be, n, r) -> { Tensor x = vec(be, r, n, -3, 3); be.scale(x, -1.3f); return out(be, x); }),
        bits("fill+copy", Kind.ELEMENTWISE, (be, n, r) -> {
            Tensor x = vec(be, r, n, -3, 3), y = be.zeros(n);
            be.copy(y, x);
            be.fill(x.view(0, n / 2), 0.25f);
            return out(be, x, y);
        }),
        bits("clip", Kind.ELEMENTWISE, (be, n, r) -> { Tensor o = be.zeros(n); be.clip(o, vec(be, r, n, -3, 3), -1f, 2f); return out(be, o); }),
        bits("sigmoidBackward", Kind.ELEMENTWISE, (be, n, r) -> { Tensor o = be.zeros(n); be.sigmoidBackward(o, vec(be, r, n, -3, 3), vec(be, r, n, 0, 1)); return out(be, o); }),
        bits("tanhBackward", Kind.ELEMENTWISE, (be, n, r) -> { Tensor o = be.zeros(n); be.tanhBackward(o, vec(be, r, n, -3, 3), vec(be, r, n, -1, 1)); return out(be, o); }),
        // the transcendentals: a few ulp apart (SimdMathAccuracyTest measures how many); results below the normal range may flush
        close("sigmoid", Kind.ELEMENTWISE, Float.MIN_NORMAL, RTOL, (be, n, r) -> { Tensor o = be.zeros(n); be.sigmoid(o, vec(be, r, n, -90, 90)); return out(be, o); }),
        close("tanh", Kind.ELEMENTWISE, Float.MIN_NORMAL, RTOL, (be, n, r) -> { Tensor o = be.zeros(n); be.tanh(o, vec(be, r, n, -12, 12)); return out(be, o); }),
        close("softplus", Kind.ELEMENTWISE, Float.MIN_NORMAL, RTOL, (be, n, r) -> { Tensor o = be.zeros(n); be.softplus(o, vec(be, r, n, -90, 90)); return out(be, o); }),
        close("logSigmoid", Kind.ELEMENTWISE, Float.MIN_NORMAL, RTOL, (be, n, r) -> { Tensor o = be.zeros(n); be.logSigmoid(o, vec(be, r, n, -90, 90)); return out(be, o); }),
        close("exp", Kind.ELEMENTWISE, Float.MIN_NORMAL, RTOL, (be, n, r) -> { Tensor o = be.zeros(n); be.exp(o, vec(be, r, n, -87, 88)); return out(be, o); }),
        // float64 sums in another order: exact to ~n 2^-53 of the sum of positive terms
        close("sum, sumOfSquares", Kind.ELEMENTWISE, 0, 1e-12, (be, n, r) -> {
            Tensor x = vec(be, r, n, 0, 2);
            return new double[] {be.sum(x), be.sumOfSquares(x)};
        }),
        bits("uniform", Kind.ELEMENTWISE, (be, n, r) -> {
            Tensor o = be.zeros(n);
            Rng rng = new Rng(r.nextLong(), 3);
            be.uniform(o, rng);
            return out(be, o);
        }),
        bits("bernoulli", Kind.ELEMENTWISE, (be, n, r) -> {
            Tensor o = be.zeros(n);
            be.bernoulli(o, vec(be, r, n, 0, 1), new Rng(r.nextLong(), 4));
            return out(be, o);
        }),
        bits("adam", Kind.ELEMENTWISE, (be, n, r) -> {
            Tensor p = vec(be, r, n, -1, 1), g = vec(be, r, n, -1, 1), m = vec(be, r, n, -0.1, 0.1), v = vec(be, r, n, 0, 0.01);
            be.adam(p, g, m, v, 0.01f, 0.9f, 0.999f, 1e-8f, 3);
            return out(be, p, m, v);
        }),
        bits("rmsprop", Kind.ELEMENTWISE, (be, n, r) -> {
            Tensor p = vec(be, r, n, -1, 1), g = vec(be, r, n, -1, 1), s = vec(be, r, n, 0, 0.01);
            be.rmsprop(p, g, s, 0.01f, 0.9f, 1e-6f);
            return out(be, p, s);
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
        }),
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
        }),
        // 1 - tanh(c)^2 amplifies a one-ulp difference in tanh(c) by up to 1 / (1 - tanh^2): absolute 1e-6 covers it
        close("lstmCell+Backward", Kind.MATRIX, 1e-6, 1e-5, (be, n, r) -> {
            Tensor h = be.zeros(n, LSTM_H), c = be.zeros(n, LSTM_H), z = mat(be, r, n, 4 * LSTM_H, -4, 4), cPrev = mat(be, r, n, LSTM_H, -2, 2);
            be.lstmCell(h, c, z, cPrev);
            Tensor dz = be.zeros(n, 4 * LSTM_H), dc = mat(be, r, n, LSTM_H, -1, 1);
            be.lstmCellBackward(dz, dc, mat(be, r, n, LSTM_H, -1, 1), z, c, cPrev);
            return out(be, h, c, z, dz, dc);
        }),
        bits("softmax, softmaxCrossEntropy", Kind.MATRIX, (be, n, r) -> {
            Tensor q = be.zeros(n, SOFTMAX_N), g = be.zeros(n, SOFTMAX_N), x = mat(be, r, n, SOFTMAX_N, -10, 10);
            be.softmax(q, x);
            double loss = be.softmaxCrossEntropy(g, x, mat(be, r, n, SOFTMAX_N, 0, 1));
            double[] o = out(be, q, g), all = java.util.Arrays.copyOf(o, o.length + 1);
            all[o.length] = loss;
            return all;
        }));

    /** (samples, probabilities) followed by the uniforms the samples were drawn with. */
    private static double[] withUniforms(double[] samplesAndProbs, Rng rng, long first, int n) {
        double[] all = java.util.Arrays.copyOf(samplesAndProbs, samplesAndProbs.length + n);
        float[] u = ConformanceSupport.uniforms(rng.seed(), rng.stream(), first, n);
        for (int i = 0; i < n; i++) all[samplesAndProbs.length + i] = u[i];
        return all;
    }

    static Stream<Arguments> simdAndOps() {
        return ConformanceSupport.simdBackends().flatMap(b -> OPS.stream().map(op -> Arguments.of(b, op)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("simdAndOps")
    void simdMatchesTheScalarReference(String backend, Op op) {
        int[] sizes = op.kind == Kind.ELEMENTWISE ? SIZES : ROWS;
        try (Backend simd = create(backend); Backend ref = create("scalar")) {
            for (int n : sizes) {
                double[] want = op.run.run(ref, n, new SplittableRandom(n));
                double[] got = op.run.run(simd, n, new SplittableRandom(n));
                compare(op, want, got, backend + " " + op.name + " n=" + n);
            }
        }
    }

    private static void compare(Op op, double[] want, double[] got, String what) {
        switch (op.match) {
            case BITS -> assertSameBits(want, got, what);
            case CLOSE -> assertClose(want, got, null, op.atol, op.rtol, what);
            case SAMPLES -> {
                int m = want.length / 3;
                double[] pWant = java.util.Arrays.copyOfRange(want, m, 2 * m), pGot = java.util.Arrays.copyOfRange(got, m, 2 * m);
                assertClose(pWant, pGot, null, 1e-6, op.rtol, what + " probabilities");
                for (int i = 0; i < m; i++) {
                    boolean ambiguous = Math.abs(want[2 * m + i] - pWant[i]) < FLIP;
                    assertTrue(want[i] == got[i] || ambiguous, what + " sample " + i + ": " + got[i] + " vs " + want[i]);
                }
            }
        }
    }

    /** Sizes that take SimdBackend's parallel paths: >= 2^18 elements, GEMMs of >= 1e6 flops (240 x 150 x 88 > 3e6). */
    private static final int BIG_ELEMENTS = 300_007, BIG_ROWS = MAX_ROWS;

    static Stream<Arguments> widthsAndOps() {
        return Stream.of(128, 256).flatMap(w -> OPS.stream().map(op -> Arguments.of(w, op)));
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

    /**
     * The parallel paths split work by thread count, so 1 and 2 threads must agree bit for bit; and both must agree
     * with the scalar reference at these sizes too, or a bug shared by the serial and parallel big-size paths would
     * pass unseen.
     */
    @ParameterizedTest(name = "{0}-bit {1}")
    @MethodSource("widthsAndOps")
    void oneAndTwoThreadsGiveIdenticalBits(int bits, Op op) {
        int n = op.kind == Kind.ELEMENTWISE ? BIG_ELEMENTS : BIG_ROWS;
        try (Backend one = create("simd-" + bits + "x1"); Backend two = create("simd-" + bits + "x2"); Backend ref = create("scalar")) {
            double[] want = op.run.run(one, n, new SplittableRandom(n));
            double[] got = op.run.run(two, n, new SplittableRandom(n));
            assertSameBits(want, got, bits + "-bit " + op.name + ", 1 vs 2 threads, n=" + n);
            compare(op, op.run.run(ref, n, new SplittableRandom(n)), got, bits + "-bit " + op.name + ", 2 threads vs scalar, n=" + n);
        }
    }
}
