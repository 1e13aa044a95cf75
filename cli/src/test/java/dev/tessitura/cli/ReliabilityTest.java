package dev.tessitura.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.run.RunDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input and bad luck, as a user meets them: each case ends in a clean result, or in a one-line error (two for a
 * divergence) with a non-zero exit code, and never leaves a broken or misleading file behind.
 */
class ReliabilityTest {
    @TempDir Path dir;

    static MainTest.Result run(String... args) {
        return MainTest.run(args);
    }

    static void oneLine(MainTest.Result r, int code, String mustContain) {
        assertEquals(code, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> !l.startsWith("WARNING") && !l.startsWith("INFO")).count(), r.err());
        assertTrue(r.err().contains(mustContain), "'" + mustContain + "' in " + r.err());
        assertFalse(r.err().contains("\tat "), "a stack trace: " + r.err());
    }

    Path data(String name, List<PianoRoll> train, List<PianoRoll> valid, List<PianoRoll> test) throws Exception {
        Path p = dir.resolve(name);
        DatasetWriters.write(new Dataset(name, train, valid, test), p);
        return p;
    }

    Path tiny() throws Exception {
        Random r = new Random(5);
        List<PianoRoll> train = new ArrayList<>(), valid = new ArrayList<>(), test = new ArrayList<>();
        for (int i = 0; i < 4; i++) train.add(DatasetCommandTest.roll(r, 18 + 5 * i));
        for (int i = 0; i < 2; i++) valid.add(DatasetCommandTest.roll(r, 12));
        for (int i = 0; i < 2; i++) test.add(DatasetCommandTest.roll(r, 14));
        return data("tiny.pickle", train, valid, test);
    }

    String[] rnnRbm(Path data, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "rnn-rbm", "--data", data.toString(), "--out", out.toString(), "--hidden", "8",
                "--recurrent", "5", "--k", "2", "--steps", "7", "--backend", "scalar"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void aDivergingRunStopsWithTheLastGoodCheckpointAndNeverCallsABrokenModelBest() throws Exception {
        Path data = tiny(), out = dir.resolve("nan");
        // a NaN during the first epoch: nothing good to keep, so nothing is written
        MainTest.Result r = run(rnnRbm(data, out, "--epochs", "3", "--lr", "1e30"));
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("diverged") && r.err().contains("last good checkpoint"), r.err());
        assertFalse(Files.exists(out.resolve("checkpoint.safetensors")) || Files.exists(out.resolve("best.safetensors")));
        // a blow-up without a NaN (weights of 1e30 and costs of 1e31 used to train on, each epoch "best")
        Path big = dir.resolve("big");
        r = run(rnnRbm(data, big, "--epochs", "3", "--lr", "1e6"));
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("blew up") || r.err().contains("not finite"), r.err());
        for (String f : List.of("checkpoint.safetensors", "best.safetensors")) {
            if (!Files.exists(big.resolve(f))) continue;
            for (SafeTensors.F32 t : SafeTensors.read(big.resolve(f)).tensors().values()) {
                for (float x : t.data()) assertTrue(Float.isFinite(x) && Math.abs(x) < 1e4, f + " holds " + x);
            }
        }
    }

    @Test
    void nonFiniteSettingsAreRefused() throws Exception {
        Path data = tiny();
        for (String[] bad : new String[][] {{"--lr", "NaN"}, {"--lr", "Infinity"}, {"--lr-rbm", "NaN"}, {"--momentum", "NaN"},
                {"--lr-decay", "nan"}, {"--lr", "-inf"}}) {
            oneLine(run(rnnRbm(data, dir.resolve("x"), bad)), 2, bad[0]);
        }
        assertFalse(Files.exists(dir.resolve("x")), "nothing is created for a refused command");
    }

    @Test
    void aRunDirectoryHasOneWriterAndAResumeItsOwnDataAndSettings() throws Exception {
        Path data = tiny(), out = dir.resolve("run");
        try (RunDirectory held = RunDirectory.lock(out)) {
            oneLine(run(rnnRbm(data, out, "--epochs", "1")), 1, "in use by another training");
        }
        assertEquals(0, run(rnnRbm(data, out, "--epochs", "1")).code());
        oneLine(run(rnnRbm(data, out, "--epochs", "2")), 1, "already holds a run");
        // other data: refused unless asked
        Random r = new Random(9);
        List<PianoRoll> other = new ArrayList<>();
        for (int i = 0; i < 3; i++) other.add(DatasetCommandTest.roll(r, 16));
        Path moved = data("other.pickle", other, other, other);
        oneLine(run(rnnRbm(moved, out, "--epochs", "2", "--resume")), 1, "not the data this run was trained on");
        oneLine(run(rnnRbm(data, out, "--epochs", "2", "--resume", "--max-sequences", "2")), 1, "--max-sequences 2 is not the run's 0");
        // model settings that differ are refused, not silently ignored
        oneLine(run(rnnRbm(data, out, "--epochs", "2", "--resume", "--hidden", "9")), 2, "--hidden 9 (the checkpoint has 8)");
        oneLine(run(rnnRbm(data, out, "--epochs", "2", "--resume", "--lr", "0.5")), 2, "--lr-rbm 0.5 (the checkpoint has 0.001)");
        // the same data under another name is the same data
        Path copy = dir.resolve("copy.pickle");
        Files.copy(data, copy);
        MainTest.Result ok = run(rnnRbm(copy, out, "--epochs", "2", "--resume"));
        assertEquals(0, ok.code(), ok.err());
        oneLine(run(rnnRbm(data, out, "--epochs", "2", "--resume")), 1, "has trained 2 epochs already");
        assertEquals(0, run(rnnRbm(moved, out, "--epochs", "3", "--resume", "--other-data")).code());
        oneLine(run(rnnRbm(data, dir.resolve("y"), "--epochs", "0")), 2, "--epochs must be >= 1");
    }

    @Test
    void sizesBeyondTheMachineAreOneLine() throws Exception {
        Path data = tiny();
        oneLine(run(rnnRbm(data, dir.resolve("huge"), "--hidden", "30000000")), 1, "parameters");
        oneLine(run("train", "lstm", "--data", data.toString(), "--out", dir.resolve("l").toString(), "--layers", "200000"), 1, "parameters");
        assertEquals(0, run(rnnRbm(data, dir.resolve("ok"), "--epochs", "1")).code());
        Path ckpt = dir.resolve("ok/checkpoint.safetensors");
        oneLine(run("generate", "--checkpoint", ckpt.toString(), "--out", dir.resolve("s.mid").toString(), "--steps", "2000000000"),
                2, "--steps 2000000000");
        oneLine(run("generate", "--checkpoint", ckpt.toString(), "--out", dir.resolve("s.mid").toString(), "--k", "0"), 2, "--k");
        oneLine(run("generate", "--checkpoint", ckpt.toString(), "--out", dir.resolve("s.mid").toString(), "--threshold", "0.5"),
                2, "--threshold is not an option for a rnn-rbm checkpoint");
    }

    @Test
    void oneFrameTunesAndEmptySplitsAreHandled() throws Exception {
        Random r = new Random(7);
        List<PianoRoll> train = new ArrayList<>(List.of(DatasetCommandTest.roll(r, 20), DatasetCommandTest.roll(r, 15)));
        List<PianoRoll> valid = List.of(DatasetCommandTest.roll(r, 1), DatasetCommandTest.roll(r, 9));
        List<PianoRoll> test = List.of(DatasetCommandTest.roll(r, 1));
        Path data = data("one.pickle", train, valid, test), out = dir.resolve("one");
        // the AIS monitor on a split with a one-frame tune (it used to fail with an internal shape error)
        MainTest.Result t = run(rnnRbm(data, out, "--epochs", "1", "--monitor-ll", "1"));
        assertEquals(0, t.code(), t.err());
        Path ckpt = out.resolve("checkpoint.safetensors");
        MainTest.Result e = run("evaluate", "--checkpoint", ckpt.toString(), "--data", data.toString(), "--ais-runs", "4", "--ais-steps", "20");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("1 sequences, 1 frames") && e.out().contains("log-likelihood per time step: -"), e.out());
        Path empty = data("empty.pickle", train, valid, List.of());
        oneLine(run("evaluate", "--checkpoint", ckpt.toString(), "--data", empty.toString()), 1, "the test split has no frames");
        Files.createDirectories(dir.resolve("nomidi"));
        oneLine(run("dataset", "stats", dir.resolve("nomidi").toString()), 1, "no sequences");
        MainTest.Result s = run("dataset", "stats", empty.toString());
        assertEquals(0, s.code(), s.err());
        assertFalse(s.out().contains("NaN"), s.out());
    }

    @Test
    void brokenCheckpointsAreOneLine() throws Exception {
        Path data = tiny(), out = dir.resolve("c");
        assertEquals(0, run(rnnRbm(data, out, "--epochs", "1")).code());
        Path ckpt = out.resolve("checkpoint.safetensors");
        SafeTensors.Contents c = SafeTensors.read(ckpt);
        // a model with a NaN (a diverged run's, written by another program) is refused by name
        Map<String, SafeTensors.F32> t = new LinkedHashMap<>(c.tensors());
        float[] w = t.get("W").data().clone();
        w[3] = Float.NaN;
        t.put("W", new SafeTensors.F32(t.get("W").shape(), w));
        Path nan = dir.resolve("nan.safetensors");
        SafeTensors.write(nan, c.metadata(), t);
        oneLine(run("evaluate", "--checkpoint", nan.toString(), "--data", data.toString(), "--ais-runs", "0"), 1, "tensor W holds NaN");
        oneLine(run("generate", "--checkpoint", nan.toString(), "--out", dir.resolve("n.mid").toString()), 1, "tensor W holds NaN");
        // a header whose position is not a number
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.put("epoch", "abc");
        SafeTensors.write(ckpt, meta, c.tensors());
        oneLine(run(rnnRbm(data, out, "--epochs", "2", "--resume")), 1, "bad 'epoch' (abc)");
        meta.put("kind", "gru");
        SafeTensors.write(nan, meta, c.tensors());
        oneLine(run("generate", "--checkpoint", nan.toString(), "--out", dir.resolve("g.mid").toString()), 1, "unknown model kind 'gru'");
        Files.writeString(nan, "not a checkpoint at all");
        oneLine(run("evaluate", "--checkpoint", nan.toString(), "--data", data.toString()), 1, "nan.safetensors");
    }
}
