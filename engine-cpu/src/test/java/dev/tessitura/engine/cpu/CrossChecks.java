package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.FLIP;
import static dev.tessitura.engine.cpu.ConformanceSupport.SIZES;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertClose;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertSameBits;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A section's ops, listed by its test ({@link #crossOps}), run on the SIMD backend (each width and thread count) and
 * on the scalar reference with the same inputs: identical bits where the SIMD kernel does the reference's float
 * operations in the same order, within tolerance elsewhere. Then every op on inputs big enough for the parallel
 * paths: identical bits with 1 and 2 threads, as SimdBackend promises.
 *
 * <p>Identical to the reference: add, sub, mul, scale, fill, copy, clip, addRowVector, sigmoidBackward,
 * tanhBackward (same operations per element), uniform, bernoulli (the same Philox words), adam, rmsprop (same order
 * by design), softmax and softmaxCrossEntropy (the reference's own row kernel). Not identical: axpy and addMul (one
 * FMA against a product and a sum), the transcendentals (SimdMath polynomials against correctly rounded float64),
 * sums and GEMM (another summation order), and what is built on them. The inputs of those are positive where they
 * are sums, so the tolerance relative to the result is relative to the sum of magnitudes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CrossChecks {

    /** How the SIMD result is compared with the reference. */
    enum Match { BITS, CLOSE, SAMPLES }

    /** ELEMENTWISE ops take n elements; MATRIX ops n rows. */
    enum Kind { ELEMENTWISE, MATRIX }

    @FunctionalInterface
    interface Run {
        /** Builds inputs from r (the same for every backend), runs the op, returns every output. */
        double[] run(Backend be, int n, SplittableRandom r);
    }

    /** An op of the catalog; SAMPLES results are (samples, probabilities, uniforms), each a third. */
    record Op(String name, Kind kind, Match match, double atol, double rtol, Run run) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The section's ops, compared with the scalar reference and across thread counts. */
    abstract List<Op> crossOps();

    static Op bits(String name, Kind kind, Run run) {
        return new Op(name, kind, Match.BITS, 0, 0, run);
    }

    static Op close(String name, Kind kind, double atol, double rtol, Run run) {
        return new Op(name, kind, Match.CLOSE, atol, rtol, run);
    }

    static double[] out(Backend be, Tensor... ts) {
        int n = 0;
        for (Tensor t : ts) n += (int) t.size();
        double[] d = new double[n];
        int at = 0;
        for (Tensor t : ts) for (float v : be.toArray(t)) d[at++] = v;
        return d;
    }

    static Tensor vec(Backend be, SplittableRandom r, int n, double lo, double hi) {
        return be.of(random(r, n, lo, hi), n);
    }

    static Tensor mat(Backend be, SplittableRandom r, int rows, int cols, double lo, double hi) {
        return be.of(random(r, rows * cols, lo, hi), rows, cols);
    }

    /** The RBM sizes of the MATRIX ops: n rows of nv = 150 visible and nh = 88 hidden units. */
    static final int NV = 150, NH = 88;
    /** Row counts of the MATRIX ops against the reference. */
    private static final int[] ROWS = {1, 7, 17, 100};
    /** The most rows any MATRIX op gets: the thread test's size. */
    static final int MAX_ROWS = 240;

    /** (samples, probabilities) followed by the uniforms the samples were drawn with. */
    static double[] withUniforms(double[] samplesAndProbs, Rng rng, long first, int n) {
        double[] all = java.util.Arrays.copyOf(samplesAndProbs, samplesAndProbs.length + n);
        float[] u = ConformanceSupport.uniforms(rng.seed(), rng.stream(), first, n);
        for (int i = 0; i < n; i++) all[samplesAndProbs.length + i] = u[i];
        return all;
    }

    Stream<Arguments> simdAndOps() {
        return ConformanceSupport.simdBackends().flatMap(b -> crossOps().stream().map(op -> Arguments.of(b, op)));
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

    Stream<Arguments> widthsAndOps() {
        return Stream.of(128, 256).flatMap(w -> crossOps().stream().map(op -> Arguments.of(w, op)));
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
