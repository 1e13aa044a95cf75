package dev.tessitura.model.nade;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.ExpectedAccuracy;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Position;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.rnnrbm.RnnRbmSampling;
import dev.tessitura.model.rnnrbm.RnnRbmTest;
import dev.tessitura.model.rnnrbm.RnnRbmTrainerTest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training the RNN-NADE and the LSTM-NADE: they learn a chord cycle that only the history predicts, a stopped and
 * resumed run is the uninterrupted one bit for bit (whatever the thread count), checkpoints round-trip, generation is
 * seeded, and the evaluation's sampled ACC is the exact expected accuracy.
 */
class RnnNadeTrainerTest {
    static final int NOTES = RnnRbmTrainerTest.NOTES;
    @TempDir Path tmp;

    /** The RNN-RBM's test tunes: 4 two-note chords in a cycle, predictable from the history, not from the frame alone. */
    static List<PianoRoll> tunes() {
        return RnnRbmTrainerTest.tunes();
    }

    /** Chunks of 7 frames so that sequences span several chunks. */
    static RnnNadeConfig config() {
        return RnnNadeConfig.defaults().withNh(10).withNu(8).withChunk(7).withOptimizer(Optimizer.Kind.ADAM).withLr(0.02f).withSeed(2);
    }

    static Backend scalar() {
        return RnnRbmTest.create("scalar");
    }

    static Backend simd(int threads) {
        return RnnRbmTest.create("simd-" + threads);
    }

    @Test
    void bothLearnTheChordCycleFromTheHistory() {
        for (RnnNadeConfig c : List.of(config(), config().withLstmLayers(new int[] {8}))) {
            try (Backend be = scalar()) {
                RnnNadeTrainer tr = new RnnNadeTrainer(be, c, NOTES);
                double before = tr.nll(tunes());
                for (int e = 0; e < 40; e++) tr.trainEpoch(tunes(), e, null);
                double after = tr.nll(tunes());
                // the first frame of a tune is one of 4 chords (about 1.4 nats at best); every later one is certain
                assertTrue(before > 6 && after < 0.6, c.kind() + ": NLL per frame " + before + " -> " + after);
            }
        }
    }

    /**
     * The LSTM-NADE with skip connections and dropout on u learns the cycle; masks are drawn in training updates only
     * (the NLL draws none and is the same every time), and without dropout nothing is drawn.
     */
    @Test
    void theLstmNadeWithSkipAndDropoutLearnsAndDrawsOnlyInTraining() {
        RnnNadeConfig c = config().withLstmLayers(new int[] {8, 8}).withSkip(true).withDropout(0.2f);
        try (Backend be = scalar()) {
            RnnNadeTrainer tr = new RnnNadeTrainer(be, c, NOTES);
            assertEquals(16, tr.model.nu);
            double before = tr.nll(tunes());
            assertEquals(0, tr.rng.position(), "the NLL draws no mask");
            for (int e = 0; e < 40; e++) tr.trainEpoch(tunes(), e, null);
            long drawn = tr.rng.position();
            double after = tr.nll(tunes());
            assertTrue(drawn > 0, "training draws masks");
            assertEquals(after, tr.nll(tunes()), 0.0, "no dropout outside training");
            assertEquals(drawn, tr.rng.position());
            assertTrue(before > 6 && after < 0.6, "NLL per frame " + before + " -> " + after);

            RnnNadeTrainer plain = new RnnNadeTrainer(be, config().withLstmLayers(new int[] {8}), NOTES);
            plain.trainEpoch(tunes(), 0, null);
            assertEquals(0, plain.rng.position(), "no dropout, no draws");
        }
    }

