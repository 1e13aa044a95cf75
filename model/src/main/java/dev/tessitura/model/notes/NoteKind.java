package dev.tessitura.model.notes;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.ExpectedAccuracy;
import dev.tessitura.model.ExactFrames;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/** The note-by-note LSTM (note-lstm) in the registry: exact frame probabilities, each frame its notes in ascending order. */
public final class NoteKind implements ModelKind<NoteConfig> {
    public static final NoteKind NOTES = new NoteKind();

    /** The validation monitor's accuracy: frames drawn per frame, from every VALID_EVERY-th validation tune. */
    static final int VALID_SAMPLES = 10, VALID_EVERY = 4;

    private NoteKind() {}

    @Override public String name() { return "note-lstm"; }

    @Override public String summary() {
        return "each frame as its notes in ascending pitch and an end token (Walder 2016): a frame LSTM feeding a note LSTM, exact likelihood";
    }

    @Override public Settings<NoteConfig> settings() { return NoteConfig.SETTINGS; }

    @Override
    public Trainer trainer(Backend be, NoteConfig config, Path data, int maxSequences, Report report) throws IOException {
        Data d = Data.load(data, maxSequences, config.augment(), report);
        return new Training(new NoteTrainer(be, config, d.notes()), d);
    }

    @Override
    public Trainer resume(Backend be, SafeTensors.Contents saved, NoteConfig config, Path data, int maxSequences, Report report)
            throws IOException {
        Data d = Data.load(data, maxSequences, config.augment(), report);
        return new Training(NoteTrainer.load(be, saved, config), d);
    }

    /** The training tunes (transposed through 12 keys with augment) and the validation tunes, as token streams. */
    private record Data(List<int[][]> train, List<int[][]> valid, int notes) {
        static Data load(Path data, int maxSequences, boolean augment, Report report) throws IOException {
            Rolls.Training d = Rolls.training(data, maxSequences, report);
            List<PianoRoll> train = augment ? Rolls.transposed(d.train(), -5, 6) : d.train();
            if (augment) {
                report.line(String.format("augmented: %d training sequences (%,d frames) in up to 12 keys", train.size(),
                        train.stream().mapToLong(PianoRoll::frames).sum()));
            }
            return new Data(NoteBatches.tunes(train), NoteBatches.tunes(d.valid()), d.notes());
        }
    }

    /** The trainer as a run drives it; validation: the exact NLL per frame and the sampled expected ACC. */
    private record Training(NoteTrainer t, Data d) implements Trainer {
        @Override public String describe() {
            return "note-lstm, frame " + Arrays.toString(t.config().frame()) + ", note " + Arrays.toString(t.config().note()) + ", "
                    + t.model.params.size() + " parameters";
        }

        @Override public long framesPerEpoch() { return NoteTrainer.framesPerEpoch(d.train()); }

        @Override public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
            return t.trainEpoch(d.train(), from, stop, progress);
        }

        @Override public Tensor parameters() { return t.model.params; }

        @Override public Validation validate(int epoch, BooleanSupplier stop) {
            if (d.valid().isEmpty()) return Validation.NONE;
            NoteTrainer.Evaluation ev = t.evaluate(d.valid(), 0, 0, stop, null);
            if (ev == null) return null;
            List<int[][]> some = IntStream.range(0, d.valid().size()).filter(i -> i % VALID_EVERY == 0).mapToObj(d.valid()::get).toList();
            NoteTrainer.Evaluation acc = t.evaluate(some, VALID_SAMPLES, 1000 + epoch, stop, null);
            return acc == null ? null : new Validation(ev.nll(), acc.accExpected());
        }

        @Override public String costName() { return "NLL per frame (exact)"; }

