package dev.tessitura.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.model.run.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code reproduce --master local[2]} writes the table of a reproduction in one JVM: the same figures, the same
 * checkpoint bytes in every run directory; the RBM-based row's test evaluations are split by tunes into tasks; a
 * second start finds every trial done.
 */
class ReproduceOnSparkTest {
    /** A row searched by a lightweight model, an RBM-based row (split evaluation, the AIS check), an LSTM. */
    static final String ROWS = "n-gram,rnn-rbm,lstm";
    @TempDir Path dir;

    @Test
    void sparkWritesTheTableOfOneJvm() throws Exception {
        Path data = TestData.write(dir, 4, 3), local = dir.resolve("local"), spark = dir.resolve("spark");
        TestData.Result one = TestData.cli(1, args(data, local));
        assertEquals(0, one.code(), one.err() + one.out());
        String[] onSpark = {"--master", "local[2]", "--tasks", "3"};
        TestData.Result r = TestData.spark(concat(args(data, spark), onSpark));
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.err().contains("Spark tasks on local[2]") && r.err().contains("trial(s) on Spark"), r.err());
        assertTrue(r.out().contains("[row 2/3 rnn-rbm] done"), r.out());
        assertEquals(figures(local), figures(spark));
        List<Path> runs = checkpoints(local);
        assertTrue(runs.size() >= 6, runs.toString());             // n-gram's 3 candidates, rnn-rbm's 2, lstm's 2: checkpoint and best
        for (Path p : runs) assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(spark.resolve(local.relativize(p))), p.toString());
        assertTrue(Files.readString(spark.resolve("runs/rnn-rbm/c1/trial.log")).contains("== rnn-rbm/c1-valid"));
        try (Stream<Path> s = Files.walk(spark)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }

        TestData.Result again = TestData.spark(concat(args(data, spark), onSpark));
        assertEquals(0, again.code(), again.err() + again.out());
        assertFalse(again.err().contains("on Spark ("), "nothing runs again: " + again.err());
        assertEquals(figures(local), figures(spark));
    }

    @Test
    void aMasterThatIsNotThereIsOneLineBeforeAnythingIsWritten() {
        Path data = TestData.write(dir, 4, 3), out = dir.resolve("nowhere");
        long t0 = System.nanoTime();
        TestData.Result r = TestData.spark(concat(args(data, out), new String[] {"--master", "spark://127.0.0.1:1"}));
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("no Spark master answers at 127.0.0.1:1"), r.err());
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "within seconds");
        assertFalse(Files.exists(out.resolve("reproduce.properties")), "nothing written");
    }

    private static String[] args(Path data, Path out) {
        return new String[] {"reproduce", "--data", data.toString(), "--out", out.toString(), "--budget", "smoke", "--backend", "simd", "--rows", ROWS};
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** TABLE.md before its timings and results.json without them (as the CLI's reproduce tests compare them). */
    static String figures(Path out) throws IOException {
        String table = Files.readString(out.resolve("TABLE.md")), json = Files.readString(out.resolve("results.json"));
        return table.substring(0, table.indexOf("## Time")) + json.substring(0, json.indexOf("\"timings\""));
    }

    private static List<Path> checkpoints(Path out) throws IOException {
        try (Stream<Path> s = Files.walk(out.resolve("runs"))) {
            return s.filter(p -> p.getFileName().toString().equals(TrainingRun.CHECKPOINT) || p.getFileName().toString().equals(TrainingRun.BEST))
                    .sorted().toList();
        }
    }
}