    /** Inverted dropout: each multiplier 0 with probability P, else 1 / (1 - P); the seed's stream, a new draw per update. */
    @Test
    void dropoutMasksAreInvertedAndComeFromTheSeed() {
        try (Backend be = scalar()) {
            RnnNadeConfig c = config().withDropout(0.25f);
            RnnNadeTrainer a = new RnnNadeTrainer(be, c, NOTES), b = new RnnNadeTrainer(be, c, NOTES);
            float[] m = be.toArray(a.dropoutMask(700));                        // 700 rows of nu = 8
            assertArrayEquals(m, be.toArray(b.dropoutMask(700)), "the same seed draws the same masks");
            int dropped = 0;
            for (float x : m) {
                assertTrue(x == 0 || x == 1f / 0.75f, "multiplier " + x);
                if (x == 0) dropped++;
            }
            assertEquals(0.25, dropped / (double) m.length, 0.02, "the share dropped");
            assertFalse(java.util.Arrays.equals(m, be.toArray(a.dropoutMask(700))), "the next update draws new masks");
            assertEquals(2 * 700 * 8 / 4, a.rng.position(), "one Philox block per 4 multipliers");
            assertEquals(null, new RnnNadeTrainer(be, config(), NOTES).dropoutMask(700), "no dropout, no mask");
        }
    }

