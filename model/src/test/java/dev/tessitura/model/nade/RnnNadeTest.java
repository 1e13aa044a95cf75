package dev.tessitura.model.nade;

import static dev.tessitura.model.Fixture.relErr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.Fixture;
import dev.tessitura.model.rnnrbm.RnnRbmTest;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine's RNN-NADE against the PyTorch fixtures (cost and all nine gradients, float32 tolerance) on every CPU
 * backend; the LSTM-NADE against its float64 composition ({@link LstmNadeReference}), which finite differences check;
 * RNN pretraining's predictor against the same with V = 0.
 */
class RnnNadeTest {
    /** Worst relative errors seen, for the report line: {cost, gradient}. */
    @ParameterizedTest
    @CsvSource({"scalar,/nade/rnnnade_small.json", "simd-1,/nade/rnnnade_small.json", "simd-2,/nade/rnnnade_small.json",
            "scalar,/nade/rnnnade_tutorial_size.json", "simd-1,/nade/rnnnade_tutorial_size.json", "simd-2,/nade/rnnnade_tutorial_size.json"})
    void costAndAllNineGradientsMatchPyTorch(String backend, String resource) {
        Fixture f = Fixture.load(resource);
        int nv = f.config("n_visible"), nh = f.config("n_hidden"), nu = f.config("n_hidden_recurrent"), steps = f.config("T");
        try (Backend be = RnnRbmTest.create(backend)) {
            RnnNade m = new RnnNade(be, nv, nh, nu);
            for (String p : RnnNadeReferenceTest.PARAMS) be.copyFromHost(m.param(p), RnnRbmTest.floats(f.tensor("params", p)), 0);
            Tensor v = be.of(RnnRbmTest.floats(f.tensor("inputs", "v")), steps, nv), cost = be.zeros(1);
            m.forward(v, steps, 1);
            float[] logp = be.toArray(m.logLikelihoods(v, steps));
            m.zeroGrads();
            m.costAndGradients(v, steps, cost);
            double want = f.scalar("outputs", "cost"), costErr = Math.abs(be.toArray(cost)[0] - want) / Math.abs(want);
            assertTrue(costErr < 1e-5, backend + " cost: relative error " + costErr);
            assertTrue(relErr(logp, f.tensor("outputs", "log_p")) < 1e-5, backend + " log p");
            double worst = 0;
            String worstName = "";
            for (String p : RnnNadeReferenceTest.PARAMS) {
                double err = relErr(be.toArray(m.grad(p)), f.tensor("grads", p));
                assertTrue(err < 1e-4, backend + " " + resource + " d" + p + ": relative error " + err);
                if (err > worst) {
                    worst = err;
                    worstName = p;
                }
            }
            for (float x : be.toArray(m.grad("u0"))) assertEquals(0f, x, "u(0) is fixed at 0");
            System.out.printf(Locale.ROOT, "rnn-nade engine %s %s: cost relative error %.2g, worst gradient %.2g (d%s)%n",
                    backend, resource, costErr, worst, worstName);
        }
    }

