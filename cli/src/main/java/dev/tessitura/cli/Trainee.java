package dev.tessitura.cli;

import dev.tessitura.midi.MidiFolder;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Position;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.lstm.LstmTrainer;
import dev.tessitura.model.melody.MelodyExtractor;
import dev.tessitura.model.melody.MelodyModel;
import dev.tessitura.model.rbm.Ais;
import dev.tessitura.model.rnnrbm.RnnRbmTrainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * One model as the training command drives it: the same loop (epochs, progress, validation, checkpoints, Ctrl-C)
 * for the RNN-RBM, the polyphonic LSTM and the melody LSTM, each adapting its own trainer.
 */
interface Trainee {
    /** One line about the model: kind, sizes, parameters. */
    String describe();

    /** Frames (or events) one epoch trains on. */
    long framesPerEpoch();

    EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress);

    /** The validation monitor: {cost, accuracy}, NaN where there is no validation split. */
    double[] validate(int epoch);

    /** What the validation cost is, for the CSV and the picture. */
    String costName();

    void save(Path file, Position at, Map<String, String> about) throws IOException;

    /** The polyphonic LSTM: validation = exact NLL per frame and ACC of p > 0.5. */
    static Trainee lstm(LstmTrainer t, List<PianoRoll> train, List<PianoRoll> valid) {
        return new Trainee() {
            public String describe() {
                return "lstm " + java.util.Arrays.toString(t.config().hidden()) + ", " + t.model.params.size() + " parameters";
            }
            public long framesPerEpoch() { return t.framesPerEpoch(train); }
            public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
                return t.trainEpoch(train, from, stop, progress);
            }
            public double[] validate(int epoch) {
                if (valid.isEmpty()) return new double[] {Double.NaN, Double.NaN};
                LstmTrainer.Evaluation ev = t.evaluate(valid);
                return new double[] {ev.nll(), ev.accThreshold()};
            }
            public String costName() { return "cross-entropy per frame"; }
            public void save(Path file, Position at, Map<String, String> about) throws IOException { t.save(file, at, about); }
        };
    }

    /**
     * The RNN-RBM (and the LSTM-RBM): the training cost is the free-energy gap per frame; the validation monitor is the expected
     * frame-level accuracy from Gibbs estimates of the note marginals (cheap), its cost 1 - that accuracy. The
     * log-likelihood with the paper's AIS is `tessitura evaluate`'s job: thousands of AIS temperatures per epoch would
     * dwarf training on a CPU. With {@code llEvery} > 0 the monitor is instead a rough log-likelihood, cost = -LL per
     * frame, on every llEvery-th validation sequence: AIS with 10 runs x 300 temperatures and the same draws every
     * epoch (so that epochs differ by the model, not by the noise). The expected accuracy does not track the
     * log-likelihood (on Nottingham it peaks early while the log-likelihood still improves for many epochs). The
     * AIS monitor has its own flaw: with 300 temperatures it grows optimistic as W grows (Nottingham, RBM lr 0.1: on
     * one test tune -1.19 against -2.17 with 10,000 temperatures after 80 epochs, -1.85 against -2.18 after 35), so
     * late in a run its improvements may be the estimator's, not the model's.
     */
    static Trainee rnnRbm(RnnRbmTrainer t, List<PianoRoll> train, List<PianoRoll> valid, int llEvery) {
        List<PianoRoll> llValid = llEvery <= 0 ? List.of()
                : java.util.stream.IntStream.range(0, valid.size()).filter(i -> i % llEvery == 0).mapToObj(valid::get).toList();
        return new Trainee() {
            public String describe() {
                RnnRbmTrainer.Config c = t.config();
                String u = c.isLstm() ? "LSTM " + java.util.Arrays.toString(c.lstmLayers()) : Integer.toString(c.nu());
                return c.kind() + " " + t.model.nv + "/" + c.nh() + "/" + u + ", CD-" + c.k() + ", " + t.model.params.size() + " parameters"
                        + (c.batch() > 1 ? ", " + c.batch() + " chunks of " + c.chunk() + " per update" : "");
            }
            public long framesPerEpoch() { return t.framesPerEpoch(train); }
            public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
                return t.trainEpoch(train, from, stop, progress);
            }
            public double[] validate(int epoch) {
                if (valid.isEmpty()) return new double[] {Double.NaN, Double.NaN};
                if (llEvery > 0) {
                    RnnRbmTrainer.Evaluation ev = t.evaluate(llValid, 10, Ais.Schedule.paperShape(300), 10, 10, 1000, null);
                    return new double[] {-ev.logLikelihood(), ev.accExpected()};
                }
                double acc = t.accuracy(valid, 10, 10, 1000 + epoch);
                return new double[] {1 - acc, acc};
            }
            public String costName() {
                return "train: free-energy gap per frame; valid: "
                        + (llEvery > 0 ? "-log-likelihood per frame (AIS 10 x 300, every " + llEvery + "th sequence)" : "1 - expected ACC");
            }
            public void save(Path file, Position at, Map<String, String> about) throws IOException { t.save(file, at, about); }
        };
    }

    /** The melody LSTM on melodies extracted from MIDI files: validation = NLL per event and argmax accuracy. */
    static Trainee melody(MelodyModel m, List<int[]> train, List<int[]> valid) {
        return new Trainee() {
            public String describe() {
                return "melody-lstm " + java.util.Arrays.toString(m.config().hidden()) + ", " + m.lstm.params.size()
                        + " parameters, " + train.size() + " training melodies";
            }
            public long framesPerEpoch() { return MelodyModel.eventsPerEpoch(train); }
            public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
                return m.trainEpoch(train, from, stop, progress);
            }
            public double[] validate(int epoch) {
                if (valid.isEmpty()) return new double[] {Double.NaN, Double.NaN};
                MelodyModel.Evaluation ev = m.evaluate(valid);
                return new double[] {ev.nll(), ev.accuracy()};
            }
            public String costName() { return "cross-entropy per event"; }
            public void save(Path file, Position at, Map<String, String> about) throws IOException { m.save(file, at, about); }
        };
    }

    /** The melodies of one split of a MIDI folder (train/valid/test sub-folders, or a flat folder split 80/10/10). */
    static List<int[]> melodies(Path folder, String split) throws IOException {
        List<int[]> out = new ArrayList<>();
        Path sub = folder.resolve(split);
        List<Path> files = MidiFolder.midiFiles(java.nio.file.Files.isDirectory(sub) ? sub : folder);
        if (!java.nio.file.Files.isDirectory(sub)) {
            int n = files.size(), a = n * 8 / 10, b = n * 9 / 10;
            files = switch (split) { case "train" -> files.subList(0, a); case "valid" -> files.subList(a, b); default -> files.subList(b, n); };
        }
        for (Path f : files) {
            try {
                out.addAll(MelodyExtractor.fromFile(f, MelodyExtractor.Options.DEFAULT));
            } catch (IOException | UncheckedIOException e) {
                System.err.println("skipped " + f + ": " + DatasetCommand.failure(e));
            }
        }
        return out;
    }

    /** The model kind a checkpoint holds. */
    static String kind(SafeTensors.Contents c) {
        return c.metadata().getOrDefault("kind", "?");
    }

    /** The kinds of model this build trains. */
    static void checkKind(String kind) {
        if (!List.of(LstmTrainer.KIND, RnnRbmTrainer.KIND, RnnRbmTrainer.KIND_LSTM, MelodyModel.KIND).contains(kind)) {
            throw new IllegalArgumentException("unknown model kind '" + kind + "' (lstm, rnn-rbm, lstm-rbm, melody-lstm)");
        }
    }
}
