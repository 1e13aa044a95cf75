package dev.tessitura.spark;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetLoader;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Report;
import dev.tessitura.model.Settings;
import dev.tessitura.model.run.RunDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A hyper-parameter sweep on Spark: every trial of the grid that has no result in the sweep's folder is one Spark
 * job of one task ({@link SweepTrialRunner} on an executor); the driver writes each result as it arrives
 * ({@link SweepStore}), then the summary. Each trial's seed is derived from the trial itself, so a trial gives the same
 * checkpoint and figures wherever and in whatever order it runs, and as {@code train} and {@code evaluate} give for
 * the same settings.
 */
final class Sweep {
    /**
     * What to sweep.
     *
     * @param eval      the model's evaluate settings for the validation figure, by option name (keys the model's
     *                  evaluation does not have are left out)
     * @param evalEvery every N-th validation sequence
     */
    record Spec(ModelKind<?> kind, Path data, Path out, Grid grid, int random, long seed, int epochs, int patience, int maxSequences,
                String backend, int vectorBits, Map<String, String> eval, int evalEvery) {}

    /**
     * The validation figure's default settings for models with AIS: the rough log-likelihood of {@code train
     * --monitor-ll} (10 runs x 300 temperatures, 10 + 10 Gibbs steps), enough to rank trials; the paper's AIS is for
     * the chosen model ({@code evaluate}).
     */
    static final Map<String, String> EVAL_DEFAULTS = Map.of("ais-runs", "10", "ais-steps", "300", "gibbs-burn-in", "10", "gibbs-samples", "10");

    private Sweep() {}

    /** The sweep's trials in grid order, checked on this machine: the data must load and have a validation split. */
    static List<Trial> trials(Spec s, int threads) throws IOException {
        Dataset d = DatasetLoader.load(s.data());
        if (d.train().isEmpty()) throw new IllegalArgumentException(s.data() + " has no training sequences");
        if (d.valid().isEmpty()) throw new IllegalArgumentException(s.data() + " has no validation split: a sweep ranks trials by it");
        Map<String, String> eval = evalSettings(s.kind().evaluating().settings(), s.eval());
        String sha = RunDirectory.sha256(s.data());
        Map<String, String> about = new LinkedHashMap<>();                  // as train writes them (TrainCommand)
        about.put("data", s.data().toAbsolutePath().normalize().toString());
        about.put(RunDirectory.DATA_SHA256, sha);
        about.put(RunDirectory.MAX_SEQUENCES, Integer.toString(s.maxSequences()));
        String dataName = s.data().getFileName().toString();
        List<Trial> out = new ArrayList<>();
        boolean seeded = s.grid().hasSeed();
        for (Map<String, String> values : s.grid().trials(s.random(), s.seed())) {
            Map<String, String> settings = new LinkedHashMap<>(values);
            if (seeded && !settings.containsKey("seed")) settings.put("seed", Long.toString(Grid.seed(s.seed(), values)));
            long seed = settings.containsKey("seed") ? Long.parseLong(settings.get("seed").strip()) : 0;
            String id = Trial.id(s.kind().name(), settings, s.epochs(), s.patience(), s.maxSequences(), sha, s.backend(), threads,
                    s.vectorBits(), eval, s.evalEvery());
            out.add(new Trial(out.size() + 1, id, s.kind().name(), values, settings, seed, s.epochs(), s.patience(), s.maxSequences(),
                    dataName, about, s.backend(), threads, s.vectorBits(), eval, s.evalEvery()));
        }
        return out;
    }

