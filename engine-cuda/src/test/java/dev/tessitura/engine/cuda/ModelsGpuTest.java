package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ScalarBackend;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Position;
import dev.tessitura.model.lstm.Lstm;
import dev.tessitura.model.lstm.LstmConfig;
import dev.tessitura.model.lstm.LstmReference;
import dev.tessitura.model.lstm.LstmTrainer;
import dev.tessitura.model.lstm.Minibatches;
import dev.tessitura.model.nade.RnnNade;
import dev.tessitura.model.nade.RnnNadeReference;
import dev.tessitura.model.rnnrbm.RnnRbm;
import dev.tessitura.model.rnnrbm.RnnRbmConfig;
import dev.tessitura.model.rnnrbm.RnnRbmPretraining;
import dev.tessitura.model.rnnrbm.RnnRbmReference;
import dev.tessitura.model.rnnrbm.RnnRbmTrainer;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Whole training steps of the models on the cuda backend, with the model code unchanged: the RNN-RBM's cost and
 * every gradient against the float64 reference (given negatives), its CD-k negatives against the scalar backend's
 * (same Rng), the RNN-NADE's exact cost and gradients against its float64 reference, and the LSTM's loss and
 * gradients against its float64 reference. Needs a GPU (skipped with the
 * provider's reason otherwise); {@link ModelsEmulatedTest} runs the same on the host emulator.
 */
class ModelsGpuTest extends GpuTestBase {

    static float[] floats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    static double relErr(float[] got, double[] want) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    static double[] flatten(double[][] rows) {
        double[] a = new double[rows.length * rows[0].length];
        for (int t = 0; t < rows.length; t++) System.arraycopy(rows[t], 0, a, t * rows[0].length, rows[0].length);
        return a;
    }

    /** {nv, nh, nu, T}: single units, odd sizes, the tutorial's 88 / 150 / 100 (a chunk of 30: the emulator runs it too). */
    static final int[][] RNNNADE_SIZES = {{1, 1, 1, 1}, {13, 7, 5, 9}, {88, 150, 100, 30}};

    /** The RNN-NADE's exact cost and all nine gradients (NADE ops, bias maps, tanh BPTT) against its float64 reference. */
    @Test
    void rnnNadeCostAndEveryGradientMatchTheFloat64Reference() {
        SplittableRandom r = new SplittableRandom(23);
        for (int[] size : RNNNADE_SIZES) {
            int nv = size[0], nh = size[1], nu = size[2], steps = size[3];
            String at = java.util.Arrays.toString(size) + " ";
            RnnNadeReference ref = new RnnNadeReference(nv, nh, nu);
            ref.randomize(r, 0.3);
            RnnNade m = new RnnNade(gpu, nv, nh, nu);
            String[] names = {"W", "V", "bv", "bh", "Wuh", "Wuv", "Wvu", "Wuu", "bu"};
            double[][] params = ref.params();
            for (int k = 0; k < names.length; k++) {
                float[] f = floats(params[k]);
                for (int i = 0; i < f.length; i++) params[k][i] = f[i];   // the reference on the model's float values
                gpu.copyFromHost(m.param(names[k]), f, 0);
            }
            double[] v = new double[steps * nv];
            for (int i = 0; i < v.length; i++) v[i] = r.nextDouble() < 0.2 ? 1 : 0;
            Tensor tv = gpu.of(floats(v), steps, nv), cost = gpu.zeros(1);
            m.forward(tv, steps, 1);
            m.zeroGrads();
            m.costAndGradients(tv, steps, cost);
            double want = ref.cost(v, steps);
            assertEquals(want, gpu.toArray(cost)[0], 1e-5 * Math.max(1, Math.abs(want)), at + "cost");
            double[][] g = ref.grads(v, steps).all();
            for (int k = 0; k < names.length; k++) {
                double err = relErr(gpu.toArray(m.grad(names[k])), g[k]);
                assertTrue(err < 1e-4, at + "d" + names[k] + ": relative error " + err);
            }
        }
    }

    /** {nv, nh, nu, T}: single units, odd sizes, the tutorial's 88 / 150 / 100 over a chunk of 100. */
    static final int[][] RNNRBM_SIZES = {{1, 1, 1, 1}, {13, 7, 5, 9}, {88, 150, 100, 100}};

    @Test
    void rnnRbmCostAndEveryGradientMatchTheFloat64Reference() {
        SplittableRandom r = new SplittableRandom(21);
        for (int[] size : RNNRBM_SIZES) {
            int nv = size[0], nh = size[1], nu = size[2], steps = size[3];
            String at = java.util.Arrays.toString(size) + " ";
            RnnRbmReference ref = new RnnRbmReference(nv, nh, nu);
            RnnRbm m = new RnnRbm(gpu, nv, nh, nu);
            ref.randomize(r, 0.5, 1.0 / Math.sqrt(nu));   // Wuu: a recurrence that neither saturates nor dies
            ref.copyInto(gpu, m);
            double[] v = new double[steps * nv], vNeg = new double[steps * nv];
            for (int i = 0; i < v.length; i++) {
                v[i] = r.nextDouble() < 0.3 ? 1 : 0;
                vNeg[i] = r.nextDouble() < 0.3 ? 1 : 0;
            }
            RnnRbmReference.Forward fw = ref.forward(v, vNeg, steps);
            RnnRbmReference.Grads g = ref.grads(v, vNeg, steps);
            Tensor tv = gpu.of(floats(v), steps, nv), tNeg = gpu.of(floats(vNeg), steps, nv);
            Tensor u = m.forward(tv, steps);
            assertTrue(relErr(gpu.toArray(u), flatten(fw.u())) < 1e-5, at + "u");
            m.zeroGrads();
            double cost = m.costAndGradients(tv, tNeg, steps);
            double scale = 0;
            for (int t = 0; t < steps; t++) scale += Math.abs(fw.freeEnergy()[t]) + Math.abs(fw.freeEnergyNeg()[t]);
            assertEquals(fw.cost(), cost, 1e-5 * Math.max(1, scale / steps), at + "cost");
            double[][] want = {g.w(), g.bv(), g.bh(), g.wuh(), g.wuv(), g.wvu(), g.wuu(), g.bu(), g.u0()};
            for (int k = 0; k < want.length; k++) {
                double err = relErr(gpu.toArray(m.grad(RnnRbm.NAMES[k])), want[k]);
                assertTrue(err < 1e-4, at + RnnRbm.NAMES[k] + ": relative error " + err);
            }
        }
    }

    /** B chunks per update (train --batch): the batch's cost and gradients are the means of the chunks' references. */
    @Test
    void rnnRbmBatchOfChunksIsTheMeanOfTheChunks() {
        SplittableRandom r = new SplittableRandom(25);
        for (int[] size : new int[][] {{13, 7, 5, 6, 3}, {88, 150, 100, 100, 4}}) {
            int nv = size[0], nh = size[1], nu = size[2], steps = size[3], batch = size[4];
            String at = java.util.Arrays.toString(size) + " ";
            RnnRbmReference ref = new RnnRbmReference(nv, nh, nu);
            RnnRbm m = new RnnRbm(gpu, nv, nh, nu);
            ref.randomize(r, 0.5, 1.0 / Math.sqrt(nu));
            ref.copyInto(gpu, m);
            double[][] v = new double[batch][], neg = new double[batch][];
            double[] vAll = new double[batch * steps * nv], negAll = new double[batch * steps * nv];
            for (int c = 0; c < batch; c++) {
                v[c] = new double[steps * nv];
                neg[c] = new double[steps * nv];
                for (int i = 0; i < steps * nv; i++) {
                    v[c][i] = vAll[c * steps * nv + i] = r.nextDouble() < 0.3 ? 1 : 0;
                    neg[c][i] = negAll[c * steps * nv + i] = r.nextDouble() < 0.3 ? 1 : 0;
                }
            }
            RnnRbmReference.Batch want = ref.batch(v, neg, steps);
            Tensor tv = gpu.of(LstmReference.timeMajor(vAll, batch, steps, nv), steps * batch, nv);
            Tensor tNeg = gpu.of(LstmReference.timeMajor(negAll, batch, steps, nv), steps * batch, nv);
            m.forward(tv, steps, batch);
            m.zeroGrads();
            assertEquals(want.cost(), m.costAndGradients(tv, tNeg, steps), 1e-5 * Math.max(1, Math.abs(want.cost())), at + "cost");
            double[][] g = want.grads().all();
            for (int k = 0; k < g.length; k++) {
                double err = relErr(gpu.toArray(m.grad(RnnRbm.NAMES[k])), g[k]);
                assertTrue(err < 1e-4, at + RnnRbm.NAMES[k] + ": relative error " + err);
            }
        }
    }

    /**
     * CD-15 negatives of the tutorial-sized model, cuda against scalar with the same Rng: the same draws, so the same
     * samples, except where float32 rounding of a probability (cuBLAS sums in another order) moves it across its
     * uniform; such a flip then changes the rest of that row's chain. Bound: 2 % of the rows touched.
     */
    @Test
    void rnnRbmNegativesMatchTheScalarBackendsChains() {
        int nv = 88, nh = 150, nu = 100, steps = 100, k = 15;
        SplittableRandom r = new SplittableRandom(22);
        float[] v = new float[steps * nv];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble() < 0.1 ? 1 : 0;
        float[][] neg = new float[2][];
        long[] pos = new long[2];
        Backend cpu = new ScalarBackend();
        Backend[] bes = {cpu, gpu};
        for (int q = 0; q < 2; q++) {
            RnnRbm m = new RnnRbm(bes[q], nv, nh, nu);
            m.initTutorial(7);
            Tensor tv = bes[q].of(v, steps, nv);
            m.forward(tv, steps);
            Rng rng = new Rng(99, 3);
            neg[q] = bes[q].toArray(m.sampleNegatives(tv, steps, k, rng));
            pos[q] = rng.position();
        }
        assertEquals(pos[0], pos[1], "both backends take the same draws");
        int rowsDiffering = 0;
        for (int t = 0; t < steps; t++) {
            for (int j = 0; j < nv; j++) {
                if (neg[0][t * nv + j] != neg[1][t * nv + j]) {
                    rowsDiffering++;
                    break;
                }
            }
        }
        assertTrue(rowsDiffering <= steps / 50, rowsDiffering + " of " + steps + " rows differ");
    }

    /** Tunes of 2-40 frames cycling through four chords of {@code notes} keys. */
    static List<PianoRoll> tunes(int count, int notes) {
        java.util.Random r = new java.util.Random(24);
        List<PianoRoll> rolls = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            int frames = 2 + r.nextInt(39);
            PianoRoll.Builder b = PianoRoll.builder(frames, 60, notes);
            for (int t = 0; t < frames; t++) {
                int k = (t + i) % 4;
                b.set(t, 60 + k * 3 % notes);
                b.set(t, 60 + (k * 3 + 4) % notes);
            }
            rolls.add(b.build());
        }
        return rolls;
    }

    /**
     * The deterministic trainers end to end, cuda against scalar: two LSTM epochs (Adam, masked chunks and packed
     * tunes) and two epochs of the RNN-RBM's RNN pretraining; parameters and epoch costs within float32 tolerance.
     */
    @Test
    void deterministicTrainersMatchTheScalarBackend() {
        int notes = 12;
        List<PianoRoll> rolls = tunes(9, notes);
        try (Backend cpu = new ScalarBackend()) {
            for (Minibatches.Mode mode : new Minibatches.Mode[] {Minibatches.Mode.CHUNKS, Minibatches.Mode.PACKED}) {
                LstmConfig c = LstmConfig.defaults().withHidden(new int[] {16, 11}).withMode(mode).withBatch(4).withSteps(7).withOptimizer(Optimizer.Kind.ADAM).withLr(new float[] {0.01f}).withSeed(5);
                LstmTrainer a = new LstmTrainer(cpu, c, notes), b = new LstmTrainer(gpu, c, notes);
                for (int e = 0; e < 2; e++) {
                    double ca = a.trainEpoch(rolls, e, null), cb = b.trainEpoch(rolls, e, null);
                    assertEquals(ca, cb, 1e-5 * Math.abs(ca), mode + " epoch " + e + " cost");
                }
                double err = relErr(gpu.toArray(b.model.params), widen(cpu.toArray(a.model.params)));
                assertTrue(err < 1e-4, mode + ": parameters' relative error " + err);
            }
            RnnRbmConfig c = RnnRbmConfig.defaults().withNh(10).withNu(8).withK(5).withChunk(7).withLr(0.05f).withLearnU0(true).withSeed(2).withPretrainRnnEpochs(2).withPretrainRnnLr(0.01f);
            RnnRbmTrainer a = new RnnRbmTrainer(cpu, c, notes), b = new RnnRbmTrainer(gpu, c, notes);
            RnnRbmPretraining pa = new RnnRbmPretraining(cpu, a), pb = new RnnRbmPretraining(gpu, b);
            for (int e = 0; e < 2; e++) {
                double ca = pa.rnnEpoch(rolls, e, null), cb = pb.rnnEpoch(rolls, e, null);
                assertEquals(ca, cb, 1e-5 * Math.abs(ca), "RNN pretraining epoch " + e);
            }
            double err = relErr(gpu.toArray(b.model.params), widen(cpu.toArray(a.model.params)));
            assertTrue(err < 1e-4, "RNN pretraining: parameters' relative error " + err);
        }
    }

    /** An LSTM whose cost turns NaN on the GPU stops at the end of the epoch's reads, naming the first bad update. */
    @Test
    void lstmDivergenceNamesTheUpdate() {
        int notes = 12;
        LstmTrainer tr = new LstmTrainer(gpu, LstmConfig.defaults().withHidden(new int[] {6}).withBatch(3).withSteps(7), notes);
        gpu.fill(tr.model.param("Wy"), Float.NaN);
        DivergedException e = assertThrows(DivergedException.class, () -> tr.trainEpoch(tunes(9, notes), 0, null));
        assertTrue(e.getMessage().contains("lstm: the cost or the gradient is not finite (update 0 of epoch 0"), e.getMessage());
    }

    /**
     * The RNN-RBM's epochs on an asynchronous backend: with no clipping the updates' costs and squared gradient norms
     * wait on the device and are read every 256 updates and when the epoch stops; with a clip norm that never clips
     * they are read at every update. Both give the same parameters bit for bit, the same epoch costs and the same stop
     * positions, over more than 256 updates (chunks of 1 frame) and a stop and resume; a NaN weight then stops the
     * epoch naming the update it happened at.
     */
    @Test
    void rnnRbmEpochsReadTheirCostsLater() {
        assertTrue(gpu.asynchronous());
        int notes = 12;
        List<PianoRoll> rolls = tunes(20, notes);
        RnnRbmConfig lazy = RnnRbmConfig.defaults().withNh(10).withNu(8).withK(3).withChunk(1).withOptimizer(Optimizer.Kind.NESTEROV).withLr(0.05f).withLearnU0(true).withSeed(2);
        RnnRbmConfig eager = RnnRbmConfig.defaults().withNh(10).withNu(8).withK(3).withChunk(1).withOptimizer(Optimizer.Kind.NESTEROV).withLr(0.05f).withClipNorm(1e30f).withLearnU0(true).withSeed(2);
        RnnRbmTrainer a = new RnnRbmTrainer(gpu, lazy, notes), b = new RnnRbmTrainer(gpu, eager, notes);
        assertTrue(a.framesPerEpoch(rolls) > 300, "updates per epoch: " + a.framesPerEpoch(rolls));
        EpochResult[] ra = new EpochResult[2], rb = new EpochResult[2];
        RnnRbmTrainer[] trainers = {a, b};
        EpochResult[][] results = {ra, rb};
        for (int q = 0; q < 2; q++) {
            int[] calls = {0};
            results[q][0] = trainers[q].trainEpoch(rolls, Position.start(0), () -> ++calls[0] > 280, null);
            results[q][1] = trainers[q].trainEpoch(rolls, results[q][0].next(), () -> false, null);
        }
        assertFalse(ra[0].completed());
        assertEquals(281, ra[0].next().index());
        assertEquals(ra[0].next(), rb[0].next(), "the stop position and the cost so far");
        assertEquals(ra[1].meanCost(), rb[1].meanCost(), "the epoch's cost");
        assertArrayEquals(gpu.toArray(b.model.params), gpu.toArray(a.model.params), "parameters");
        gpu.fill(a.model.W.view(5, 1), Float.NaN);
        DivergedException e = assertThrows(DivergedException.class, () -> a.trainEpoch(rolls, 2, null));
        assertTrue(e.getMessage().contains("(update 0 of epoch 2"), e.getMessage());
    }

    /**
     * Batched mode (B = 4) on the GPU: each update's chunks gathered from the epoch's frames on the device; full
     * updates replay one recording. Bit for bit the eager updates' results (clipping at 1e30 keeps them eager); the
     * gather itself is checked against the CPU in CudaBackendGpuTest, the rows it gathers in RnnRbmTrainerTest.
     */
    @Test
    void batchedRnnRbmEpochsReplayTheirRecording() {
        int notes = 12;
        List<PianoRoll> rolls = tunes(20, notes);
        RnnRbmConfig lazy = RnnRbmConfig.defaults().withNh(10).withNu(8).withK(3).withChunk(4).withLr(0.05f).withLearnU0(true).withSeed(3).withBatch(4);
        RnnRbmConfig eager = RnnRbmConfig.defaults().withNh(10).withNu(8).withK(3).withChunk(4).withLr(0.05f).withClipNorm(1e30f).withLearnU0(true).withSeed(3).withBatch(4);
        RnnRbmTrainer a = new RnnRbmTrainer(gpu, lazy, notes), b = new RnnRbmTrainer(gpu, eager, notes);
        for (int epoch = 0; epoch < 2; epoch++) {
            assertEquals(b.trainEpoch(rolls, epoch, null), a.trainEpoch(rolls, epoch, null), "epoch " + epoch + "'s cost");
        }
        assertArrayEquals(gpu.toArray(b.model.params), gpu.toArray(a.model.params), "parameters");
    }

    static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    @Test
    void lstmLossAndGradientsMatchTheFloat64Reference() {
        int nIn = 13, batch = 3, steps = 6;
        int[] hidden = {7, 17};
        for (boolean skip : new boolean[] {false, true}) {
            SplittableRandom rnd = new SplittableRandom(23);
            LstmReference ref = new LstmReference(nIn, hidden, nIn, skip);
            ref.randomize(rnd, 0.5);
            Lstm m = new Lstm(gpu, nIn, hidden, nIn, skip);
            ref.copyInto(gpu, m);
            double[] x = new double[batch * steps * nIn], y = new double[batch * steps * nIn];
            for (int i = 0; i < x.length; i++) {
                x[i] = rnd.nextInt(4) == 0 ? 1 : 0;
                y[i] = rnd.nextInt(4) == 0 ? 1 : 0;
            }
            LstmReference.Result want = ref.lossAndGrads(x, y, batch, steps);
            Tensor xt = gpu.of(LstmReference.timeMajor(x, batch, steps, nIn), steps * batch, nIn);
            Tensor yt = gpu.of(LstmReference.timeMajor(y, batch, steps, nIn), steps * batch, nIn);
            m.forward(xt, steps, batch, false);
            assertEquals(want.loss(), m.loss(yt, null, batch * steps), 1e-5 * want.loss(), "loss, skip=" + skip);
            m.zeroGrads();
            m.backward(yt, null, batch * steps);
            LstmReference.Grads g = want.grads();
            for (int l = 0; l < hidden.length; l++) {
                assertTrue(relErr(gpu.toArray(m.grad("Wx" + l)), g.wx[l]) < 1e-4, "Wx" + l);
                assertTrue(relErr(gpu.toArray(m.grad("Wh" + l)), g.wh[l]) < 1e-4, "Wh" + l);
                assertTrue(relErr(gpu.toArray(m.grad("b" + l)), g.b[l]) < 1e-4, "b" + l);
                if (skip && l > 0) assertTrue(relErr(gpu.toArray(m.grad("Wi" + l)), g.wi[l]) < 1e-4, "Wi" + l);
                if (skip && l < hidden.length - 1) assertTrue(relErr(gpu.toArray(m.grad("Wy" + l)), g.wyl[l]) < 1e-4, "Wy" + l);
            }
            assertTrue(relErr(gpu.toArray(m.grad("Wy")), g.wy) < 1e-4, "Wy");
            assertTrue(relErr(gpu.toArray(m.grad("by")), g.by) < 1e-4, "by");
        }
    }
}
