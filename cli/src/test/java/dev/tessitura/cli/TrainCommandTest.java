package dev.tessitura.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.MidiFolder;
import dev.tessitura.midi.PianoRoll;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train, generate and evaluate end to end on a tiny data set, through Main as a user runs them. */
class TrainCommandTest {
    @TempDir Path dir;

    Path dataset() throws Exception {
        Random r = new Random(3);
        List<PianoRoll> train = new ArrayList<>(), valid = new ArrayList<>(), test = new ArrayList<>();
        for (int i = 0; i < 6; i++) train.add(DatasetCommandTest.roll(r, 20 + 7 * i));
        for (int i = 0; i < 2; i++) valid.add(DatasetCommandTest.roll(r, 15));
        for (int i = 0; i < 2; i++) test.add(DatasetCommandTest.roll(r, 25));
        Path p = dir.resolve("tiny.pickle");
        DatasetWriters.write(new Dataset("tiny", train, valid, test), p);
        return p;
    }

    static MainTest.Result main(String... args) {
        return MainTest.run(args);
    }

    @Test
    void trainResumeGenerateAndEvaluate() throws Exception {
        Path data = dataset(), run = dir.resolve("run");
        String[] common = {"--model", "lstm", "--data", data.toString(), "--out", run.toString(), "--layers", "8,6",
                "--batch", "3", "--steps", "10", "--optimizer", "adam", "--lr", "0.01", "--backend", "scalar",
                "--skip", "--forget-bias", "1", "--batching", "packed"};
        MainTest.Result r = main(concat(new String[] {"train", "--epochs", "2"}, common));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch 2: train cost"), r.out());
        var header = dev.tessitura.model.io.SafeTensors.read(run.resolve("checkpoint.safetensors"));
        assertEquals("true", header.metadata().get("skip"));
        assertEquals("1.0", header.metadata().get("forget_bias"));
        assertEquals("PACKED", header.metadata().get("mode"));
        assertTrue(header.tensors().containsKey("Wi1") && header.tensors().containsKey("Wy0"), header.tensors().keySet().toString());
        for (String f : List.of("checkpoint.safetensors", "best.safetensors", "metrics.csv", "curve.png")) {
            assertTrue(Files.exists(run.resolve(f)), f);
        }
        assertEquals(3, Files.readAllLines(run.resolve("metrics.csv")).size());
        assertTrue(ImageIO.read(run.resolve("curve.png").toFile()).getWidth() > 100);

        // the run directory is not overwritten by accident
        r = main(concat(new String[] {"train", "--epochs", "2"}, common));
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--resume"), r.err());

        r = main(concat(new String[] {"train", "--epochs", "3", "--resume"}, common));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("resuming") && r.out().contains("epoch 3:"), r.out());
        assertEquals(4, Files.readAllLines(run.resolve("metrics.csv")).size());

        Path song = dir.resolve("out/song.mid");
        r = main("generate", "--checkpoint", run.resolve("checkpoint.safetensors").toString(), "--out", song.toString(),
                "--steps", "12", "--seed", "4", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(dir.resolve("out/song.png")) && Files.exists(dir.resolve("out/song.wav")));
        PianoRoll roll = MidiFolder.readRoll(song, new MidiFolder.Options(2, false, false, 0));
        assertTrue(roll.frames() >= 12 && roll.frames() <= 13, "frames " + roll.frames());

        r = main("evaluate", "--checkpoint", run.resolve("best.safetensors").toString(), "--data", data.toString(), "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        java.util.List<PianoRoll> test = dev.tessitura.midi.DatasetLoader.load(data).split("test");
        // every frame is predicted, the first of each tune too (from a silent frame before it)
        assertTrue(r.out().contains(String.format("%,d frames", test.stream().mapToLong(PianoRoll::frames).sum())), r.out());
        assertTrue(r.out().matches("(?s).*log-likelihood per time step: -\\d+\\.\\d+ \\+- \\d.*"), r.out());
        assertTrue(r.out().contains("frame-level accuracy"), r.out());
        assertTrue(r.out().contains(dev.tessitura.model.Rolls.repeatBaseline(test)), r.out());
    }

