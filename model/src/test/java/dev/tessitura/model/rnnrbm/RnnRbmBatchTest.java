package dev.tessitura.model.rnnrbm;

import static dev.tessitura.model.Fixture.relErr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.lstm.LstmReference;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * B chunks per update (forward(v, T, B)): the chunks never meet, so the batch's cost and gradients are the means of
 * the chunks' own, which the float64 reference gives one chunk at a time; the negatives are each chunk's own rows of
 * one chain over all T B conditionals.
 */
class RnnRbmBatchTest {
    static final int NV = 13, NH = 7, NU = 5;

    /** Frame t of chunk b at row t B + b: the chunks one after another are (B, T, nv), as the LSTM reference's. */
    static float[] timeMajor(double[][] chunks, int steps, int nv) {
        double[] all = new double[chunks.length * steps * nv];
        for (int b = 0; b < chunks.length; b++) System.arraycopy(chunks[b], 0, all, b * steps * nv, steps * nv);
        return LstmReference.timeMajor(all, chunks.length, steps, nv);
    }

    static double[] binary(SplittableRandom r, int n, double p) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.nextDouble() < p ? 1 : 0;
        return a;
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-1", "simd-2"})
    void batchCostAndGradientsAreTheMeansOfTheChunks(String backend) {
        SplittableRandom r = new SplittableRandom(31);
        try (Backend be = RnnRbmTest.create(backend)) {
            for (int[] tb : new int[][] {{1, 2}, {6, 3}, {9, 5}}) {
                int steps = tb[0], batch = tb[1];
                String at = backend + " T=" + steps + " B=" + batch + " ";
                RnnRbmReference ref = new RnnRbmReference(NV, NH, NU);
                RnnRbm m = new RnnRbm(be, NV, NH, NU);
                ref.randomize(r, 0.5, 0.5);
                ref.copyInto(be, m);
                double[][] v = new double[batch][], neg = new double[batch][];
                for (int c = 0; c < batch; c++) {
                    v[c] = binary(r, steps * NV, 0.3);
                    neg[c] = binary(r, steps * NV, 0.3);
                }
                RnnRbmReference.Batch want = ref.batch(v, neg, steps);
                double cost = want.cost(), predictor = want.predictorCost();
                double[][] grads = want.grads().all(), pgrads = want.predictorGrads().all();
                Tensor tv = be.of(timeMajor(v, steps, NV), steps * batch, NV), tNeg = be.of(timeMajor(neg, steps, NV), steps * batch, NV);
                m.forward(tv, steps, batch);
                m.zeroGrads();
                assertEquals(cost, m.costAndGradients(tv, tNeg, steps), 1e-5 * Math.max(1, Math.abs(cost)), at + "cost");
                RnnRbmTest.assertGrads(be, m, RnnRbm.NAMES, grads, at);
                m.zeroGrads();
                assertEquals(predictor, m.predictorCostAndGradients(tv, steps), 1e-5 * Math.max(1, predictor), at + "predictor cost");
                RnnRbmTest.assertGrads(be, m, RnnRbm.NAMES, pgrads, at + "predictor ");
            }
        }
    }

    /** The LSTM-RBM batched the same way: its batch gradients are the means of its one-chunk engine gradients. */
    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-2"})
    void lstmRbmBatchIsTheMeanOfItsChunks(String backend) {
        SplittableRandom r = new SplittableRandom(32);
        int steps = 6, batch = 3;
        try (Backend be = RnnRbmTest.create(backend)) {
            RnnRbm m = new RnnRbm(be, NV, NH, new int[] {6, 5});
            m.initTutorial(3);
            be.scale(m.params, 30f);                                    // gates and biases that matter
            double[][] v = new double[batch][], neg = new double[batch][];
            double[] want = new double[(int) m.grads.size()];
            double cost = 0;
            for (int b = 0; b < batch; b++) {
                v[b] = binary(r, steps * NV, 0.3);
                neg[b] = binary(r, steps * NV, 0.3);
                Tensor tv = be.of(timeMajor(new double[][] {v[b]}, steps, NV), steps, NV);
                m.forward(tv, steps);
                m.zeroGrads();
                cost += m.costAndGradients(tv, be.of(timeMajor(new double[][] {neg[b]}, steps, NV), steps, NV), steps) / batch;
                float[] g = be.toArray(m.grads);
                for (int i = 0; i < g.length; i++) want[i] += (double) g[i] / batch;
            }
            Tensor tv = be.of(timeMajor(v, steps, NV), steps * batch, NV);
            m.forward(tv, steps, batch);
            m.zeroGrads();
            assertEquals(cost, m.costAndGradients(tv, be.of(timeMajor(neg, steps, NV), steps * batch, NV), steps), 1e-5 * Math.max(1, Math.abs(cost)));
            assertTrue(relErr(be.toArray(m.grads), want) < 1e-5, "relative error " + relErr(be.toArray(m.grads), want));
        }
    }

    /** The negatives come from one chain over all T B conditionals, with each row's own biases. */
    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-2"})
    void negativesAreOneChainOverAllFramesOfTheBatch(String backend) {
        int steps = 4, batch = 3;
        try (Backend be = RnnRbmTest.create(backend)) {
            RnnRbm m = new RnnRbm(be, NV, NH, NU);
            m.initTutorial(5);
            be.fill(m.bv, -30f);                                        // every visible unit off, whatever the chain
            Tensor v = be.zeros(steps * batch, NV);
            be.fill(v, 1f);
            m.forward(v, steps, batch);
            Rng rng = new Rng(1, 2);
            Tensor neg = m.sampleNegatives(v, steps, 3, rng);
            assertEquals(steps * batch, neg.rows());
            assertEquals(0.0, be.sum(neg));
            // the draws of a 3-step chain over T B rows: 3 x (T B nh + T B nv) uniforms, in blocks of four
            long hb = (steps * batch * NH + 3) / 4, vb = (steps * batch * NV + 3) / 4;
            assertEquals(3 * (hb + vb), rng.position());
            assertThrows(IllegalArgumentException.class, () -> m.forward(be.zeros(steps * batch, NV), steps, batch + 1));
        }
    }
}
