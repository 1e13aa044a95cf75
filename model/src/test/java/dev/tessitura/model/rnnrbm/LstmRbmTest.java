package dev.tessitura.model.rnnrbm;

import static dev.tessitura.model.Fixture.relErr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.lstm.LstmReference;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The LSTM-RBM: its float64 reference against finite differences, and the engine model (the RNN-RBM's RBM part with
 * the LSTM stack as recurrence) against that reference on every CPU backend.
 */
class LstmRbmTest {
    /** The reference's parameters in the engine model's storage order: W, bv, bh, Wuh, Wuv, then Wx, Wh, b per layer. */
    static List<double[]> params(LstmRbmReference m) {
        List<double[]> all = new ArrayList<>(List.of(m.rbm.w, m.rbm.bv, m.rbm.bh, m.rbm.wuh, m.rbm.wuv));
        for (int l = 0; l < m.lstm.hidden.length; l++) all.addAll(List.of(m.lstm.wx[l], m.lstm.wh[l], m.lstm.b[l]));
        return all;
    }

    static List<double[]> grads(LstmRbmReference.Grads g) {
        RnnRbmReference.Grads r = g.rbm();
        LstmReference.Grads s = g.lstm();
        List<double[]> all = new ArrayList<>(List.of(r.w(), r.bv(), r.bh(), r.wuh(), r.wuv()));
        for (int l = 0; l < s.wx.length; l++) all.addAll(List.of(s.wx[l], s.wh[l], s.b[l]));
        return all;
    }