    @Test
    void clearErrors() throws Exception {
        MainTest.Result r = main("train", "--model", "gru", "--data", "x", "--out", "y");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown model 'gru'"), r.err());
        r = main("train", "--model", "lstm", "--data", dir.resolve("missing.pickle").toString(), "--out", dir.resolve("r").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no such file"), r.err());
        r = main("generate", "--checkpoint", dir.resolve("none.safetensors").toString(), "--out", "a.mid");
        assertEquals(1, r.code());
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, new byte[] {1, 2, 3});
        r = main("evaluate", "--checkpoint", bad.toString(), "--data", dataset().toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bad.safetensors"), r.err());
        assertEquals(0, main("train", "--help").code());
    }

    static String[] concat(String[] a, String[] b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void rnnRbmTrainsGeneratesWithAHeatMapAndEvaluatesWithAis() throws Exception {
        Path data = dataset(), run = dir.resolve("rbm");
        MainTest.Result r = main("train", "--model", "rnn-rbm", "--data", data.toString(), "--out", run.toString(),
                "--epochs", "2", "--hidden", "12", "--recurrent", "7", "--k", "3", "--chunk", "9", "--lr", "0.05",
                "--optimizer", "nesterov", "--pretrain", "1", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("RBM pretraining: 1 epochs") && r.out().contains("epoch 2: train cost"), r.out());
        assertTrue(r.out().contains("valid cost"), r.out());
        Path song = dir.resolve("rbm-song.mid");
        r = main("generate", "--checkpoint", run.resolve("checkpoint.safetensors").toString(), "--out", song.toString(),
                "--steps", "10", "--k", "5", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(dir.resolve("rbm-song.png")) && Files.exists(dir.resolve("rbm-song.wav")));
        r = main("evaluate", "--checkpoint", run.resolve("best.safetensors").toString(), "--data", data.toString(),
                "--ais-runs", "10", "--ais-steps", "100", "--gibbs-samples", "5", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("50 frames"), r.out());
        assertTrue(r.out().matches("(?s).*log-likelihood per time step: -\\d+\\.\\d+ \\+- .*AIS: 10 runs, 100 temperatures.*"), r.out());
        assertTrue(r.out().contains("(one sample)"), r.out());
        assertTrue(r.out().matches("(?s).*accuracy \\(expected per time step\\): \\d+\\.\\d+% over the AIS runs' weighted end states.*"), r.out());
        // a sample of the split (sequences 0, 2, ...; the test split has 2 of 25 frames) and accuracies alone
        r = main("evaluate", "--checkpoint", run.resolve("best.safetensors").toString(), "--data", data.toString(),
                "--every", "2", "--ais-runs", "0", "--gibbs-samples", "5", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("1 sequences, 25 frames") && r.out().contains("not computed"), r.out());
        assertEquals(2, main("evaluate", "--checkpoint", run.resolve("best.safetensors").toString(), "--data", data.toString(),
                "--ais-runs", "1").code());
        // the diagnostic chain start says that it sees the answer; an unknown start is a usage error
        r = main("evaluate", "--checkpoint", run.resolve("best.safetensors").toString(), "--data", data.toString(),
                "--ais-runs", "0", "--gibbs-samples", "5", "--chain-start", "true-frame", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("diagnostic: the Gibbs chains start at the true frame"), r.out());
        r = main("evaluate", "--checkpoint", run.resolve("best.safetensors").toString(), "--data", data.toString(),
                "--chain-start", "middle");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--chain-start wants one of previous, zeros, true-frame"), r.err());
        r = main("evaluate", "--checkpoint", run.resolve("best.safetensors").toString(), "--checkpoint",
                run.resolve("checkpoint.safetensors").toString(), "--data", data.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("holds a rnn-rbm model, whose likelihood is not exact"), r.err());
    }

    @Test
    void rnnRbmTrainsSeveralChunksPerUpdateAndResumesThem() throws Exception {
        Path data = dataset(), run = dir.resolve("batched");
        String[] common = {"--model", "rnn-rbm", "--data", data.toString(), "--out", run.toString(), "--hidden", "12",
                "--recurrent", "7", "--k", "3", "--chunk", "5", "--batch", "3", "--lr", "0.05", "--backend", "scalar"};
        MainTest.Result r = main(concat(new String[] {"train", "--epochs", "1"}, common));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 chunks of 5 per update") && r.out().contains("epoch 1: train cost"), r.out());
        r = main(concat(new String[] {"train", "--epochs", "2", "--resume"}, common));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch 2: train cost"), r.out());
        assertEquals("3", dev.tessitura.model.io.SafeTensors.read(run.resolve("checkpoint.safetensors")).metadata().get("batch"));
        r = main("train", "--model", "rnn-rbm", "--data", data.toString(), "--out", dir.resolve("b0").toString(), "--batch", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("batch"), r.err());
    }

    @Test
    void lstmRbmTrainsResumesGeneratesAndEvaluates() throws Exception {
        Path data = dataset(), run = dir.resolve("lstm-rbm");
        String[] common = {"--model", "lstm-rbm", "--data", data.toString(), "--out", run.toString(), "--hidden", "12",
                "--layers", "9,7", "--k", "3", "--chunk", "9", "--lr", "0.05", "--optimizer", "nesterov", "--backend", "scalar"};
        MainTest.Result r = main(concat(new String[] {"train", "--epochs", "1"}, common));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("lstm-rbm 88/12/LSTM [9, 7]"), r.out());
        r = main(concat(new String[] {"train", "--epochs", "2", "--resume"}, common));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("resuming") && r.out().contains("epoch 2: train cost"), r.out());
        Path song = dir.resolve("lstm-rbm-song.mid");
        r = main("generate", "--checkpoint", run.resolve("checkpoint.safetensors").toString(), "--out", song.toString(),
                "--steps", "10", "--k", "5", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("10 frames"), r.out());
        r = main("evaluate", "--checkpoint", run.resolve("best.safetensors").toString(), "--data", data.toString(),
                "--ais-runs", "10", "--ais-steps", "100", "--gibbs-samples", "5", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*log-likelihood per time step: -\\d+\\.\\d+ \\+- .*"), r.out());
        // options of the other recurrence are refused, not ignored
        r = main("train", "--model", "lstm-rbm", "--data", data.toString(), "--out", dir.resolve("x").toString(), "--recurrent", "5");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown option '--recurrent'"), r.err());
        r = main("train", "--model", "lstm-rbm", "--data", data.toString(), "--out", dir.resolve("y").toString(), "--learn-u0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown option '--learn-u0'"), r.err());
        r = main("train", "--model", "rnn-rbm", "--data", data.toString(), "--out", dir.resolve("z").toString(), "--layers", "5");
        assertEquals(2, r.code());
    }

