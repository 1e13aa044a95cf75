package dev.tessitura.model.rnnrbm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.model.Fixture;
import static dev.tessitura.model.Fixture.relErr;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RnnRbmReferenceTest {
    static final String[] PARAMS = {"W", "bv", "bh", "Wuh", "Wuv", "Wvu", "Wuu", "bu"};

    static RnnRbmReference fromFixture(Fixture f) {
        RnnRbmReference m = new RnnRbmReference(f.config("n_visible"), f.config("n_hidden"), f.config("n_hidden_recurrent"));
        double[][] dst = params(m);
        for (int i = 0; i < PARAMS.length; i++) System.arraycopy(f.tensor("params", PARAMS[i]), 0, dst[i], 0, dst[i].length);
        return m;
    }

    static double[][] params(RnnRbmReference m) {
        return new double[][] {m.w, m.bv, m.bh, m.wuh, m.wuv, m.wvu, m.wuu, m.bu};
    }

    static double[][] grads(RnnRbmReference.Grads g) {
        return new double[][] {g.w(), g.bv(), g.bh(), g.wuh(), g.wuv(), g.wvu(), g.wuu(), g.bu()};
    }

    @ParameterizedTest
    @ValueSource(strings = {"/rnnrbm/rnnrbm_small.json", "/rnnrbm/rnnrbm_tutorial_size.json"})
    void matchesPyTorchEverywhere(String resource) {
        Fixture f = Fixture.load(resource);
        RnnRbmReference m = fromFixture(f);
        int steps = f.config("T");
        double[] v = f.tensor("inputs", "v"), vNeg = f.tensor("inputs", "v_sample");
        RnnRbmReference.Forward fw = m.forward(v, vNeg, steps);
        double cost = f.scalar("outputs", "cost");
        assertEquals(cost, fw.cost(), 1e-9 * Math.abs(cost));
        assertTrue(relErr(fw.freeEnergy(), f.tensor("outputs", "free_energy_v")) < 1e-12);
        assertTrue(relErr(fw.freeEnergyNeg(), f.tensor("outputs", "free_energy_v_sample")) < 1e-12);
        double[] u = new double[steps * m.nu];
        for (int t = 0; t < steps; t++) System.arraycopy(fw.u()[t + 1], 0, u, t * m.nu, m.nu);
        assertTrue(relErr(u, f.tensor("outputs", "u")) < 1e-12);
        assertClose(fw.freeEnergy(), f.tensor("outputs", "free_energy_v"), "free_energy_v");
        assertClose(fw.freeEnergyNeg(), f.tensor("outputs", "free_energy_v_sample"), "free_energy_v_sample");
        assertClose(u, f.tensor("outputs", "u"), "u");
        double[][] g = grads(m.grads(v, vNeg, steps));
        for (int i = 0; i < PARAMS.length; i++) {
            double[] want = f.tensor("grads", PARAMS[i]);
            double err = relErr(g[i], want);
            assertTrue(err < 1e-9, PARAMS[i] + ": relative error " + err);
            assertClose(g[i], want, PARAMS[i]);
        }
    }

    /**
     * Elementwise |got - want| <= atol + 1e-9 |want|: the atol covers entries that are sums of terms of size ~1
     * cancelling to ~0 (float64 rounding of the two sides, each ~1e-16 per term over at most a few thousand terms).
     */
    static void assertClose(double[] got, double[] want, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-12 + 1e-9 * Math.abs(want[i]), what + "[" + i + "]");
        }
    }

    @Test
    void gradientsOfAllParametersAndU0MatchFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(7);
        RnnRbmReference m = new RnnRbmReference(5, 4, 3);
        double[][] all = randomParams(m, r);
        int steps = 6;
        double[] v = new double[steps * 5], vNeg = new double[steps * 5];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(2);
            vNeg[i] = r.nextInt(2);
        }
        RnnRbmReference.Grads g = m.grads(v, vNeg, steps);
        double[][] an = {g.w(), g.bv(), g.bh(), g.wuh(), g.wuv(), g.wvu(), g.wuu(), g.bu(), g.u0()};
        assertMatchesFiniteDifferences(all, an, () -> m.cost(v, vNeg, steps));
    }

    @Test
    void rnnPretrainingCostIsTheRnnRbmsWithWZeroAndItsGradientsMatchFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(9);
        RnnRbmReference m = new RnnRbmReference(5, 4, 3);
        double[][] all = randomParams(m, r);
        int steps = 6;
        double[] v = new double[steps * 5];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(2);
        RnnRbmReference.Grads g = m.predictorGrads(v, steps);
        double[][] an = {g.w(), g.bv(), g.bh(), g.wuh(), g.wuv(), g.wvu(), g.wuu(), g.bu(), g.u0()};
        assertMatchesFiniteDifferences(all, an, () -> m.predictorCost(v, steps));
        for (double[] none : new double[][] {g.w(), g.bh(), g.wuh()}) for (double x : none) assertEquals(0.0, x);

        // with W = 0 the conditional RBM is a product of independent notes with P(v_j = 1) = sigmoid(bv_j(t)):
        // log Z_t = sum_j softplus(bv_j(t)) + sum_k softplus(bh_k(t)) and F_t(v) = -v.bv(t) - sum_k softplus(bh_k(t)),
        // so the predictor's cost is the RNN-RBM's exact negative log-likelihood per frame
        java.util.Arrays.fill(m.w, 0);
        RnnRbmReference.Forward fw = m.forward(v, v, steps);
        double nll = 0;
        for (int t = 0; t < steps; t++) {
            double logZ = 0;
            for (double b : fw.bvt()[t]) logZ += Math.log1p(Math.exp(b));
            for (double b : fw.bht()[t]) logZ += Math.log1p(Math.exp(b));
            nll += fw.freeEnergy()[t] + logZ;
        }
        assertEquals(nll / steps, m.predictorCost(v, steps), 1e-12);
    }

    /** Every parameter and u(0) drawn from U(-1, 1); returns them in the order of the gradients' arrays. */
    static double[][] randomParams(RnnRbmReference m, SplittableRandom r) {
        double[][] all = {m.w, m.bv, m.bh, m.wuh, m.wuv, m.wvu, m.wuu, m.bu, m.u0};
        for (double[] p : all) for (int i = 0; i < p.length; i++) p[i] = r.nextDouble(-1, 1);
        return all;
    }

    /** Central differences of {@code cost} in every entry of every parameter against the analytic gradients. */
    static void assertMatchesFiniteDifferences(double[][] params, double[][] analytic, java.util.function.DoubleSupplier cost) {
        double eps = 1e-6, largest = 0;
        for (int k = 0; k < params.length; k++) {
            for (int i = 0; i < params[k].length; i++) {
                double saved = params[k][i];
                params[k][i] = saved + eps;
                double up = cost.getAsDouble();
                params[k][i] = saved - eps;
                double down = cost.getAsDouble();
                params[k][i] = saved;
                double fd = (up - down) / (2 * eps);
                largest = Math.max(largest, Math.abs(fd));
                // central differences: truncation O(eps^2) ~ 1e-12, rounding ~ 1e-16 / eps = 1e-10
                assertEquals(fd, analytic[k][i], 1e-8 + 1e-6 * Math.abs(fd), "parameter " + k + " index " + i);
            }
        }
        assertTrue(largest > 1e-3, "the check must see real gradients, largest " + largest);
    }
}
