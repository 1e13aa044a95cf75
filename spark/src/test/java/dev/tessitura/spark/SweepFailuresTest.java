package dev.tessitura.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trials that fail are rows, not a failed sweep; a sweep stopped half-way goes on; bad command lines run nothing. */
class SweepFailuresTest {
    @TempDir Path dir;

    @Test
    void failedTrialsAreRowsAndAStoppedSweepRunsOnlyWhatHasNoResult() throws Exception {
        Path data = TestData.write(dir, 4, 2), out = dir.resolve("sweep");
        // 1e9: blows up; pretrain with pretrain-rnn: a combination the model refuses; the third trains
        String grid = "lr=0.05,1e9;pretrain-rnn=0,1;pretrain=1;hidden=6;recurrent=4;k=2;steps=10";
        String[] sweep = {"sweep", "--model", "rnn-rbm", "--data", data.toString(), "--out", out.toString(), "--grid", grid, "--epochs", "1",
                "--master", "local[2]", "--backend", "simd", "--eval", "ais-runs=4;ais-steps=20"};
        TestData.Result r = TestData.spark(sweep);
        assertEquals(0, r.code(), r.err());
        List<String[]> rows = SweepTest.rows(out);
        assertEquals(4, rows.size());
        assertEquals("ok", rows.get(0)[10], String.join(",", rows.get(0)));
        assertEquals("failed", rows.get(1)[10]);
        assertEquals("rnn-rbm: choose RBM pretraining (--pretrain) or RNN pretraining (--pretrain-rnn), not both", rows.get(1)[rows.get(1).length - 1]);
        assertEquals("failed", rows.get(2)[10]);
        assertTrue(rows.get(2)[rows.get(2).length - 1].startsWith("diverged: "), rows.get(2)[rows.get(2).length - 1]);
        assertTrue(r.out().contains("failed: diverged: "), r.out());
        assertTrue(Files.readString(out.resolve("trials.md")).contains("| failed: rnn-rbm: choose RBM pretraining"));

        // as if killed before trial 1's result was committed: its properties gone, a temporary file left
        String id = rows.get(0)[1];
        byte[] ckpt = Files.readAllBytes(out.resolve("trials").resolve(id + ".safetensors"));
        Files.delete(out.resolve("trials").resolve(id + ".properties"));
        Files.writeString(out.resolve("trials").resolve("." + id + ".properties.tmp"), "half");
        r = TestData.spark(sweep);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("4 trial(s) over lr, pretrain-rnn, 3 with a result already, 1 to run"), r.out());
        assertArrayEquals(ckpt, Files.readAllBytes(out.resolve("trials").resolve(id + ".safetensors")), "the same trial again, the same bytes");
        assertEquals(rows.get(0)[11], SweepTest.rows(out).get(0)[11]);
        assertFalse(Files.exists(out.resolve("trials").resolve("." + id + ".properties.tmp")), "the rename replaced it");
    }

    @Test
    void badCommandLinesAreOneLineAndRunNothing() {
        Path data = TestData.write(dir, 2, 1), out = dir.resolve("none");
        String[][] cases = {
            {"--grid", "hiden=5", "tessitura sweep: --grid: rnn-rbm has no setting 'hiden'"},
            {"--grid", "hidden=5,x", "tessitura sweep: --grid: --hidden wants an integer, got 'x'"},
            {"--eval", "ais-runs=1", "tessitura sweep: --eval: --ais-runs must be 0 (accuracies only) or >= 2, got 1"},
            {"--eval", "layers=2", "tessitura sweep: --eval: the model's evaluate has no setting 'layers'"},
            {"--conf", "nonsense", "tessitura sweep: --conf wants KEY=VALUE (a Spark setting), got 'nonsense'"},
        };
        for (String[] c : cases) {
            String[] args = {"sweep", "--model", "rnn-rbm", "--data", data.toString(), "--out", out.toString(), "--grid", "hidden=5", c[0], c[1]};
            TestData.Result r = TestData.spark(args);
            assertEquals(2, r.code(), c[1]);
            assertTrue(r.err().startsWith(c[2]), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        TestData.Result r = TestData.spark("sweep", "--model", "gru", "--data", data.toString(), "--out", out.toString(), "--grid", "k=1");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("tessitura sweep: unknown model 'gru' (" + dev.tessitura.model.Models.names() + ")"), r.err());
        assertFalse(Files.exists(out), "nothing was written");
    }
}
