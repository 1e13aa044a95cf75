package dev.tessitura.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;

/**
 * What every section's ops test shares: the backends under test, random inputs, float64 references, the tolerance
 * assertions, and the checks that bad calls are refused by name and that ops on views touch only their outputs.
 * Nothing here knows a backend's internals.
 *
 * <p>Tolerances ({@link #RTOL}, {@link #reductionRtol}): an elementwise result is one or a few float32 roundings of
 * the exact value (2^-24 = 6e-8 each; the SIMD transcendentals are within 4 ulp), so rtol = 1e-6 leaves a margin of
 * 4 or more. A reduction of k terms in float32 carries rounding errors relative to the sum of the terms' magnitudes
 * that grow like sqrt(k) for random data: rtol = 1e-6 sqrt(k) of that.
 */
public final class ConformanceSupport {
    private ConformanceSupport() {}

    /** Awkward sizes: 1, lanes-1 and lanes+1 for 4/8/16 float lanes, 13, 207, and the model's 88, 100, 150. */
    static final int[] SIZES = {1, 7, 9, 15, 17, 13, 207, 88, 100, 150};

    /**
     * "scalar", and simd at both widths this AVX2 machine has, single- and multi-threaded, and at the preferred
     * width (0: what {@link BackendOptions#defaults} gives users).
     */
    static Stream<String> backends() {
        return Stream.of("scalar", "simd-128x1", "simd-128x2", "simd-256x1", "simd-256x2", "simd-0x2");
    }

    /** The scalar reference and simd at the preferred width, on one thread and on two. */
    static Stream<String> preferredWidth() {
        return Stream.of("scalar", "simd-0x1", "simd-0x2");
    }

    /** The SIMD settings only (compared against the scalar reference). */
    static Stream<String> simdBackends() {
        return backends().filter(n -> !n.equals("scalar"));
    }

    /** "scalar" or "simd-BITSxTHREADS" (BITS 0 = preferred), created through {@link Backends} as model code does. */
    static Backend create(String name) {
        if (name.equals("scalar")) return Backends.create("scalar", BackendOptions.defaults());
        String[] bt = name.substring("simd-".length()).split("x");
        return Backends.create("simd", new BackendOptions(Integer.parseInt(bt[1]), Integer.parseInt(bt[0])));
    }

    // ---------------------------------------------------------------- random inputs

    /** n floats uniform in [lo, hi). */
    public static float[] random(SplittableRandom r, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return a;
    }

    /** n floats uniform in [-scale, scale). */
    static float[] symmetric(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (scale * (2 * r.nextDouble() - 1));
        return a;
    }

    /** n values that are 0 or 1 (RBM visible or hidden units). */
    public static float[] binary(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextBoolean() ? 1f : 0f;
        return a;
    }

    // ---------------------------------------------------------------- float64 references

    /** X[i, j] of a row-major (rows, cols) matrix seen through op() = X or X^T. */
    static double at(float[] x, int cols, boolean trans, int i, int j) {
        return trans ? x[j * cols + i] : x[i * cols + j];
    }

