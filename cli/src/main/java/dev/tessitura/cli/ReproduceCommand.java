package dev.tessitura.cli;

import dev.tessitura.cli.Main.Io;
import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.model.reproduce.LocalTrialRunner;
import dev.tessitura.model.reproduce.Recipes;
import dev.tessitura.model.Report;
import dev.tessitura.model.reproduce.Reproduction;
import dev.tessitura.model.reproduce.TrialRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tessitura reproduce}: the paper's Table 1 from one command ({@link Reproduction}), resumable: the same command
 * started again after any stop continues where it stopped.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = {"Reproduce Table 1 of Boulanger-Lewandowski et al. (ICML 2012) on a data set: every row trained by its recipe, "
                + "searched on the validation split, measured on test; writes DIR/TABLE.md, DIR/results.json, DIR/table.png and a run "
                + "directory per candidate under DIR/runs. Stopped anywhere (Ctrl-C, kill -9), the same command continues where it "
                + "stopped and ends with the same figures.",
                "Budgets: smoke (every row in minutes, tiny models), default (Nottingham in about two hours on two cores), "
                + "paper (the paper's AIS protocol: a GPU's or a cluster's work: ./tessitura reproduce ... --master URL runs the trials on Spark)."})
public final class ReproduceCommand implements Callable<Integer> {
    /** Opens a reproduction's trial runner: this JVM's here; a cluster's where the spark module adds its options. */
    public interface Runners {
        /** The runner for trials on backend {@code backend} (as given; {@code be} is this JVM's); pr: the parsed options. */
        TrialRunner open(Backend be, String backend, Path data, ParseResult pr, Report report) throws IOException;
    }

    private final Io io;
    private final Runners runners;
    @Spec CommandSpec spec;
    @Option(names = "--data", required = true, paramLabel = "D", description = "a data set: .pickle/.pkl, .mat, or a folder of MIDI files") Path data;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the reproduction's directory (new, empty, or one to continue)") Path out;
    @Option(names = "--rows", split = ",", paramLabel = "ROW", description = "the rows to reproduce, in this order (default: all: ${COMPLETION-CANDIDATES})",
            completionCandidates = RowNames.class) List<String> rows = new ArrayList<>();
    @Option(names = "--budget", paramLabel = "NAME", description = "smoke, default or paper (default: default)") String budget = "default";
    @Option(names = "--backend", paramLabel = "NAME", description = "auto, scalar, simd or cuda (default: auto)") String backend = "auto";

    ReproduceCommand(Io io) {
        this(io, (be, backend, data, pr, report) -> new LocalTrialRunner(be));
    }

    /** The command with trials run by {@code runners} (the spark module's, with its options added to the spec). */
    public ReproduceCommand(Io io, Runners runners) {
        this.io = io;
        this.runners = runners;
    }

    /** The recipes' row ids, for the help and completion. */
    static final class RowNames extends ArrayList<String> {
        RowNames() {
            super(Recipes.load().rows().stream().map(Recipes.Row::id).toList());
        }
    }

    @Override public Integer call() throws IOException {
        Recipes recipes = Recipes.load();
        for (String r : rows) {
            try {
                recipes.row(r);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--rows: " + e.getMessage());
            }
        }
        if (!Recipes.BUDGETS.contains(budget)) {
            throw new ParameterException(spec.commandLine(), "--budget: unknown budget '" + budget + "' (" + String.join(", ", Recipes.BUDGETS) + ")");
        }
        Reproduction.Plan plan = Reproduction.plan(recipes, data, out, rows, budget);
        CliReport report = new CliReport(io.out(), io.err());
        try (Backend be = Backends.create(backend, BackendOptions.fromSystemProperties()); StopSignal stop = new StopSignal(false);
             TrialRunner runner = runners.open(be, backend, data, spec.commandLine().getParseResult(), report)) {
            report.line("backend: " + be.description());
            return Reproduction.run(plan, runner, report, stop) == Reproduction.Outcome.FINISHED ? 0 : 130;
        }
    }
}
