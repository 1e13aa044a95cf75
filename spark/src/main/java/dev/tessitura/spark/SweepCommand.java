package dev.tessitura.spark;

import dev.tessitura.cli.CliReport;
import dev.tessitura.cli.Main.Io;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code tessitura sweep}: a grid (or a random part of it) of trainings on Spark, ranked by a validation figure. */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Hyper-parameter sweep on Apache Spark: each trial (train, then the validation log-likelihood) is one Spark task. "
                + "Writes DIR/trials.csv, trials.md, sweep.png (the validation log-likelihood against each swept key), best.safetensors "
                + "and every trial's checkpoint under DIR/trials/. Run again on the same DIR, it runs only the trials without a result."},
        footer = {"", "Example: tessitura sweep --model rnn-rbm --data D --out sweep1 --grid 'lr-rbm=0.01,0.03,0.1;hidden=150,300' --epochs 5",
                "The grid's keys are the model's options without -- ('tessitura train <model> --help'); a list value in brackets: "
                        + "hidden=[120,120],[200].",
                "On a cluster: --master spark://host:7077 (spark/README.md)."})
final class SweepCommand implements Callable<Integer> {
    private final Io io;
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M", description = "the model to train (rnn-rbm, lstm-rbm, lstm, melody-lstm)")
    String model;
    @Option(names = "--data", required = true, paramLabel = "D", description = "a data set with a validation split: .pickle/.pkl, .mat, or a folder of MIDI files")
    Path data;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the sweep's folder (created; an existing one is resumed)")
    Path out;
    @Option(names = "--grid", required = true, paramLabel = "GRID", description = "key=value,value,...;key=... (a key with one value fixes it)")
    String grid;
    @Option(names = "--random", paramLabel = "N", defaultValue = "0", description = "run N distinct trials of the grid drawn with --seed (default: 0, all)")
    int random;
    @Option(names = "--epochs", paramLabel = "N", defaultValue = "20", description = "epochs per trial (default: 20)")
    int epochs;
    @Option(names = "--patience", paramLabel = "N", defaultValue = "0", description = "stop a trial when its validation monitor has not improved for N epochs (default: 0, never)")
    int patience;
    @Option(names = "--max-sequences", paramLabel = "N", defaultValue = "0", description = "train on the first N training sequences only (default: 0, all)")
    int maxSequences;
    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "the sweep's seed: each trial's model seed is derived from it and "
            + "the trial's values (unless the grid sets seed), and --random draws with it (default: 1)")
    long seed;
    @Option(names = "--eval", paramLabel = "K=V;...", defaultValue = "", description = "the model's evaluate settings for the validation figure "
            + "(default for AIS models: ais-runs=10;ais-steps=300;gibbs-burn-in=10;gibbs-samples=10, the rough monitor of train --monitor-ll)")
    String eval;
    @Option(names = "--eval-every", paramLabel = "N", defaultValue = "1", description = "the validation figure on every N-th validation sequence (default: 1)")
    int evalEvery;
    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto", description = "each trial's backend: auto, scalar, simd or cuda (default: auto)")
    String backend;
    @Option(names = "--task-cpus", paramLabel = "N", defaultValue = "1", description = "cores (backend threads) per trial: Spark's spark.task.cpus (default: 1)")
    int taskCpus;
    @Option(names = "--master", paramLabel = "URL", description = "local[*] (this JVM, every core), local[N], "
            + "spark://host:7077, yarn, k8s://... (default: spark-submit's --master, else local[*])")
    String master;
    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "a Spark setting (repeatable), e.g. spark.executor.memory=4g")
    List<String> conf = new ArrayList<>();
    @Option(names = "--executor-wait", paramLabel = "S", defaultValue = "20", description = "seconds to wait for a first executor, or for one to come "
            + "back after all are lost, before giving up (default: 20)")
    int executorWait;

    SweepCommand(Io io) {
        this.io = io;
    }

    @Override public Integer call() throws Exception {
        ModelKind<?> kind = Models.find(model).orElseThrow(() -> usage("unknown model '" + model + "' (" + Models.names() + ")"));
        if (epochs < 1) throw usage("--epochs must be >= 1, got " + epochs);
        if (random < 0) throw usage("--random must be >= 0, got " + random);
        if (patience < 0 || maxSequences < 0 || evalEvery < 1 || executorWait < 1) {
            throw usage("--patience and --max-sequences must be >= 0, --eval-every and --executor-wait >= 1");
        }
        Grid g;
        Map<String, String> evalSettings = new LinkedHashMap<>();
        SparkSetup.Options o;
        try {
            g = Grid.parse(kind, grid);
            for (String kv : eval.split(";")) {
                if (kv.isBlank()) continue;
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException("--eval: '" + kv.strip() + "' is not key=value");
                evalSettings.put(kv.substring(0, eq).strip().replaceFirst("^--", ""), kv.substring(eq + 1).strip());
            }
            o = new SparkSetup.Options(SparkSetup.master(master), taskCpus, Duration.ofSeconds(executorWait), SparkSetup.conf(conf));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (!Files.exists(data)) throw new NoSuchFileException(data.toString());
        int bits = BackendOptions.fromSystemProperties().vectorBits();
        Sweep.Spec s = new Sweep.Spec(kind, data, out, g, random, seed, epochs, patience, maxSequences, backend, bits, evalSettings, evalEvery);
        try {
            Sweep.evalSettings(kind.evaluating().settings(), evalSettings);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        return Sweep.run(s, o, new CliReport(io.out(), io.err())) == 0 ? 0 : 1;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