        @Override public void save(Path file, Position at, Map<String, String> about) throws IOException { t.save(file, at, about); }
    }

    @Override public Sampling<NoSettings> sampling() {
        return new Sampling<>() {
            @Override public Settings<NoSettings> settings() { return NoSettings.NONE; }

            @Override public String generate(Backend be, SafeTensors.Contents c, NoSettings o, Request r, Report report) throws IOException {
                NoteTrainer t = NoteTrainer.load(be, c);
                int notes = Checkpoints.integer(c, "notes");
                PianoRoll primer = Rolls.primer(r.prime(), notes);
                int[][] start = primer == null ? new int[0][] : NoteBatches.tune(primer);
                int[][] frames = t.generate(start, r.steps(), r.seed());
                PianoRoll.Builder b = PianoRoll.builder(frames.length, PianoRoll.DEFAULT_LOWEST, notes);
                for (int f = 0; f < frames.length; f++) for (int j : frames[f]) b.set(f, PianoRoll.DEFAULT_LOWEST + j);
                return Rolls.writePiece(b.build(), null, name() + ", " + start.length + " primer frame(s) + " + r.steps() + " generated", r.song());
            }
        };
    }

    @Override public ExactFrames exactFrames(Backend be, SafeTensors.Contents c) {
        NoteTrainer t = NoteTrainer.load(be, c);
        return new ExactFrames() {
            @Override public int notes() { return t.model.n; }

            @Override public double[] logProbs(PianoRoll r) {
                return r.frames() == 0 ? new double[0] : t.logProbs(List.<int[][]>of(NoteBatches.tune(r)))[0];
            }

            @Override public float[] draws(PianoRoll r, int samples, Rng rng) {
                if (r.frames() == 0 || samples == 0) return new float[0];
                return t.draws(NoteBatches.tune(r), samples, rng);
            }
        };
    }

    /** Evaluation's setting: frames drawn per time step for the accuracy. */
    public record EvaluateOptions(int samples) {
        public EvaluateOptions {
            if (samples < 0) throw new IllegalArgumentException("--samples must be >= 0, got " + samples);
        }
    }

    private static final Settings<EvaluateOptions> EVALUATE = Settings.of(new EvaluateOptions(ExpectedAccuracy.SAMPLES))
            .integer(null, "--samples", "S", "frames drawn per time step for the expected accuracy (0: none)", EvaluateOptions::samples,
                    (o, v) -> new EvaluateOptions(v))
            .build();

    @Override public Evaluating<EvaluateOptions> evaluating() {
        return new Evaluating<>() {
            @Override public Settings<EvaluateOptions> settings() { return EVALUATE; }

            @Override public Scores evaluate(Backend be, SafeTensors.Contents c, EvaluateOptions o, Selection s, Report report) throws IOException {
                long t0 = System.nanoTime();
                List<PianoRoll> rolls = Rolls.selection(s);
                List<int[][]> tunes = NoteBatches.tunes(rolls);
                Report.Phase bar = report.phase("exact likelihood" + (o.samples() > 0 ? ", " + o.samples() + " frames drawn per step" : ""),
                        NoteTrainer.framesPerEpoch(tunes));
                NoteTrainer.Evaluation ev = NoteTrainer.load(be, c).evaluate(tunes, o.samples(), 1, () -> false, bar::advance);
                bar.finish();
                report.line(String.format(Locale.ROOT, "%s, split %s: %d sequences, %,d frames (%.1f s)", s.data(), s.split(), rolls.size(),
                        ev.frames(), (System.nanoTime() - t0) / 1e9));
                report.line(String.format(Locale.ROOT, "log-likelihood per time step: %.4f +- %.4f (exact; every frame, the first ones too)",
                        ev.logLikelihood(), ev.nllStdErr()));
                if (o.samples() > 0) {
                    report.line(String.format(Locale.ROOT, "frame-level accuracy: %.2f%% (mean over time steps of the expected accuracy of "
                            + "%d frames drawn given the true past), %.2f%% (pooled)", 100 * ev.accExpected(), o.samples(), 100 * ev.accPooled()));
                }
                report.line(Rolls.repeatBaseline(rolls) + String.format(Locale.ROOT, " (pooled); %.2f%% (mean over time steps)",
                        100 * repeatPerStep(rolls)));
                return new Scores(ev.frames(), ev.logLikelihood(), ev.nllStdErr(), ev.accExpected(), Map.of("acc_pooled", ev.accPooled()));
            }
        };
    }

    /**
     * The accuracy of repeating the previous frame (silence before a tune's first, as {@link Rolls#repeatBaseline}
     * counts it), as the mean over time steps.
     */
    static double repeatPerStep(List<PianoRoll> rolls) {
        ExpectedAccuracy acc = new ExpectedAccuracy();
        for (PianoRoll r : rolls) {
            int n = r.noteCount();
            float[] f = r.toFloats(), silence = new float[n];
            for (int t = 0; t < r.frames(); t++) acc.addExpected(ExpectedAccuracy.of(f, t * n, t == 0 ? silence : f, t == 0 ? 0 : (t - 1) * n, n));
        }
        return acc.value();
    }
}