    /** The given evaluate settings over the defaults, those the model's evaluation has only; an unknown given key is an error. */
    static <E> Map<String, String> evalSettings(Settings<E> settings, Map<String, String> given) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> names = settings.all().stream().filter(x -> !x.options().isEmpty()).map(x -> x.name().substring(2)).toList();
        for (String k : given.keySet()) {
            if (!names.contains(k)) {
                throw new IllegalArgumentException("--eval: the model's evaluate has no setting '" + k + "'" + (names.isEmpty() ? " (it has none)"
                        : " (" + String.join(", ", names) + ")"));
            }
        }
        for (String k : names) {
            String v = given.containsKey(k) ? given.get(k) : EVAL_DEFAULTS.get(k);
            if (v != null) out.put(k, v);
        }
        try {
            Grid.apply(settings, out);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--eval: " + e.getMessage());
        }
        return out;
    }

    /**
     * Runs the trials that have no result yet and writes the summary; returns the number of trials that did not
     * finish on Spark (their jobs failed: a run again retries them), 0 when every trial has a result.
     */
    static int run(Spec s, SparkSetup.Options o, Report report) throws IOException {
        List<Trial> trials = trials(s, o.taskCpus());
        try (RunDirectory lock = RunDirectory.lock(s.out())) {
            SweepStore store = new SweepStore(s.out());
            List<TrialResult> results = new ArrayList<>();
            List<Trial> todo = new ArrayList<>();
            for (Trial t : trials) {
                TrialResult r = store.read(t.id());
                results.add(r);
                if (r == null) todo.add(t);
            }
            List<String> swept = s.grid().swept();
            report.line(String.format(Locale.ROOT, "sweep: %s on %s: %d trial(s)%s, %d with a result already, %d to run on %s", s.kind().name(),
                    s.data(), trials.size(), swept.isEmpty() ? "" : " over " + String.join(", ", swept), trials.size() - todo.size(), todo.size(),
                    o.master()));
            int lost = todo.isEmpty() ? 0 : runOnSpark(s, o, store, trials, todo, results, report);
            List<String> keys = s.grid().axes().stream().map(Grid.Axis::key).toList();
            int best = store.summarize(trials, results, keys, swept);
            if (best >= 0) {
                TrialResult b = results.get(best);
                report.line(String.format(Locale.ROOT, "best: trial %d (%s): valid log-likelihood %.4f per frame, ACC %.2f%%; its checkpoint: %s",
                        trials.get(best).index(), trials.get(best).label(), b.validLl(), 100 * b.validAcc(), s.out().resolve(SweepStore.BEST)));
            }
            report.line("wrote " + s.out().resolve(SweepStore.CSV) + ", " + SweepStore.TABLE + ", " + SweepStore.PLOT
                    + " (trials' checkpoints in " + s.out().resolve(SweepStore.TRIALS) + ")");
            return lost;
        }
    }

    private static int runOnSpark(Spec s, SparkSetup.Options o, SweepStore store, List<Trial> trials, List<Trial> todo, List<TrialResult> results,
                                  Report report) {
        JavaSparkContext jsc = SparkSetup.start("tessitura sweep " + s.out().getFileName(), o, report);
        try {
            String data = SparkSetup.ship(jsc, s.data());
            List<JavaFutureAction<List<TrialResult>>> jobs = new ArrayList<>();
            for (Trial t : todo) {
                jsc.setJobDescription("trial " + t.index() + ": " + t.label());
                jobs.add(jsc.parallelize(List.of(t), 1).map(x -> SweepTrialRunner.run(x, SparkSetup.local(data)).on(executor())).collectAsync());
            }
            int[] lost = {0}, done = {trials.size() - todo.size()};
            SparkSetup.await(jsc, o, jobs, (i, r) -> {
                Trial t = todo.get(i);
                if (r.failure() != null) {
                    lost[0]++;
                    report.warning("trial " + t.index() + " (" + t.label() + ") did not finish on Spark: " + SweepTrialRunner.line(r.failure()));
                    return;
                }
                TrialResult res = r.value().get(0);
                try {
                    store.write(res);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                results.set(trials.indexOf(t), res);
                done[0]++;
                report.line(String.format(Locale.ROOT, "trial %d/%d (%s) %s%s  (%.1f s on %s)", done[0], trials.size(), t.label(),
                        res.ok() ? "valid log-likelihood " : "failed: ",
                        res.ok() ? String.format(Locale.ROOT, "%.4f +- %.4f per frame, ACC %.2f%%", res.validLl(), res.validLlStdErr(), 100 * res.validAcc())
                                : res.error(), res.seconds(), res.executor()));
            });
            if (lost[0] > 0) report.warning(lost[0] + " trial(s) did not finish: run the same command again to run them");
            return lost[0];
        } finally {
            jsc.stop();
        }
    }

    /** Where a task runs: "executor 1 on host" ("driver" in local mode). */
    static String executor() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "?";
        }
        SparkEnv env = SparkEnv.get();
        return (env == null ? "this JVM" : env.executorId().equals("driver") ? "driver" : "executor " + env.executorId()) + " on " + host;
    }
}
