package dev.tessitura.cli;

import dev.tessitura.cli.DatasetCommand.UsageError;
import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetLoader;
import dev.tessitura.midi.DatasetStats;
import dev.tessitura.midi.MidiFolder;
import dev.tessitura.midi.MidiWriter;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.midi.render.PianoRollImage;
import dev.tessitura.midi.render.WavRenderer;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.lstm.LstmTrainer;
import dev.tessitura.model.melody.MelodyEncoding;
import dev.tessitura.model.melody.MelodyExtractor;
import dev.tessitura.model.melody.MelodyMidi;
import dev.tessitura.model.melody.MelodyModel;
import dev.tessitura.model.rbm.Ais;
import dev.tessitura.model.rnnrbm.RnnRbmTrainer;
import dev.tessitura.midi.MidiReader;
import dev.tessitura.midi.NoteSequence;
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
              --prime FILE.mid     start from this tune (read at two frames per quarter note, transposed to C;
                                   melody-lstm: its melody, in sixteenths)
              --seed S             sampling seed (default 1)
              --k N                RNN-RBM: Gibbs steps per frame (default 25)   --from-previous: chains start at
                                   the previous frame instead of zeros
              --threshold P        LSTM: output probabilities below P are set to 0 before sampling (default 0.1)
              --temperature T      melody-lstm: sampling temperature (default 1; 0 = the most likely event)
              --backend NAME       auto (default), scalar, simd, cuda
            writes song.mid, and beside it song.png (piano roll; RNN-RBM: with its note probabilities beneath) and
            song.wav (0.25 s per frame)
            """;
    static final String EVALUATE_USAGE = """
            usage: tessitura evaluate --checkpoint <file> --data <pickle|mat|midi folder> [--split test] [--backend NAME]
              --max-sequences N    the first N sequences of the split only
              --every N            every N-th sequence of the split only (0, N, 2N, ...: a sample across the split)
            RNN-RBM, LSTM-RBM: --ais-runs 100 --ais-steps 14500 (the paper's schedule shape, fewer steps = faster,
                     coarser; --ais-runs 0: accuracies only)
                     --gibbs-burn-in 20 --gibbs-samples 50 (note marginals for the accuracy)
                     (with AIS, also the accuracy of the marginals its runs' weighted end states estimate)
                     --chain-start previous (default: the chain for frame t starts at v(t-1), known when v(t) is
                     predicted), zeros, or true-frame (starts at the answer v(t): a diagnostic, not a prediction)
                     --batch-chains N (sequences evaluated together while frames x runs stay within N; default
                     1 on a CPU, one sequence at a time, which keeps its chains in cache; 2097152 on a GPU, ~9 GB;
                     5000000 takes Nottingham's whole test split at 100 runs in one batch, ~20 GB)
            prints the log-likelihood per time step (averaged over all time steps of the split as one flat list, with
            its standard error) and the frame-level accuracy ACC = sum TP / sum (TP + FP + FN) (Bay et al. 2009) of
            the thresholded prediction (p > 0.5) and in expectation under the model (expected counts from the
            predicted note probabilities); melody-lstm: NLL per event and argmax accuracy
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
        try {
            Trainee.checkKind(Trainee.kind(c));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
        return c;
    }

    private static int generate(String[] argv, PrintStream out) throws IOException {
        Args a = DatasetCommand.parse(argv, Set.of("checkpoint", "out", "steps", "prime", "seed", "threshold", "backend",
                "k", "temperature"), Set.of("from-previous"));
        a.maxPositionals(0);
        Path song = a.path("out");
        if (song == null) throw new UsageError("missing --out");
        String name = song.getFileName().toString();
        if (!name.toLowerCase(Locale.ROOT).endsWith(".mid")) throw new UsageError("--out must name a .mid file");
        SafeTensors.Contents c = checkpoint(a);
        int steps = a.integer("steps", 200);
        long seed = a.integer("seed", 1);
        if (steps < 1) throw new UsageError("--steps must be >= 1");
        String base = name.substring(0, name.length() - 4);
        Path png = song.resolveSibling(base + ".png"), wav = song.resolveSibling(base + ".wav");
        if (song.toAbsolutePath().getParent() != null) java.nio.file.Files.createDirectories(song.toAbsolutePath().getParent());
        try (Backend be = Backends.create(a.string("backend", "auto"), BackendOptions.fromSystemProperties())) {
            String kind = Trainee.kind(c);
            if (kind.equals(MelodyModel.KIND)) {
                MelodyModel m = MelodyModel.load(be, c);
                int[] primer = a.path("prime") == null ? new int[] {MelodyEncoding.noteOn(60)}
                        : MelodyExtractor.events(MidiReader.read(a.path("prime")), -1);
                int[] events = m.generate(primer, steps, a.number("temperature", 1.0), seed);
                MelodyMidi.write(events, 120, song);
                NoteSequence notes = MidiReader.read(song);
                WavRenderer.write(WavRenderer.render(notes, WavRenderer.Options.DEFAULT), wav);
                PianoRoll roll = MidiFolder.readRoll(song, new MidiFolder.Options(4, false, false, 0));
                PianoRollImage.write(roll, null, PianoRollImage.Options.DEFAULT.withTitle(base + ": melody, sixteenth notes")
                        .withFramesPerBar(16), png);
                out.printf("wrote %s (%d events), %s, %s%n", song, events.length, png, wav);
                return 0;
            }
            int notes = Integer.parseInt(c.metadata().getOrDefault("notes", c.metadata().getOrDefault("nv", "88")));
            PianoRoll primer = a.path("prime") == null ? null
                    : MidiFolder.readRoll(a.path("prime"), new MidiFolder.Options(2, true, false, 0)).withRange(PianoRoll.DEFAULT_LOWEST, notes);
            PianoRoll roll;
            float[] prob = null;
            if (kind.equals(RnnRbmTrainer.KIND) || kind.equals(RnnRbmTrainer.KIND_LSTM)) {
                RnnRbmTrainer.Generated g = RnnRbmTrainer.load(be, c).generate(primer, steps, a.integer("k", 25), a.flag("from-previous"), seed);
                roll = g.roll();
                prob = g.probabilities();
            } else {
                if (primer == null) primer = PianoRoll.builder(1, PianoRoll.DEFAULT_LOWEST, notes).build();
                roll = LstmTrainer.load(be, c).generate(primer, steps, (float) a.number("threshold", 0.1), seed);
            }
            int primed = primer == null ? 0 : primer.frames();
            MidiWriter.write(roll, MidiWriter.Options.DEFAULT, song);
            PianoRollImage.write(roll, prob, PianoRollImage.Options.DEFAULT.withTitle(base + ": " + kind + ", " + primed
                    + " primer frame(s) + " + steps + " generated").withFramesPerBar(8), png);
            WavRenderer.write(WavRenderer.render(roll, WavRenderer.Options.DEFAULT), wav);
            out.printf("wrote %s (%d frames, %d notes), %s, %s%n", song, roll.frames(), roll.noteCells(), png, wav);
            return 0;
        }
    }

    /** The trivial predictor's score on the same sequences, so that a model's accuracy can be read against it. */
    private static void printRepeatBaseline(PrintStream out, List<PianoRoll> rolls) {
        out.printf(Locale.ROOT, "baseline: %.2f%% frame-level accuracy from repeating the previous frame%n",
                100 * DatasetStats.repeatAccuracy(rolls));
    }

    private static int evaluate(String[] argv, PrintStream out) throws IOException {
        Args a = DatasetCommand.parse(argv, Set.of("checkpoint", "data", "split", "backend", "max-sequences", "every", "ais-runs",
                "ais-steps", "gibbs-burn-in", "gibbs-samples", "chain-start", "batch-chains", "seed"), Set.of());
        a.maxPositionals(0);
        Path data = a.path("data");
        if (data == null) throw new UsageError("missing --data");
        String split = a.string("split", "test");
        if (!Dataset.SPLITS.contains(split)) throw new UsageError("--split must be train, valid or test");
        SafeTensors.Contents c = checkpoint(a);
        DatasetCommand.mustExist(data);
        int max = a.integer("max-sequences", 0), every = a.integer("every", 1);
        if (every < 1) throw new UsageError("--every must be >= 1");
        String kind = Trainee.kind(c);
        RnnRbmTrainer.ChainStart chainStart = switch (a.string("chain-start", "previous")) {
            case "previous" -> RnnRbmTrainer.ChainStart.PREVIOUS;
            case "zeros" -> RnnRbmTrainer.ChainStart.ZEROS;
            case "true-frame" -> RnnRbmTrainer.ChainStart.TRUE_FRAME;
            default -> throw new UsageError("--chain-start must be previous, zeros or true-frame");
        };
        try (Backend be = Backends.create(a.string("backend", "auto"), BackendOptions.fromSystemProperties())) {
            long t0 = System.nanoTime();
            if (kind.equals(MelodyModel.KIND)) {
                List<int[]> melodies = Trainee.melodies(data, split);
                if (max > 0) melodies = melodies.subList(0, Math.min(max, melodies.size()));
                MelodyModel.Evaluation ev = MelodyModel.load(be, c).evaluate(melodies);
                out.printf(Locale.ROOT, "%s, split %s: %d melodies, %,d predicted events (%.1f s)%n", data, split, melodies.size(),
                        ev.events(), (System.nanoTime() - t0) / 1e9);
                out.printf(Locale.ROOT, "log-likelihood per event: %.4f nats; accuracy of the most likely event: %.2f%%%n",
                        -ev.nll(), 100 * ev.accuracy());
                return 0;
            }
            List<PianoRoll> rolls = DatasetLoader.load(data).split(split);
            if (every > 1) rolls = java.util.stream.IntStream.range(0, rolls.size()).filter(i -> i % every == 0).mapToObj(rolls::get).toList();
            if (max > 0) rolls = rolls.subList(0, Math.min(max, rolls.size()));
            if (kind.equals(RnnRbmTrainer.KIND) || kind.equals(RnnRbmTrainer.KIND_LSTM)) {
                int runs = a.integer("ais-runs", 100), k = a.integer("ais-steps", 14_500);
                if (runs < 0 || runs == 1) throw new UsageError("--ais-runs must be 0 (accuracies only) or >= 2");
                int batchChains = a.integer("batch-chains", be.name().equals("cuda") ? 1 << 21 : RnnRbmTrainer.DEFAULT_BATCH_CHAINS);
                if (batchChains < 1) throw new UsageError("--batch-chains must be >= 1");
                Progress bar = new Progress(System.err, runs == 0 ? "note marginals" : "AIS, " + runs + " runs x " + k + " temperatures",
                        rolls.stream().mapToLong(PianoRoll::frames).sum());
                RnnRbmTrainer.Evaluation ev = RnnRbmTrainer.load(be, c).evaluate(rolls, runs, Ais.Schedule.paperShape(k),
                        a.integer("gibbs-burn-in", 20), a.integer("gibbs-samples", 50), chainStart, batchChains, a.integer("seed", 1),
                        bar::advance);
                bar.finish();
                if (chainStart == RnnRbmTrainer.ChainStart.TRUE_FRAME) {
                    out.println("diagnostic: the Gibbs chains start at the true frame v(t), so the accuracies below see the answer "
                            + "and are not predictions");
                }
                out.printf(Locale.ROOT, "%s, split %s: %d sequences, %,d frames (%.1f s)%n", data, split, rolls.size(), ev.frames(),
                        (System.nanoTime() - t0) / 1e9);
                if (runs > 0) {
                    out.printf(Locale.ROOT, "log-likelihood per time step: %.4f +- %.4f (AIS: %d runs, %d temperatures; AIS error %.4f)%n",
                            ev.logLikelihood(), ev.stdErr(), runs, k, ev.aisStdErr());
                } else {
                    out.println("log-likelihood per time step: not computed (--ais-runs 0)");
                }
                out.printf(Locale.ROOT, "frame-level accuracy: %.2f%% (expected under the model), %.2f%% (p > 0.5), %.2f%% (one sample), "
                        + "%.2f%% (most probable sampled frame)%n",
                        100 * ev.accExpected(), 100 * ev.accThreshold(), 100 * ev.accSampled(), 100 * ev.accMode());
                if (runs > 0) {
                    out.printf(Locale.ROOT, "frame-level accuracy of the AIS runs' weighted marginals (no chain start): %.2f%% "
                            + "(expected under the model), %.2f%% (p > 0.5)%n", 100 * ev.accAisExpected(), 100 * ev.accAisThreshold());
                }
                printRepeatBaseline(out, rolls);
                return 0;
            }
            LstmTrainer.Evaluation ev = LstmTrainer.load(be, c).evaluate(rolls);
            out.printf(Locale.ROOT, "%s, split %s: %d sequences, %,d predicted frames (%.1f s)%n", data, split, rolls.size(), ev.frames(),
                    (System.nanoTime() - t0) / 1e9);
            out.printf(Locale.ROOT, "log-likelihood per time step: %.4f +- %.4f (exact for independent sigmoid outputs)%n",
                    ev.logLikelihood(), ev.nllStdErr());
            out.printf(Locale.ROOT, "frame-level accuracy: %.2f%% (p > 0.5), %.2f%% (expected under the model)%n",
                    100 * ev.accThreshold(), 100 * ev.accExpected());
            printRepeatBaseline(out, rolls);
            return 0;
        }
    }
}