    @Test
    void rnnPretrainingRunsBeforeTheRnnRbmAndIsRecordedInTheCheckpoint() throws Exception {
        Path data = dataset(), run = dir.resolve("pre-rnn");
        MainTest.Result r = main("train", "--model", "rnn-rbm", "--data", data.toString(), "--out", run.toString(),
                "--hidden", "12", "--recurrent", "9", "--k", "3", "--chunk", "9", "--epochs", "1", "--pretrain-rnn", "2",
                "--pretrain-rnn-lr", "0.01", "--monitor-ll", "2", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        // the monitor is -LL per frame by AIS (a positive number of nats), not 1 - ACC
        String[] row = java.nio.file.Files.readAllLines(run.resolve("metrics.csv")).get(1).split(",");
        double validCost = Double.parseDouble(row[2]), validAcc = Double.parseDouble(row[3]);
        assertTrue(validCost > 1 && Math.abs(validCost + validAcc - 1) > 0.01, String.join(",", row));
        assertTrue(r.out().matches("(?s).*RNN pretraining epoch 2: cross-entropy per frame \\d+\\.\\d+ train, \\d+\\.\\d+ valid.*"), r.out());
        var meta = dev.tessitura.model.io.SafeTensors.read(run.resolve("checkpoint.safetensors")).metadata();
        assertEquals("2", meta.get("pretrain_rnn_epochs"));
        assertEquals("0.01", meta.get("pretrain_rnn_lr"));
        r = main("train", "--model", "rnn-rbm", "--data", data.toString(), "--out", dir.resolve("both").toString(),
                "--pretrain", "1", "--pretrain-rnn", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("not both"), r.err());
    }


    /** The NADE family through the registry: rnn-nade (with RNN pretraining and augmentation) and the frame-level nade. */
    @Test
    void rnnNadeAndNadeTrainResumeGenerateAndEvaluate() throws Exception {
        Path data = dataset(), run = dir.resolve("rnn-nade");
        String[] common = {"--model", "rnn-nade", "--data", data.toString(), "--out", run.toString(), "--hidden", "12", "--recurrent", "9",
                "--steps", "9", "--optimizer", "adam", "--lr", "0.01", "--pretrain-rnn", "1", "--augment", "--backend", "scalar"};
        MainTest.Result r = main(concat(new String[] {"train", "--epochs", "1"}, common));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("rnn-nade 88/12/9") && r.out().contains("RNN (cross-entropy of the predictor) pretraining epoch 1"), r.out());
        assertTrue(r.out().matches("(?s).*augment: \\d+ training sequences with their transpositions.*"), r.out());
        r = main(concat(new String[] {"train", "--epochs", "2", "--resume"}, common));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch 2: train cost") && !r.out().contains("pretraining epoch"), r.out());
        var meta = dev.tessitura.model.io.SafeTensors.read(run.resolve("checkpoint.safetensors")).metadata();
        assertEquals("rnn-nade", meta.get("kind"));
        assertEquals("true", meta.get("augment"));

        // fine-tuning: a new run from the augmented run's parameters, on the untransposed tunes
        Path tuned = dir.resolve("tuned");
        String[] tune = {"train", "--model", "rnn-nade", "--data", data.toString(), "--out", tuned.toString(), "--hidden", "12",
                "--recurrent", "9", "--steps", "9", "--optimizer", "adam", "--lr", "0.001", "--epochs", "1", "--backend", "scalar",
                "--init", run.resolve("best.safetensors").toString()};
        r = main(tune);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("starting from the parameters of " + run.resolve("best.safetensors")) && !r.out().contains("augment:"), r.out());
        meta = dev.tessitura.model.io.SafeTensors.read(tuned.resolve("checkpoint.safetensors")).metadata();
        assertEquals(run.resolve("best.safetensors").toAbsolutePath().normalize().toString(), meta.get("init"));
        assertEquals("false", meta.get("augment"));
        r = main(concat(tune, new String[] {"--resume"}));
        assertTrue(r.code() == 2 && r.err().contains("--init starts a new run; --resume continues one"), r.err());
        String[] wider = tune.clone();
        wider[6] = dir.resolve("wider").toString();
        wider[8] = "13";                                              // --hidden
        r = main(wider);
        assertTrue(r.code() == 1 && r.err().contains("--init " + run.resolve("best.safetensors")) && r.err().contains("the model needs"), r.err());

