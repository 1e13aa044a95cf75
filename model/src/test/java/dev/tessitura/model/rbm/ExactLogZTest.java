package dev.tessitura.model.rbm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** ExactLogZ against brute force over both layers and against closed forms. */
class ExactLogZTest {

    /** log sum_{v, h} exp(v.bv + h.bh + v W h), every joint configuration, log-sum-exp in float64. */
    static double bruteForce(double[] w, double[] bv, double[] bh, int nv, int nh) {
        double[] e = new double[1 << (nv + nh)];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < e.length; c++) {
            double s = 0;
            for (int i = 0; i < nv; i++) {
                if ((c >> i & 1) == 0) continue;
                s += bv[i];
                for (int j = 0; j < nh; j++) if ((c >> (nv + j) & 1) == 1) s += w[i * nh + j];
            }
            for (int j = 0; j < nh; j++) if ((c >> (nv + j) & 1) == 1) s += bh[j];
            e[c] = s;
            max = Math.max(max, s);
        }
        double sum = 0;
        for (double x : e) sum += Math.exp(x - max);
        return max + Math.log(sum);
    }

    static double[] random(SplittableRandom rnd, int n, double scale) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextDouble(-scale, scale);
        return a;
    }

    @Test
    void matchesBruteForceEnumeratingEitherLayer() {
        SplittableRandom rnd = new SplittableRandom(11);
        // nv = 6, nh = 5 enumerates h; nv = 5, nh = 6 enumerates v
        for (int[] s : new int[][] {{6, 5}, {5, 6}, {1, 1}, {7, 1}}) {
            int nv = s[0], nh = s[1];
            double[] w = random(rnd, nv * nh, 2.0), bv = random(rnd, nv, 1.5), bh = random(rnd, nh, 1.5);
            double want = bruteForce(w, bv, bh, nv, nh);
            assertEquals(want, ExactLogZ.logZ(w, bv, bh, nv, nh), 1e-12 * Math.max(1, Math.abs(want)), nv + "x" + nh);
        }
    }

    @Test
    void zeroWeightsGiveSumOfSoftplus() {
        SplittableRandom rnd = new SplittableRandom(12);
        int nv = 20, nh = 12;
        double[] bv = random(rnd, nv, 3), bh = random(rnd, nh, 3);
        double want = 0;
        for (double b : bv) want += ExactLogZ.softplus(b);
        for (double b : bh) want += ExactLogZ.softplus(b);
        assertEquals(want, ExactLogZ.logZ(new double[nv * nh], bv, bh, nv, nh), 1e-11);
        // all-zero parameters: Z = 2^(nv + nh)
        assertEquals((nv + nh) * Math.log(2), ExactLogZ.logZ(new double[nv * nh], new double[nv], new double[nh], nv, nh), 1e-12);
    }

    /** Large weights: the streaming log-sum-exp must not overflow (exp(500) is finite, exp(800) is not). */
    @Test
    void largeEnergiesDoNotOverflow() {
        int nv = 3, nh = 2;
        double[] w = new double[nv * nh];
        java.util.Arrays.fill(w, 150);
        double want = bruteForce(w, new double[nv], new double[nh], nv, nh);
        assertEquals(900, want, 1e-9);
        assertEquals(want, ExactLogZ.logZ(w, new double[nv], new double[nh], nv, nh), 1e-9);
    }

    @Test
    void rejectsLayersTooLargeToEnumerate() {
        int n = ExactLogZ.MAX_UNITS + 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExactLogZ.logZ(new double[n * n], new double[n], new double[n], n, n));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("Ais"), e.getMessage());
    }

    /** Per-row biases on the engine: each row is its own RBM; a shared bias is broadcast. */
    @Test
    void perRowBiasesOnTheEngine() {
        try (Backend be = Backends.create("scalar", BackendOptions.defaults())) {
            SplittableRandom rnd = new SplittableRandom(13);
            int nv = 6, nh = 5, rows = 3;
            float[] w = floats(random(rnd, nv * nh, 1)), bv = floats(random(rnd, rows * nv, 1)), bh = floats(random(rnd, nh, 1));
            double[] got = ExactLogZ.logZ(be, be.of(w, nv, nh), be.of(bv, rows, nv), be.of(bh, nh));
            assertEquals(rows, got.length);
            for (int b = 0; b < rows; b++) {
                double[] bvRow = ExactLogZ.toDouble(java.util.Arrays.copyOfRange(bv, b * nv, (b + 1) * nv));
                double want = bruteForce(ExactLogZ.toDouble(w), bvRow, ExactLogZ.toDouble(bh), nv, nh);
                assertEquals(want, got[b], 1e-11, "row " + b);
            }
        }
    }

    /**
     * Marginals against brute force over every joint (v, h): P(v_i = 1) = sum over configurations with v_i = 1 of
     * exp(energy) / Z, per row of per-row visible and hidden biases, with energies large enough (|W| up to 4) that
     * the running rescaling of the sums is exercised.
     */
    @Test
    void visibleMarginalsMatchBruteForce() {
        try (Backend be = Backends.create("scalar", BackendOptions.defaults())) {
            SplittableRandom rnd = new SplittableRandom(14);
            int nv = 5, nh = 4, rows = 3;
            float[] w = floats(random(rnd, nv * nh, 4)), bv = floats(random(rnd, rows * nv, 2)), bh = floats(random(rnd, rows * nh, 2));
            double[] got = ExactLogZ.visibleMarginals(be, be.of(w, nv, nh), be.of(bv, rows, nv), be.of(bh, rows, nh));
            assertEquals(rows * nv, got.length);
            for (int b = 0; b < rows; b++) {
                double[] p = new double[nv];
                double z = 0;
                for (int c = 0; c < 1 << (nv + nh); c++) {
                    double s = 0;
                    for (int i = 0; i < nv; i++) {
                        if ((c >> i & 1) == 0) continue;
                        s += bv[b * nv + i];
                        for (int j = 0; j < nh; j++) if ((c >> (nv + j) & 1) == 1) s += w[i * nh + j];
                    }
                    for (int j = 0; j < nh; j++) if ((c >> (nv + j) & 1) == 1) s += bh[b * nh + j];
                    double e = Math.exp(s);
                    z += e;
                    for (int i = 0; i < nv; i++) if ((c >> i & 1) == 1) p[i] += e;
                }
                for (int i = 0; i < nv; i++) assertEquals(p[i] / z, got[b * nv + i], 1e-12, "row " + b + ", unit " + i);
            }
        }
    }

    static float[] floats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }
}
