package dev.tessitura.spark;

import dev.tessitura.cli.Main.Io;
import dev.tessitura.cli.ReproduceCommand;
import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import dev.tessitura.model.Report;
import dev.tessitura.model.reproduce.LocalTrialRunner;
import dev.tessitura.model.reproduce.Trial;
import dev.tessitura.model.reproduce.TrialRunner;
import dev.tessitura.model.run.TrainingRun;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;

/**
 * {@code tessitura reproduce ... --master URL}: the reproduction's trials on Spark. Each trial that trains is one task
 * (its run directory's files go with it, so an unfinished run resumes; the files come back and are written into the
 * reproduction's directory, the checkpoint last); the trials of one call (a row's candidates) run at once. A trial
 * that only evaluates an RBM-based model (the chosen candidate on test, the AIS check) is split by tunes into tasks as
 * {@code evaluate --master} splits it. Every trial runs {@link LocalTrialRunner}'s code with the trial's seeds, and a
 * split evaluation keys each tune's draws by its index, so the table is the one a run in one JVM writes.
 */
final class ReproduceOnSpark implements TrialRunner {
    /** The CLI's reproduce command with the options of a cluster. */
    static CommandLine command(Io io) {
        CommandLine cl = new CommandLine(new ReproduceCommand(io, ReproduceOnSpark::open));
        SparkSetup.addOptions(cl.getCommandSpec(), "Spark tasks of a split evaluation, each a range of test tunes of about equal frames "
                + "(default: 0, four per core of the cluster); each trial that trains is one task");
        cl.getCommandSpec().usageMessage().footer("", "On Spark: a row's candidates train at once, one task each; the RBM-based rows' "
                + "test evaluations are split by tunes. The table is the one of a run in one JVM.");
        return cl;
    }

    private static TrialRunner open(Backend be, String backend, Path data, CommandLine.ParseResult pr, Report report) {
        SparkSetup.Options o = SparkSetup.options(pr);
        JavaSparkContext jsc = SparkSetup.start("tessitura reproduce " + data.getFileName(), o, report);
        try {
            return new ReproduceOnSpark(jsc, o, SparkSetup.ship(jsc, data), backend, SparkSetup.tasks(pr));
        } catch (RuntimeException e) {
            jsc.stop();
            throw e;
        }
    }

    private final JavaSparkContext jsc;
    private final SparkSetup.Options o;
    private final String data, backend;
    private final int tasks, vectorBits;

    private ReproduceOnSpark(JavaSparkContext jsc, SparkSetup.Options o, String data, String backend, int tasks) {
        this.jsc = jsc;
        this.o = o;
        this.data = data;
        this.backend = backend;
        this.tasks = tasks;
        this.vectorBits = BackendOptions.fromSystemProperties().vectorBits();
    }

    @Override public void close() {
        jsc.stop();
    }

    @Override public void run(List<Trial> trials, Report report, TrainingRun.Stop stop, Consumer<Trial.Result> done) throws IOException {
        List<Trial> whole = new ArrayList<>();
        List<Trial> split = new ArrayList<>();
        for (Trial t : trials) (splits(t) ? split : whole).add(t);
        if (!whole.isEmpty()) runWhole(whole, report, stop, done);
        for (Trial t : split) {
            if (stop.requested()) return;
            done.accept(evaluateSplit(t, Models.byName(t.model()).evaluating(), report));
        }
    }

    /** A trial that only evaluates, with a model whose evaluation splits by tunes under the trial's settings. */
    private static boolean splits(Trial t) throws IOException {
        ModelKind.Evaluating<?> e = Models.byName(t.model()).evaluating();
        return e.byTunes() != null && LocalTrialRunner.trained(t) && acceptsSplit(e, t);
    }

    private static <E> boolean acceptsSplit(ModelKind.Evaluating<E> e, Trial t) {
        try {
            e.byTunes().split(e.settings().parse(t.evaluation()));
            return true;
        } catch (IllegalArgumentException refused) {
            return false;
        }
    }

    private <E> Trial.Result evaluateSplit(Trial t, ModelKind.Evaluating<E> e, Report report) throws IOException {
        long t0 = System.nanoTime();
        E settings = e.byTunes().split(e.settings().parse(t.evaluation()));
        ClusterEvaluation.Job job = ClusterEvaluation.job(Models.byName(t.model()), e, settings, t.data(), backend, o.taskCpus());
        Path ckpt = LocalTrialRunner.measured(t);
        ModelKind.Scores s = ClusterEvaluation.evaluate(e.byTunes(), job, t.data(), Files.readAllBytes(ckpt), t.id(), tasks, o, jsc, data,
                lines(t, report));
        return new Trial.Result(t.id(), s, 0, (System.nanoTime() - t0) / 1e9);
    }

