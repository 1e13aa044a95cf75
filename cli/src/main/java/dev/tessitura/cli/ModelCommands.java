package dev.tessitura.cli;

import dev.tessitura.cli.Main.Io;
import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.Dataset;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import dev.tessitura.model.Report;
import dev.tessitura.model.Settings;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * {@code tessitura generate} and {@code tessitura evaluate}: what a trained checkpoint does. The checkpoint says which
 * model it holds; each model adds its own options (listed with the models that read them), and an option of another
 * model is an error.
 */
public final class ModelCommands {
    /** The longest piece generate writes: a picture, a sound and the model's probabilities of it stay within memory. */
    static final int MAX_STEPS = 1 << 18;

    private ModelCommands() {}

    static CommandLine generate(Io io) {
        CommandSpec spec = spec("generate", "Compose with a trained model: writes song.mid, and beside it song.png (the piano roll; "
                + "RNN-RBM: with its note probabilities beneath) and song.wav.", pr -> generate(pr, io));
        spec.addOption(TrainCommand.option("--checkpoint", "FILE", Path.class, "a checkpoint written by train").required(true).build());
        spec.addOption(TrainCommand.option("--out", "SONG.mid", Path.class, "the MIDI file to write").required(true).build());
        spec.addOption(TrainCommand.option("--steps", "N", int.class, "frames (melody-lstm: events) to generate after the primer (default: 200)")
                .defaultValue("200").build());
        spec.addOption(TrainCommand.option("--prime", "TUNE.mid", Path.class, "start from this tune (read at two frames per quarter note, "
                + "transposed to C; melody-lstm: its melody, in sixteenths)").build());
        spec.addOption(TrainCommand.option("--seed", "S", long.class, "sampling seed (default: 1)").defaultValue("1").build());
        spec.addOption(TrainCommand.option("--backend", "NAME", String.class, "auto, scalar, simd or cuda (default: auto)").defaultValue("auto").build());
        addModelOptions(spec, k -> k.sampling().settings());
        return new CommandLine(spec);
    }

    /** Evaluation in this JVM. */
    private static final Measure LOCAL = ModelCommands::measure;

    static CommandLine evaluate(Io io) {
        CommandLine cl = evaluate(io, LOCAL);
        cl.getCommandSpec().usageMessage().footer("", "With --master URL, ./tessitura runs this evaluation split by tunes on Apache Spark, "
                + "with the same figures (spark/README.md).");
        return cl;
    }

    /**
     * What {@code evaluate} does once its command line is checked: the model's evaluation with its settings from the
     * options, on the selection; {@code pr} holds the options the caller added to {@link #evaluate(Io, Measure)}'s
     * command.
     */
    public interface Measure {
        /** Measures and reports; returns the scores. */
        <E> ModelKind.Scores measure(ModelKind.Evaluating<E> e, E settings, SafeTensors.Contents c, ModelKind.Selection s, ParseResult pr, Io io)
                throws IOException;
    }

    /** The evaluate command, measuring with {@code m} (a cluster's evaluation adds its options to the command). */
    public static CommandLine evaluate(Io io, Measure m) {
        CommandSpec spec = spec("evaluate", "Log-likelihood per time step (averaged over all time steps of the split as one flat list, "
                + "with its standard error) and frame-level accuracy ACC = sum TP / sum (TP + FP + FN) (Bay et al. 2009) of a "
                + "trained model on a data set; melody-lstm: NLL per event and argmax accuracy.", pr -> evaluate(pr, io, m));
        spec.addOption(TrainCommand.option("--checkpoint", "FILE", List.class, "a checkpoint written by train; given more than once, "
                + "the mixture of those models (exact ones only), mixed at every time step").auxiliaryTypes(Path.class).required(true).build());
        spec.addOption(TrainCommand.option("--data", "D", Path.class, "a data set: .pickle/.pkl, .mat, or a folder of MIDI files").required(true).build());
        spec.addOption(TrainCommand.option("--split", "SPLIT", String.class, "train, valid or test (default: test)").defaultValue("test").build());
        spec.addOption(TrainCommand.option("--max-sequences", "N", int.class, "the first N sequences of the split only (default: 0, all)")
                .defaultValue("0").build());
        spec.addOption(TrainCommand.option("--every", "N", int.class, "every N-th sequence of the split only (0, N, 2N, ...: a sample "
                + "across the split; default: 1)").defaultValue("1").build());
        spec.addOption(TrainCommand.option("--backend", "NAME", String.class, "auto, scalar, simd or cuda (default: auto)").defaultValue("auto").build());
        spec.addOption(TrainCommand.option("--weights", "W", String.class, "a mixture's weights: fit (the most likely on the data set's "
                + "valid split, by EM), equal, or one number per checkpoint (scaled to sum 1) (default: fit)").defaultValue("fit").build());
        addModelOptions(spec, k -> k.evaluating().settings());
        return new CommandLine(spec);
    }

