package dev.tessitura.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A smoke reproduction (in JVMs of its own) killed with kill -9 twice, at random but seeded moments, then stopped by
 * Ctrl-C, and started again each time, ends with the figures of one never stopped: TABLE.md up to its timings and
 * results.json without them, character for character.
 */
class ReproduceKillTest {
    @TempDir Path dir;

    @Test
    void killedTwiceAndInterruptedItFinishesWithTheFiguresOfARunNeverStopped() throws Exception {
        Path data = ReproduceCommandTest.smokeData(dir), ref = dir.resolve("ref"), out = dir.resolve("killed");
        long t0 = System.nanoTime();
        assertEquals(0, InterruptTest.jvm(List.of(ReproduceCommandTest.smoke(data, ref)), null, dir.resolve("ref.log")),
                () -> read(dir.resolve("ref.log")));
        long whole = (System.nanoTime() - t0) / 1_000_000;
        Random r = new Random(20261205);
        int hit = 0;
        for (int k = 0; k < 2; k++) {
            // the first kill within the first half of an uninterrupted run's time, the second within the first third of it
            long at = 800 + (long) (r.nextDouble() * (k == 0 ? 0.5 : 0.33) * whole);
            Process p = start(ReproduceCommandTest.smoke(data, out), dir.resolve("kill" + k + ".log"));
            if (!p.waitFor(at, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                hit++;
            }
        }
        assertTrue(hit >= 1, "no kill found the reproduction running (an uninterrupted run took " + whole + " ms)");
        // then Ctrl-C (SIGINT to the process, by its id): exit 130 with what was running saved, or 0 if it had finished
        Process p = start(ReproduceCommandTest.smoke(data, out), dir.resolve("int.log"));
        if (!p.waitFor(800 + (long) (r.nextDouble() * 0.2 * whole), TimeUnit.MILLISECONDS)) {
            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the reproduction ended after SIGINT");
        assertTrue(p.exitValue() == 130 || p.exitValue() == 0, "exit " + p.exitValue() + "\n" + read(dir.resolve("int.log")));
        assertEquals(0, InterruptTest.jvm(List.of(ReproduceCommandTest.smoke(data, out)), null, dir.resolve("last.log")),
                () -> read(dir.resolve("last.log")));
        assertEquals(ReproduceCommandTest.figures(ref), ReproduceCommandTest.figures(out));
    }

    /** tessitura in a JVM of its own, not waited for. */
    private static Process start(String[] args, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (Exception e) {
            return e.toString();
        }
    }
}
