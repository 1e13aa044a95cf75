package dev.tessitura.model.nade;

import static dev.tessitura.model.Fixture.relErr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Rng;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

class NadeReferenceTest {

    /** All 2^n frames of n units, frame k's unit i being bit i of k: (2^n, n). */
    static double[] allFrames(int n) {
        double[] v = new double[(1 << n) * n];
        for (int k = 0; k < 1 << n; k++) for (int i = 0; i < n; i++) v[k * n + i] = (k >> i) & 1;
        return v;
    }

    static double[] randomBinary(SplittableRandom r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextInt(2);
        return v;
    }

    static double[] randomUniform(SplittableRandom r, int n, double scale) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = r.nextDouble(-scale, scale);
        return x;
    }

    @Test
    void probabilitiesOfAllFramesOfTenUnitsSumToOne() {
        int nv = 10, nh = 6, T = 1 << nv;
        NadeReference m = new NadeReference(nv, nh);
        m.randomize(new SplittableRandom(11), 2);
        NadeReference.Forward fw = m.forward(allFrames(nv), T);
        double sum = 0, largest = 0;
        for (double lp : fw.logP()) {
            sum += Math.exp(lp);
            largest = Math.max(largest, Math.exp(lp));
        }
        assertEquals(1, sum, 1e-12);
        assertTrue(largest > 10.0 / T, "the distribution must be far from uniform, largest " + largest);
    }

    @Test
    void conditionalsAreRatiosOfMarginalsOfTheJointUnderPerFrameBiases() {
        // every frame under the same biases bv(t), bh(t), distinct from the shared ones, so both paths are tested
        int nv = 6, nh = 4, T = 1 << nv;
        SplittableRandom r = new SplittableRandom(12);
        NadeReference m = new NadeReference(nv, nh);
        m.randomize(r, 2);
        double[] bvt = NadeReference.repeat(randomUniform(r, nv, 2), T);    // (T, nv)
        double[] bht = NadeReference.repeat(randomUniform(r, nh, 2), T);    // (T, nh)
        double[] v = allFrames(nv);
        NadeReference.Forward fw = m.forward(v, bvt, bht, T);
        double[] joint = new double[T];
        for (int k = 0; k < T; k++) joint[k] = Math.exp(fw.logP()[k]);
        for (int k = 0; k < T; k++) {
            for (int i = 0; i < nv; i++) {
                // P(v_i = 1 | v_<i) = P(v_<i, v_i = 1) / P(v_<i), the marginals summed over the frames with that prefix
                int prefix = k & ((1 << i) - 1);
                double pPrefix = 0, pOne = 0;
                for (int q = 0; q < T; q++) {
                    if ((q & ((1 << i) - 1)) != prefix) continue;
                    pPrefix += joint[q];
                    if (((q >> i) & 1) == 1) pOne += joint[q];
                }
                assertEquals(pOne / pPrefix, fw.p()[k * nv + i], 1e-12, "frame " + k + " unit " + i);
            }
        }
    }

    @Test
    void gradientsWithPerFrameBiasesMatchFiniteDifferences() {
        int nv = 7, nh = 5, T = 4;
        SplittableRandom r = new SplittableRandom(13);
        NadeReference m = new NadeReference(nv, nh);
        m.randomize(r, 1);
        double[] v = randomBinary(r, T * nv), bvt = randomUniform(r, T * nv, 1), bht = randomUniform(r, T * nh, 1);
        double scale = 0.37;
        DoubleSupplier cost = () -> {
            double c = 0;
            for (double lp : m.forward(v, bvt, bht, T).logP()) c -= scale * lp;
            return c;
        };
        NadeReference.Grads g = m.backward(m.forward(v, bvt, bht, T), v, scale);
        double err = assertMatchesFiniteDifferences(new double[][] {m.W, m.V, bvt, bht},
                new double[][] {g.W(), g.V(), g.bvt(), g.bht()}, cost);
        System.out.printf(Locale.ROOT, "nade: per-frame biases, worst finite-difference relative error %.2g%n", err);
    }

    @Test
    void gradientsWithSharedBiasesMatchFiniteDifferences() {
        int nv = 7, nh = 5, T = 5;
        SplittableRandom r = new SplittableRandom(14);
        NadeReference m = new NadeReference(nv, nh);
        m.randomize(r, 1);
        double[] v = randomBinary(r, T * nv);
        double err = assertMatchesFiniteDifferences(m.params(), m.grads(v, T).params(), () -> m.nll(v, T));
        System.out.printf(Locale.ROOT, "nade: shared biases, worst finite-difference relative error %.2g%n", err);
    }

    @Test
    void sampledFrequenciesOfAllSixteenFramesMatchTheirProbabilities() {
        int nv = 4, nh = 3, T = 1 << nv, draws = 200_000;
        NadeReference m = new NadeReference(nv, nh);
        m.randomize(new SplittableRandom(15), 1.5);
        double[] logP = m.forward(allFrames(nv), T).logP();
        Rng rng = new Rng(1, 0);
        float[] uf = new float[nv];
        double[] u = new double[nv];
        long[] count = new long[T];
        for (int d = 0; d < draws; d++) {
            Philox.uniforms(rng.seed(), rng.stream(), rng.take(nv), uf, 0, nv);
            for (int i = 0; i < nv; i++) u[i] = uf[i];
            double[] x = m.sample(m.bv, m.bh, u);
            int k = 0;
            for (int i = 0; i < nv; i++) k |= (int) x[i] << i;
            count[k]++;
        }
        // Pearson's chi-square with 15 degrees of freedom: mean 15, sd 5.5; P(chi2 > 45) ~ 7e-5. Every expected count
        // must be large enough for the statistic to be chi-square.
        double chi2 = 0, least = Double.MAX_VALUE;
        for (int k = 0; k < T; k++) {
            double expected = draws * Math.exp(logP[k]);
            least = Math.min(least, expected);
            chi2 += (count[k] - expected) * (count[k] - expected) / expected;
        }
        assertTrue(least > 50, "every frame must be drawn often, least expected count " + least);
        assertTrue(chi2 < 45, "chi-square " + chi2);
        System.out.printf(Locale.ROOT, "nade: %d samples of 4 units, chi-square %.1f (15 dof)%n", draws, chi2);
    }

    @Test
    void sampleFollowsTheUniformsAgainstTheConditionals() {
        // ancestral: each unit is 1 exactly when its uniform is below its conditional given the units drawn before
        int nv = 9, nh = 4;
        SplittableRandom r = new SplittableRandom(16);
        NadeReference m = new NadeReference(nv, nh);
        m.randomize(r, 2);
        double[] bvt = randomUniform(r, nv, 1), bht = randomUniform(r, nh, 1);
        for (int d = 0; d < 50; d++) {
            double[] u = new double[nv];
            for (int i = 0; i < nv; i++) u[i] = r.nextDouble();
            double[] x = m.sample(bvt, bht, u);
            double[] p = m.forward(x, bvt, bht, 1).p();
            for (int i = 0; i < nv; i++) assertEquals(u[i] < p[i] ? 1.0 : 0.0, x[i], "draw " + d + " unit " + i);
        }
    }

    /**
     * Central differences of {@code cost} in every entry of every parameter against the analytic gradients: each entry
     * within 1e-8 + 1e-6 |fd|, each parameter's norm-wise relative error below 1e-7. Returns the worst of those.
     */
    static double assertMatchesFiniteDifferences(double[][] params, double[][] analytic, DoubleSupplier cost) {
        double eps = 1e-6, largest = 0, worst = 0;
        for (int k = 0; k < params.length; k++) {
            double[] fd = new double[params[k].length];
            for (int i = 0; i < params[k].length; i++) {
                double saved = params[k][i];
                params[k][i] = saved + eps;
                double up = cost.getAsDouble();
                params[k][i] = saved - eps;
                double down = cost.getAsDouble();
                params[k][i] = saved;
                fd[i] = (up - down) / (2 * eps);
                largest = Math.max(largest, Math.abs(fd[i]));
                // truncation O(eps^2) ~ 1e-12, rounding ~ 1e-16 |cost| / eps ~ 1e-10
                assertEquals(fd[i], analytic[k][i], 1e-8 + 1e-6 * Math.abs(fd[i]), "parameter " + k + " index " + i);
            }
            double err = relErr(analytic[k], fd);
            assertTrue(err < 1e-7, "parameter " + k + ": relative error " + err);
            worst = Math.max(worst, err);
        }
        assertTrue(largest > 1e-2, "the check must see real gradients, largest " + largest);
        return worst;
    }

    /**
     * Elementwise |got - want| <= 1e-12 + 1e-9 |want|: the 1e-12 covers entries that are sums of terms of size ~1
     * cancelling to ~0 (float64 rounding of the two sides, each ~1e-16 per term over a few thousand terms).
     */
    static void assertClose(double[] got, double[] want, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-12 + 1e-9 * Math.abs(want[i]), what + "[" + i + "]");
        }
    }
}
