package dev.tessitura.spark;

import dev.tessitura.cli.CliReport;
import dev.tessitura.cli.Main.Io;
import dev.tessitura.cli.ModelCommands;
import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import dev.tessitura.model.Report;
import dev.tessitura.model.Rolls;
import dev.tessitura.model.Settings;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code tessitura evaluate ... --master URL}: the CLI's evaluate, its tunes split into contiguous ranges, each range
 * one Spark task ({@link ModelKind.ByTunes#parts}), the parts merged on the driver in tune order. Each tune's draws
 * are keyed by (seed, tune index), so the figures are bit for bit those of the evaluation in one JVM, however the
 * tunes are split and wherever they run.
 */
final class ClusterEvaluation implements ModelCommands.Measure {
    /** The CLI's evaluate command with the options of a cluster added, measuring with m (a ClusterEvaluation). */
    static CommandLine command(Io io, ModelCommands.Measure m) {
        CommandLine cl = ModelCommands.evaluate(io, m);
        CommandSpec spec = cl.getCommandSpec();
        spec.usageMessage().footer("", "Split by tunes into Spark tasks; the figures are those of the evaluation in one JVM (--master local[*]: "
                + "this JVM, every core).");
        SparkSetup.addOptions(spec, "Spark tasks, each a range of tunes of about equal frames (default: 0, four per core of the cluster, "
                + "at most one per tune)");
        return cl;
    }

    @Override public <E> ModelKind.Scores measure(ModelKind.Evaluating<E> e, E settings, SafeTensors.Contents c, ModelKind.Selection s, ParseResult pr, Io io)
            throws IOException {
        ModelKind<?> kind = Models.of(c);
        ModelKind.ByTunes<E, ?> by = e.byTunes();
        if (by == null) {
            throw new IllegalArgumentException(kind.name() + "'s evaluation is exact and does not split by tunes: leave --master out");
        }
        SparkSetup.Options o = SparkSetup.options(pr);
        Path checkpoint = pr.<List<Path>>matchedOptionValue("--checkpoint", List.of()).get(0);   // one: a mixture is refused before
        Job job = job(kind, e, by.split(settings), s, pr.matchedOptionValue("--backend", "auto"), o.taskCpus());
        Report report = new CliReport(io.out(), io.err());
        JavaSparkContext jsc = SparkSetup.start("tessitura evaluate " + checkpoint.getFileName(), o, report);
        try {
            return evaluate(by, job, s, Files.readAllBytes(checkpoint), checkpoint.getFileName().toString(), SparkSetup.tasks(pr), o, jsc,
                    SparkSetup.ship(jsc, s.data()), report);
        } finally {
            jsc.stop();
        }
    }

    /** What every task needs: the model's name, its settings as text, the selection of tunes, the backend. */
    record Job(String model, Map<String, String> settings, String split, int every, int maxSequences, int maxFrames, String backend, int vectorBits,
               int threads) implements Serializable {
        ModelKind.Selection selection(Path data) {
            return new ModelKind.Selection(data, split, every, maxSequences, maxFrames);
        }
    }

    /** The job of evaluating the selection with the (split) settings on the backend, threads per task. */
    static <E> Job job(ModelKind<?> kind, ModelKind.Evaluating<E> e, E settings, ModelKind.Selection s, String backend, int threads) {
        return new Job(kind.name(), text(e.settings(), settings), s.split(), s.every(), s.maxSequences(), s.maxFrames(), backend,
                BackendOptions.fromSystemProperties().vectorBits(), threads);
    }

    /**
     * Evaluates the checkpoint (its bytes, sent to the executors once) on the selection, split by tunes into tasks
     * (0: four per core) of the running context, the data shipped to it under the name {@code data}.
     */
    static <E, P extends Serializable> ModelKind.Scores evaluate(ModelKind.ByTunes<E, P> by, Job job, ModelKind.Selection s, byte[] checkpoint,
                                                                String label, int tasks, SparkSetup.Options o, JavaSparkContext jsc, String data,
                                                                Report report) throws IOException {
        long t0 = System.nanoTime();
        List<PianoRoll> rolls = Rolls.selection(s);
        List<P> parts = new ArrayList<>();
        Broadcast<byte[]> ckpt = jsc.broadcast(checkpoint);
        List<int[]> ranges = ranges(rolls, tasks > 0 ? tasks : 4 * jsc.defaultParallelism());
        try {
            jsc.setJobDescription("evaluate " + label + ": " + rolls.size() + " tunes in " + ranges.size() + " tasks");
            report.warning("evaluating " + rolls.size() + " tunes in " + ranges.size() + " Spark tasks on " + o.master());
            // the longest ranges first, so that the last task to start is a short one; merged in tune order all the same
            List<int[]> order = new ArrayList<>(ranges);
            order.sort(java.util.Comparator.comparingLong((int[] r) -> -frames(rolls, r)).thenComparingInt(r -> r[0]));
            JavaFutureAction<List<ArrayList<Serializable>>> f = jsc.parallelize(order, order.size())
                    .map(r -> part(job, SparkSetup.local(data), ckpt.value(), r[0], r[1])).collectAsync();
            SparkSetup.await(jsc, o, List.of(f), (i, r) -> {
                if (r.failure() != null) throw new IllegalStateException("the evaluation failed on Spark: " + SweepTrialRunner.line(r.failure()));
                List<ArrayList<Serializable>> byRange = new ArrayList<>(java.util.Collections.nCopies(ranges.size(), null));
                for (int k = 0; k < order.size(); k++) byRange.set(ranges.indexOf(order.get(k)), r.value().get(k));
                for (ArrayList<Serializable> p : byRange) {
                    @SuppressWarnings("unchecked") List<P> own = (List<P>) (List<?>) p;
                    parts.addAll(own);
                }
            });
        } finally {
            ckpt.destroy();
        }
        E settings = Grid.apply(settingsOf(Models.byName(job.model())), job.settings());
        ModelKind.Scores scores = by.merge(parts, settings, s, rolls, t0, report);
        report.line(String.format(Locale.ROOT, "on Spark (%s): %d tunes in %d tasks, %.1f s", o.master(), rolls.size(), ranges.size(),
                (System.nanoTime() - t0) / 1e9));
        return scores;
    }

    @SuppressWarnings("unchecked")
    private static <E> Settings<E> settingsOf(ModelKind<?> kind) {
        return (Settings<E>) kind.evaluating().settings();
    }

    /** One task: the parts of tunes [from, to) of the selection, read from this machine's copy of the data. */
    static ArrayList<Serializable> part(Job job, Path data, byte[] checkpoint, int from, int to) throws IOException {
        ModelKind<?> kind = Models.byName(job.model());
        try (Backend be = Backends.create(job.backend(), new BackendOptions(job.threads(), job.vectorBits()))) {
            return new ArrayList<>(parts(kind.evaluating(), be, read(checkpoint), job, Rolls.selection(job.selection(data)), data, from, to));
        }
    }

    /** A checkpoint from its bytes (through a temporary file: the reader validates files). */
    static SafeTensors.Contents read(byte[] checkpoint) throws IOException {
        Path tmp = Files.createTempFile("tessitura-", ".safetensors");
        try {
            Files.write(tmp, checkpoint);
            return SafeTensors.read(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static <E> List<? extends Serializable> parts(ModelKind.Evaluating<E> e, Backend be, SafeTensors.Contents c, Job job,
                                                         List<PianoRoll> rolls, Path data, int from, int to) throws IOException {
        return e.byTunes().parts(be, c, Grid.apply(e.settings(), job.settings()), rolls, data, from, to);
    }

    /** Every setting of a value as the command line writes it, by option name without --. */
    static <E> Map<String, String> text(Settings<E> settings, E value) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Settings.Setting<E> x : settings.all()) {
            if (!x.options().isEmpty()) m.put(x.name().substring(2), x.show(x.get().apply(value)));
        }
        return m;
    }

    private static long frames(List<PianoRoll> rolls, int[] range) {
        long n = 0;
        for (int i = range[0]; i < range[1]; i++) n += rolls.get(i).frames();
        return n;
    }

    /** At most n contiguous ranges [from, to) of the tunes with about equal frames each, none empty. */
    static List<int[]> ranges(List<PianoRoll> rolls, int n) {
        long total = 0;
        for (PianoRoll r : rolls) total += r.frames();
        n = Math.max(1, Math.min(n, rolls.size()));
        List<int[]> out = new ArrayList<>();
        long seen = 0;
        int from = 0;
        for (int i = 0; i < rolls.size(); i++) {
            seen += rolls.get(i).frames();
            // close the range once its share is reached, leaving at least one tune for each range still to come
            boolean share = seen * n >= total * (out.size() + 1), lastTunes = rolls.size() - (i + 1) <= n - out.size() - 1;
            if (i + 1 == rolls.size() || (out.size() < n - 1 && (share || lastTunes))) {
                out.add(new int[] {from, i + 1});
                from = i + 1;
            }
        }
        return out;
    }
}
