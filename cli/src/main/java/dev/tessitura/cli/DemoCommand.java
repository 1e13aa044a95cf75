package dev.tessitura.cli;

import dev.tessitura.cli.Main.Io;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.FolkTunes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tessitura demo}: the whole pipeline in about a minute on a machine with nothing but the repository: a
 * seeded corpus of folk-like tunes ({@link FolkTunes}: jigs and reels over I-IV-V), a small RNN-RBM trained on it,
 * a quick evaluation on its test tunes, and a composed piece (MIDI, piano-roll picture with the model's note
 * probabilities, WAV). With --data it trains the tutorial's RNN-RBM on a real data set instead. Each step is the same
 * command a user would type, and the demo prints it.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Train an RNN-RBM on tunes it generates, evaluate it, compose a piece (about a minute).",
                "Without --data: writes a seeded corpus of 100 folk-like tunes (DIR/folk.pickle), trains a small RNN-RBM (100 hidden, "
                        + "50 recurrent, CD-15, Nesterov momentum, 60 epochs), evaluates it on the corpus's test tunes and composes a "
                        + "piece. With --data: the tutorial's RNN-RBM (150/100, lr 0.001), 3 epochs."})
final class DemoCommand implements Callable<Integer> {
    private final Io io;
    @Option(names = "--out", paramLabel = "DIR", description = "where everything goes (default: demo-run)") Path dir = Path.of("demo-run");
    @Option(names = "--epochs", paramLabel = "N", description = "epochs (default: 60 on the generated tunes, 3 with --data)") Integer epochs;
    @Option(names = "--data", paramLabel = "D", description = "train on this data set instead (e.g. Nottingham.pickle)") Path data;
    @Option(names = "--backend", paramLabel = "NAME", description = "auto, scalar, simd or cuda (default: auto)") String backend = "auto";

    DemoCommand(Io io) {
        this.io = io;
    }

    @Override public Integer call() throws IOException {
        Path run = dir.resolve("rnn-rbm");
        if (Files.exists(run.resolve("checkpoint.safetensors"))) {
            throw new IllegalArgumentException(run + " exists from an earlier demo: remove it or pass another --out");
        }
        Path corpus = data;
        List<String> model = new ArrayList<>();
        if (corpus == null) {
            Files.createDirectories(dir);
            corpus = dir.resolve("folk.pickle");
            DatasetWriters.write(FolkTunes.dataset(1, 80, 10, 10), corpus);
            io.out().println("demo: a seeded corpus of 100 folk-like tunes (jigs in 6/8, reels in 4/4, over I-IV-V) in " + corpus);
            model.addAll(List.of("--hidden", "100", "--recurrent", "50", "--lr", "0.01", "--optimizer", "nesterov",
                    "--epochs", Integer.toString(epochs == null ? 60 : epochs)));
        } else {
            model.addAll(List.of("--epochs", Integer.toString(epochs == null ? 3 : epochs)));
        }
        List<String> train = new ArrayList<>(List.of("train", "rnn-rbm", "--data", corpus.toString(), "--out", run.toString(), "--backend", backend));
        train.addAll(model);
        int code = step("== 1/3 train: ", train);
        if (code != 0) return code;
        Path best = run.resolve("best.safetensors");
        // the paper's protocol needs 100 AIS runs x 14,500 temperatures for every test frame: a GPU job. The demo gives a
        // rough estimate on 3 test tunes with 10 runs x 500 temperatures and says so.
        io.out().println("== 2/3 evaluate (a rough estimate: 3 tunes, 10 AIS runs x 500 temperatures; the paper's protocol is "
                + "--ais-runs 100 --ais-steps 14500 on the whole split):");
        code = step("   ", List.of("evaluate", "--checkpoint", best.toString(), "--data", corpus.toString(), "--max-sequences", "3",
                "--ais-runs", "10", "--ais-steps", "500", "--backend", backend));
        if (code != 0) return code;
        Path song = dir.resolve("song.mid");
        code = step("== 3/3 compose: ", List.of("generate", "--checkpoint", best.toString(), "--out", song.toString(), "--steps", "200",
                "--backend", backend));
        if (code == 0) io.out().println("demo done: listen to " + dir.resolve("song.wav") + ", look at " + dir.resolve("song.png")
                + " and " + run.resolve("curve.png"));
        return code;
    }

    /** Prints the command as a user would type it, then runs it. */
    private int step(String prefix, List<String> args) {
        io.out().println(prefix + "tessitura " + String.join(" ", args));
        return Main.run(args.toArray(String[]::new), io.out(), io.err());
    }
}
