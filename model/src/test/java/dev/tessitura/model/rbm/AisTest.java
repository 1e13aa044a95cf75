package dev.tessitura.model.rbm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * AIS against exact enumeration on RBMs small enough to enumerate (nv = 20, nh = 12), 100 runs, the paper's 14,500
 * temperatures: about 1.5 s per 100 runs on the simd backend with 1 thread. Measured over seeds 1..5 (random RBM)
 * and 1..3 (trained): K = 1,000 gives standard errors near 0.008 and errors up to 0.015 nats; K = 3,000 about 0.005
 * (errors up to 0.006, too close to 0.01 to rely on); K = 14,500 about 0.0023 on the random RBM and 0.0037 on the
 * trained one, errors at most 0.0038 and 0.0061.
 */
class AisTest {
    static final int NV = 20, NH = 12, RUNS = 100;

    static Backend backend() {
        return Backends.create("simd", new BackendOptions(1, 0));
    }

    /** W ~ U(-0.5, 0.5), biases ~ U(-1, 1): moderate weights (exact log Z 23.70 against the base's 22.89). */
    static Rbm randomRbm(Backend be, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Rbm r = new Rbm(be, NV, NH);
        float[] p = new float[Math.toIntExact(r.params.size())];
        for (int i = 0; i < p.length; i++) p[i] = (float) (i < NV * NH ? rnd.nextDouble(-0.5, 0.5) : rnd.nextDouble(-1, 1));
        be.copyFromHost(r.params, p, 0);
        return r;
    }

    static void assertClose(double exact, Ais.Estimate e, String what) {
        assertEquals(exact, e.logZ(), 0.01, what + ": AIS " + e + " vs exact " + exact);
        assertTrue(e.stdErr() > 0 && e.stdErr() < 0.005, what + ": standard error " + e.stdErr());
        assertTrue(e.logZLow() <= exact && exact <= e.logZHigh(), what + ": exact " + exact + " outside the 3-sigma interval " + e);
    }

    @Test
    void randomRbmMatchesExactLogZ() {
        try (Backend be = backend()) {
            Rbm r = randomRbm(be, 21);
            double exact = ExactLogZ.logZ(r);
            Ais.Estimate e = Ais.logZ(r, null, RUNS, Ais.Schedule.paper(), new Rng(1, 0));
            assertClose(exact, e, "random RBM");
            // base = the RBM's own bv with zero hidden biases: log Z_A = sum softplus(bv) + nh log 2
            float[] bv = be.toArray(r.bv);
            double base = NH * Math.log(2);
            for (float b : bv) base += ExactLogZ.softplus(b);
            assertEquals(base, e.logZBase(), 1e-9);
        }
    }

    /** Noisy copies (10% flips) of four random prototypes of 20 units. */
    static float[] prototypes(SplittableRandom rnd, int rows) {
        boolean[][] proto = new boolean[4][NV];
        for (boolean[] p : proto) for (int i = 0; i < NV; i++) p[i] = rnd.nextBoolean();
        float[] a = new float[rows * NV];
        for (int r = 0; r < rows; r++) {
            boolean[] p = proto[rnd.nextInt(proto.length)];
            for (int i = 0; i < NV; i++) a[r * NV + i] = p[i] ^ (rnd.nextDouble() < 0.1) ? 1f : 0f;
        }
        return a;
    }

    /**
     * An RBM trained a little (CD-1, 50 epochs at rate 0.1; exact log Z 29.77 against the base's 25.25) has larger,
     * structured weights; the base comes from the data's marginals.
     */
    @Test
    void trainedRbmMatchesExactLogZ() {
        try (Backend be = backend()) {
            SplittableRandom rnd = new SplittableRandom(22);
            Tensor data = be.of(prototypes(rnd, 200), 200, NV);
            Rbm r = new Rbm(be, NV, NH);
            r.initNormal(0.01, 23);
            Rng rng = new Rng(24, 0);
            for (int epoch = 0; epoch < 50; epoch++) {
                for (int i = 0; i < 10; i++) r.cdUpdate(data.slice(i * 20, (i + 1) * 20), 1, 0.1f, rng);
            }
            double exact = ExactLogZ.logZ(r);
            Ais.Estimate e = Ais.logZ(r, Ais.baseRateBiases(be, data), RUNS, Ais.Schedule.paper(), new Rng(2, 0));
            assertClose(exact, e, "trained RBM");
        }
    }