    private interface Body {
        int run(ParseResult pr) throws IOException;
    }

    private static CommandSpec spec(String name, String description, Body body) {
        CommandSpec[] self = new CommandSpec[1];
        CommandSpec spec = CommandSpec.wrapWithoutInspection((Callable<Integer>) () -> body.run(self[0].commandLine().getParseResult()));
        self[0] = spec;
        spec.name(name).mixinStandardHelpOptions(true);
        spec.usageMessage().description(description).sortOptions(false);
        return spec;
    }

    /** Every model's options for this verb, each once, with the models that read it. */
    private static void addModelOptions(CommandSpec spec, Function<ModelKind<?>, Settings<?>> verb) {
        Map<String, List<String>> readers = new LinkedHashMap<>();
        for (ModelKind<?> k : Models.ALL) {
            for (Settings.Setting<?> s : verb.apply(k).all()) {
                if (!s.options().isEmpty()) readers.computeIfAbsent(s.name(), n -> new ArrayList<>()).add(k.name());
            }
        }
        Map<String, String> modelsOf = new LinkedHashMap<>();
        readers.forEach((n, ks) -> modelsOf.put(n, String.join(", ", ks)));
        for (ModelKind<?> k : Models.ALL) SettingOptions.add(spec, verb.apply(k), modelsOf);
    }

    /** The checkpoint, and its model, which must not be given options of other models. */
    private static SafeTensors.Contents checkpoint(ParseResult pr) throws IOException {
        Object given = pr.matchedOptionValue("--checkpoint", null);
        return checkpoint(given instanceof List<?> l ? (Path) l.get(0) : (Path) given);
    }

    private static SafeTensors.Contents checkpoint(Path file) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
        SafeTensors.Contents c = SafeTensors.read(file);
        try {
            Models.of(c);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
        return c;
    }

    /** The verb's settings for this model from the options given; an option of another model is a usage error. */
    private static <T> T settings(ParseResult pr, ModelKind<?> kind, Settings<T> own, Function<ModelKind<?>, Settings<?>> verb) {
        List<String> ownNames = own.all().stream().flatMap(x -> x.options().stream()).toList();
        List<String> modelNames = Models.ALL.stream().flatMap(k -> verb.apply(k).all().stream()).flatMap(x -> x.options().stream()).toList();
        for (CommandLine.Model.OptionSpec o : pr.matchedOptions()) {
            List<String> names = List.of(o.names());
            if (names.stream().anyMatch(modelNames::contains) && names.stream().noneMatch(ownNames::contains)) {
                throw new ParameterException(pr.commandSpec().commandLine(), o.longestName() + " is not an option for a "
                        + kind.name() + " checkpoint");
            }
        }
        return SettingOptions.apply(pr, own);
    }

