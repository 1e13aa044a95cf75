package dev.tessitura.model.baseline;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * What the count-based baselines share in the registry: "training" is one epoch that counts the training set into a
 * {@link NoteTable} (a run of more epochs counts the same again); the validation monitor and evaluate measure its
 * independent-note predictions exactly ({@link IndependentNotes}); generate draws each frame's notes from them.
 *
 * @param <C> the baseline's configuration
 */
abstract class BaselineKind<C> implements ModelKind<C> {
    /** Counts the training rolls (n notes each) into a table. */
    abstract NoteTable count(C config, List<PianoRoll> train, int n);

    /** The table a checkpoint holds. */
    abstract NoteTable load(C config, SafeTensors.Contents c, int n);

    /** Whether the model's probabilities give a log-likelihood (not when they are all 0 or 1, as repeating a frame's). */
    boolean likelihood() {
        return true;
    }

    @Override public Trainer trainer(Backend be, C config, Path data, int maxSequences, Report report) throws IOException {
        return new Counting<>(this, be, config, Rolls.training(data, maxSequences, report), null);
    }

    @Override public Trainer resume(Backend be, SafeTensors.Contents saved, C config, Path data, int maxSequences, Report report)
            throws IOException {
        Rolls.Training d = Rolls.training(data, maxSequences, report);
        return new Counting<>(this, be, config, d, load(config, saved, d.notes()));
    }

    /** The exact figures of the table's predictions over every frame of the rolls; null when stop asked first. */
    IndependentNotes.Result measure(NoteTable table, List<PianoRoll> rolls, int n, BooleanSupplier stop) {
        IndependentNotes scores = new IndependentNotes(n);
        double[] p = new double[n];
        for (PianoRoll r : rolls) {
            if (stop.getAsBoolean()) return null;
            float[] x = r.toFloats();
            for (int t = 0; t < r.frames(); t++) {
                table.predict(x, t, n, p);
                scores.addProbabilities(p, 0, x, t * n);
            }
        }
        IndependentNotes.Result res = scores.result();
        return likelihood() ? res : new IndependentNotes.Result(res.frames(), Double.NaN, Double.NaN, res.accuracy(), res.accStdErr(),
                res.accPooled(), res.accThreshold(), res.accSampled());
    }

    /** Writes a checkpoint: the header (kind, settings, position, notes) and the table's tensors. */
    void save(Path file, C config, NoteTable table, int n, Position at, Map<String, String> about) throws IOException {
        Map<String, String> meta = Checkpoints.header(about, name(), settings(), config, at);
        meta.put("notes", Integer.toString(n));
        Map<String, SafeTensors.F32> t = new LinkedHashMap<>();
        table.tensors().forEach((k, v) -> t.put(k, new SafeTensors.F32(new int[] {v.length}, v)));
        SafeTensors.write(file, meta, t);
    }

    /** A checkpoint's tensor, which must be there and finite. */
    static float[] tensor(SafeTensors.Contents c, String name) {
        SafeTensors.F32 t = c.tensors().get(name);
        if (t == null) throw new IllegalArgumentException("checkpoint has no tensor " + name);
        for (float x : t.data()) if (!Float.isFinite(x)) throw new IllegalArgumentException("checkpoint tensor " + name + " holds NaN or infinite values");
        return t.data();
    }

    /** The baseline as a run trains it: one counting pass per epoch; valid cost -LL per frame (1 - ACC without a likelihood). */
    private static final class Counting<C> implements Trainer {
        private final BaselineKind<C> kind;
        private final Backend be;
        private final C config;
        private final Rolls.Training d;
        private NoteTable table;

        Counting(BaselineKind<C> kind, Backend be, C config, Rolls.Training d, NoteTable table) {
            this.kind = kind;
            this.be = be;
            this.config = config;
            this.d = d;
            this.table = table;
        }

        @Override public String describe() {
            return kind.name() + (table == null ? "" : ": " + table.describe());
        }

