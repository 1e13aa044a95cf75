package dev.tessitura.model.nade;

import static dev.tessitura.model.Fixture.relErr;
import static dev.tessitura.model.nade.NadeReferenceTest.assertClose;
import static dev.tessitura.model.nade.NadeReferenceTest.assertMatchesFiniteDifferences;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.model.Fixture;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RnnNadeReferenceTest {
    static final String[] PARAMS = {"W", "V", "bv", "bh", "Wuh", "Wuv", "Wvu", "Wuu", "bu"};

    static RnnNadeReference fromFixture(Fixture f) {
        int nv = f.config("n_visible"), nh = f.config("n_hidden"), nu = f.config("n_hidden_recurrent");
        RnnNadeReference m = new RnnNadeReference(nv, nh, nu);
        double[][] dst = m.params();
        for (int k = 0; k < PARAMS.length; k++) {
            double[] src = f.tensor("params", PARAMS[k]);
            assertEquals(dst[k].length, src.length, PARAMS[k] + ": size");
            System.arraycopy(src, 0, dst[k], 0, src.length);
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"/nade/rnnnade_small.json", "/nade/rnnnade_tutorial_size.json"})
    void matchesPyTorchEverywhere(String resource) {
        Fixture f = Fixture.load(resource);
        RnnNadeReference m = fromFixture(f);
        int T = f.config("T");
        double[] v = f.tensor("inputs", "v");                               // (T, nv)
        RnnNadeReference.Forward fw = m.forward(v, T);
        double cost = f.scalar("outputs", "cost");
        double costErr = Math.abs(fw.cost() - cost) / Math.abs(cost);
        assertTrue(costErr < 1e-12, "cost: relative error " + costErr);
        double[] u = Arrays.copyOfRange(fw.u(), m.nu, (T + 1) * m.nu);      // (T, nu): u(1..T)
        String[] names = {"log_p", "p_conditional", "u"};
        double[][] got = {fw.frames().logP(), fw.frames().p(), u};
        double worstForward = costErr;
        for (int k = 0; k < names.length; k++) {
            double[] want = f.tensor("outputs", names[k]);
            double err = relErr(got[k], want);
            assertTrue(err < 1e-12, names[k] + ": relative error " + err);
            assertClose(got[k], want, names[k]);
            worstForward = Math.max(worstForward, err);
        }
        double[][] g = m.grads(v, T).all();
        double worstGrad = 0;
        String worstName = "";
        for (int k = 0; k < PARAMS.length; k++) {
            double[] want = f.tensor("grads", PARAMS[k]);
            double err = relErr(g[k], want);
            assertTrue(err < 1e-9, PARAMS[k] + ": relative error " + err);
            assertClose(g[k], want, PARAMS[k]);
            if (err > worstGrad) {
                worstGrad = err;
                worstName = PARAMS[k];
            }
        }
        System.out.printf(Locale.ROOT, "rnn-nade %s: worst relative error of cost, log p, conditionals, u %.2g;"
                + " of gradients %.2g (%s)%n", resource, worstForward, worstGrad, worstName);
    }

    @Test
    void gradientsOfAllNineParametersMatchFiniteDifferences() {
        int nv = 5, nh = 4, nu = 3, T = 6;
        SplittableRandom r = new SplittableRandom(21);
        RnnNadeReference m = new RnnNadeReference(nv, nh, nu);
        m.randomize(r, 1);
        double[] v = NadeReferenceTest.randomBinary(r, T * nv);
        double err = assertMatchesFiniteDifferences(m.params(), m.grads(v, T).all(), () -> m.cost(v, T));
        System.out.printf(Locale.ROOT, "rnn-nade: worst finite-difference relative error %.2g%n", err);
    }

    /** Inverted-dropout multipliers: 0 with probability p, else 1 / (1 - p). */
    static double[] dropoutMask(SplittableRandom r, int n, double p) {
        double[] m = new double[n];
        for (int i = 0; i < n; i++) m[i] = r.nextDouble() < p ? 0 : 1 / (1 - p);
        return m;
    }

    @Test
    void gradientsUnderAFixedDropoutMaskMatchFiniteDifferences() {
        int nv = 5, nh = 4, nu = 3, T = 6;
        SplittableRandom r = new SplittableRandom(23);
        RnnNadeReference m = new RnnNadeReference(nv, nh, nu);
        m.randomize(r, 1);
        double[] v = NadeReferenceTest.randomBinary(r, T * nv), mask = dropoutMask(r, T * nu, 0.4);
        double err = assertMatchesFiniteDifferences(m.params(), m.grads(v, T, mask).all(), () -> m.cost(v, T, mask));
        System.out.printf(Locale.ROOT, "rnn-nade with dropout: worst finite-difference relative error %.2g%n", err);
        assertTrue(Math.abs(m.cost(v, T, mask) - m.cost(v, T)) > 1e-3, "the mask changes the cost");
        double[] ones = new double[T * nu];
        Arrays.fill(ones, 1);
        assertEquals(m.cost(v, T), m.cost(v, T, ones), 0.0, "a mask of ones is no dropout");
    }

    @Test
    void withoutHistoryInTheBiasesEveryFrameIsThePlainNades() {
        // with Wuv = Wuh = 0 the biases are bv, bh at every step: the cost is the NADE's mean negative log-likelihood,
        // and nothing reaches the recurrence's parameters
        int nv = 6, nh = 5, nu = 4, T = 5;
        SplittableRandom r = new SplittableRandom(22);
        RnnNadeReference m = new RnnNadeReference(nv, nh, nu);
        m.randomize(r, 1);
        double[] v = NadeReferenceTest.randomBinary(r, T * nv);
        Arrays.fill(m.Wuv, 0);
        Arrays.fill(m.Wuh, 0);
        assertEquals(m.nade.nll(v, T) / T, m.cost(v, T), 1e-14);
        RnnNadeReference.Grads g = m.grads(v, T);
        for (double[] none : new double[][] {g.Wvu(), g.Wuu(), g.bu()}) for (double x : none) assertEquals(0.0, x);
    }
}
