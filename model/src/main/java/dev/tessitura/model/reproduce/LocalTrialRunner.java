package dev.tessitura.model.reproduce;

import dev.tessitura.engine.Backend;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.run.RunDirectory;
import dev.tessitura.model.run.TrainingRun;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Runs trials one after another in this process, on one backend. */
public final class LocalTrialRunner implements TrialRunner {
    /** A trial's log in its run directory: what its training and evaluation printed. */
    public static final String LOG = "trial.log";

    private final Backend be;
    /** The data's path the checkpoints record; null: the trial's own. */
    private final Path recordedData;

    public LocalTrialRunner(Backend be) {
        this(be, null);
    }

    /**
     * Trials on {@code be} whose checkpoints record {@code recordedData} as their data (a cluster's executor trains on
     * its copy of the data, and records the driver's path, so that its checkpoints are those of a run here).
     */
    public LocalTrialRunner(Backend be, Path recordedData) {
        this.be = be;
        this.recordedData = recordedData;
    }

    @Override
    public void run(List<Trial> trials, Report report, TrainingRun.Stop stop, Consumer<Trial.Result> done) throws IOException {
        for (Trial t : trials) {
            if (stop.requested()) return;
            Trial.Result r = run(t, report, stop);
            if (r == null) return;
            done.accept(r);
        }
    }

    /**
     * One trial; null when a stop interrupted its training. Its result lines (the training's epochs, the evaluation's
     * figures) go to DIR/trial.log, its progress bars and warnings to {@code outer}.
     */
    public Trial.Result run(Trial t, Report outer, TrainingRun.Stop stop) throws IOException {
        ModelKind<?> kind = Models.byName(t.model());
        try (RunDirectory lock = RunDirectory.lock(t.dir());
             PrintStream log = new PrintStream(new FileOutputStream(t.dir().resolve(LOG).toFile(), true), true, StandardCharsets.UTF_8)) {
            log.println("== " + t.id() + ": " + t.model() + " " + String.join(" ", t.options()) + ", " + t.epochs() + " epochs; evaluate "
                    + String.join(" ", t.evaluation()) + " on " + t.data().split());
            Report report = new Report() {
                @Override public void line(String text) { log.println(text); }

                @Override public void warning(String text) { outer.warning(text); }

                @Override public Phase phase(String label, long total) { return outer.phase(t.id() + ": " + label, total); }
            };
            long t0 = System.nanoTime();
            if (!train(kind, t, report, stop)) return null;
            long t1 = System.nanoTime();
            ModelKind.Scores s = evaluate(kind.evaluating(), SafeTensors.read(measured(t)), t, report);
            return new Trial.Result(t.id(), s, (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
        }
    }

    /** The checkpoint a trial measures: its run's last, or its best by the validation monitor. */
    public static Path measured(Trial t) {
        Path file = t.dir().resolve(t.last() ? TrainingRun.CHECKPOINT : TrainingRun.BEST);
        // without a validation split to improve on, the first epoch's checkpoint is also the best one
        return Files.exists(file) ? file : t.dir().resolve(TrainingRun.CHECKPOINT);
    }

    /** Whether the trial's run has its epochs already: the trial then only evaluates. */
    public static boolean trained(Trial t) throws IOException {
        Path ckpt = t.dir().resolve(TrainingRun.CHECKPOINT);
        return Files.exists(ckpt) && Position.fromMetadata(SafeTensors.read(ckpt).metadata()).epoch() >= t.epochs();
    }

    /** Trains the trial's run to its epochs (resuming it; nothing when it has them); false when stopped. */
    private <C> boolean train(ModelKind<C> kind, Trial t, Report report, TrainingRun.Stop stop) throws IOException {
        C config = kind.settings().parse(t.options());
        Path ckpt = t.dir().resolve(TrainingRun.CHECKPOINT), data = t.data().data();
        Trainer trainer;
        Position at;
        if (Files.exists(ckpt)) {
            SafeTensors.Contents saved = SafeTensors.read(ckpt);
            at = Position.fromMetadata(saved.metadata());
            if (at.epoch() >= t.epochs()) return true;
            List<String> changed = kind.settings().differences(config, kind.config(saved));
            if (!changed.isEmpty()) throw new IllegalStateException(t.dir() + " holds a run of other settings: " + String.join(", ", changed));
            trainer = kind.resume(be, saved, config, data, 0, report);
        } else {
            trainer = kind.trainer(be, config, data, 0, report);
            at = Position.start(0);
        }
        Map<String, String> about = new LinkedHashMap<>();
        about.put("data", (recordedData != null ? recordedData : data).toAbsolutePath().normalize().toString());
        about.put(RunDirectory.DATA_SHA256, RunDirectory.sha256(data));
        about.put(RunDirectory.MAX_SEQUENCES, "0");
        about.put("backend", be.description());
        stop.busy(true);
        try {
            return new TrainingRun(trainer, kind.name(), t.dir(), about, report).run(at, t.epochs(), 0, stop) != TrainingRun.Outcome.INTERRUPTED;
        } finally {
            stop.busy(false);
        }
    }

    private <E> ModelKind.Scores evaluate(ModelKind.Evaluating<E> e, SafeTensors.Contents c, Trial t, Report report) throws IOException {
        return e.evaluate(be, c, e.settings().parse(t.evaluation()), t.data(), report);
    }
}