        @Override public long framesPerEpoch() { return d.frames(); }

        @Override public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
            table = kind.count(config, d.train(), d.notes());
            if (progress != null) progress.accept((int) Math.min(Integer.MAX_VALUE, d.frames()));
            IndependentNotes.Result r = kind.measure(table, d.train(), d.notes(), () -> false);
            double cost = kind.likelihood() ? -r.logLikelihood() : 1 - r.accuracy();
            return EpochResult.completed(from.epoch(), 1, cost * r.frames(), r.frames());
        }

        @Override public Validation validate(int epoch, BooleanSupplier stop) {
            if (d.valid().isEmpty()) return Validation.NONE;
            IndependentNotes.Result r = kind.measure(table, d.valid(), d.notes(), stop);
            if (r == null) return null;
            return new Validation(kind.likelihood() ? -r.logLikelihood() : 1 - r.accuracy(), r.accuracy());
        }

        @Override public Tensor parameters() {
            float[] all = table == null ? new float[1] : table.tensors().values().stream().findFirst().orElse(new float[1]);
            return be.of(all.length == 0 ? new float[1] : all, Math.max(all.length, 1));
        }

        @Override public String costName() {
            return kind.likelihood() ? "-log-likelihood per frame" : "1 - expected ACC";
        }

        @Override public void save(Path file, Position at, Map<String, String> about) throws IOException {
            if (table == null) table = kind.count(config, d.train(), d.notes());   // a stop before the first epoch ended
            kind.save(file, config, table, d.notes(), at, about);
        }
    }

    @Override public Sampling<NoSettings> sampling() {
        return new Sampling<>() {
            @Override public Settings<NoSettings> settings() { return NoSettings.NONE; }

            @Override public String generate(Backend be, SafeTensors.Contents c, NoSettings o, Request r, Report report) throws IOException {
                int n = Checkpoints.integer(c, "notes");
                NoteTable table = load(config(c), c, n);
                PianoRoll primer = Rolls.primer(r.prime(), n);
                int first = primer == null ? 0 : primer.frames(), total = first + r.steps();
                float[] x = java.util.Arrays.copyOf(primer == null ? new float[0] : primer.toFloats(), total * n), u = new float[n];
                float[] probabilities = new float[total * n];
                double[] p = new double[n];
                Report.Phase bar = report.phase("generating", r.steps());
                for (int t = first; t < total; t++) {
                    table.predict(x, t, n, p);
                    Philox.uniforms(r.seed(), 2, (long) t * ((n + 3) / 4), u, 0, n);
                    for (int j = 0; j < n; j++) {
                        probabilities[t * n + j] = (float) p[j];
                        x[t * n + j] = u[j] < p[j] ? 1f : 0f;
                    }
                    bar.advance(1);
                }
                bar.finish();
                PianoRoll roll = PianoRoll.fromFloats(x, total, PianoRoll.DEFAULT_LOWEST, n);
                return Rolls.writePiece(roll, probabilities, name() + ", " + first + " primer frame(s) + " + r.steps() + " generated", r.song());
            }
        };
    }

    @Override public Evaluating<NoSettings> evaluating() {
        return new Evaluating<>() {
            @Override public Settings<NoSettings> settings() { return NoSettings.NONE; }

            @Override public Scores evaluate(Backend be, SafeTensors.Contents c, NoSettings o, Selection s, Report report) throws IOException {
                long t0 = System.nanoTime();
                int n = Checkpoints.integer(c, "notes");
                List<PianoRoll> rolls = Rolls.selection(s);
                IndependentNotes.Result ev = measure(load(config(c), c, n), rolls, n, () -> false);
                report.line(Rolls.selectionLine(s, rolls.size(), ev.frames(), t0));
                if (!likelihood()) report.line("log-likelihood per time step: none (the predictions are certain: a missed note has probability 0)");
                Rolls.reportIndependent(report, ev, "exact");
                report.line(Rolls.repeatBaseline(rolls));
                return ev.scores();
            }
        };
    }
}
