package dev.tessitura.model.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Rolls;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.SafeTensors;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The count-based baselines on rolls small enough to count by hand, through the registry's train and evaluate. */
class BaselinesTest {
    @TempDir Path dir;

    /** Two notes, four frames: note 0 on, off, on, off; note 1 off, off, on, on. */
    static PianoRoll roll() {
        return PianoRoll.builder(4, 60, 2).set(0, 60).set(2, 60).set(2, 61).set(3, 61).build();
    }

    /** The baseline counted on the roll and measured on it, as the figures IndependentNotes gives. */
    static <C> ModelKind.Scores byHand(BaselineKind<C> kind, List<String> options) {
        C c = kind.settings().parse(options);
        return kind.measure(kind.count(c, List.of(roll()), 2), List.of(roll()), 2, () -> false).scores();
    }

    /** Through the registry: one epoch of training, a checkpoint, and evaluate on it give the figures of the table counted directly. */
    @Test
    void theCheckpointEvaluatesAsTheCountedTable() throws Exception {
        Path data = dir.resolve("d.pickle");
        PianoRoll wide = roll().withRange(PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT);
        DatasetWriters.write(new Dataset("d", List.of(wide, wide), List.of(wide), List.of(wide)), data);
        try (Backend be = Backends.create("scalar", BackendOptions.defaults())) {
            for (BaselineKind<?> kind : List.of(NgramKind.NGRAM, RandomKind.RANDOM, RepeatKind.REPEAT)) {
                ModelKind.Scores got = registry(kind, be, data), want = direct(kind, wide);
                assertEquals(want.logLikelihood(), got.logLikelihood(), 0, kind.name());
                assertEquals(want.accuracy(), got.accuracy(), 0, kind.name());
            }
        }
    }

    private <C> ModelKind.Scores registry(BaselineKind<C> kind, Backend be, Path data) throws Exception {
        Trainer t = kind.trainer(be, kind.settings().defaults(), data, 0, Report.QUIET);
        assertTrue(t.trainEpoch(Position.start(0), () -> false, null).completed());
        assertTrue(t.validate(0, () -> false).accuracy() > 0);
        Path ckpt = dir.resolve(kind.name() + ".safetensors");
        t.save(ckpt, Position.start(1), Map.of());
        return kind.evaluating().evaluate(be, SafeTensors.read(ckpt), new ModelKind.NoSettings(), new ModelKind.Selection(data, "test", 1, 0),
                Report.QUIET);
    }

    private static <C> ModelKind.Scores direct(BaselineKind<C> kind, PianoRoll wide) {
        return kind.measure(kind.count(kind.settings().defaults(), List.of(wide, wide), 88), List.of(wide), 88, () -> false).scores();
    }

    @Test
    void perNoteBigramByHand() throws Exception {
        // note 0 after off: on twice in 2 -> (2 + 1) / (2 + 2); after on: 0 in 2 -> 1/4
        // note 1 after off: on once in 3 -> 2/5; after on: once in 1 -> 2/3
        double q00 = 0.75, q01 = 0.25, q10 = 0.4, q11 = 2.0 / 3;
        double[] ll = {Math.log(q00) + Math.log(1 - q10), Math.log(1 - q01) + Math.log(1 - q10),
                Math.log(q00) + Math.log(q10), Math.log(1 - q01) + Math.log(q11)};
        ModelKind.Scores s = byHand(NgramKind.NGRAM, List.of("--context", "1"));
        assertEquals(4, s.frames());
        assertEquals((ll[0] + ll[1] + ll[2] + ll[3]) / 4, s.logLikelihood(), 1e-6);
        // exact per-step accuracy, e.g. frame 0 (truth {1, 0}): E[TP] 3/4 x E[1 / (1 + FP)] = 3/5 + 2/5 x 1/2
        double acc0 = q00 * (1 - q10 + q10 / 2), acc1 = (1 - q01) * (1 - q10);              // frame 1: truth {0, 0}
        double acc2 = (q00 * q10) * 1 + (q00 * (1 - q10)) * 0.5 + ((1 - q00) * q10) * 0.5;  // truth {1, 1}
        double acc3 = q11 * (1 - q01 + q01 / 2);                                            // truth {0, 1}
        assertEquals((acc0 + acc1 + acc2 + acc3) / 4, s.accuracy(), 1e-6);
    }

    @Test
    void sharedUnigramIsOneProbabilityForEveryNote() throws Exception {
        double q = (4 + 1.0) / (8 + 2);                                   // 4 notes on in 8 cells, Laplace
        ModelKind.Scores s = byHand(NgramKind.NGRAM, List.of("--context", "0", "--shared"));
        assertEquals((4 * Math.log(q) + 4 * Math.log(1 - q)) / 4, s.logLikelihood(), 1e-6);
    }

    @Test
    void randomIsNotesTimesLogAHalf() throws Exception {
        ModelKind.Scores s = byHand(RandomKind.RANDOM, List.of());
        assertEquals(2 * Math.log(0.5), s.logLikelihood(), 1e-12);
        assertEquals(0, s.stdErr(), 1e-12);
        // per step with p = 1/2: {1,0}: 1/2 x (1/2 + 1/4) = 3/8; {0,0}: 1/4; {1,1}: 1/4 + 1/2 x 1/2 = 1/2; {0,1}: 3/8
        assertEquals((3.0 / 8 + 1.0 / 4 + 1.0 / 2 + 3.0 / 8) / 4, s.accuracy(), 1e-12);
    }

    @Test
    void repeatHasAnAccuracyAndNoLikelihood() throws Exception {
        ModelKind.Scores s = byHand(RepeatKind.REPEAT, List.of());
        assertTrue(Double.isNaN(s.logLikelihood()));
        assertEquals(Rolls.repeatAccuracy(List.of(roll())), s.accuracy(), 1e-12);
        assertEquals((0 + 0 + 0 + 0.5) / 4, s.accuracy(), 1e-12);   // silence for {1,0}; {1,0} for {0,0}; {0,0} for {1,1}; {1,1} for {0,1}
    }
}
