package dev.tessitura.model.rnnrbm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The RTRBM: its float64 reference against finite differences (the CD cost with the negative samples held fixed, and
 * RNN pretraining's cost), and the engine model (RnnRbm with the RTRBM recurrence) against that reference.
 */
class RtrbmTest {
    static double[][] randomize(RtrbmReference m, SplittableRandom r, double scale) {
        double[][] all = m.params();
        for (double[] p : all) for (int i = 0; i < p.length; i++) p[i] = (float) r.nextDouble(-scale, scale);
        return all;
    }

    /** The gradients of W, bv, bh, Wuh, Wuv (the engine's storage order). */
    static double[][] grads(RnnRbmReference.Grads g) {
        return new double[][] {g.w(), g.bv(), g.bh(), g.wuh(), g.wuv()};
    }

    @Test
    void referenceGradientsMatchFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(8);
        int nv = 5, steps = 6;
        RtrbmReference m = new RtrbmReference(nv, 4);
        double[][] all = randomize(m, r, 1);
        double[][] data = LstmRbmTest.binary(r, steps * nv, 0.5);
        RnnRbmReferenceTest.assertMatchesFiniteDifferences(all, grads(m.grads(data[0], data[1], steps)), () -> m.cost(data[0], data[1], steps));
        RnnRbmReferenceTest.assertMatchesFiniteDifferences(all, grads(m.predictorGrads(data[0], steps)), () -> m.predictorCost(data[0], steps));
    }

    /** W and bh reach the cost through the state too: the recurrence's share of their gradient is not zero. */
    @Test
    void theStateSharesTheRbmsWeights() {
        SplittableRandom r = new SplittableRandom(9);
        RtrbmReference m = new RtrbmReference(4, 3);
        randomize(m, r, 1);
        double[][] data = LstmRbmTest.binary(r, 5 * 4, 0.5);
        RnnRbmReference.Grads whole = m.grads(data[0], data[1], 5);
        RnnRbmReference plain = m.rbm;                       // the same RBM part with the (unused, zero) tanh recurrence
        RnnRbmReference.Forward fw = m.forward(data[0], data[1], 5);
        RnnRbmReference.Grads rbmOnly = RnnRbmReference.zeroGrads(plain);
        plain.rbmBackward(fw, data[0], data[1], 5, rbmOnly);
        double diff = 0;
        for (int i = 0; i < whole.w().length; i++) diff += Math.abs(whole.w()[i] - rbmOnly.w()[i]);
        assertTrue(diff > 1e-3, "the recurrence adds to dW: " + diff);
    }

    static final int[][] SIZES = {{1, 1, 1}, {5, 4, 6}, {13, 7, 9}, {88, 33, 31}};

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-1", "simd-2"})
    void engineModelAgreesWithTheFloat64Reference(String backend) {
        SplittableRandom r = new SplittableRandom(14);
        try (Backend be = RnnRbmTest.create(backend)) {
            for (int[] size : SIZES) {
                int nv = size[0], nh = size[1], steps = size[2];
                String at = backend + " " + java.util.Arrays.toString(size) + " ";
                RtrbmReference ref = new RtrbmReference(nv, nh);
                RnnRbm m = RnnRbm.rtrbm(be, nv, nh);
                assertEquals(List.of("W", "bv", "bh", "Wuh", "Wuv"), List.of(m.names()), at);
                double[][] all = randomize(ref, r, 0.5);
                for (int k = 0; k < all.length; k++) be.copyFromHost(m.param(m.names()[k]), RnnRbmTest.floats(all[k]), 0);
                double[][] data = LstmRbmTest.binary(r, steps * nv, 0.3);
                RnnRbmReference.Forward fw = ref.forward(data[0], data[1], steps);
                Tensor tv = be.of(RnnRbmTest.floats(data[0]), steps, nv), tNeg = be.of(RnnRbmTest.floats(data[1]), steps, nv);
                assertTrue(RnnRbmTest.relErrRows(be.toArray(m.forward(tv, steps)), fw.u()) < 1e-5, at + "u");
                m.zeroGrads();
                double cost = m.costAndGradients(tv, tNeg, steps);
                double scale = 0;
                for (int t = 0; t < steps; t++) scale += Math.abs(fw.freeEnergy()[t]) + Math.abs(fw.freeEnergyNeg()[t]);
                assertEquals(fw.cost(), cost, 1e-5 * Math.max(1, scale / steps), at + "cost");
                RnnRbmTest.assertGrads(be, m, m.names(), grads(ref.grads(data[0], data[1], steps)), at);
                m.zeroGrads();
                double pc = m.predictorCostAndGradients(tv, steps);
                assertEquals(ref.predictorCost(data[0], steps), pc, 1e-5 * Math.max(1, Math.abs(pc)), at + "predictor cost");
                RnnRbmTest.assertGrads(be, m, m.names(), grads(ref.predictorGrads(data[0], steps)), at + "predictor ");
            }
        }
    }

    /** Through the registry: the RTRBM learns the chord cycle (exact log-likelihood, nh = 10) and a stopped epoch resumes exactly. */
    @Test
    void theRegistryModelLearnsAndResumes(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        RnnRbmConfig c = RnnRbmKind.RTRBM.settings().parse(List.of("--hidden", "10", "--k", "5", "--steps", "7", "--lr", "0.05",
                "--optimizer", "nesterov"));
        assertEquals(10, c.nu(), "the state is the hidden layer");
        try (Backend be = RnnRbmTest.create("scalar")) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, c, RnnRbmTrainerTest.NOTES);
            double before = RnnRbmTrainerTest.exactLogLikelihood(be, tr, RnnRbmTrainerTest.tunes());
            for (int e = 0; e < 60; e++) tr.trainEpoch(RnnRbmTrainerTest.tunes(), e, null);
            double after = RnnRbmTrainerTest.exactLogLikelihood(be, tr, RnnRbmTrainerTest.tunes());
            assertTrue(after > before + 3, "log-likelihood per frame " + before + " -> " + after);
            java.nio.file.Path data = dir.resolve("cycle.pickle");
            List<dev.tessitura.midi.PianoRoll> tunes = new java.util.ArrayList<>();
            for (var r : RnnRbmTrainerTest.tunes()) tunes.add(r.withRange(21, 88));
            dev.tessitura.midi.DatasetWriters.write(new dev.tessitura.midi.Dataset("cycle", tunes, tunes.subList(0, 1), tunes.subList(0, 1)), data);
            dev.tessitura.model.ResumeCheck.stoppedEpochResumesBitForBit(RnnRbmKind.RTRBM, c, be, data, dir);
        }
    }
}
