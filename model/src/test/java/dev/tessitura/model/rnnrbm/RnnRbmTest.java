package dev.tessitura.model.rnnrbm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.Fixture;
import static dev.tessitura.model.Fixture.relErr;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The engine RNN-RBM against the PyTorch fixtures, on every CPU backend, with the fixtures' negative samples. */
public class RnnRbmTest {
    static Stream<String> cases() {
        return Stream.of("scalar", "simd-1", "simd-2").flatMap(b ->
                Stream.of(b + " /rnnrbm/rnnrbm_small.json", b + " /rnnrbm/rnnrbm_tutorial_size.json"));
    }

    /** "scalar" or "simd-N" (N threads, the preferred width). */
    public static Backend create(String name) {
        return name.equals("scalar") ? Backends.create("scalar", BackendOptions.defaults())
                : Backends.create("simd", new BackendOptions(Integer.parseInt(name.substring(5)), 0));
    }

    public static float[] floats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void costStatesAndEveryGradientMatchPyTorch(String c) {
        String backend = c.split(" ")[0], resource = c.split(" ")[1];
        Fixture f = Fixture.load(resource);
        int nv = f.config("n_visible"), nh = f.config("n_hidden"), nu = f.config("n_hidden_recurrent"), steps = f.config("T");
        try (Backend be = create(backend)) {
            RnnRbm m = new RnnRbm(be, nv, nh, nu);
            for (String p : RnnRbmReferenceTest.PARAMS) be.copyFromHost(m.param(p), floats(f.tensor("params", p)), 0);
            Tensor v = be.of(floats(f.tensor("inputs", "v")), steps, nv);
            Tensor neg = be.of(floats(f.tensor("inputs", "v_sample")), steps, nv);
            Tensor u = m.forward(v, steps);
            // float32 through T steps of the recurrence: ~1e-6 relative
            assertTrue(relErr(be.toArray(u.slice(1, steps + 1)), f.tensor("outputs", "u")) < 1e-5);
            m.zeroGrads();
            double cost = m.costAndGradients(v, neg, steps), want = f.scalar("outputs", "cost");
            // the cost is a difference of free energies of size ~50: float32 rounding of each is ~1e-5 absolute
            assertEquals(want, cost, 1e-4 * Math.max(1, Math.abs(want)));
            for (String p : RnnRbmReferenceTest.PARAMS) {
                double err = relErr(be.toArray(m.grad(p)), f.tensor("grads", p));
                // the fixtures' README: float32 agrees to about 1e-4
                assertTrue(err < 1e-4, backend + " " + p + ": relative error " + err);
            }
        }
    }

    /** Awkward sizes {nv, nh, nu, T}: single units, odd sizes, and the piano's 88 keys over a long chunk. */
    static final int[][] SIZES = {{1, 1, 1, 1}, {5, 4, 3, 6}, {13, 7, 5, 9}, {88, 33, 17, 31}};

    /** Each engine gradient against float64: exactly zero where the reference's is (e.g. T = 1: u(1) feeds no bias), else relative error < 1e-4. */
    static void assertGrads(Backend be, RnnRbm m, String[] names, double[][] want, String at) {
        for (int k = 0; k < want.length; k++) {
            float[] got = be.toArray(m.grad(names[k]));
            if (norm(want[k]) == 0) {
                for (float x : got) assertEquals(0f, x, at + names[k] + " should be exactly zero");
                continue;
            }
            double err = relErr(got, want[k]);
            assertTrue(err < 1e-4, at + names[k] + ": relative error " + err);
        }
    }