    /**
     * A batch of B = 3 conditional RBMs sharing W with per-row bv and bh (the RNN-RBM's case): each row's estimate
     * matches that row's exact log Z. Also with an explicit per-row base, and with a shared base bias vector (which
     * makes the interpolated bv per row).
     */
    @Test
    void perRowBiasBatchMatchesEachRow() {
        try (Backend be = backend()) {
            Rbm r = randomRbm(be, 25);
            SplittableRandom rnd = new SplittableRandom(26);
            int b = 3;
            float[] bv = new float[b * NV], bh = new float[b * NH];
            for (int i = 0; i < bv.length; i++) bv[i] = (float) rnd.nextDouble(-1.5, 1);
            for (int i = 0; i < bh.length; i++) bh[i] = (float) rnd.nextDouble(-1, 1);
            Tensor bvT = be.of(bv, b, NV), bhT = be.of(bh, b, NH);
            double[] exact = ExactLogZ.logZ(be, r.w, bvT, bhT);
            Ais.Estimate[] e = Ais.logZ(be, r.w, bvT, bhT, null, RUNS, Ais.Schedule.paper(), new Rng(3, 0));
            assertEquals(b, e.length);
            for (int c = 0; c < b; c++) assertClose(exact[c], e[c], "row " + c);
            // a per-row base (each conditional's own bv, passed explicitly: the interpolation path with per-row a)
            Ais.Estimate[] e3 = Ais.logZ(be, r.w, bvT, bhT, bvT, RUNS, Ais.Schedule.paper(), new Rng(5, 0));
            for (int c = 0; c < b; c++) {
                assertEquals(e[c].logZBase(), e3[c].logZBase(), 1e-12);
                assertClose(exact[c], e3[c], "row " + c + " with an explicit per-row base");
            }
            // a shared base (0 everywhere: the uniform distribution) with per-row targets, a cheaper schedule
            Ais.Estimate[] e2 = Ais.logZ(be, r.w, bvT, bhT, be.zeros(NV), RUNS, Ais.Schedule.paperShape(3000), new Rng(4, 0));
            for (int c = 0; c < b; c++) {
                assertEquals((NV + NH) * Math.log(2), e2[c].logZBase(), 1e-9);
                assertEquals(exact[c], e2[c].logZ(), 0.05, "row " + c + " with a uniform base");
            }
        }
    }

    /**
     * The runs' weighted end states estimate each conditional's marginals: against enumeration, for a batch of
     * three conditionals (the RNN-RBM's layout), with annealing (1,000 temperatures) and with none at all (one
     * interval: plain importance sampling from the base, where only the weights move the estimate off the base's
     * sigmoid(bv), 0.31 away). 4,000 runs: with even weights a standard error of at most 0.008 per marginal.
     */
    @Test
    void weightedEndStatesEstimateTheMarginals() {
        try (Backend be = backend()) {
            Rbm r = randomRbm(be, 28);
            SplittableRandom rnd = new SplittableRandom(29);
            int b = 3, runs = 4000;
            float[] bv = new float[b * NV], bh = new float[b * NH];
            for (int i = 0; i < bv.length; i++) bv[i] = (float) rnd.nextDouble(-1.5, 1);
            for (int i = 0; i < bh.length; i++) bh[i] = (float) rnd.nextDouble(-1, 1);
            Tensor bvT = be.of(bv, b, NV), bhT = be.of(bh, b, NH);
            double[] want = ExactLogZ.visibleMarginals(be, r.w, bvT, bhT);
            Ais.Schedule[] schedules = {Ais.Schedule.paperShape(1000), new Ais.Schedule(new double[] {0, 1})};
            for (Ais.Schedule schedule : schedules) {
                float[] got = new float[b * NV];
                Ais.Runs ends = Ais.run(be, r.w, bvT, bhT, null, runs, schedule, new Rng(6, 0));
                for (int c = 0; c < b; c++) ends.marginals(c, got, c * NV);
                double worst = 0, worstBase = 0;
                for (int i = 0; i < b * NV; i++) {
                    worst = Math.max(worst, Math.abs(got[i] - want[i]));
                    worstBase = Math.max(worstBase, Math.abs(1 / (1 + Math.exp(-bv[i])) - want[i]));
                }
                String what = schedule.intervals() + " intervals: largest error " + worst + ", of the base's marginals " + worstBase;
                // plain importance sampling has the fewer effective samples (measured: 0.042 vs 0.016 annealed)
                assertTrue(worst < (schedule.intervals() == 1 ? 0.06 : 0.03), what);
                assertTrue(worstBase > 0.1, what);   // the weights, not the base, made the estimate
            }
        }
    }