    @Test
    void theLstmNadeReferenceMatchesFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(7);
        int nv = 5, steps = 6;
        LstmNadeReference m = new LstmNadeReference(nv, 4, new int[] {3, 2});
        for (double[] p : m.params()) for (int i = 0; i < p.length; i++) p[i] = r.nextDouble(-1, 1);
        double[] v = NadeReferenceTest.randomBinary(r, steps * nv);
        List<double[]> params = m.params(), grads = m.grads(v, steps);
        double eps = 1e-6, worst = 0, largest = 0;
        for (int k = 0; k < params.size(); k++) {
            double[] p = params.get(k);
            for (int i = 0; i < p.length; i++) {
                double saved = p[i];
                p[i] = saved + eps;
                double up = m.cost(v, steps);
                p[i] = saved - eps;
                double fd = (up - m.cost(v, steps)) / (2 * eps);
                p[i] = saved;
                // truncation O(eps^2) ~ 1e-12, rounding ~ 1e-16 |cost| / eps ~ 1e-10; the LSTM's gradients are small
                double err = Math.abs(fd - grads.get(k)[i]);
                assertTrue(err <= 1e-8 + 1e-6 * Math.abs(fd), "parameter " + k + " index " + i + ": " + grads.get(k)[i] + " vs " + fd);
                worst = Math.max(worst, err / (1e-8 + Math.abs(fd)));
                largest = Math.max(largest, Math.abs(fd));
            }
        }
        assertTrue(largest > 1e-2, "the check must see real gradients, largest " + largest);
        System.out.printf(Locale.ROOT, "lstm-nade float64: worst finite-difference error %.2g relative%n", worst);
    }

    /** {nv, nh, T} with LSTM stacks of one and two layers. */
    static final int[][] SIZES = {{1, 1, 1}, {5, 4, 6}, {13, 7, 9}, {88, 33, 31}};
    static final int[][] LAYERS = {{1}, {3}, {5, 4}, {17, 9}};

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-1", "simd-2"})
    void theEngineLstmNadeAgreesWithTheFloat64Composition(String backend) {
        SplittableRandom r = new SplittableRandom(8);
        try (Backend be = RnnRbmTest.create(backend)) {
            for (int c = 0; c < SIZES.length; c++) {
                int nv = SIZES[c][0], nh = SIZES[c][1], steps = SIZES[c][2];
                String at = backend + " " + Arrays.toString(SIZES[c]) + Arrays.toString(LAYERS[c]) + " ";
                LstmNadeReference ref = new LstmNadeReference(nv, nh, LAYERS[c]);
                RnnNade m = new RnnNade(be, nv, nh, LAYERS[c]);
                List<double[]> all = ref.params();
                List<String> names = m.names();
                assertEquals(all.size(), names.size());
                for (int k = 0; k < all.size(); k++) {
                    double[] p = all.get(k);
                    for (int i = 0; i < p.length; i++) p[i] = (float) r.nextDouble(-0.5, 0.5);
                    be.copyFromHost(m.param(names.get(k)), RnnRbmTest.floats(p), 0);
                }
                double[] v = NadeReferenceTest.randomBinary(r, steps * nv);
                Tensor tv = be.of(RnnRbmTest.floats(v), steps, nv), cost = be.zeros(1);
                m.forward(tv, steps, 1);
                m.zeroGrads();
                m.costAndGradients(tv, steps, cost);
                assertEquals(ref.cost(v, steps), be.toArray(cost)[0], 1e-5 * Math.max(1, ref.cost(v, steps)), at + "cost");
                assertGrads(be, m, names, ref.grads(v, steps), at);
                // RNN pretraining: the same model with V = 0, whose W and bh then get no gradient
                Arrays.fill(ref.nade.V, 0);
                m.zeroGrads();
                m.predictorCostAndGradients(tv, steps, cost);
                assertEquals(ref.cost(v, steps), be.toArray(cost)[0], 1e-5 * Math.max(1, ref.cost(v, steps)), at + "predictor cost");
                List<double[]> want = ref.grads(v, steps);
                want.set(1, new double[nh * nv]);                       // V's gradient is dropped
                assertGrads(be, m, names, want, at + "predictor ");
            }
        }
    }

    /** Every gradient within 1e-4 relative (norm-wise) of float64's; exactly zero where float64's is. */
    static void assertGrads(Backend be, RnnNade m, List<String> names, List<double[]> want, String at) {
        for (int k = 0; k < want.size(); k++) {
            float[] got = be.toArray(m.grad(names.get(k)));
            double norm = 0;
            for (double x : want.get(k)) norm += x * x;
            if (norm == 0) {
                for (float x : got) assertEquals(0f, x, at + names.get(k) + " should be exactly zero");
                continue;
            }
            double err = relErr(got, want.get(k));
            assertTrue(err < 1e-4, at + "d" + names.get(k) + ": relative error " + err);
        }
    }

    /** Every parameter's gradient against central differences (eps 1e-6) of the cost; the largest |d cost / d p| seen. */
    static double assertFiniteDifferences(LstmNadeReference m, double[] v, int steps, double[] mask, String what) {
        List<double[]> params = m.params(), grads = m.grads(v, steps, mask);
        double eps = 1e-6, largest = 0;
        for (int k = 0; k < params.size(); k++) {
            double[] p = params.get(k);
            for (int i = 0; i < p.length; i++) {
                double saved = p[i];
                p[i] = saved + eps;
                double up = m.cost(v, steps, mask);
                p[i] = saved - eps;
                double fd = (up - m.cost(v, steps, mask)) / (2 * eps);
                p[i] = saved;
                double err = Math.abs(fd - grads.get(k)[i]);
                assertTrue(err <= 1e-8 + 1e-6 * Math.abs(fd), what + " parameter " + k + " index " + i + ": " + grads.get(k)[i] + " vs " + fd);
                largest = Math.max(largest, Math.abs(fd));
            }
        }
        assertTrue(largest > 1e-2, "the check must see real gradients, largest " + largest);
        return largest;
    }

    /** The LSTM-NADE with skip connections, and under a fixed dropout mask with and without them, in float64. */
    @ParameterizedTest
    @CsvSource({"true,false", "false,true", "true,true"})
    void theLstmNadeReferenceWithSkipOrDropoutMatchesFiniteDifferences(boolean skip, boolean dropout) {
        SplittableRandom r = new SplittableRandom(9);
        int nv = 5, steps = 6;
        LstmNadeReference m = new LstmNadeReference(nv, 4, new int[] {3, 2}, skip);
        assertEquals(skip ? 5 : 2, m.nu);
        for (double[] p : m.params()) for (int i = 0; i < p.length; i++) p[i] = r.nextDouble(-1, 1);
        double[] v = NadeReferenceTest.randomBinary(r, steps * nv);
        double[] mask = dropout ? RnnNadeReferenceTest.dropoutMask(r, steps * m.nu, 0.4) : null;
        assertFiniteDifferences(m, v, steps, mask, "skip " + skip + ", dropout " + dropout);
        if (skip) {
            // the skip connections are really there: the lower layer's rows of Wuv and its Wi get gradients
            List<double[]> g = m.grads(v, steps, mask);
            assertTrue(Arrays.stream(g.get(5), 0, 3 * nv).anyMatch(x -> Math.abs(x) > 1e-3), "dWuv of layer 0's rows");
            assertTrue(Arrays.stream(g.get(10)).anyMatch(x -> Math.abs(x) > 1e-3), "dWi1");
        }
    }

    /** A mask (T, nu), row t multiplying u(t-1), as the engine lays it out: part by part where u is in parts (B = 1). */
    static float[] engineLayout(double[] mask, int steps, int[] widths) {
        float[] out = new float[mask.length];
        int nu = mask.length / steps, at = 0, first = 0;
        for (int w : widths) {
            for (int t = 0; t < steps; t++) for (int j = 0; j < w; j++) out[at++] = (float) mask[t * nu + first + j];
            first += w;
        }
        return out;
    }

    /** The engine's RNN-NADE under a dropout mask against the float64 reference with the same mask. */
    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-1", "simd-2"})
    void theEngineRnnNadeWithADropoutMaskAgreesWithTheFloat64Reference(String backend) {
        SplittableRandom r = new SplittableRandom(10);
        int nv = 13, nh = 7, nu = 6, steps = 9;
        try (Backend be = RnnRbmTest.create(backend)) {
            RnnNadeReference ref = new RnnNadeReference(nv, nh, nu);
            RnnNade m = new RnnNade(be, nv, nh, nu);
            double[][] all = ref.params();
            for (int k = 0; k < all.length; k++) {
                for (int i = 0; i < all[k].length; i++) all[k][i] = (float) r.nextDouble(-0.5, 0.5);
                be.copyFromHost(m.param(RnnNadeReferenceTest.PARAMS[k]), RnnRbmTest.floats(all[k]), 0);
            }
            double[] v = NadeReferenceTest.randomBinary(r, steps * nv), mask = RnnNadeReferenceTest.dropoutMask(r, steps * nu, 0.5);
            Tensor tv = be.of(RnnRbmTest.floats(v), steps, nv), cost = be.zeros(1);
            m.forward(tv, steps, 1, be.of(RnnRbmTest.floats(mask), steps, nu));
            m.zeroGrads();
            m.costAndGradients(tv, steps, cost);
            double want = ref.cost(v, steps, mask);
            assertTrue(Math.abs(want - ref.cost(v, steps)) > 1e-2, "the mask matters");
            assertEquals(want, be.toArray(cost)[0], 1e-5 * Math.max(1, want), backend + " cost");
            List<String> names = List.of(RnnNadeReferenceTest.PARAMS);
            assertGrads(be, m, names, List.of(ref.grads(v, steps, mask).all()), backend + " dropout ");
        }
    }

    /** The engine's LSTM-NADE with skip connections, without and under a dropout mask, against its float64 composition. */
    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-1", "simd-2"})
    void theEngineLstmNadeWithSkipAgreesWithTheFloat64Composition(String backend) {
        SplittableRandom r = new SplittableRandom(11);
        try (Backend be = RnnRbmTest.create(backend)) {
            for (int c = 0; c < SIZES.length; c++) {
                for (boolean dropout : new boolean[] {false, true}) {
                    int nv = SIZES[c][0], nh = SIZES[c][1], steps = SIZES[c][2];
                    String at = backend + " " + Arrays.toString(SIZES[c]) + Arrays.toString(LAYERS[c]) + (dropout ? " dropout " : " ");
                    LstmNadeReference ref = new LstmNadeReference(nv, nh, LAYERS[c], true);
                    RnnNade m = new RnnNade(be, nv, nh, LAYERS[c], true);
                    assertEquals(ref.nu, m.nu);
                    List<double[]> all = ref.params();
                    List<String> names = m.names();
                    assertEquals(all.size(), names.size());
                    for (int k = 0; k < all.size(); k++) {
                        double[] p = all.get(k);
                        assertEquals(p.length, m.param(names.get(k)).size(), names.get(k));
                        for (int i = 0; i < p.length; i++) p[i] = (float) r.nextDouble(-0.5, 0.5);
                        be.copyFromHost(m.param(names.get(k)), RnnRbmTest.floats(p), 0);
                    }
                    double[] v = NadeReferenceTest.randomBinary(r, steps * nv);
                    double[] mask = dropout ? RnnNadeReferenceTest.dropoutMask(r, steps * m.nu, 0.5) : null;
                    Tensor tv = be.of(RnnRbmTest.floats(v), steps, nv), cost = be.zeros(1);
                    m.forward(tv, steps, 1, mask == null ? null : be.of(engineLayout(mask, steps, LAYERS[c]), steps, m.nu));
                    m.zeroGrads();
                    m.costAndGradients(tv, steps, cost);
                    double want = ref.cost(v, steps, mask);
                    assertEquals(want, be.toArray(cost)[0], 1e-5 * Math.max(1, want), at + "cost");
                    assertGrads(be, m, names, ref.grads(v, steps, mask), at);
                }
            }
        }
    }

    @Test
    void namesAndLayoutKeepTheNadePartFirst() {
        try (Backend be = RnnRbmTest.create("scalar")) {
            RnnNade rnn = new RnnNade(be, 6, 5, 4), lstm = new RnnNade(be, 6, 5, new int[] {4, 3});
            assertEquals(List.of("W", "V", "bv", "bh", "Wuh", "Wuv", "Wvu", "Wuu", "bu", "u0"), rnn.names());
            assertEquals(List.of("W", "V", "bv", "bh", "Wuh", "Wuv", "Wx0", "Wh0", "b0", "Wx1", "Wh1", "b1"), lstm.names());
            for (RnnNade m : List.of(rnn, lstm)) {
                long size = 0;
                for (String n : m.names()) size += m.param(n).size();
                assertEquals(m.params.size(), size);
                assertEquals(2 * 6 * 5 + 6 + 5, m.nadeBlock()[1]);
                assertEquals(m.params.size(), m.nadeBlock()[1] + m.rnnBlock()[1]);
            }
            assertEquals(3, lstm.nu);
            // with skip: v(t) feeds layer 1 too (Wi1), and u(t) is both layers' h, so Wuh and Wuv have 4 + 3 rows
            RnnNade skip = new RnnNade(be, 6, 5, new int[] {4, 3}, true);
            assertEquals(List.of("W", "V", "bv", "bh", "Wuh", "Wuv", "Wx0", "Wh0", "b0", "Wx1", "Wi1", "Wh1", "b1"), skip.names());
            assertEquals(7, skip.nu);
            assertArrayEquals(new int[] {7, 6}, skip.Wuv.shape());
            assertArrayEquals(new int[] {6, 12}, skip.param("Wi1").shape());
            assertTrue(skip.skip() && !lstm.skip());
        }
    }
}
