package dev.tessitura.model.lstm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.IndependentNotes;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Rolls;
import dev.tessitura.model.Settings;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.Checkpoints;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/** The polyphonic LSTM (lstm) in the registry: 88 independent notes per frame given the past. */
public final class LstmKind implements ModelKind<LstmConfig> {
    public static final LstmKind LSTM = new LstmKind();

    private LstmKind() {}

    @Override public String name() { return "lstm"; }

    @Override public String summary() { return "an LSTM stack predicting each frame's 88 notes independently (Ip's RNN4Music defaults)"; }

    @Override public Settings<LstmConfig> settings() { return LstmConfig.SETTINGS; }

    @Override
    public Trainer trainer(Backend be, LstmConfig config, Path data, int maxSequences, Report report) throws IOException {
        Rolls.Training d = Rolls.training(data, maxSequences, report);
        return new Training(new LstmTrainer(be, config, d.notes()), d);
    }

    @Override
    public Trainer resume(Backend be, SafeTensors.Contents saved, LstmConfig config, Path data, int maxSequences, Report report)
            throws IOException {
        Rolls.Training d = Rolls.training(data, maxSequences, report);
        return new Training(LstmTrainer.load(be, saved, config), d);
    }

    /** The trainer as a run drives it; validation: the exact NLL per frame and the ACC of p > 0.5. */
    private record Training(LstmTrainer t, Rolls.Training d) implements Trainer {
        @Override public String describe() {
            return "lstm " + Arrays.toString(t.config().hidden()) + ", " + t.model.params.size() + " parameters";
        }

        @Override public long framesPerEpoch() { return t.framesPerEpoch(d.train()); }

        @Override public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
            return t.trainEpoch(d.train(), from, stop, progress);
        }

        @Override public Tensor parameters() { return t.model.params; }

        @Override public Validation validate(int epoch, BooleanSupplier stop) {
            if (d.valid().isEmpty()) return Validation.NONE;
            IndependentNotes.Result ev = t.evaluate(d.valid(), 0, 0, stop);
            return ev == null ? null : new Validation(-ev.logLikelihood(), ev.accThreshold());
        }

        @Override public String costName() { return "cross-entropy per frame"; }

        @Override public void save(Path file, Position at, Map<String, String> about) throws IOException { t.save(file, at, about); }
    }

    /** Generation's setting: output probabilities below it are set to 0 before sampling. */
    public record SampleOptions(float threshold) {
        public SampleOptions {
            if (!(threshold >= 0 && threshold < 1)) throw new IllegalArgumentException("--threshold must be in [0, 1), got " + threshold);
        }
    }

    private static final Settings<SampleOptions> SAMPLE = Settings.of(new SampleOptions(0.1f))
            .floating(null, "--threshold", "P", "output probabilities below P are set to 0 before sampling", SampleOptions::threshold,
                    (o, v) -> new SampleOptions(v))
            .build();

    @Override public Sampling<SampleOptions> sampling() {
        return new Sampling<>() {
            @Override public Settings<SampleOptions> settings() { return SAMPLE; }

            @Override public String generate(Backend be, SafeTensors.Contents c, SampleOptions o, Request r, Report report) throws IOException {
                LstmTrainer t = LstmTrainer.load(be, c);
                int notes = Checkpoints.integer(c, "notes");
                PianoRoll primer = Rolls.primer(r.prime(), notes);
                if (primer == null) primer = PianoRoll.builder(1, PianoRoll.DEFAULT_LOWEST, notes).build();
                Report.Phase bar = report.phase("generating", r.steps());
                PianoRoll roll = t.generate(primer, r.steps(), o.threshold(), r.seed(), bar::advance);
                bar.finish();
                return Rolls.writePiece(roll, null, name() + ", " + primer.frames() + " primer frame(s) + " + r.steps() + " generated", r.song());
            }
        };
    }

    @Override public Evaluating<IndependentNotes.Options> evaluating() {
        // a silent frame before each tune: the first frame is predicted too (from it and the zero state), so that the
        // log-likelihood is over all frames as one flat list, as every model's is
        return IndependentNotes.evaluating((be, c, rolls, o) ->
                LstmTrainer.load(be, c).evaluate(Rolls.withLeadingSilence(rolls), o.samples(), o.seed(), () -> false));
    }
}
