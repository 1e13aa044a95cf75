package dev.tessitura.model.rnnrbm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.Chunks;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.ExpectedAccuracy;
import dev.tessitura.model.FrameAccuracy;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Position;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.rbm.Ais;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation;
import dev.tessitura.model.rbm.ExactLogZ;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class RnnRbmTrainerTest {
    public static final int NOTES = 12;
    @TempDir Path tmp;

    /** Tunes cycling through 4 two-note chords: predictable from the history, not from the frame alone. */
    public static List<PianoRoll> tunes() {
        List<PianoRoll> l = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int frames = 10 + 6 * i;
            PianoRoll.Builder b = PianoRoll.builder(frames, 21, NOTES);
            for (int t = 0; t < frames; t++) {
                int k = (t + i) % 4;
                b.set(t, 21 + k * 3 % NOTES);
                b.set(t, 21 + (k * 3 + 4) % NOTES);
            }
            l.add(b.build());
        }
        return l;
    }

    /** Small enough (nh = 10) for exact log-likelihoods; chunks of 7 frames so sequences span several chunks. */
    static RnnRbmConfig config(float lr, Optimizer.Kind kind) {
        return RnnRbmConfig.defaults().withNh(10).withNu(8).withK(5).withChunk(7).withOptimizer(kind).withLr(lr).withLearnU0(true).withSeed(2);
    }

    static Backend scalar() {
        return Backends.create("scalar", BackendOptions.defaults());
    }

    /** The exact mean log-likelihood per frame, log Z of every conditional RBM by enumerating its 10 hidden units. */
    static double exactLogLikelihood(Backend be, RnnRbmTrainer tr, List<PianoRoll> rolls) {
        double sum = 0;
        long frames = 0;
        for (PianoRoll r : rolls) {
            int steps = r.frames();
            Tensor v = be.of(r.toFloats(), steps, NOTES);
            tr.model.forward(v, steps);
            Tensor f = be.zeros(steps);
            be.freeEnergy(f, v, tr.model.W, tr.model.visibleBiases(steps), tr.model.hiddenBiases(steps));
            double[] logZ = ExactLogZ.logZ(be, tr.model.W, tr.model.visibleBiases(steps), tr.model.hiddenBiases(steps));
            float[] fe = be.toArray(f);
            for (int t = 0; t < steps; t++) sum += -fe[t] - logZ[t];
            frames += steps;
        }
        return sum / frames;
    }

    /**
     * The exact expected and thresholded ACC of the model's note marginals P(v_i(t) = 1 | v(<t)), each conditional
     * RBM's marginals by enumeration.
     */
    static double[] exactAccuracies(Backend be, RnnRbmTrainer tr, List<PianoRoll> rolls) {
        FrameAccuracy expected = new FrameAccuracy(), acc = new FrameAccuracy();
        for (PianoRoll r : rolls) {
            int steps = r.frames();
            float[] x = r.toFloats();
            tr.model.forward(be.of(x, steps, NOTES), steps);
            double[] p = ExactLogZ.visibleMarginals(be, tr.model.W, tr.model.visibleBiases(steps), tr.model.hiddenBiases(steps));
            for (int i = 0; i < x.length; i++) {
                expected.addExpected(p[i], x[i]);
                acc.add(p[i] > 0.5, x[i]);
            }
        }
        return new double[] {expected.value(), acc.value()};
    }

    /**
     * The exact accuracy by the paper's rule (ExpectedAccuracy): per time step, sum_v P(v | v(<t)) acc(v, v(t)) over
     * all 2^nv frames, each conditional's P(v) from its free energy; then the mean over time steps.
     */
    static double exactFrameAccuracy(Backend be, RnnRbmTrainer tr, List<PianoRoll> rolls) {
        int nv = NOTES, nh = tr.model.nh;
        double[] w = toDouble(be.toArray(tr.model.W));
        ExpectedAccuracy acc = new ExpectedAccuracy();
        float[] v = new float[nv];
        double[] logP = new double[1 << nv];
        for (PianoRoll r : rolls) {
            int steps = r.frames();
            float[] x = r.toFloats();
            tr.model.forward(be.of(x, steps, NOTES), steps);
            double[] bv = toDouble(be.toArray(tr.model.visibleBiases(steps))), bh = toDouble(be.toArray(tr.model.hiddenBiases(steps)));
            for (int t = 0; t < steps; t++) {
                double max = Double.NEGATIVE_INFINITY, total = 0, e = 0;
                for (int m = 0; m < 1 << nv; m++) {
                    double lp = 0;
                    for (int i = 0; i < nv; i++) if ((m >> i & 1) == 1) lp += bv[t * nv + i];
                    for (int j = 0; j < nh; j++) {
                        double a = bh[t * nh + j];
                        for (int i = 0; i < nv; i++) if ((m >> i & 1) == 1) a += w[i * nh + j];
                        lp += Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a)));
                    }
                    logP[m] = lp;
                    max = Math.max(max, lp);
                }
                for (int m = 0; m < 1 << nv; m++) {
                    double p = Math.exp(logP[m] - max);
                    for (int i = 0; i < nv; i++) v[i] = m >> i & 1;
                    total += p;
                    e += p * ExpectedAccuracy.of(x, t * nv, v, 0, nv);
                }
                acc.addExpected(e / total);
            }
        }
        return acc.value();
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    @Test
    void trainingRaisesTheExactLikelihoodAndAisAgreesWithIt() {
        try (Backend be = Backends.create("simd", new BackendOptions(1, 0))) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, config(0.05f, Optimizer.Kind.NESTEROV), NOTES);
            double before = exactLogLikelihood(be, tr, tunes());
            for (int e = 0; e < 60; e++) tr.trainEpoch(tunes(), e, null);
            double after = exactLogLikelihood(be, tr, tunes());
            // an untrained model spreads mass over 2^12 frames (-8.3 nats); the chord cycle needs far less
            assertTrue(after > before + 3, "log-likelihood per frame " + before + " -> " + after);
            // the paper's protocol with AIS (100 runs per frame, 2000 intervals; 1000 gave a standard error of 0.0052)
            // lands within 0.01 nats of the exact value
            ConditionalRbmEvaluation.Evaluation ev = new ConditionalRbmEvaluation(be, tr.model).evaluate(tunes(), ConditionalRbmEvaluation.Options.defaults().withAisRuns(100).withAisSteps(2000).withBurnIn(50).withSamples(50).withSeed(7), null);
            assertEquals(tunes().stream().mapToLong(PianoRoll::frames).sum(), ev.frames());
            assertEquals(after, ev.logLikelihood(), 0.01, "AIS " + ev.logLikelihood() + " vs exact " + after);
            assertTrue(ev.aisStdErr() < 0.005, "AIS standard error " + ev.aisStdErr());
            assertTrue(ev.accExpected() > 0.4 && ev.accThreshold() > 0.5 && ev.accSampled() > 0.4,
                    "accuracies " + ev.accExpected() + " " + ev.accThreshold() + " " + ev.accSampled());
            // the AIS runs' weighted end states give the exact marginals' accuracies, up to their sampling error
            double[] exact = exactAccuracies(be, tr, tunes());
            String acc = "AIS " + ev.accAisExpected() + " / " + ev.accAisThreshold() + " vs exact " + exact[0] + " / " + exact[1];
            assertEquals(exact[0], ev.accAisExpected(), 0.01, acc);
            assertEquals(exact[1], ev.accAisThreshold(), 0.05, acc);
            // the paper's rule: the weighted end states' frames (100 per step) and the chains' 50 frames per step (after 50 steps) from
            // v(t-1) against enumeration of every frame; this small model's chains mix, so both agree with it
            double frames = exactFrameAccuracy(be, tr, tunes());
            String rule = "per step: AIS " + ev.accAisFrames() + ", chains " + ev.accChainFrames() + " vs exact " + frames;
            assertEquals(frames, ev.accAisFrames(), 0.01, rule);
            assertEquals(frames, ev.accChainFrames(), 0.02, rule);
            assertEquals(ev.accAisFrames(), ev.accuracy(), 0, "the headline, with AIS");
            ConditionalRbmEvaluation.Evaluation noAis = new ConditionalRbmEvaluation(be, tr.model).evaluate(tunes(),
                    ConditionalRbmEvaluation.Options.defaults().withAisRuns(0).withBurnIn(5).withSamples(5).withSeed(7), null);
            assertTrue(Double.isNaN(noAis.accAisExpected()) && Double.isNaN(noAis.accAisFrames()));
            assertEquals(noAis.accChainFrames(), noAis.accuracy(), 0, "the headline, without AIS");
            // above, one tune per batch (the default); the six tunes as one batch of 15,000 chains draw differently and
            // estimate the same
            ConditionalRbmEvaluation.Evaluation one = new ConditionalRbmEvaluation(be, tr.model).evaluate(tunes(),
                    ConditionalRbmEvaluation.Options.defaults().withAisRuns(100).withAisSteps(2000).withSamples(20).withBatchChains(1 << 20).withSeed(7), null);
            assertEquals(after, one.logLikelihood(), 0.01, "AIS in one batch " + one.logLikelihood() + " vs exact " + after);
            assertNotEquals(ev.logLikelihood(), one.logLikelihood(), "other draws");
            assertEquals(exact[0], one.accAisExpected(), 0.01, "one batch: " + one.accAisExpected() + " vs exact " + exact[0]);
        }
    }

    @Test
    void sameSeedSameModelAndThreadCountDoesNotMatter() {
        float[][] r = new float[3][];
        for (int i = 0; i < 3; i++) {
            try (Backend be = i == 0 ? scalar() : Backends.create("simd", new BackendOptions(i, 0))) {
                RnnRbmTrainer tr = new RnnRbmTrainer(be, config(0.05f, Optimizer.Kind.SGD), NOTES);
                for (int e = 0; e < 2; e++) tr.trainEpoch(tunes(), e, null);
                r[i] = be.toArray(tr.model.params);
                RnnRbmTrainer again = new RnnRbmTrainer(be, config(0.05f, Optimizer.Kind.SGD), NOTES);
                for (int e = 0; e < 2; e++) again.trainEpoch(tunes(), e, null);
                assertArrayEquals(r[i], be.toArray(again.model.params));
            }
        }
        assertArrayEquals(r[1], r[2]);
    }

    @Test
    void stoppingSavingAndResumingGivesTheUninterruptedResultBitForBit() throws Exception {
        float[] want;
        try (Backend be = scalar()) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, config(0.05f, Optimizer.Kind.NESTEROV), NOTES);
            for (int e = 0; e < 3; e++) tr.trainEpoch(tunes(), e, null);
            want = be.toArray(tr.model.params);
        }
        Path ckpt = tmp.resolve("checkpoint.safetensors");
        try (Backend be = scalar()) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, config(0.05f, Optimizer.Kind.NESTEROV), NOTES);
            tr.trainEpoch(tunes(), 0, null);
            int[] calls = {0};
            EpochResult r = tr.trainEpoch(tunes(), Position.start(1), () -> ++calls[0] >= 4, null);
            assertFalse(r.completed());
            tr.save(ckpt, r.next(), Map.of("data", "tunes()"));
        }
        try (Backend be = scalar()) {
            SafeTensors.Contents c = SafeTensors.read(ckpt);
            RnnRbmTrainer tr = RnnRbmTrainer.load(be, c);
            assertEquals(4, Position.fromMetadata(c.metadata()).index());
            assertTrue(tr.trainEpoch(tunes(), Position.fromMetadata(c.metadata()), () -> false, null).completed());
            tr.trainEpoch(tunes(), 2, null);
            assertArrayEquals(want, be.toArray(tr.model.params));
        }
    }

    @Test
    void batchesGroupChunksOfOneLengthAndCoverEveryChunkOnce() {
        List<int[]> chunks = List.of(new int[] {0, 0, 7}, new int[] {0, 7, 3}, new int[] {1, 0, 7}, new int[] {2, 0, 7},
                new int[] {2, 7, 7}, new int[] {2, 14, 3}, new int[] {3, 0, 5});
        assertEquals(chunks, Chunks.batches(chunks, 1).stream().map(g -> g.get(0)).toList(), "B = 1: the chunks in order");
        List<List<int[]>> g = Chunks.batches(chunks, 2);
        // full groups as they fill: (0,0)+(1,0), (2,0)+(2,7), (0,7)+(2,14); then the open one: (3,0)
        assertEquals(List.of("0/0 1/0", "2/0 2/7", "0/7 2/14", "3/0"),
                g.stream().map(x -> String.join(" ", x.stream().map(c -> c[0] + "/" + c[1]).toList())).toList());
        for (List<int[]> x : g) for (int[] c : x) assertEquals(x.get(0)[2], c[2], "one length per group");
    }

    /**
     * A B = 3 update trains on its three chunks time-major (frame t of chunk b in row 3 t + b), gathered on the backend
     * from the epoch's frames: the same bits as {@code step} on the chunks put together here.
     */
    @Test
    void aBatchedUpdateTrainsOnItsChunksTimeMajor() {
        RnnRbmConfig cfg = config(0.1f, Optimizer.Kind.NESTEROV).withBatch(3);
        List<PianoRoll> rolls = tunes();
        try (Backend be = scalar()) {
            RnnRbmTrainer a = new RnnRbmTrainer(be, cfg, NOTES), b = new RnnRbmTrainer(be, cfg, NOTES);
            assertFalse(a.trainEpoch(rolls, Position.start(0), () -> true, null).completed());   // the first update only
            List<int[]> group = Chunks.batches(b.chunks(rolls, 0), 3).get(0);
            int steps = group.get(0)[2];
            assertEquals(3, group.size());
            float[] v = new float[steps * 3 * NOTES];
            for (int c = 0; c < 3; c++) {
                float[] roll = rolls.get(group.get(c)[0]).toFloats();
                for (int t = 0; t < steps; t++) System.arraycopy(roll, (group.get(c)[1] + t) * NOTES, v, (3 * t + c) * NOTES, NOTES);
            }
            b.step(be.of(v, steps * 3, NOTES), steps, 3, 1f);
            assertArrayEquals(be.toArray(b.model.params), be.toArray(a.model.params));
        }
    }

    /** B = 3 chunks per update: it learns, the thread count does not change a bit, and a resumed run is the uninterrupted one. */
    @Test
    void batchedTrainingLearnsIgnoresTheThreadCountAndResumesBitForBit() throws Exception {
        RnnRbmConfig cfg = config(0.1f, Optimizer.Kind.NESTEROV).withBatch(3);
        try (Backend be = scalar()) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, cfg, NOTES);
            double before = exactLogLikelihood(be, tr, tunes());
            for (int e = 0; e < 60; e++) tr.trainEpoch(tunes(), e, null);
            double after = exactLogLikelihood(be, tr, tunes());
            assertTrue(after > before + 3, "log-likelihood per frame " + before + " -> " + after);
        }
        float[][] r = new float[2][];
        for (int i = 0; i < 2; i++) {
            try (Backend be = Backends.create("simd", new BackendOptions(i + 1, 0))) {
                RnnRbmTrainer tr = new RnnRbmTrainer(be, cfg, NOTES);
                for (int e = 0; e < 2; e++) tr.trainEpoch(tunes(), e, null);
                r[i] = be.toArray(tr.model.params);
            }
        }
        assertArrayEquals(r[0], r[1], "simd on 1 and 2 threads");
        Path ckpt = tmp.resolve("batched.safetensors");
        float[] want;
        try (Backend be = scalar()) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, cfg, NOTES);
            for (int e = 0; e < 2; e++) tr.trainEpoch(tunes(), e, null);
            want = be.toArray(tr.model.params);
        }
        try (Backend be = scalar()) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, cfg, NOTES);
            int[] calls = {0};
            EpochResult res = tr.trainEpoch(tunes(), Position.start(0), () -> ++calls[0] >= 2, null);
            assertFalse(res.completed());
            tr.save(ckpt, res.next(), Map.of());
        }
        try (Backend be = scalar()) {
            SafeTensors.Contents c = SafeTensors.read(ckpt);
            RnnRbmTrainer tr = RnnRbmTrainer.load(be, c);
            assertEquals(3, tr.config().batch());
            assertTrue(tr.trainEpoch(tunes(), Position.fromMetadata(c.metadata()), () -> false, null).completed());
            tr.trainEpoch(tunes(), 1, null);
            assertArrayEquals(want, be.toArray(tr.model.params));
        }
        assertThrows(IllegalArgumentException.class, () -> cfg.withBatch(0));
    }

    @Test
    void generationIsSeededAndKeepsThePrimer() {
        try (Backend be = scalar()) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, config(0.05f, Optimizer.Kind.NESTEROV), NOTES);
            for (int e = 0; e < 40; e++) tr.trainEpoch(tunes(), e, null);
            PianoRoll primer = tunes().get(0);
            RnnRbmSampling.Generated a = RnnRbmSampling.generate(be, tr.model, primer, 16, 25, false, 3), b = RnnRbmSampling.generate(be, tr.model, primer, 16, 25, false, 3);
            assertEquals(a.roll(), b.roll());
            assertArrayEquals(a.probabilities(), b.probabilities());
            assertEquals(primer.frames() + 16, a.roll().frames());
            for (int t = 0; t < primer.frames(); t++) assertArrayEquals(primer.notesAt(t), a.roll().notesAt(t));
            double notes = 0;
            for (int t = primer.frames(); t < a.roll().frames(); t++) notes += a.roll().notesAt(t).length;
            assertTrue(notes / 16 > 1 && notes / 16 < 3, "notes per generated frame " + notes / 16);
            // the trained model may continue the chord cycle the same way for every seed; an untrained one (every
            // note on with probability about 1/2) tells whether the seed is used at all
            RnnRbmTrainer fresh = new RnnRbmTrainer(be, config(0.05f, Optimizer.Kind.NESTEROV), NOTES);
            assertFalse(RnnRbmSampling.generate(be, fresh.model, primer, 16, 25, false, 3).roll().equals(RnnRbmSampling.generate(be, fresh.model, primer, 16, 25, false, 4).roll()),
                    "another seed, another piece");
        }
    }

    @Test
    void generationWithoutPrimerAndFromThePreviousFrameIsSeededBinaryAndShaped() {
        try (Backend be = scalar()) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, config(0.05f, Optimizer.Kind.NESTEROV), NOTES);
            for (int e = 0; e < 40; e++) tr.trainEpoch(tunes(), e, null);
            for (boolean fromPrevious : new boolean[] {false, true}) {
                RnnRbmSampling.Generated a = RnnRbmSampling.generate(be, tr.model, null, 20, 25, fromPrevious, 9), b = RnnRbmSampling.generate(be, tr.model, null, 20, 25, fromPrevious, 9);
                assertEquals(a.roll(), b.roll());
                assertArrayEquals(a.probabilities(), b.probabilities());
                assertEquals(20, a.roll().frames());
                assertEquals(NOTES, a.roll().noteCount());
                assertEquals(20 * NOTES, a.probabilities().length);
                for (float p : a.probabilities()) assertTrue(p >= 0 && p <= 1, "probability " + p);
                // the frames are binary draws: the roll's cells are exactly the sampled ones
                float[] cells = a.roll().toFloats();
                for (float c : cells) assertTrue(c == 0 || c == 1);
                double notes = a.roll().noteCells() / 20.0;
                String how = fromPrevious ? "from previous" : "from zeros";
                // every training frame holds 2 notes
                assertTrue(notes > 1 && notes < 3, how + ": notes per frame " + notes);
                // and is one of the 4 chords of tunes(): most generated frames should be too
                java.util.Set<String> chords = new java.util.HashSet<>();
                for (PianoRoll r : tunes()) for (int t = 0; t < r.frames(); t++) chords.add(java.util.Arrays.toString(r.notesAt(t)));
                int known = 0;
                for (int t = 0; t < 20; t++) if (chords.contains(java.util.Arrays.toString(a.roll().notesAt(t)))) known++;
                assertTrue(known >= 15, how + ": only " + known + " of 20 generated frames are chords of the training tunes");
            }
        }
    }

    @Test
    void separateLearningRatesAndTheLearnedU0MoveOnlyTheirParameters() {
        try (Backend be = scalar()) {
            // {lrRbm, lrRnn, learnU0}: which parameters must stay exactly at their initial values
            for (boolean rbmOnly : new boolean[] {true, false}) {
                for (boolean learnU0 : new boolean[] {true, false}) {
                    float lrRbm = rbmOnly ? 0.05f : 0f, lrRnn = rbmOnly ? 0f : 0.05f;
                    RnnRbmTrainer tr = new RnnRbmTrainer(be, RnnRbmConfig.defaults().withNh(10).withNu(8).withK(5).withChunk(7).withLrRbm(lrRbm).withLrRnn(lrRnn).withLearnU0(learnU0).withSeed(2), NOTES);
                    java.util.Map<String, float[]> before = new java.util.HashMap<>();
                    for (String p : RnnRbm.NAMES) before.put(p, be.toArray(tr.model.param(p)));
                    tr.trainEpoch(tunes(), 0, null);
                    for (String p : RnnRbm.NAMES) {
                        boolean rbmPart = p.equals("W") || p.equals("bv") || p.equals("bh");
                        boolean moves = p.equals("u0") ? learnU0 && !rbmOnly : rbmPart == rbmOnly;
                        boolean moved = !java.util.Arrays.equals(before.get(p), be.toArray(tr.model.param(p)));
                        assertEquals(moves, moved, p + " with lrRbm " + lrRbm + ", lrRnn " + lrRnn + ", learnU0 " + learnU0);
                    }
                }
            }
        }
    }

    @Test
    void pretrainingFitsTheFramesAndDivergenceStops() {
        try (Backend be = scalar()) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, config(0.05f, Optimizer.Kind.SGD), NOTES);
            List<PianoRoll> many = new ArrayList<>();
            for (int i = 0; i < 8; i++) many.addAll(tunes());
            double first = new RnnRbmPretraining(be, tr).rbm(many, 1, null), later = new RnnRbmPretraining(be, tr).rbm(many, 5, null);
            assertTrue(later < first, "reconstruction cost " + first + " -> " + later);
            be.fill(tr.model.W, Float.NaN);
            DivergedException e = assertThrows(DivergedException.class, () -> tr.trainEpoch(tunes(), 0, null));
            assertTrue(e.getMessage().contains("not finite"));
        }
    }

    // ---------------------------------------------------------------- the LSTM-RBM through the same trainer

    /** The LSTM-RBM with two LSTM layers (6, then 8 = u(t)'s size), otherwise as {@link #config}. */
    static RnnRbmConfig lstmConfig(float lr, Optimizer.Kind kind) {
        return RnnRbmConfig.defaults().withNh(10).withNu(8).withK(5).withChunk(7).withOptimizer(kind).withLr(lr).withSeed(2).withLstmLayers(new int[] {6, 8});
    }

    @Test
    void lstmRbmLearnsTheChordCycleExactly() {
        try (Backend be = Backends.create("simd", new BackendOptions(1, 0))) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, lstmConfig(0.05f, Optimizer.Kind.NESTEROV), NOTES);
            assertEquals(RnnRbmKind.LSTM_RBM.name(), tr.config().kind());
            double before = exactLogLikelihood(be, tr, tunes());
            for (int e = 0; e < 60; e++) tr.trainEpoch(tunes(), e, null);
            double after = exactLogLikelihood(be, tr, tunes());
            assertTrue(after > before + 3, "log-likelihood per frame " + before + " -> " + after);
        }
    }

    @Test
    void lstmRbmResumesBitForBitWhateverTheThreadCount() throws Exception {
        float[] want = null;
        for (int threads : new int[] {1, 2}) {
            try (Backend be = Backends.create("simd", new BackendOptions(threads, 0))) {
                RnnRbmTrainer tr = new RnnRbmTrainer(be, lstmConfig(0.05f, Optimizer.Kind.NESTEROV), NOTES);
                for (int e = 0; e < 3; e++) tr.trainEpoch(tunes(), e, null);
                float[] got = be.toArray(tr.model.params);
                if (want == null) want = got; else assertArrayEquals(want, got, "1 and 2 threads");
            }
        }
        Path ckpt = tmp.resolve("lstm-rbm.safetensors");
        try (Backend be = Backends.create("simd", new BackendOptions(1, 0))) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, lstmConfig(0.05f, Optimizer.Kind.NESTEROV), NOTES);
            tr.trainEpoch(tunes(), 0, null);
            int[] calls = {0};
            EpochResult r = tr.trainEpoch(tunes(), Position.start(1), () -> ++calls[0] >= 4, null);
            tr.save(ckpt, r.next(), Map.of());
        }
        try (Backend be = Backends.create("simd", new BackendOptions(2, 0))) {
            SafeTensors.Contents c = SafeTensors.read(ckpt);
            assertEquals("lstm-rbm", c.metadata().get("kind"));
            assertEquals("6,8", c.metadata().get("lstm_layers"));
            assertTrue(c.tensors().containsKey("Wx1") && !c.tensors().containsKey("Wuu"));
            RnnRbmTrainer tr = RnnRbmTrainer.load(be, c);
            assertArrayEquals(new int[] {6, 8}, tr.model.lstmLayers());
            tr.trainEpoch(tunes(), Position.fromMetadata(c.metadata()), () -> false, null);
            tr.trainEpoch(tunes(), 2, null);
            assertArrayEquals(want, be.toArray(tr.model.params));
        }
    }

    @Test
    void lstmRbmGeneratesFromItsOwnStateAfterThePrimer() {
        try (Backend be = scalar()) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, lstmConfig(0.05f, Optimizer.Kind.NESTEROV), NOTES);
            for (int e = 0; e < 40; e++) tr.trainEpoch(tunes(), e, null);
            PianoRoll primer = tunes().get(1);
            RnnRbmSampling.Generated a = RnnRbmSampling.generate(be, tr.model, primer, 16, 25, false, 3), b = RnnRbmSampling.generate(be, tr.model, primer, 16, 25, false, 3);
            assertEquals(a.roll(), b.roll(), "a second piece starts from a fresh LSTM state");
            for (int t = 0; t < primer.frames(); t++) assertArrayEquals(primer.notesAt(t), a.roll().notesAt(t));
            java.util.Set<String> chords = new java.util.HashSet<>();
            for (PianoRoll r : tunes()) for (int t = 0; t < r.frames(); t++) chords.add(java.util.Arrays.toString(r.notesAt(t)));
            int known = 0;
            for (int t = primer.frames(); t < a.roll().frames(); t++) if (chords.contains(java.util.Arrays.toString(a.roll().notesAt(t)))) known++;
            assertTrue(known >= 12, "only " + known + " of 16 generated frames are chords of the training tunes");
        }
    }

    @Test
    void lstmRbmRefusesALearnedU0AndAMismatchedSize() {
        assertThrows(IllegalArgumentException.class, () -> RnnRbmConfig.defaults().withNh(10).withNu(8).withK(5).withChunk(7).withLr(0.1f).withLearnU0(true).withSeed(2).withLstmLayers(new int[] {8}));
        // the record's own check: u(t)'s size nu must be the top layer's (withLstmLayers keeps them equal)
        assertThrows(IllegalArgumentException.class, () -> new RnnRbmConfig(10, 7, 5, 7, Optimizer.Kind.SGD, 0.1f, 0.1f, 0.9f, 0f, 1f,
                false, 0, 2, new int[] {8}, 0, 0.001f, 1, 0, false));
    }
    @Test
    void rnnPretrainingLearnsTheCycleAsAPredictorAndTheRnnRbmStartsFromItsLikelihood() {
        RnnRbmConfig c = RnnRbmConfig.defaults().withNh(10).withNu(8).withK(5).withChunk(7).withLr(0.05f).withSeed(2).withPretrainRnnEpochs(30).withPretrainRnnLr(0.01f);
        float[] params = null;
        for (int run = 0; run < 2; run++) {
            try (Backend be = Backends.create("simd", new BackendOptions(1 + run, 0))) {
                RnnRbmTrainer tr = new RnnRbmTrainer(be, c, NOTES);
                float[] w = be.toArray(tr.model.W), bh = be.toArray(tr.model.bh), wuh = be.toArray(tr.model.Wuh);
                RnnRbmPretraining pre = new RnnRbmPretraining(be, tr);
                double before = pre.predictorCost(tunes());
                for (int e = 0; e < c.pretrainRnnEpochs(); e++) pre.rnnEpoch(tunes(), e, null);
                double after = pre.predictorCost(tunes());
                // untrained: 12 notes at P = 1/2, 12 log 2 = 8.3 nats; trained, only each tune's first chord is a guess
                assertTrue(before > 8 && after < 1.0, "predictor cross-entropy per frame " + before + " -> " + after);
                // the RBM part is untouched, so the RNN-RBM (W small) starts from the RNN's likelihood
                assertArrayEquals(w, be.toArray(tr.model.W));
                assertArrayEquals(bh, be.toArray(tr.model.bh));
                assertArrayEquals(wuh, be.toArray(tr.model.Wuh));
                assertEquals(-after, exactLogLikelihood(be, tr, tunes()), 0.05);
                // same seed, same result, whatever the thread count
                if (params == null) params = be.toArray(tr.model.params);
                else assertArrayEquals(params, be.toArray(tr.model.params));
            }
        }
    }

    @Test
    void rbmAndRnnPretrainingAreExclusive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RnnRbmConfig.defaults().withNh(10).withNu(8).withK(5).withChunk(7).withLr(0.1f).withPretrainEpochs(3).withSeed(2).withPretrainRnnEpochs(3));
        assertTrue(e.getMessage().contains("--pretrain-rnn"), e.getMessage());
    }
    @Test
    void accuracyChainsStartAtThePreviousTrueFrame() {
        // three bistable notes: W = 30 I, biases -15, so each unit keeps its start value (a flip has odds ~e^-15) and
        // the estimate shows where the chains start: at v(t-1) the prediction of a held chord is right from frame 2
        // on (frame 1 starts from zeros), ACC = 18 / 20; from zeros it would be 0
        try (Backend be = scalar()) {
            RnnRbmConfig c = RnnRbmConfig.defaults().withNh(3).withNu(2).withK(5).withChunk(10).withLr(0.1f).withSeed(2);
            RnnRbmTrainer tr = new RnnRbmTrainer(be, c, 3);
            be.fill(tr.model.params, 0f);
            be.copyFromHost(tr.model.W, new float[] {30, 0, 0, 0, 30, 0, 0, 0, 30}, 0);
            be.fill(tr.model.bv, -15f);
            be.fill(tr.model.bh, -15f);
            PianoRoll.Builder b = PianoRoll.builder(10, 21, 3);
            for (int t = 0; t < 10; t++) {
                b.set(t, 21);
                b.set(t, 23);
            }
            ConditionalRbmEvaluation.Evaluation ev = new ConditionalRbmEvaluation(be, tr.model).evaluate(List.of(b.build()), ConditionalRbmEvaluation.Options.defaults().withAisRuns(0).withBurnIn(5).withSamples(5).withSeed(3), null);
            assertEquals(0.9, ev.accThreshold(), 1e-12);
            assertEquals(0.9, ev.accSampled(), 1e-12);
            assertEquals(0.9, ev.accMode(), 1e-12);
            assertEquals(0.9, ev.accExpected(), 1e-4);
            // two such tunes in one batch: each one's first frame still starts from zeros (not from the other's last)
            ConditionalRbmEvaluation.Evaluation two = new ConditionalRbmEvaluation(be, tr.model).evaluate(List.of(b.build(), b.build()),
                    ConditionalRbmEvaluation.Options.defaults().withAisRuns(0).withBurnIn(5).withSamples(5).withBatchChains(1 << 20).withSeed(3), null);
            assertEquals(20, two.frames());
            assertEquals(0.9, two.accThreshold(), 1e-12);
            assertEquals(0.9, two.accMode(), 1e-12);
            // the other starts: from zeros no note ever turns on (ACC 0); from the true frame every frame is right
            ConditionalRbmEvaluation.Evaluation zeros = new ConditionalRbmEvaluation(be, tr.model).evaluate(List.of(b.build()), ConditionalRbmEvaluation.Options.defaults().withAisRuns(0).withBurnIn(5).withSamples(5).withChainStart(ConditionalRbmEvaluation.ChainStart.ZEROS).withSeed(3), null);
            assertEquals(0.0, zeros.accThreshold(), 1e-12);
            assertEquals(0.0, zeros.accMode(), 1e-12);
            ConditionalRbmEvaluation.Evaluation truth = new ConditionalRbmEvaluation(be, tr.model).evaluate(List.of(b.build()), ConditionalRbmEvaluation.Options.defaults().withAisRuns(0).withBurnIn(5).withSamples(5).withChainStart(ConditionalRbmEvaluation.ChainStart.TRUE_FRAME).withSeed(3), null);
            assertEquals(1.0, truth.accThreshold(), 1e-12);
            assertEquals(1.0, truth.accSampled(), 1e-12);
            assertEquals(1.0, truth.accExpected(), 1e-4);
        }
    }

    @Test
    void modePredictionIsTheMostProbableFrameOfEachConditionalRbm() {
        // 5 notes, so each conditional RBM's 32 frames can be enumerated: the exact most probable frame is the one of
        // least free energy F_t; with 400 samples per frame the chain visits it, and the mode accuracy must be that
        // frame's accuracy exactly
        int nv = 5, nh = 4;
        try (Backend be = scalar()) {
            RnnRbmConfig c = RnnRbmConfig.defaults().withNh(nh).withNu(3).withK(5).withChunk(10).withLr(0.1f).withSeed(2);
            RnnRbmTrainer tr = new RnnRbmTrainer(be, c, nv);
            float[] p = be.toArray(tr.model.params);
            java.util.Random rnd = new java.util.Random(11);
            for (int i = 0; i < p.length; i++) p[i] = (float) (1.5 * rnd.nextGaussian());
            be.copyFromHost(tr.model.params, p, 0);
            List<PianoRoll> rolls = new ArrayList<>();
            for (int s = 0; s < 2; s++) {
                PianoRoll.Builder b = PianoRoll.builder(17, 40, nv);
                for (int t = 0; t < 17; t++) for (int j = 0; j < nv; j++) if (rnd.nextInt(3) == 0) b.set(t, 40 + j);
                rolls.add(b.build());
            }
            double tp = 0, fpn = 0;
            float[] w = be.toArray(tr.model.W);
            for (PianoRoll r : rolls) {
                float[] x = r.toFloats();
                int steps = r.frames();
                tr.model.forward(be.of(x, steps, nv), steps);
                float[] bv = be.toArray(tr.model.visibleBiases(steps)), bh = be.toArray(tr.model.hiddenBiases(steps));
                for (int t = 0; t < steps; t++) {
                    int best = -1;
                    double bestF = Double.POSITIVE_INFINITY;
                    for (int m = 0; m < 1 << nv; m++) {
                        // F_t(v) = -bv(t).v - sum_j softplus(bh_j(t) + (v W)_j)
                        double f = 0;
                        for (int i = 0; i < nv; i++) if ((m >> i & 1) == 1) f -= bv[t * nv + i];
                        for (int j = 0; j < nh; j++) {
                            double a = bh[t * nh + j];
                            for (int i = 0; i < nv; i++) if ((m >> i & 1) == 1) a += w[i * nh + j];
                            f -= Math.log1p(Math.exp(a));
                        }
                        if (f < bestF) {
                            bestF = f;
                            best = m;
                        }
                    }
                    for (int i = 0; i < nv; i++) {
                        boolean on = (best >> i & 1) == 1, y = x[t * nv + i] == 1;
                        if (on && y) tp++; else if (on || y) fpn++;
                    }
                }
            }
            ConditionalRbmEvaluation.Evaluation ev = new ConditionalRbmEvaluation(be, tr.model).evaluate(rolls, ConditionalRbmEvaluation.Options.defaults().withAisRuns(0).withBurnIn(20).withSamples(400).withSeed(5), null);
            assertEquals(tp / (tp + fpn), ev.accMode(), 1e-12, "thresholded " + ev.accThreshold() + ", one sample " + ev.accSampled());
        }
    }
}
