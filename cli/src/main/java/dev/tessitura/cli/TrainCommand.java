package dev.tessitura.cli;

import dev.tessitura.cli.Main.Io;
import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.run.RunDirectory;
import dev.tessitura.model.run.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code tessitura train <model>}: trains a model of the registry ({@link Models}) on a data set into a run directory
 * ({@link TrainingRun}): checkpoint.safetensors after every epoch and on Ctrl-C, best.safetensors, metrics.csv and
 * curve.png. One subcommand per model, its options generated from the model's settings.
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a model into a run directory.",
        synopsisSubcommandLabel = "<model>",
        footer = {"", "'tessitura train <model> --help' lists the model's options with their defaults."})
final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing model (" + Models.names() + ")");
    }

    static CommandLine commandLine(Io io) {
        CommandLine train = new CommandLine(new TrainCommand());
        for (ModelKind<?> kind : Models.ALL) train.addSubcommand(kind.name(), new CommandLine(modelSpec(kind, io)));
        return train;
    }

    /** The options every model's training takes, before its own. */
    private static CommandSpec modelSpec(ModelKind<?> kind, Io io) {
        CommandSpec[] self = new CommandSpec[1];
        CommandSpec spec = CommandSpec.wrapWithoutInspection((Callable<Integer>) () -> train(kind, self[0].commandLine().getParseResult(), io));
        self[0] = spec;
        spec.name(kind.name()).mixinStandardHelpOptions(true);
        spec.usageMessage().description(kind.summary()).sortOptions(false);
        spec.addOption(option("--data", "D", Path.class, "a data set: .pickle/.pkl, .mat, or a folder of MIDI files").required(true).build());
        spec.addOption(option("--out", "DIR", Path.class, "the run directory").required(true).build());
        spec.addOption(option("--epochs", "N", int.class, "epochs to train; with --resume, the total to reach (default: 20)").defaultValue("20").build());
        spec.addOption(OptionSpec.builder("--resume").arity("0").type(boolean.class)
                .description("continue the run in --out from its checkpoint, exactly as if never stopped").build());
        spec.addOption(option("--backend", "NAME", String.class, "auto, scalar, simd or cuda (default: auto)").defaultValue("auto").build());
        spec.addOption(option("--patience", "N", int.class, "stop when the validation cost has not improved for N epochs (default: 0, never)")
                .defaultValue("0").build());
        spec.addOption(option("--max-sequences", "N", int.class, "train on the first N training sequences only (default: 0, all)")
                .defaultValue("0").build());
        spec.addOption(OptionSpec.builder("--other-data").arity("0").type(boolean.class)
                .description("with --resume: go on although --data (its content or --max-sequences) is not the run's").build());
        if (kind.startsFromParameters()) {
            spec.addOption(option("--init", "FILE", Path.class, "start from the parameters of this checkpoint (the same model and sizes; "
                    + "a fresh optimizer): fine-tuning, e.g. on the untransposed tunes after --augment").build());
        }
        SettingOptions.add(spec, kind.settings(), null);
        return spec;
    }

    /** A checkpoint that must hold a model of this kind; {@code named}: how the error names it. */
    private static SafeTensors.Contents readOfKind(ModelKind<?> kind, Path file, String named) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        if (!kind.name().equals(c.metadata().get("kind"))) {
            throw new IllegalArgumentException(named + " holds a " + c.metadata().get("kind") + " model, not " + kind.name());
        }
        return c;
    }

    static OptionSpec.Builder option(String name, String label, Class<?> type, String help) {
        return OptionSpec.builder(name).paramLabel(label).type(type).description(help);
    }

    private static <C> int train(ModelKind<C> kind, ParseResult pr, Io io) throws IOException {
        Path data = pr.matchedOptionValue("--data", null), dir = pr.matchedOptionValue("--out", null);
        int epochs = pr.matchedOptionValue("--epochs", 20), patience = pr.matchedOptionValue("--patience", 0);
        int maxSequences = pr.matchedOptionValue("--max-sequences", 0);
        boolean resume = pr.hasMatchedOption("--resume");
        CommandLine cl = pr.commandSpec().commandLine();
        if (epochs < 1) throw new ParameterException(cl, "--epochs must be >= 1, got " + epochs);
        if (patience < 0) throw new ParameterException(cl, "--patience must be >= 0, got " + patience);
        if (maxSequences < 0) throw new ParameterException(cl, "--max-sequences must be >= 0, got " + maxSequences);
        if (pr.hasMatchedOption("--other-data") && !resume) throw new ParameterException(cl, "--other-data goes with --resume");
        Path init = pr.matchedOptionValue("--init", null);
        if (init != null && resume) throw new ParameterException(cl, "--init starts a new run; --resume continues one: not both");
        C config = SettingOptions.apply(pr, kind.settings());    // checks the options before anything happens
        if (!Files.exists(data)) throw new NoSuchFileException(data.toString());
        if (init != null && !Files.exists(init)) throw new NoSuchFileException(init.toString());
        Path ckpt = dir.resolve(TrainingRun.CHECKPOINT);
        if (Files.exists(ckpt) && !resume) {
            throw new IllegalArgumentException(dir + " already holds a run: pass --resume to continue it, or choose another --out");
        }
        if (resume && !Files.exists(ckpt)) throw new IllegalArgumentException("--resume: no " + ckpt);
        Report report = new CliReport(io.out(), io.err());
        try (RunDirectory lock = RunDirectory.lock(dir);
             Backend be = Backends.create(pr.matchedOptionValue("--backend", "auto"), BackendOptions.fromSystemProperties())) {
            String sha256 = RunDirectory.sha256(data);
            Trainer trainer;
            Position at;
            if (resume) {
                SafeTensors.Contents saved = readOfKind(kind, ckpt, ckpt.toString());
                // the checkpoint's configuration, with the given options that are settings of the run, not of the model
                C resumed = SettingOptions.apply(pr, kind.settings(), kind.config(saved));
                List<String> changed = kind.settings().differences(resumed, kind.config(saved));
                if (!changed.isEmpty()) {
                    throw new ParameterException(cl, "a resumed run keeps its model's settings: " + String.join(", ", changed));
                }
                RunDirectory.checkSameData(saved.metadata(), sha256, maxSequences, pr.hasMatchedOption("--other-data"));
                at = Position.fromMetadata(saved.metadata());
                if (at.epoch() >= epochs) {
                    throw new IllegalArgumentException(dir + " has trained " + at.epoch() + " epochs already: give --epochs more than "
                            + at.epoch() + " to go on");
                }
                trainer = kind.resume(be, saved, resumed, data, maxSequences, report);
                report.line(String.format("resuming %s at epoch %d, update %d", dir, at.epoch() + 1, at.index()));
            } else if (init != null) {
                SafeTensors.Contents from = readOfKind(kind, init, "--init " + init);
                try {
                    trainer = kind.initialized(be, from, config, data, maxSequences, report);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--init " + init + ": " + e.getMessage(), e);
                }
                report.line("starting from the parameters of " + init);
                at = Position.start(0);
            } else {
                trainer = kind.trainer(be, config, data, maxSequences, report);
                at = Position.start(0);
            }
            report.line("model: " + trainer.describe() + "; " + be.description());
            Map<String, String> about = new LinkedHashMap<>();
            about.put("data", data.toAbsolutePath().normalize().toString());
            about.put(RunDirectory.DATA_SHA256, sha256);
            about.put(RunDirectory.MAX_SEQUENCES, Integer.toString(maxSequences));
            about.put("backend", be.description());
            if (init != null) about.put("init", init.toAbsolutePath().normalize().toString());
            TrainingRun.Outcome outcome;
            try (StopSignal stop = new StopSignal()) {
                outcome = new TrainingRun(trainer, kind.name(), dir, about, report).run(at, epochs, patience, stop);
            }
            if (outcome == TrainingRun.Outcome.INTERRUPTED) return 130;
            report.line("run directory: " + dir + " (" + TrainingRun.CHECKPOINT + ", " + TrainingRun.BEST + ", "
                    + TrainingRun.METRICS + ", " + TrainingRun.CURVE + ")");
            return 0;
        }
    }
}