        Path song = dir.resolve("nade-out/song.mid");
        r = main("generate", "--checkpoint", run.resolve("checkpoint.safetensors").toString(), "--out", song.toString(),
                "--steps", "12", "--seed", "4", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(dir.resolve("nade-out/song.png")) && Files.exists(dir.resolve("nade-out/song.wav")), r.out());
        r = main("evaluate", "--checkpoint", run.resolve("best.safetensors").toString(), "--data", data.toString(), "--samples", "20",
                "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*log-likelihood per time step: -\\d+\\.\\d+ \\+- \\d.*\\(rnn-nade: exact\\).*"), r.out());
        assertTrue(r.out().contains("drawn given the true history") && r.out().contains("baseline:"), r.out());

        Path frames = dir.resolve("nade");
        r = main("train", "--model", "nade", "--data", data.toString(), "--out", frames.toString(), "--hidden", "10", "--batch", "20",
                "--epochs", "1", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        r = main("evaluate", "--checkpoint", frames.resolve("checkpoint.safetensors").toString(), "--data", data.toString(),
                "--samples", "5", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(nade: exact)"), r.out());
        r = main("train", "--model", "rnn-nade", "--data", data.toString(), "--out", dir.resolve("from-nade").toString(),
                "--init", frames.resolve("checkpoint.safetensors").toString());
        assertTrue(r.code() == 1 && r.err().contains("holds a nade model, not rnn-nade"), r.err());

        // the two as one mixture: weights fitted on the valid split; by Jensen log sum w p >= sum w log p
        String a = run.resolve("best.safetensors").toString(), b = frames.resolve("checkpoint.safetensors").toString();
        r = main("evaluate", "--checkpoint", a, "--checkpoint", b, "--data", data.toString(), "--samples", "5", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        java.util.regex.Matcher w = java.util.regex.Pattern.compile("weights fitted on the valid split \\(EM\\): ([0-9.]+), ([0-9.]+),").matcher(r.out());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("member \\d, weight [0-9.]+: .*?: (-[0-9.]+) per time step").matcher(r.out());
        java.util.regex.Matcher mix = java.util.regex.Pattern.compile("log-likelihood per time step: (-[0-9.]+) \\+- [0-9.]+ \\(the mixture of 2: exact\\)")
                .matcher(r.out());
        assertTrue(w.find() && mix.find() && r.out().contains("drawn from the mixture"), r.out());
        double bound = 0;
        for (int k = 1; k <= 2; k++) {
            assertTrue(m.find(), r.out());
            bound += Double.parseDouble(w.group(k)) * Double.parseDouble(m.group(1));
        }
        assertTrue(Double.parseDouble(mix.group(1)) >= bound - 1e-4, r.out());
        r = main("evaluate", "--checkpoint", a, "--checkpoint", b, "--data", data.toString(), "--samples", "0", "--weights", "1,3",
                "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("member 1, weight 0.2500") && r.out().contains("member 2, weight 0.7500"), r.out());
        r = main("evaluate", "--checkpoint", a, "--checkpoint", b, "--data", data.toString(), "--weights", "1,2,3");
        assertTrue(r.code() == 2 && r.err().contains("3 numbers for 2 checkpoints"), r.err());
        r = main("evaluate", "--checkpoint", a, "--data", data.toString(), "--weights", "equal");
        assertTrue(r.code() == 2 && r.err().contains("--weights goes with more than one --checkpoint"), r.err());
        r = main("train", "--model", "lstm-nade", "--data", data.toString(), "--out", dir.resolve("both").toString(),
                "--pretrain", "1", "--pretrain-rnn", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("not both"), r.err());
    }

    @Test
    void melodyLstmFromAFolderOfMidiFiles() throws Exception {
        Path midi = dir.resolve("midi");
        Random rnd = new Random(5);
        for (String split : List.of("train", "valid")) {
            Files.createDirectories(midi.resolve(split));
            for (int i = 0; i < 3; i++) {
                PianoRoll.Builder b = PianoRoll.builder(80, 21, 88);
                for (int t = 0; t < 80; t++) b.set(t, 60 + rnd.nextInt(12));
                dev.tessitura.midi.MidiWriter.write(b.build(), dev.tessitura.midi.MidiWriter.Options.DEFAULT, midi.resolve(split + "/t" + i + ".mid"));
            }
        }
        Path run = dir.resolve("mel");
        MainTest.Result r = main("train", "--model", "melody-lstm", "--data", midi.toString(), "--out", run.toString(),
                "--epochs", "1", "--layers", "16", "--batch", "2", "--steps", "32", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 training melodies"), r.out());
        Path song = dir.resolve("melody.mid");
        r = main("generate", "--checkpoint", run.resolve("checkpoint.safetensors").toString(), "--out", song.toString(),
                "--steps", "32", "--temperature", "0.5", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(song) > 0 && Files.exists(dir.resolve("melody.wav")) && Files.exists(dir.resolve("melody.png")));
        r = main("evaluate", "--checkpoint", run.resolve("checkpoint.safetensors").toString(), "--data", midi.toString(),
                "--split", "valid", "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("log-likelihood per event"), r.out());
    }
}