    /** The same draws on the scalar and the simd backend give the same estimate (float rounding aside). */
    @Test
    void backendsAgree() {
        double[] got = new double[2];
        String[] names = {"scalar", "simd"};
        for (int i = 0; i < 2; i++) {
            try (Backend be = Backends.create(names[i], new BackendOptions(1, 0))) {
                got[i] = Ais.logZ(randomRbm(be, 27), null, 20, Ais.Schedule.paperShape(300), new Rng(5, 0)).logZ();
            }
        }
        assertEquals(got[0], got[1], 1e-4);
    }

    @Test
    void schedules() {
        double[] p = Ais.Schedule.paper().betas();
        assertEquals(14_501, p.length);
        assertEquals(0.5, p[500], 1e-15);
        assertEquals(0.5 + 1e-4, p[501], 1e-15);
        assertEquals(0.9, p[4500], 1e-15);
        assertEquals(0.9 + 1e-5, p[4501], 1e-15);
        assertEquals(1.0, p[14_500]);
        Ais.Schedule s = Ais.Schedule.paperShape(290);
        assertEquals(290, s.intervals());
        assertEquals(0.5, s.betas()[10], 1e-15);
        assertEquals(0.9, s.betas()[90], 1e-15);
        assertArrayEquals(new double[] {0, 0.5, 0.9, 1}, Ais.Schedule.paperShape(3).betas(), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new Ais.Schedule(new double[] {0, 0.6, 0.5, 1}));
        assertThrows(IllegalArgumentException.class, () -> new Ais.Schedule(new double[] {0, 0.9}));
    }

    /** log-mean-exp and the interval on hand-made weights: w = {1, 3} gives mean 2, sigma = sqrt(2 / 2) / sqrt(2). */
    @Test
    void estimateFromWeights() {
        Ais.Estimate e = Ais.estimate(new double[] {9, 0, Math.log(3), 9}, 1, 2, 5.0);
        assertEquals(5 + Math.log(2), e.logZ(), 1e-12);
        double sigma = Math.sqrt(2.0 / 2);   // sample std of {1, 3} is sqrt(2), over sqrt(M = 2)
        assertEquals(sigma / 2, e.stdErr(), 1e-12);
        assertEquals(Double.NEGATIVE_INFINITY, e.logZLow());   // 2 - 3 sigma < 0
        assertEquals(5 + Math.log(2 + 3 * sigma), e.logZHigh(), 1e-12);
    }

    @Test
    void baseRateBiasesAreSmoothedLogits() {
        try (Backend be = Backends.create("scalar", BackendOptions.defaults())) {
            // 4 rows: unit 0 always on, unit 1 never, unit 2 on in 1 of 4
            Tensor data = be.of(new float[] {1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0}, 4, 3);
            float[] a = be.toArray(Ais.baseRateBiases(be, data));
            assertEquals(Math.log(5.0 / 1), a[0], 1e-6);   // p = 5/6
            assertEquals(Math.log(1.0 / 5), a[1], 1e-6);   // p = 1/6
            assertEquals(Math.log(2.0 / 4), a[2], 1e-6);   // p = 2/6
        }
    }
}