    @Test
    void skipAndDropoutAreSettingsThatTheCheckpointKeeps() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config().withSkip(true));
        assertTrue(e.getMessage().contains("--skip is for lstm-nade"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> config().withDropout(1f));
        assertTrue(RnnNadeKind.RNN_NADE.settings().option("--skip") == null, "rnn-nade has no --skip");
        assertTrue(RnnNadeKind.RNN_NADE.settings().option("--dropout") != null);
        RnnNadeConfig c = RnnNadeKind.LSTM_NADE.settings().parse(List.of("--layers", "6,5", "--skip", "--dropout", "0.25"));
        assertTrue(c.skip() && c.dropout() == 0.25f, c.toString());
        Path ckpt = tmp.resolve("skip.safetensors");
        c = c.withNh(10).withChunk(7);
        long at;
        try (Backend be = scalar()) {
            RnnNadeTrainer tr = new RnnNadeTrainer(be, c, NOTES);
            tr.trainEpoch(tunes(), 0, null);
            at = tr.rng.position();
            tr.save(ckpt, Position.start(1), Map.of());
        }
        try (Backend be = scalar()) {
            SafeTensors.Contents s = SafeTensors.read(ckpt);
            assertEquals("true", s.metadata().get("skip"));
            assertEquals("0.25", s.metadata().get("dropout"));
            assertEquals(Long.toString(at), s.metadata().get("rng_block"));
            assertTrue(s.tensors().containsKey("Wi1"));
            RnnNadeTrainer tr = RnnNadeTrainer.load(be, s);
            assertEquals(List.of(), RnnNadeKind.LSTM_NADE.settings().differences(c, tr.config()));
            assertEquals(at, tr.rng.position(), "a loaded trainer goes on drawing where the saved one stopped");
            assertEquals(List.of("--dropout 0.0 (the checkpoint has 0.25)"),
                    RnnNadeKind.LSTM_NADE.settings().differences(c.withDropout(0f), tr.config()), "a resume compares them");
        }
    }

    @Test
    void stoppingSavingAndResumingGivesTheUninterruptedResultBitForBit() throws Exception {
        float[] want;
        try (Backend be = scalar()) {
            RnnNadeTrainer tr = new RnnNadeTrainer(be, config().withOptimizer(Optimizer.Kind.NESTEROV).withLr(0.05f), NOTES);
            for (int e = 0; e < 3; e++) tr.trainEpoch(tunes(), e, null);
            want = be.toArray(tr.model.params);
        }
        Path ckpt = tmp.resolve("checkpoint.safetensors");
        try (Backend be = scalar()) {
            RnnNadeTrainer tr = new RnnNadeTrainer(be, config().withOptimizer(Optimizer.Kind.NESTEROV).withLr(0.05f), NOTES);
            tr.trainEpoch(tunes(), 0, null);
            int[] calls = {0};
            EpochResult r = tr.trainEpoch(tunes(), Position.start(1), () -> ++calls[0] >= 4, null);
            assertFalse(r.completed());
            tr.save(ckpt, r.next(), Map.of("data", "tunes()"));
        }
        try (Backend be = scalar()) {
            SafeTensors.Contents c = SafeTensors.read(ckpt);
            assertEquals("rnn-nade", c.metadata().get("kind"));
            RnnNadeTrainer tr = RnnNadeTrainer.load(be, c);
            assertEquals(4, Position.fromMetadata(c.metadata()).index());
            assertTrue(tr.trainEpoch(tunes(), Position.fromMetadata(c.metadata()), () -> false, null).completed());
            tr.trainEpoch(tunes(), 2, null);
            assertArrayEquals(want, be.toArray(tr.model.params));
        }
    }

    /** The LSTM-NADE with 3 chunks per update (gathered) on 1 and 2 threads, then stopped and resumed on the other count. */
    @Test
    void batchedLstmNadeIgnoresTheThreadCountAndResumesBitForBit() throws Exception {
        RnnNadeConfig c = config().withLstmLayers(new int[] {6, 8}).withBatch(3).withClipNorm(1f);
        float[] want = null;
        for (int threads : new int[] {1, 2}) {
            try (Backend be = simd(threads)) {
                RnnNadeTrainer tr = new RnnNadeTrainer(be, c, NOTES);
                for (int e = 0; e < 3; e++) tr.trainEpoch(tunes(), e, null);
                float[] got = be.toArray(tr.model.params);
                if (want == null) want = got;
                else assertArrayEquals(want, got, "1 and 2 threads");
            }
        }
        Path ckpt = tmp.resolve("lstm-nade.safetensors");
        try (Backend be = simd(1)) {
            RnnNadeTrainer tr = new RnnNadeTrainer(be, c, NOTES);
            tr.trainEpoch(tunes(), 0, null);
            int[] calls = {0};
            EpochResult r = tr.trainEpoch(tunes(), Position.start(1), () -> ++calls[0] >= 2, null);
            tr.save(ckpt, r.next(), Map.of());
        }
        try (Backend be = simd(2)) {
            SafeTensors.Contents saved = SafeTensors.read(ckpt);
            assertEquals("lstm-nade", saved.metadata().get("kind"));
            assertEquals("6,8", saved.metadata().get("lstm_layers"));
            assertTrue(saved.tensors().containsKey("Wx1") && saved.tensors().containsKey("V") && !saved.tensors().containsKey("Wuu"));
            RnnNadeTrainer tr = RnnNadeTrainer.load(be, saved);
            assertArrayEquals(new int[] {6, 8}, tr.model.lstmLayers());
            assertEquals(3, tr.config().batch());
            tr.trainEpoch(tunes(), Position.fromMetadata(saved.metadata()), () -> false, null);
            tr.trainEpoch(tunes(), 2, null);
            assertArrayEquals(want, be.toArray(tr.model.params));
        }
    }

    @Test
    void aCheckpointHoldsTheModelTheOptimizerAndTheConfiguration() throws Exception {
        Path ckpt = tmp.resolve("round.safetensors");
        RnnNadeConfig c = config().withAugment(true).withPretrainRnnEpochs(2).withLrDecay(0.9f);
        float[] params, moments;
        try (Backend be = scalar()) {
            RnnNadeTrainer tr = new RnnNadeTrainer(be, c, NOTES);
            tr.trainEpoch(tunes(), 0, null);
            tr.save(ckpt, Position.start(1), Map.of("data", "x"));
            params = be.toArray(tr.model.params);
            moments = be.toArray(tr.optimizer.state()[1]);
        }
        try (Backend be = scalar()) {
            SafeTensors.Contents s = SafeTensors.read(ckpt);
            RnnNadeTrainer tr = RnnNadeTrainer.load(be, s);
            assertArrayEquals(params, be.toArray(tr.model.params));
            assertArrayEquals(moments, be.toArray(tr.optimizer.state()[1]));
            assertEquals(List.of(), RnnNadeKind.RNN_NADE.settings().differences(c, tr.config()), "the configuration");
            assertEquals(java.util.Set.of("W", "V", "bv", "bh", "Wuh", "Wuv", "Wvu", "Wuu", "bu", "u0", "opt.0", "opt.1"), s.tensors().keySet());
            assertEquals("true", s.metadata().get("augment"));
            assertEquals("12", s.metadata().get("nv"));
        }
        try (Backend be = scalar()) {
            // a checkpoint of another kind is refused by name
            Path other = tmp.resolve("other.safetensors");
            new NadeTrainer(be, NadeConfig.defaults().withNh(4), NOTES).save(other, Position.start(0), Map.of());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RnnNadeTrainer.load(be, SafeTensors.read(other)));
            assertTrue(e.getMessage().contains("kind nade"), e.getMessage());
        }
    }

    @Test
    void pretrainingFitsItsPartAndTheyAreExclusive() {
        try (Backend be = scalar()) {
            RnnNadeTrainer rnn = new RnnNadeTrainer(be, config().withPretrainRnnEpochs(1).withPretrainLr(0.02f), NOTES);
            double first = rnn.pretrainRnnEpoch(tunes(), Position.start(0), () -> false, null).meanCost();
            for (int e = 1; e < 15; e++) rnn.pretrainRnnEpoch(tunes(), Position.start(e), () -> false, null);
            double last = rnn.pretrainRnnEpoch(tunes(), Position.start(15), () -> false, null).meanCost();
            assertTrue(last < 0.5 * first, "RNN pretraining: cross-entropy " + first + " -> " + last);
            float[] w = be.toArray(rnn.model.nade.W), v = be.toArray(rnn.model.nade.V);
            RnnNadeTrainer fresh = new RnnNadeTrainer(be, config(), NOTES);
            assertArrayEquals(be.toArray(fresh.model.nade.W), w, "RNN pretraining leaves W");
            assertArrayEquals(be.toArray(fresh.model.nade.V), v, "and V");

            RnnNadeTrainer nade = new RnnNadeTrainer(be, config().withPretrainEpochs(1).withPretrainLr(0.02f), NOTES);
            nade.pretrainNadeEpoch(tunes(), Position.start(0), () -> false, null);
            double before = nade.nadeNll(tunes());
            for (int e = 1; e < 80; e++) nade.pretrainNadeEpoch(tunes(), Position.start(e), () -> false, null);
            // a plain NADE can learn the 4 chords' mixture: log 4 = 1.39 nats per frame at best
            assertTrue(nade.nadeNll(tunes()) < before && nade.nadeNll(tunes()) < 3, before + " -> " + nade.nadeNll(tunes()));
            assertArrayEquals(be.toArray(fresh.model.Wuv), be.toArray(nade.model.Wuv), "NADE pretraining leaves the RNN part");
        }
        assertThrows(IllegalArgumentException.class, () -> config().withPretrainEpochs(1).withPretrainRnnEpochs(1));
    }

    @Test
    void generationIsSeededExactAndKeepsThePrimer() {
        try (Backend be = scalar()) {
            RnnNadeTrainer tr = new RnnNadeTrainer(be, config(), NOTES);
            for (int e = 0; e < 40; e++) tr.trainEpoch(tunes(), e, null);
            PianoRoll primer = tunes().get(0);
            RnnRbmSampling.Generated a = generate(be, tr.model, primer, 12, 7), b = generate(be, tr.model, primer, 12, 7);
            assertArrayEquals(a.roll().toFloats(), b.roll().toFloats(), "same seed, same piece");
            assertEquals(primer.frames() + 12, a.roll().frames());
            float[] x = a.roll().toFloats(), pri = primer.toFloats();
            for (int i = 0; i < pri.length; i++) assertEquals(pri[i], x[i], "the primer begins the piece");
            // the trained model continues the cycle: every generated frame is the next chord
            for (int t = primer.frames(); t < a.roll().frames(); t++) {
                assertArrayEquals(java.util.Arrays.copyOfRange(x, (t - 4) * NOTES, (t - 3) * NOTES),
                        java.util.Arrays.copyOfRange(x, t * NOTES, (t + 1) * NOTES), "frame " + t + " repeats the chord 4 frames back");
            }
            for (int i = primer.frames() * NOTES; i < x.length; i++) assertTrue(a.probabilities()[i] >= 0 && a.probabilities()[i] <= 1);
        }
    }

    static RnnRbmSampling.Generated generate(Backend be, RnnNade m, PianoRoll primer, int steps, long seed) {
        Rng g = new Rng(seed, 5);
        return RnnRbmSampling.generate(be, m.biases, primer, steps, (v, vp, bvt, bht) -> m.nade.sample(v, vp, bvt, bht, g), null);
    }

    /**
     * The evaluation: its log-likelihood is the trainer's exact NLL, and its sampled ACC (2,000 frames per step) the
     * exact expected accuracy, every frame of 12 notes enumerated (4,096) under each step's conditional.
     */
    @Test
    void evaluationIsExactAndItsSampledAccIsTheExpectedAccuracy() {
        try (Backend be = simd(2)) {
            RnnNadeTrainer tr = new RnnNadeTrainer(be, config(), NOTES);
            for (int e = 0; e < 3; e++) tr.trainEpoch(tunes(), e, null);     // partly trained: frames far from certain
            List<PianoRoll> rolls = tunes().subList(0, 2);
            NadeEvaluation.Result r = NadeEvaluation.evaluate(be, tr.model.nade, RnnNadeKind.biases(tr.model), rolls, 2000, 3, null, () -> false);
            assertEquals(-tr.nll(rolls), r.logLikelihood(), 1e-5);
            assertEquals(rolls.get(0).frames() + rolls.get(1).frames(), r.frames());
            int all = 1 << NOTES;
            float[] frames = new float[all * NOTES];
            for (int k = 0; k < all; k++) for (int i = 0; i < NOTES; i++) frames[k * NOTES + i] = (k >> i) & 1;
            Tensor every = be.of(frames, all, NOTES), lp = be.zeros(all), p = be.zeros(all, NOTES);
            ExpectedAccuracy exact = new ExpectedAccuracy();
            for (PianoRoll roll : rolls) {
                float[] truth = roll.toFloats();
                Tensor v = be.of(truth, roll.frames(), NOTES);
                tr.model.forward(v, roll.frames(), 1);
                float[] bv = be.toArray(tr.model.biases.visibleBiases(roll.frames())), bh = be.toArray(tr.model.biases.hiddenBiases(roll.frames()));
                for (int t = 0; t < roll.frames(); t++) {
                    Tensor bvt = be.of(java.util.Arrays.copyOfRange(bv, t * NOTES, (t + 1) * NOTES), NOTES);
                    Tensor bht = be.of(java.util.Arrays.copyOfRange(bh, t * 10, (t + 1) * 10), 10);
                    be.nadeForward(lp, p, every, tr.model.nade.W, tr.model.nade.V, bvt, bht);
                    float[] l = be.toArray(lp);
                    double e = 0, total = 0;
                    for (int k = 0; k < all; k++) {
                        e += Math.exp(l[k]) * ExpectedAccuracy.of(truth, t * NOTES, frames, k * NOTES, NOTES);
                        total += Math.exp(l[k]);
                    }
                    assertEquals(1, total, 1e-4, "the conditional sums to 1");
                    exact.addExpected(e);
                }
            }
            // each step's estimate has a standard deviation of at most 0.5 / sqrt(2000) = 0.011; the mean of ~26 less
            assertEquals(exact.value(), r.acc(), 0.01, "sampled ACC vs exact");
            assertTrue(r.accPooled() > 0 && r.accPooled() < 1, "pooled " + r.accPooled());
        }
    }
}
