package dev.tessitura.cli;

import dev.tessitura.cli.DatasetCommand.UsageError;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.FolkTunes;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code tessitura demo}: the whole pipeline in about a minute on a machine with nothing but the repository: a
 * seeded corpus of folk-like tunes ({@link FolkTunes}: jigs and reels over I-IV-V), a small RNN-RBM trained on it,
 * a quick evaluation on its test tunes, and a composed piece (MIDI, piano-roll picture with the model's note
 * probabilities, WAV). With --data it trains the tutorial's RNN-RBM on a real data set instead. Each step is the same
 * command a user would type, and the demo prints it.
 */
final class DemoCommand {
    static final String USAGE = """
            usage: tessitura demo [--out demo-run] [--epochs N] [--data Nottingham.pickle] [--backend auto]
            without --data: writes a seeded corpus of folk-like tunes (demo-run/folk.pickle), trains a small RNN-RBM
            (100 hidden, 50 recurrent, CD-15, Nesterov momentum; 60 epochs, about a minute), evaluates it on the corpus's
            test tunes and composes a piece. With --data: the tutorial's RNN-RBM (150/100, lr 0.001), 3 epochs.
            """;

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
        String backend = a.string("backend", "auto");
        Path run = dir.resolve("rnn-rbm");
        if (Files.exists(run.resolve("checkpoint.safetensors"))) {
            throw new IllegalArgumentException(run + " exists from an earlier demo: remove it or pass another --out");
        }
        Path data = a.path("data");
        String[] model;
        if (data == null) {
            Files.createDirectories(dir);
            data = dir.resolve("folk.pickle");
            DatasetWriters.write(FolkTunes.dataset(1, 80, 10, 10), data);
            out.println("demo: a seeded corpus of 100 folk-like tunes (jigs in 6/8, reels in 4/4, over I-IV-V) in " + data);
            model = new String[] {"--hidden", "100", "--recurrent", "50", "--lr", "0.01", "--optimizer", "nesterov",
                    "--epochs", Integer.toString(a.integer("epochs", 60))};
        } else {
            model = new String[] {"--epochs", Integer.toString(a.integer("epochs", 3))};
        }
        String[] train = concat(new String[] {"--model", "rnn-rbm", "--data", data.toString(), "--out", run.toString(),
                "--backend", backend}, model);
        out.println("== 1/3 train: tessitura train " + String.join(" ", train));
        int code = TrainCommand.run(train, out, err);
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

    private static String[] concat(String[] a, String[] b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
