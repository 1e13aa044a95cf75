package dev.tessitura.cli;

import dev.tessitura.cli.DatasetCommand.UsageError;
import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.PianoRoll;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code tessitura demo}: the whole pipeline in a few minutes, as a first run: train the RNN-RBM on Nottingham
 * (or, where the data set is not found, on a small synthetic one, saying so), evaluate it on the test split, and
 * compose a piece (MIDI, piano-roll picture with the model's note probabilities, WAV). Each step is the same
 * command a user would type, so the demo also shows how to use them.
 */
final class DemoCommand {
    static final String USAGE = """
            usage: tessitura demo [--data Nottingham.pickle] [--out demo-run] [--epochs 3] [--backend auto]
            trains the RNN-RBM (150 hidden, 100 recurrent, CD-15), evaluates it on the test split and composes a piece;
            without --data it looks for ../shared/datasets/nottingham/Nottingham.pickle next to the repository
            """;

    /** Where the launcher's repository keeps the benchmark data by default (set by ./tessitura). */
    static final String REPO_PROPERTY = "tessitura.repo";

    private DemoCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 1 && Set.of("help", "--help", "-h").contains(args[0])) {
            out.print(USAGE);
            return 0;
        }
        try {
            return demo(args, out, err);
        } catch (UsageError e) {
            err.println("tessitura demo: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            err.println("tessitura demo: " + DatasetCommand.failure(e));
            return 1;
        }
    }

    private static int demo(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args a = DatasetCommand.parse(argv, Set.of("data", "out", "epochs", "backend"), Set.of());
        a.maxPositionals(0);
        Path dir = a.path("out") == null ? Path.of("demo-run") : a.path("out");
        String epochs = Integer.toString(a.integer("epochs", 3)), backend = a.string("backend", "auto");
        Path data = a.path("data") == null ? defaultData() : a.path("data");
        if (data == null) {
            Files.createDirectories(dir);
            data = dir.resolve("synthetic.pickle");
            DatasetWriters.write(synthetic(), data);
            out.println("demo: Nottingham.pickle not found (pass --data); using a small synthetic data set, " + data);
        }
        Path run = dir.resolve("rnn-rbm");
        if (Files.exists(run.resolve("checkpoint.safetensors"))) {
            throw new IllegalArgumentException(run + " exists from an earlier demo: remove it or pass another --out");
        }
        out.println("== 1/3 train: tessitura train --model rnn-rbm --data " + data + " --out " + run + " --epochs " + epochs);
        int code = TrainCommand.run(new String[] {"--model", "rnn-rbm", "--data", data.toString(), "--out", run.toString(),
                "--epochs", epochs, "--backend", backend}, out, err);
        if (code != 0) return code;
        Path best = run.resolve("best.safetensors");
        // the paper's protocol needs 100 AIS runs x 14,500 temperatures for every test frame: a GPU job (about
        // 3 PFLOP for Nottingham's test split). The demo gives a rough estimate on 3 test tunes with 10 runs x 500
        // temperatures (about a minute on 2 cores) and says so.
        out.println("== 2/3 evaluate (a rough estimate: 3 tunes, 10 AIS runs x 500 temperatures; the paper's protocol is "
                + "--ais-runs 100 --ais-steps 14500 on the whole split):");
        out.println("   tessitura evaluate --checkpoint " + best + " --data " + data + " --max-sequences 3 --ais-runs 10 --ais-steps 500");
        code = ModelCommands.evaluate(new String[] {"--checkpoint", best.toString(), "--data", data.toString(),
                "--max-sequences", "3", "--ais-runs", "10", "--ais-steps", "500", "--backend", backend}, out, err);
        if (code != 0) return code;
        Path song = dir.resolve("song.mid");
        out.println("== 3/3 compose: tessitura generate --checkpoint " + best + " --out " + song + " --steps 200");
        code = ModelCommands.generate(new String[] {"--checkpoint", best.toString(), "--out", song.toString(), "--steps", "200",
                "--backend", backend}, out, err);
        if (code == 0) out.println("demo done: listen to " + dir.resolve("song.wav") + ", look at " + dir.resolve("song.png")
                + " and " + run.resolve("curve.png"));
        return code;
    }

    /** ../shared/datasets/nottingham/Nottingham.pickle beside the repository, or null. */
    private static Path defaultData() {
        String repo = System.getProperty(REPO_PROPERTY, ".");
        Path p = Path.of(repo).resolve("../shared/datasets/nottingham/Nottingham.pickle").normalize();
        return Files.isRegularFile(p) ? p : null;
    }

    /** Tunes of chord cycles over a walking melody: enough structure for a model to learn in a minute. */
    static Dataset synthetic() {
        List<List<PianoRoll>> splits = new ArrayList<>();
        int[][] chords = {{48, 52, 55}, {53, 57, 60}, {55, 59, 62}, {48, 52, 55}};
        for (int split = 0; split < 3; split++) {
            List<PianoRoll> tunes = new ArrayList<>();
            for (int i = 0; i < (split == 0 ? 40 : 8); i++) {
                int frames = 64 + 16 * (i % 4);
                PianoRoll.Builder b = PianoRoll.builder(frames, PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT);
                for (int t = 0; t < frames; t++) {
                    int[] c = chords[(t / 8 + i) % 4];
                    for (int n : c) b.set(t, n);
                    b.set(t, c[(t / 2 + i) % 3] + 12 + (t % 8 < 4 ? 0 : 12));
                }
                tunes.add(b.build());
            }
            splits.add(tunes);
        }
        return new Dataset("synthetic", splits.get(0), splits.get(1), splits.get(2));
    }
}