    /** A trial's evaluation lines go to its log, as in one JVM; warnings and progress to the report. */
    private static Report lines(Trial t, Report outer) throws IOException {
        Files.createDirectories(t.dir());
        Path log = t.dir().resolve(LocalTrialRunner.LOG);
        return new Report() {
            @Override public void line(String text) {
                try {
                    Files.writeString(log, text + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override public void warning(String text) { outer.warning(t.id() + ": " + text); }

            @Override public Phase phase(String label, long total) { return outer.phase(t.id() + ": " + label, total); }
        };
    }

    /** The trials as one task each, at once; each result written into its run directory as it comes. */
    private void runWhole(List<Trial> trials, Report report, TrainingRun.Stop stop, Consumer<Trial.Result> done) throws IOException {
        List<JavaFutureAction<List<Output>>> jobs = new ArrayList<>();
        for (Trial t : trials) {
            Task task = new Task(t.id(), t.model(), t.options(), t.epochs(), t.last(), t.evaluation(), t.data().split(), t.data().every(),
                    t.data().maxSequences(), t.data().maxFrames(), t.data().data().toAbsolutePath().normalize().toString(), files(t.dir()),
                    backend, o.taskCpus(), vectorBits);
            jsc.setJobDescription("trial " + t.id());
            String shipped = data;
            jobs.add(jsc.parallelize(List.of(task), 1).map(x -> x.run(SparkSetup.local(shipped))).collectAsync());
        }
        report.warning(trials.size() + " trial(s) on Spark (" + o.master() + ")");
        SparkSetup.await(jsc, o, jobs, stop::requested, (i, r) -> {
            Trial t = trials.get(i);
            if (r.failure() != null) throw new IllegalStateException("trial " + t.id() + " failed on Spark: " + SweepTrialRunner.line(r.failure()));
            Output out = r.value().get(0);
            try {
                write(t.dir(), out.files());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            done.accept(new Trial.Result(t.id(), new ModelKind.Scores(out.frames(), out.ll(), out.stdErr(), out.acc(), out.more()),
                    out.trainSeconds(), out.evalSeconds()));
        });
    }

    /** A run directory's files by name (none for a run not started), the lock left out. */
    static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && !name.startsWith(".")) out.put(name, Files.readAllBytes(p));
            }
        }
        return out;
    }

    /** Writes the files into dir, each synced and renamed, the checkpoint (a run's commit point) last. */
    static void write(Path dir, Map<String, byte[]> files) throws IOException {
        Files.createDirectories(dir);
        List<String> names = new ArrayList<>(files.keySet());
        names.sort(Comparator.comparing((String n) -> n.equals(TrainingRun.CHECKPOINT)).thenComparing(Comparator.naturalOrder()));
        for (String n : names) SweepStore.atomic(dir.resolve(n), files.get(n));
    }

    /** A trial as an executor gets it: its run directory's files with it, the data by the driver's path (for the headers). */
    record Task(String id, String model, List<String> options, int epochs, boolean last, List<String> evaluation, String split, int every,
                int maxSequences, int maxFrames, String data, Map<String, byte[]> files, String backend, int threads, int vectorBits)
            implements Serializable {
        Task {
            options = new ArrayList<>(options);
            evaluation = new ArrayList<>(evaluation);
            files = new LinkedHashMap<>(files);
        }

        /** Runs the trial in a temporary copy of its run directory on the data at {@code local}; the directory's files come back. */
        Output run(Path local) throws IOException {
            Path dir = Files.createTempDirectory("tessitura-trial-");
            try (Backend be = Backends.create(backend, new BackendOptions(threads, vectorBits))) {
                write(dir, files);
                Trial t = new Trial(id, model, options, epochs, last, dir, evaluation, new ModelKind.Selection(local, split, every, maxSequences, maxFrames));
                Trial.Result r = new LocalTrialRunner(be, Path.of(data)).run(t, Report.QUIET, TrainingRun.Stop.NEVER);
                ModelKind.Scores s = r.scores();
                return new Output(s.frames(), s.logLikelihood(), s.stdErr(), s.accuracy(), new LinkedHashMap<>(s.more()), r.trainSeconds(),
                        r.evalSeconds(), new LinkedHashMap<>(ReproduceOnSpark.files(dir)));
            } finally {
                SweepTrialRunner.delete(dir);
            }
        }
    }

    /** What a trial gives back: its scores, its seconds, and its run directory's files. */
    record Output(long frames, double ll, double stdErr, double acc, LinkedHashMap<String, Double> more, double trainSeconds, double evalSeconds,
                  LinkedHashMap<String, byte[]> files) implements Serializable {}
}
