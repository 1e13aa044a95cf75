package dev.tessitura.spark;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.run.TrainingRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs one trial where it lands (an executor, or this JVM): trains into a temporary run directory exactly as
 * {@code train} would ({@link TrainingRun}, the same header entries), then measures the final checkpoint on the
 * validation split with the model's own evaluation ({@code evaluate --split valid} with the trial's settings). A
 * trial that fails (a divergence, a setting the model refuses in combination, bad data) gives a result with its
 * error, not an exception: it is a row of the sweep's table.
 */
final class SweepTrialRunner {
    private SweepTrialRunner() {}

    /** The trial on the data at {@code data} (this machine's copy of the sweep's data). */
    static TrialResult run(Trial t, Path data) {
        long t0 = System.nanoTime();
        Path dir = null;
        try (Backend be = Backends.create(t.backend(), new BackendOptions(t.threads(), t.vectorBits()))) {
            dir = Files.createTempDirectory("tessitura-trial-");
            return train(Models.byName(t.model()), t, data, be, dir, t0);
        } catch (DivergedException e) {
            return TrialResult.failed(t.id(), "diverged: " + line(e), seconds(t0), "");
        } catch (IOException | RuntimeException e) {
            return TrialResult.failed(t.id(), line(e), seconds(t0), "");
        } finally {
            delete(dir);
        }
    }

    private static <C> TrialResult train(ModelKind<C> kind, Trial t, Path data, Backend be, Path dir, long t0) throws IOException {
        C config = Grid.apply(kind.settings(), t.settings());
        Trainer trainer = kind.trainer(be, config, data, t.maxSequences(), Report.QUIET);
        Map<String, String> about = new LinkedHashMap<>(t.about());
        about.put("backend", be.description());
        new TrainingRun(trainer, kind.name(), dir, about, Report.QUIET).run(Position.start(0), t.epochs(), t.patience(), TrainingRun.Stop.NEVER);
        Path ckpt = dir.resolve(TrainingRun.CHECKPOINT);
        String metrics = Files.readString(dir.resolve(TrainingRun.METRICS));
        ModelKind.Scores s = validate(kind.evaluating(), be, SafeTensors.read(ckpt), t, data);
        List<String> rows = metrics.lines().filter(l -> !l.isBlank()).toList();
        String[] last = rows.get(rows.size() - 1).split(",");
        return new TrialResult(t.id(), null, s.frames(), s.logLikelihood(), s.stdErr(), s.accuracy(), Double.parseDouble(last[1]),
                Integer.parseInt(last[0]), seconds(t0), "", be.description(), Files.readAllBytes(ckpt), metrics);
    }

    /** The model's evaluation of the validation split, with the trial's settings of it. */
    static <E> ModelKind.Scores validate(ModelKind.Evaluating<E> e, Backend be, SafeTensors.Contents c, Trial t, Path data) throws IOException {
        return e.evaluate(be, c, Grid.apply(e.settings(), t.eval()), new ModelKind.Selection(data, "valid", t.evalEvery(), 0), Report.QUIET);
    }

    /** An exception as one line, the JDK's missing-file exception as its path. */
    static String line(Throwable e) {
        Throwable c = e instanceof UncheckedIOException u ? u.getCause() : e;
        if (c instanceof NoSuchFileException n) return "no such file: " + n.getFile();
        String m = c.getMessage() == null ? c.toString() : c.getMessage();
        return m.replace('\n', ' ').replace('\r', ' ').strip();
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    static void delete(Path dir) {
        if (dir == null) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder left behind is the operating system's to clean
        }
    }
}
