package dev.tessitura.cli;

import dev.tessitura.cli.DatasetCommand.UsageError;
import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetLoader;
import dev.tessitura.midi.MidiFolder;
import dev.tessitura.midi.MidiWriter;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.midi.render.PianoRollImage;
import dev.tessitura.midi.render.WavRenderer;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.lstm.LstmTrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code tessitura generate} and {@code tessitura evaluate}: what a trained checkpoint does. */
final class ModelCommands {
    static final String GENERATE_USAGE = """
            usage: tessitura generate --checkpoint <file> --out song.mid [options]
              --steps N            frames to generate after the primer (default 200)
              --prime FILE.mid     start from this tune (read at two frames per quarter note, transposed to C)
              --seed S             sampling seed (default 1)
              --threshold P        LSTM: output probabilities below P are set to 0 before sampling (default 0.1)
              --backend NAME       auto (default), scalar, simd, cuda
            writes song.mid, and beside it song.png (piano roll) and song.wav (0.25 s per frame)
            """;
    static final String EVALUATE_USAGE = """
            usage: tessitura evaluate --checkpoint <file> --data <pickle|mat|midi folder> [--split test] [--backend NAME]
            prints the log-likelihood per time step (averaged over all time steps of the split as one flat list, with
            its standard error) and the frame-level accuracy ACC = sum TP / sum (TP + FP + FN) (Bay et al. 2009) of
            the thresholded prediction (p > 0.5) and in expectation under the model
            """;

    private ModelCommands() {}

    static int generate(String[] args, PrintStream out, PrintStream err) {
        return guarded("generate", GENERATE_USAGE, out, err, args, () -> generate(args, out));
    }

    static int evaluate(String[] args, PrintStream out, PrintStream err) {
        return guarded("evaluate", EVALUATE_USAGE, out, err, args, () -> evaluate(args, out));
    }

    private interface Body {
        int run() throws IOException;
    }

    private static int guarded(String name, String usage, PrintStream out, PrintStream err, String[] args, Body body) {
        if (args.length == 1 && Set.of("help", "--help", "-h").contains(args[0])) {
            out.print(usage);
            return 0;
        }
        try {
            return body.run();
        } catch (UsageError e) {
            err.println("tessitura " + name + ": " + e.getMessage());
            err.print(usage);
            return 2;
        } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            err.println("tessitura " + name + ": " + DatasetCommand.failure(e));
            return 1;
        }
    }

    /** Reads a checkpoint and checks it holds a model this build knows. */
    private static SafeTensors.Contents checkpoint(Args a) throws IOException {
        Path file = a.path("checkpoint");
        if (file == null) throw new UsageError("missing --checkpoint");
        DatasetCommand.mustExist(file);
        SafeTensors.Contents c = SafeTensors.read(file);
        String kind = c.metadata().get("kind");
        if (!LstmTrainer.KIND.equals(kind)) throw new IllegalArgumentException(file + ": unknown model kind '" + kind + "'");
        return c;
    }

    private static int generate(String[] argv, PrintStream out) throws IOException {
        Args a = DatasetCommand.parse(argv, Set.of("checkpoint", "out", "steps", "prime", "seed", "threshold", "backend"), Set.of());
        a.maxPositionals(0);
        Path song = a.path("out");
        if (song == null) throw new UsageError("missing --out");
        String name = song.getFileName().toString();
        if (!name.toLowerCase(Locale.ROOT).endsWith(".mid")) throw new UsageError("--out must name a .mid file");
        SafeTensors.Contents c = checkpoint(a);
        int steps = a.integer("steps", 200);
        if (steps < 1) throw new UsageError("--steps must be >= 1");
        try (Backend be = Backends.create(a.string("backend", "auto"), BackendOptions.fromSystemProperties())) {
            LstmTrainer t = LstmTrainer.load(be, c);
            int notes = Integer.parseInt(c.metadata().get("notes"));
            PianoRoll primer = a.path("prime") == null ? PianoRoll.builder(1, PianoRoll.DEFAULT_LOWEST, notes).build()
                    : MidiFolder.readRoll(a.path("prime"), new MidiFolder.Options(2, true, false, 0)).withRange(PianoRoll.DEFAULT_LOWEST, notes);
            PianoRoll roll = t.generate(primer, steps, (float) a.number("threshold", 0.1), a.integer("seed", 1));
            String base = name.substring(0, name.length() - 4);
            Path png = song.resolveSibling(base + ".png"), wav = song.resolveSibling(base + ".wav");
            if (song.toAbsolutePath().getParent() != null) java.nio.file.Files.createDirectories(song.toAbsolutePath().getParent());
            MidiWriter.write(roll, MidiWriter.Options.DEFAULT, song);
            PianoRollImage.write(roll, null, PianoRollImage.Options.DEFAULT.withTitle(base + ": " + primer.frames()
                    + " primer frame(s) + " + steps + " generated").withFramesPerBar(8), png);
            WavRenderer.write(WavRenderer.render(roll, WavRenderer.Options.DEFAULT), wav);
            out.printf("wrote %s (%d frames, %d notes), %s, %s%n", song, roll.frames(), roll.noteCells(), png, wav);
            return 0;
        }
    }

    private static int evaluate(String[] argv, PrintStream out) throws IOException {
        Args a = DatasetCommand.parse(argv, Set.of("checkpoint", "data", "split", "backend"), Set.of());
        a.maxPositionals(0);
        Path data = a.path("data");
        if (data == null) throw new UsageError("missing --data");
        String split = a.string("split", "test");
        if (!Dataset.SPLITS.contains(split)) throw new UsageError("--split must be train, valid or test");
        SafeTensors.Contents c = checkpoint(a);
        DatasetCommand.mustExist(data);
        List<PianoRoll> rolls = DatasetLoader.load(data).split(split);
        try (Backend be = Backends.create(a.string("backend", "auto"), BackendOptions.fromSystemProperties())) {
            LstmTrainer t = LstmTrainer.load(be, c);
            long t0 = System.nanoTime();
            LstmTrainer.Evaluation ev = t.evaluate(rolls);
            out.printf(Locale.ROOT, "%s, split %s: %d sequences, %,d predicted frames (%.1f s)%n", data, split, rolls.size(), ev.frames(),
                    (System.nanoTime() - t0) / 1e9);
            out.printf(Locale.ROOT, "log-likelihood per time step: %.4f +- %.4f (exact for independent sigmoid outputs)%n",
                    ev.logLikelihood(), ev.nllStdErr());
            out.printf(Locale.ROOT, "frame-level accuracy: %.2f%% (p > 0.5), %.2f%% (expected under the model)%n",
                    100 * ev.accThreshold(), 100 * ev.accExpected());
            return 0;
        }
    }
}