    private static int generate(ParseResult pr, Io io) throws IOException {
        Path song = pr.matchedOptionValue("--out", null);
        if (!song.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".mid")) {
            throw new ParameterException(pr.commandSpec().commandLine(), "--out must name a .mid file, got " + song);
        }
        int steps = pr.matchedOptionValue("--steps", 200);
        if (steps < 1) throw new ParameterException(pr.commandSpec().commandLine(), "--steps must be >= 1, got " + steps);
        // the piece lives on the host a few times over (frames, probabilities, MIDI events, picture, sound)
        if (steps > MAX_STEPS) {
            throw new ParameterException(pr.commandSpec().commandLine(), "--steps " + steps + " is more than " + MAX_STEPS
                    + " frames (about " + MAX_STEPS / 8 / 120 + " minutes of eighth notes at 120 bpm): generate in parts");
        }
        SafeTensors.Contents c = checkpoint(pr);
        ModelKind<?> kind = Models.of(c);
        if (song.toAbsolutePath().getParent() != null) Files.createDirectories(song.toAbsolutePath().getParent());
        try (Backend be = Backends.create(pr.matchedOptionValue("--backend", "auto"), BackendOptions.fromSystemProperties())) {
            ModelKind.Request r = new ModelKind.Request(steps, pr.matchedOptionValue("--prime", null), pr.matchedOptionValue("--seed", 1L), song);
            io.out().println(sample(kind.sampling(), pr, kind, be, c, r, new CliReport(io.out(), io.err())));
            return 0;
        }
    }

    private static <G> String sample(ModelKind.Sampling<G> s, ParseResult pr, ModelKind<?> kind, Backend be, SafeTensors.Contents c,
                                     ModelKind.Request r, Report report) throws IOException {
        return s.generate(be, c, settings(pr, kind, s.settings(), k -> k.sampling().settings()), r, report);
    }

    private static int evaluate(ParseResult pr, Io io, Measure m) throws IOException {
        String split = pr.matchedOptionValue("--split", "test");
        if (!Dataset.SPLITS.contains(split)) throw new ParameterException(pr.commandSpec().commandLine(), "--split must be train, valid or test");
        int every = pr.matchedOptionValue("--every", 1), max = pr.matchedOptionValue("--max-sequences", 0);
        if (every < 1) throw new ParameterException(pr.commandSpec().commandLine(), "--every must be >= 1");
        if (max < 0) throw new ParameterException(pr.commandSpec().commandLine(), "--max-sequences must be >= 0");
        Path data = pr.matchedOptionValue("--data", null);
        List<Path> files = pr.matchedOptionValue("--checkpoint", List.of());
        if (files.size() > 1) {
            if (m != LOCAL) throw new ParameterException(pr.commandSpec().commandLine(), "a mixture of checkpoints is evaluated in one JVM: drop --master");
            List<SafeTensors.Contents> read = new ArrayList<>();
            for (Path f : files) read.add(checkpoint(f));
            if (!Files.exists(data)) throw new NoSuchFileException(data.toString());
            MixtureCommand.evaluate(pr, io, files, read, new ModelKind.Selection(data, split, every, max));
            return 0;
        }
        if (pr.hasMatchedOption("--weights")) throw new ParameterException(pr.commandSpec().commandLine(), "--weights goes with more than one --checkpoint");
        SafeTensors.Contents c = checkpoint(pr);
        ModelKind<?> kind = Models.of(c);
        if (!Files.exists(data)) throw new NoSuchFileException(data.toString());
        run(m, kind.evaluating(), pr, kind, c, new ModelKind.Selection(data, split, every, max), io);
        return 0;
    }

    private static <E> void run(Measure m, ModelKind.Evaluating<E> e, ParseResult pr, ModelKind<?> kind, SafeTensors.Contents c,
                                ModelKind.Selection s, Io io) throws IOException {
        m.measure(e, settings(pr, kind, e.settings(), k -> k.evaluating().settings()), c, s, pr, io);
    }

    /** In this JVM, on the backend of --backend. */
    private static <E> ModelKind.Scores measure(ModelKind.Evaluating<E> e, E settings, SafeTensors.Contents c, ModelKind.Selection s,
                                                ParseResult pr, Io io) throws IOException {
        try (Backend be = Backends.create(pr.matchedOptionValue("--backend", "auto"), BackendOptions.fromSystemProperties())) {
            return e.evaluate(be, c, settings, s, new CliReport(io.out(), io.err()));
        }
    }
}