    static double relErrRows(float[] got, double[][] rows) {
        double[] want = new double[rows.length * rows[0].length];
        for (int t = 0; t < rows.length; t++) System.arraycopy(rows[t], 0, want, t * rows[0].length, rows[0].length);
        return relErr(got, want);
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-1", "simd-2"})
    void agreesWithTheFloat64ReferenceOnRandomCasesWithALearnedU0(String backend) {
        SplittableRandom r = new SplittableRandom(11);
        try (Backend be = create(backend)) {
            for (int[] size : SIZES) {
                int nv = size[0], nh = size[1], nu = size[2], steps = size[3];
                String at = backend + " " + java.util.Arrays.toString(size) + " ";
                RnnRbmReference ref = new RnnRbmReference(nv, nh, nu);
                RnnRbm m = new RnnRbm(be, nv, nh, nu);
                ref.randomize(r, 0.5, 0.5);   // float-representable values, so both sides start from the same parameters
                ref.copyInto(be, m);
                double[] v = new double[steps * nv], vNeg = new double[steps * nv];
                for (int i = 0; i < v.length; i++) {
                    v[i] = r.nextDouble() < 0.3 ? 1 : 0;
                    vNeg[i] = r.nextDouble() < 0.3 ? 1 : 0;
                }
                RnnRbmReference.Forward fw = ref.forward(v, vNeg, steps);
                RnnRbmReference.Grads g = ref.grads(v, vNeg, steps);
                Tensor tv = be.of(floats(v), steps, nv), tNeg = be.of(floats(vNeg), steps, nv);
                Tensor u = m.forward(tv, steps);
                assertTrue(relErrRows(be.toArray(u), fw.u()) < 1e-5, at + "u");
                assertTrue(relErrRows(be.toArray(m.visibleBiases(steps)), fw.bvt()) < 1e-5, at + "bv(t)");
                assertTrue(relErrRows(be.toArray(m.hiddenBiases(steps)), fw.bht()) < 1e-5, at + "bh(t)");
                m.zeroGrads();
                double cost = m.costAndGradients(tv, tNeg, steps);
                // a difference of two sums of T free energies of size ~nh: float32 rounding ~1e-6 of their size
                double scale = 0;
                for (int t = 0; t < steps; t++) scale += Math.abs(fw.freeEnergy()[t]) + Math.abs(fw.freeEnergyNeg()[t]);
                assertEquals(fw.cost(), cost, 1e-5 * Math.max(1, scale / steps), at + "cost");
                assertGrads(be, m, RnnRbm.NAMES, new double[][] {g.w(), g.bv(), g.bh(), g.wuh(), g.wuv(), g.wvu(), g.wuu(), g.bu(), g.u0()}, at);
                // parameter gradients accumulate: a second call without zeroGrads doubles them
                float[] once = be.toArray(m.grads);
                m.costAndGradients(tv, tNeg, steps);
                float[] twice = be.toArray(m.grads);
                for (int i = 0; i < once.length; i++) {
                    assertEquals(2 * once[i], twice[i], 1e-5 * Math.abs(once[i]) + 1e-6, at + "accumulation at " + i);
                }
                // RNN pretraining: the predictor's cross-entropy and its gradients (W, bh, Wuh exactly zero)
                m.zeroGrads();
                double pc = m.predictorCostAndGradients(tv, steps);
                assertEquals(ref.predictorCost(v, steps), pc, 1e-5 * Math.max(1, Math.abs(pc)), at + "predictor cost");
                RnnRbmReference.Grads pg = ref.predictorGrads(v, steps);
                assertGrads(be, m, RnnRbm.NAMES, new double[][] {pg.w(), pg.bv(), pg.bh(), pg.wuh(), pg.wuv(), pg.wvu(), pg.wuu(), pg.bu(), pg.u0()},
                        at + "predictor ");
            }
        }
    }

    @Test
    void initialisationIsTheTutorialsAndSeeded() {
        try (Backend be = create("scalar")) {
            RnnRbm m = new RnnRbm(be, 88, 150, 100);
            m.initTutorial(5);
            // build_rnnrbm: W scale 0.01, Wuh, Wuv, Wvu, Wuu scale 0.0001; biases zero
            assertEquals(0.01, rms(be.toArray(m.W)), 0.0005);
            for (String p : new String[] {"Wuh", "Wuv", "Wvu", "Wuu"}) assertEquals(1e-4, rms(be.toArray(m.param(p))), 1e-5, p);
            for (String p : new String[] {"bv", "bh", "bu", "u0"}) assertEquals(0, rms(be.toArray(m.param(p))), p);
            assertEquals(0, mean(be.toArray(m.W)), 0.0005);
            RnnRbm same = new RnnRbm(be, 88, 150, 100), other = new RnnRbm(be, 88, 150, 100);
            same.initTutorial(5);
            other.initTutorial(6);
            assertArrayEquals(be.toArray(m.params), be.toArray(same.params));
            assertFalse(java.util.Arrays.equals(be.toArray(m.params), be.toArray(other.params)));
        }
    }

    @Test
    void usingTheWorkspaceBeforeForwardOrWithAnotherChunkLengthSaysWhatToDo() {
        try (Backend be = create("scalar")) {
            RnnRbm m = new RnnRbm(be, 6, 5, 4);
            Tensor v = be.zeros(3, 6);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> m.sampleNegatives(v, 3, 1, new dev.tessitura.engine.Rng(1, 0)));
            assertTrue(e.getMessage().contains("forward(v, T) has not run"), e.getMessage());
            m.forward(v, 3);
            e = assertThrows(IllegalStateException.class, () -> m.costAndGradients(be.zeros(2, 6), be.zeros(2, 6), 2));
            assertTrue(e.getMessage().contains("T = 3"), e.getMessage());
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> m.forward(be.zeros(3, 7), 3));
            assertTrue(bad.getMessage().contains("(3, 6)"), bad.getMessage());
        }
    }

    static double norm(double[] a) {
        double s = 0;
        for (double x : a) s += x * x;
        return Math.sqrt(s);
    }

    static double rms(float[] a) {
        double s = 0;
        for (float x : a) s += (double) x * x;
        return Math.sqrt(s / a.length);
    }

    static double mean(float[] a) {
        double s = 0;
        for (float x : a) s += x;
        return s / a.length;
    }
}