    static double[][] binary(SplittableRandom r, int n, double p) {
        double[] v = new double[n], neg = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextDouble() < p ? 1 : 0;
            neg[i] = r.nextDouble() < p ? 1 : 0;
        }
        return new double[][] {v, neg};
    }

    @Test
    void referenceGradientsOfEveryParameterMatchFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(5);
        int nv = 5, steps = 6;
        LstmRbmReference m = new LstmRbmReference(nv, 4, new int[] {3, 2});
        List<double[]> all = params(m);
        for (double[] p : all) for (int i = 0; i < p.length; i++) p[i] = r.nextDouble(-1, 1);
        double[][] data = binary(r, steps * nv, 0.5);
        double[] v = data[0], vNeg = data[1];
        RnnRbmReferenceTest.assertMatchesFiniteDifferences(all.toArray(double[][]::new),
                grads(m.grads(v, vNeg, steps)).toArray(double[][]::new), () -> m.cost(v, vNeg, steps));
    }

    @Test
    void referencePredictorGradientsMatchFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(6);
        int nv = 5, steps = 6;
        LstmRbmReference m = new LstmRbmReference(nv, 4, new int[] {3, 2});
        List<double[]> all = params(m);
        for (double[] p : all) for (int i = 0; i < p.length; i++) p[i] = r.nextDouble(-1, 1);
        double[] v = binary(r, steps * nv, 0.5)[0];
        RnnRbmReferenceTest.assertMatchesFiniteDifferences(all.toArray(double[][]::new),
                grads(m.predictorGrads(v, steps)).toArray(double[][]::new), () -> m.predictorCost(v, steps));
    }

    @Test
    void theFirstFrameDependsOnNoLstmParameterAndTheLastFrameFeedsNone() {
        // u(0) = 0: with T = 1 the LSTM reads v(1) but u(1) sets no bias, so every LSTM gradient is exactly zero
        SplittableRandom r = new SplittableRandom(3);
        LstmRbmReference m = new LstmRbmReference(4, 3, new int[] {2});
        for (double[] p : params(m)) for (int i = 0; i < p.length; i++) p[i] = r.nextDouble(-1, 1);
        double[][] data = binary(r, 4, 0.5);
        List<double[]> g = grads(m.grads(data[0], data[1], 1));
        for (int k = 5; k < g.size(); k++) for (double x : g.get(k)) assertEquals(0.0, x);
    }

    /** Awkward sizes {nv, nh, T} with LSTM stacks of one and two layers. */
    static final int[][] SIZES = {{1, 1, 1}, {5, 4, 6}, {13, 7, 9}, {88, 33, 31}};
    static final int[][] LAYERS = {{1}, {3}, {5, 4}, {17, 9}};

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-1", "simd-2"})
    void engineModelAgreesWithTheFloat64Reference(String backend) {
        SplittableRandom r = new SplittableRandom(13);
        try (Backend be = RnnRbmTest.create(backend)) {
            for (int c = 0; c < SIZES.length; c++) {
                int nv = SIZES[c][0], nh = SIZES[c][1], steps = SIZES[c][2];
                int[] layers = LAYERS[c];
                String at = backend + " " + java.util.Arrays.toString(SIZES[c]) + java.util.Arrays.toString(layers) + " ";
                LstmRbmReference ref = new LstmRbmReference(nv, nh, layers);
                RnnRbm m = new RnnRbm(be, nv, nh, layers);
                String[] names = m.names();
                List<double[]> all = params(ref);
                assertEquals(all.size(), names.length);
                for (int k = 0; k < all.size(); k++) {
                    double[] p = all.get(k);
                    for (int i = 0; i < p.length; i++) p[i] = (float) r.nextDouble(-0.5, 0.5);
                    be.copyFromHost(m.param(names[k]), RnnRbmTest.floats(p), 0);
                }
                double[][] data = binary(r, steps * nv, 0.3);
                RnnRbmReference.Forward fw = ref.forward(data[0], data[1], steps);
                List<double[]> want = grads(ref.grads(data[0], data[1], steps));
                Tensor tv = be.of(RnnRbmTest.floats(data[0]), steps, nv), tNeg = be.of(RnnRbmTest.floats(data[1]), steps, nv);
                Tensor u = m.forward(tv, steps);
                assertTrue(RnnRbmTest.relErrRows(be.toArray(u), fw.u()) < 1e-5, at + "u");
                assertTrue(RnnRbmTest.relErrRows(be.toArray(m.visibleBiases(steps)), fw.bvt()) < 1e-5, at + "bv(t)");
                m.zeroGrads();
                double cost = m.costAndGradients(tv, tNeg, steps);
                double scale = 0;
                for (int t = 0; t < steps; t++) scale += Math.abs(fw.freeEnergy()[t]) + Math.abs(fw.freeEnergyNeg()[t]);
                assertEquals(fw.cost(), cost, 1e-5 * Math.max(1, scale / steps), at + "cost");
                RnnRbmTest.assertGrads(be, m, names, want.toArray(double[][]::new), at);
                m.zeroGrads();
                double pc = m.predictorCostAndGradients(tv, steps);
                assertEquals(ref.predictorCost(data[0], steps), pc, 1e-5 * Math.max(1, Math.abs(pc)), at + "predictor cost");
                RnnRbmTest.assertGrads(be, m, names, grads(ref.predictorGrads(data[0], steps)).toArray(double[][]::new), at + "predictor ");
            }
        }
    }

    @Test
    void namesAndLayoutKeepTheRbmPartFirst() {
        try (Backend be = RnnRbmTest.create("scalar")) {
            RnnRbm m = new RnnRbm(be, 6, 5, new int[] {4, 3});
            assertEquals(List.of("W", "bv", "bh", "Wuh", "Wuv", "Wx0", "Wh0", "b0", "Wx1", "Wh1", "b1"), List.of(m.names()));
            assertEquals(3, m.nu);
            long size = 0;
            for (String n : m.names()) size += m.param(n).size();
            assertEquals(m.params.size(), size);
            assertEquals(6 * 5 + 6 + 5, m.rbmBlock()[1]);
            assertArrayEquals(new int[] {4, 3}, m.lstmLayers());
            assertThrows(IllegalArgumentException.class, () -> m.param("Wuu"));
        }
    }
}
