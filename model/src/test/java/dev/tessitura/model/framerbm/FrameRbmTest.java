package dev.tessitura.model.framerbm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.ExpectedAccuracy;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.ResumeCheck;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation;
import dev.tessitura.model.rbm.ExactLogZ;
import dev.tessitura.model.rbm.Rbm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The frame RBM: its AIS figures against exact ones (a small hidden layer enumerated), and an exact resume. */
class FrameRbmTest {
    @TempDir Path dir;

    /** Chords of three notes among a few, so that the RBM has structure to learn. */
    static Path data(Path dir) throws Exception {
        Random r = new Random(9);
        int[][] chords = {{60, 64, 67}, {62, 65, 69}, {59, 62, 67}, {60, 65, 69}};
        List<PianoRoll> rolls = new ArrayList<>();
        for (int s = 0; s < 8; s++) {
            PianoRoll.Builder b = PianoRoll.builder(20, 21, 88);
            for (int t = 0; t < 20; t++) for (int n : chords[r.nextInt(chords.length)]) b.set(t, n);
            rolls.add(b.build());
        }
        Path file = dir.resolve("chords.pickle");
        DatasetWriters.write(new Dataset("chords", rolls.subList(0, 6), rolls.subList(6, 7), rolls.subList(7, 8)), file);
        return file;
    }

    static Backend backend() {
        return Backends.create("scalar", BackendOptions.defaults());
    }

    @Test
    void aisFiguresAgreeWithTheExactOnes() throws Exception {
        Path data = data(dir);
        FrameRbmConfig c = FrameRbmConfig.SETTINGS.parse(List.of("--hidden", "6", "--lr", "0.1", "--batch", "10"));
        try (Backend be = backend()) {
            Trainer t = FrameRbmKind.RBM.trainer(be, c, data, 0, Report.QUIET);
            for (int e = 0; e < 30; e++) t.trainEpoch(Position.start(e), () -> false, null);
            Path ckpt = dir.resolve("rbm.safetensors");
            t.save(ckpt, Position.start(30), Map.of());
            SafeTensors.Contents saved = SafeTensors.read(ckpt);
            Rbm rbm = FrameRbmKind.load(be, saved);
            List<PianoRoll> test = dev.tessitura.midi.DatasetLoader.load(data).test();
            float[] x = FrameRbmKind.frames(test, 88);
            double logZ = ExactLogZ.logZ(rbm), exactLl = 0, exactAcc = 0;
            var f = be.zeros(x.length / 88);
            rbm.freeEnergy(f, be.of(x, x.length / 88, 88));
            for (float fe : be.toArray(f)) exactLl += -fe - logZ;
            exactLl /= x.length / 88;
            for (int i = 0; i < x.length / 88; i++) exactAcc += exactAccuracy(be, rbm, x, i * 88);
            exactAcc /= x.length / 88;
            ModelKind.Scores s = FrameRbmKind.RBM.evaluating().evaluate(be, saved, ConditionalRbmEvaluation.Options.defaults().withAisRuns(500)
                    .withAisSteps(1000), new ModelKind.Selection(data, "test", 1, 0), Report.QUIET);
            assertTrue(exactLl > -12, "the RBM learnt the chords: " + exactLl);
            assertEquals(exactLl, s.logLikelihood(), 0.02, "AIS vs exact log-likelihood");
            assertEquals(exactAcc, s.accuracy(), 0.02, "weighted end states vs exact expected accuracy");
            assertEquals(exactAcc, s.more().get("acc_chain"), 0.03, "Gibbs frames vs exact expected accuracy");
        }
    }

    /**
     * The exact expected accuracy of a frame drawn from the RBM: sum over the 2^nh hidden states of P(h) times the
     * exact accuracy of the independent notes sigmoid(bv + W h).
     */
    static double exactAccuracy(Backend be, Rbm rbm, float[] truth, int off) {
        int nv = rbm.nv, nh = rbm.nh;
        float[] w = be.toArray(rbm.w), bv = be.toArray(rbm.bv), bh = be.toArray(rbm.bh);
        double[] logP = new double[1 << nh], acc = new double[1 << nh], p = new double[nv], scratch = new double[nv + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int m = 0; m < 1 << nh; m++) {
            double lp = 0;
            for (int j = 0; j < nh; j++) if ((m >> j & 1) == 1) lp += bh[j];
            for (int i = 0; i < nv; i++) {
                double a = bv[i];
                for (int j = 0; j < nh; j++) if ((m >> j & 1) == 1) a += w[i * nh + j];
                lp += Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a)));
                p[i] = 1 / (1 + Math.exp(-a));
            }
            logP[m] = lp;
            max = Math.max(max, lp);
            acc[m] = ExpectedAccuracy.independent(truth, off, p, 0, nv, scratch);
        }
        double total = 0, e = 0;
        for (int m = 0; m < 1 << nh; m++) {
            double q = Math.exp(logP[m] - max);
            total += q;
            e += q * acc[m];
        }
        return e / total;
    }

    @Test
    void aStoppedEpochResumesBitForBit() throws Exception {
        try (Backend be = backend()) {
            ResumeCheck.stoppedEpochResumesBitForBit(FrameRbmKind.RBM, FrameRbmConfig.SETTINGS.parse(List.of("--hidden", "5", "--k", "2", "--batch", "7")),
                    be, data(dir), dir);
        }
    }
}
