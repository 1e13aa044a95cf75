package dev.tessitura.model.rnnrbm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.IndependentNotes;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.ResumeCheck;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.SafeTensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RNN row: the RNN-RBM's RNN pretraining predictor as a model of its own. */
class RnnKindTest {
    @TempDir Path dir;

    /** The chord-cycle tunes of RnnRbmTrainerTest, widened to 88 notes. */
    Path data() throws Exception {
        List<PianoRoll> tunes = new ArrayList<>();
        for (PianoRoll r : RnnRbmTrainerTest.tunes()) tunes.add(r.withRange(PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT));
        Path file = dir.resolve("cycle.pickle");
        DatasetWriters.write(new Dataset("cycle", tunes.subList(0, 4), tunes.subList(4, 5), tunes.subList(5, 6)), file);
        return file;
    }

    @Test
    void itLearnsScoresAsThePretrainingPredictorAndResumesExactly() throws Exception {
        Path data = data();
        RnnKind.Config c = RnnKind.RNN.settings().parse(List.of("--recurrent", "12", "--steps", "9", "--lr", "0.01"));
        try (Backend be = Backends.create("scalar", BackendOptions.defaults())) {
            Trainer whole = RnnKind.RNN.trainer(be, c, data, 0, Report.QUIET);
            double first = whole.validate(0, () -> false).cost();
            for (int e = 0; e < 40; e++) whole.trainEpoch(Position.start(e), () -> false, null);
            double last = whole.validate(40, () -> false).cost();
            assertTrue(last < first - 20, "valid cross-entropy " + first + " -> " + last);
            Path ckpt = dir.resolve("rnn.safetensors");
            whole.save(ckpt, Position.start(40), Map.of());

            // evaluate's LL is minus the pretraining's cross-entropy of the same RNN (RnnRbm.predictorCost)
            SafeTensors.Contents saved = SafeTensors.read(ckpt);
            ModelKind.Scores s = RnnKind.RNN.evaluating().evaluate(be, saved, new IndependentNotes.Options(200, 3),
                    new ModelKind.Selection(data, "valid", 1, 0), Report.QUIET);
            RnnRbmTrainer same = new RnnRbmTrainer(be, c.rnnRbm(), 88);
            for (String n : same.model.names()) dev.tessitura.model.io.Checkpoints.restore(be, same.model.param(n), saved, n);
            double cost = new RnnRbmPretraining(be, same).predictorCost(dev.tessitura.midi.DatasetLoader.load(data).valid());
            assertEquals(-cost, s.logLikelihood(), 1e-4 * cost);
            assertEquals(last, -s.logLikelihood(), 1e-4 * cost);
            assertEquals(s.accuracy(), s.more().get("acc_sampled"), 0.03, "200 sampled frames per step against the exact figure");

            ResumeCheck.stoppedEpochResumesBitForBit(RnnKind.RNN, c, be, data, dir);
        }
    }
}