    /**
     * alpha op(A) op(B) + beta C in float64, with C (m, n), op(A) (m, k); {@code magnitude} (may be null) receives
     * |alpha| sum_p |op(A)[i,p] op(B)[p,j]| + |beta C[i,j]|, the scale a float32 rounding error is relative to.
     */
    static double[] gemm(float[] c, float[] a, int aCols, boolean transA, float[] b, int bCols, boolean transB,
                         int m, int n, int k, double alpha, double beta, double[] magnitude) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, mag = 0;
                for (int p = 0; p < k; p++) {
                    double t = at(a, aCols, transA, i, p) * at(b, bCols, transB, p, j);
                    s += t;
                    mag += Math.abs(t);
                }
                double cij = beta == 0 ? 0 : beta * c[i * n + j];   // beta = 0 ignores C, even NaN (BLAS)
                out[i * n + j] = alpha * s + cij;
                if (magnitude != null) magnitude[i * n + j] = Math.abs(alpha) * mag + Math.abs(cij);
            }
        }
        return out;
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** log(1 + e^x) without overflow. */
    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /** A bias for (rows, cols): one row per row, or a vector of cols. */
    static Tensor biasTensor(Backend be, float[] bias, int rows, int cols, boolean perRow) {
        return perRow ? be.of(bias, rows, cols) : be.of(bias, cols);
    }

    /** Philox blocks a draw of n elements takes. */
    static long blocks(long n) {
        return (n + 3) / 4;
    }

    /** The uniforms of a draw of n elements starting at block {@code first}: the documented Philox layout. */
    static float[] uniforms(long seed, long stream, long first, int n) {
        float[] u = new float[n];
        Philox.uniforms(seed, stream, first, u, 0, n);
        return u;
    }

    /** Free energy of each row in float64: F = -v.bv - sum_j softplus((vW)_j + bh_j); biases per row or shared. */
    static double[] freeEnergy(float[] v, double[] w, double[] bv, double[] bh, int rows, int nv, int nh) {
        double[] f = new double[rows];
        boolean bvRow = bv.length == rows * nv, bhRow = bh.length == rows * nh;
        for (int b = 0; b < rows; b++) {
            double e = 0;
            for (int i = 0; i < nv; i++) e -= v[b * nv + i] * bv[(bvRow ? b * nv : 0) + i];
            for (int j = 0; j < nh; j++) {
                double x = bh[(bhRow ? b * nh : 0) + j];
                for (int i = 0; i < nv; i++) x += v[b * nv + i] * w[i * nh + j];
                e -= softplus(x);
            }
            f[b] = e;
        }
        return f;
    }

    static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    /** The parts one after another, widened: a multi-output op's results as one array to compare. */
    static double[] widen(float[][] parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        double[] d = new double[n];
        int at = 0;
        for (float[] p : parts) for (float v : p) d[at++] = v;
        return d;
    }

    // ---------------------------------------------------------------- tolerance

    /** rtol for elementwise results: one or a few float32 roundings (2^-24 = 6e-8 each), SIMD transcendentals 4 ulp. */
    static final double RTOL = 1e-6;

    /**
     * rtol for a float32 reduction of k terms, relative to the sum of the terms' magnitudes: its rounding errors
     * grow like sqrt(k) for random data (like k at worst, which random data does not reach).
     */
    static double reductionRtol(int k) {
        return RTOL * Math.sqrt(Math.max(k, 1));
    }

    /** |got - want| <= atol + rtol |want| everywhere; reports the first offender and the worst ratio. */
    static void assertClose(double[] want, float[] got, double atol, double rtol, String what) {
        assertClose(want, widen(got), null, atol, rtol, what);
    }

    /**
     * |got - want| <= atol + rtol * scale[i] (scale = |want| when null). A reduction's rounding error is relative to
     * the sum of the magnitudes of its terms, not to the (possibly cancelled) result: pass that sum as the scale.
     */
    static void assertClose(double[] want, double[] got, double[] scale, double atol, double rtol, String what) {
        if (want.length != got.length) fail(what + ": " + got.length + " values, expected " + want.length);
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < want.length; i++) {
            double s = scale == null ? Math.abs(want[i]) : scale[i];
            double err = Math.abs(got[i] - want[i]), bound = atol + rtol * s;
            boolean bad = !(err <= bound) && !(Double.isNaN(want[i]) && Double.isNaN(got[i]))
                    && !(want[i] == got[i]);   // equal infinities
            if (bad && worst < 0) worst = i;
            if (bad) worstRatio = Math.max(worstRatio, err / bound);
        }
        if (worst >= 0) {
            fail(what + ": element " + worst + " is " + got[worst] + ", expected " + want[worst] + " (atol " + atol
                    + ", rtol " + rtol + "); worst error/bound " + worstRatio);
        }
    }

    /** |got - want| <= 1e-6 + 4e-6 |want|: a few float32 roundings of transcendental results. */
    static void assertNearly(double want, float got, String what) {
        assertTrue(Math.abs(got - want) <= 1e-6 + 4e-6 * Math.abs(want), what + ": " + got + " vs " + want);
    }

    /**
     * |u - p| below which a float32 and a float64 probability may legitimately disagree on u &lt; p: far above the
     * float32 error of p (~1e-6), far below the 2^-24 grid's chance of landing there often (4e-5 per draw).
     */
    static final double FLIP = 2e-5;

    /** Identical bits (NaNs of any payload count as equal). */
    static void assertSameBits(double[] want, double[] got, String what) {
        if (want.length != got.length) fail(what + ": " + got.length + " values, expected " + want.length);
        for (int i = 0; i < want.length; i++) {
            if (Double.doubleToLongBits(want[i]) != Double.doubleToLongBits(got[i])) {
                fail(what + ": element " + i + " is " + got[i] + ", expected exactly " + want[i]);
            }
        }
    }

    // ---------------------------------------------------------------- bad calls

    /** A call that must raise IllegalArgumentException naming op. */
    record Bad(String op, Executable call) {}

    /** Builds a section's bad calls on a backend, a second instance of it, views a and overlapping of big, and rng. */
    @FunctionalInterface
    interface BadCalls {
        List<Bad> on(Backend be, Backend other, Tensor big, Tensor a, Tensor overlapping, Rng rng);
    }

    /**
     * Each call is refused with a message naming its op, and none draws from rng. big has 64 elements; a and
     * overlapping are (4, 4) views of it, 8 elements apart.
     */
    static void assertRefused(String backend, BadCalls calls) {
        try (Backend be = create(backend); Backend other = create(backend)) {
            Tensor big = be.zeros(64);
            Rng rng = new Rng(1, 1);
            for (Bad b : calls.on(be, other, big, big.view(0, 4, 4), big.view(8, 4, 4), rng)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b.call, backend + ": " + b.op + " accepted a bad call");
                assertTrue(e.getMessage().contains(b.op), backend + ": message does not name " + b.op + ": " + e.getMessage());
            }
            assertEquals(0, rng.position(), "a rejected call must not consume random numbers");
        }
    }

    // ---------------------------------------------------------------- views

    @FunctionalInterface
    interface ViewCall {
        void run(Backend be, Tensor[] out, Tensor[] in);
    }

    /** An op with the shapes of its outputs (read and written) and inputs (only read). */
    record ViewCase(String name, int[][] outs, int[][] ins, ViewCall call) {}

    static int[][] s(int[]... shapes) {
        return shapes;
    }

    /**
     * Ops on views at non-zero offsets of one shared tensor give the results of fresh tensors and touch nothing
     * outside their outputs.
     */
    static void assertViewsTouchOnlyTheirOutputs(String backend, List<ViewCase> cases) {
        float sentinel = -12345f;
        try (Backend be = create(backend)) {
            for (ViewCase c : cases) {
                SplittableRandom r = new SplittableRandom(c.name.hashCode());
                int[][] shapes = concat(c.outs, c.ins);
                float[][] data = new float[shapes.length][];
                int total = 3;
                for (int t = 0; t < shapes.length; t++) {
                    data[t] = random(r, size(shapes[t]), 0, 1);   // in [0, 1): valid probabilities and moments
                    total += data[t].length + 5;
                }
                // fresh tensors
                Tensor[] fresh = new Tensor[shapes.length];
                for (int t = 0; t < shapes.length; t++) fresh[t] = be.of(data[t], shapes[t]);
                c.call.run(be, Arrays.copyOfRange(fresh, 0, c.outs.length), Arrays.copyOfRange(fresh, c.outs.length, shapes.length));
                // the same tensors as views at odd offsets of one storage, 5 sentinels apart
                float[] pool = new float[total];
                Arrays.fill(pool, sentinel);
                Tensor all = be.of(pool, total);
                Tensor[] views = new Tensor[shapes.length];
                int[] at = new int[shapes.length];
                int offset = 3;
                for (int t = 0; t < shapes.length; t++) {
                    at[t] = offset;
                    views[t] = all.view(offset, shapes[t]);
                    be.copyFromHost(views[t], data[t], 0);
                    offset += data[t].length + 5;
                }
                float[] before = be.toArray(all);
                c.call.run(be, Arrays.copyOfRange(views, 0, c.outs.length), Arrays.copyOfRange(views, c.outs.length, shapes.length));
                float[] after = be.toArray(all), want = before.clone();
                for (int t = 0; t < c.outs.length; t++) {
                    float[] res = be.toArray(fresh[t]);
                    System.arraycopy(res, 0, want, at[t], res.length);
                }
                assertArrayEquals(want, after, backend + " " + c.name + ": views differ from fresh tensors or wrote outside their outputs");
            }
        }
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    private static int[][] concat(int[][] a, int[][] b) {
        int[][] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
