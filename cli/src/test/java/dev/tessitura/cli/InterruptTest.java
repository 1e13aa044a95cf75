package dev.tessitura.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.Position;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Ctrl-C at 20 points of real runs (separate JVMs): the process sends itself SIGINT exactly at a named point of the
 * run (the TrainingRun's test seam: during pretraining, an update, the validation or its AIS monitor, the metrics,
 * the picture, best.safetensors, the checkpoint), and whatever it was doing, the checkpoint it leaves resumes to a run
 * whose checkpoint.safetensors and best.safetensors are byte for byte those of an uninterrupted run.
 */
class InterruptTest {
    @TempDir static Path dir;
    static Path data;

    /** The runs: an RNN-RBM with RNN pretraining and the AIS monitor, an LSTM, an RNN-RBM with RBM pretraining. */
    static List<String> args(String run, Path out) {
        List<String> a = new ArrayList<>(List.of("train"));
        switch (run) {
            case "A" -> a.addAll(List.of("rnn-rbm", "--hidden", "8", "--recurrent", "5", "--k", "2", "--steps", "7", "--epochs", "3",
                    "--pretrain-rnn", "2", "--monitor-ll", "1", "--lr", "0.05"));
            case "B" -> a.addAll(List.of("lstm", "--layers", "6", "--batch", "2", "--steps", "6", "--epochs", "2"));
            case "C" -> a.addAll(List.of("rnn-rbm", "--hidden", "8", "--recurrent", "5", "--k", "2", "--steps", "7", "--epochs", "2",
                    "--pretrain", "2"));
            default -> throw new IllegalArgumentException(run);
        }
        a.addAll(List.of("--data", data.toString(), "--out", out.toString(), "--backend", "scalar"));
        return a;
    }

    @BeforeAll
    static void data() throws IOException {
        Random r = new Random(5);
        List<PianoRoll> train = new ArrayList<>(), valid = new ArrayList<>();
        for (int i = 0; i < 4; i++) train.add(DatasetCommandTest.roll(r, 18 + 5 * i));
        for (int i = 0; i < 2; i++) valid.add(DatasetCommandTest.roll(r, 12));
        data = dir.resolve("tiny.pickle");
        DatasetWriters.write(new Dataset("tiny", train, valid, valid), data);
    }

    /** Runs tessitura in a JVM of its own; returns its exit code, its output in out/log.txt. */
    static int jvm(List<String> args, String interruptAt, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path")));
        if (interruptAt != null) cmd.add("-Dtessitura.test.interrupt=" + interruptAt);
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", args) + "\n" + Files.readString(log));
        }
        return p.exitValue();
    }

    private static final java.util.Map<String, Path> REFERENCE = new java.util.HashMap<>();

    static synchronized Path reference(String run) throws Exception {
        Path out = REFERENCE.get(run);
        if (out == null) {
            out = dir.resolve("ref-" + run);
            Files.createDirectories(out);
            int code = jvm(args(run, out), null, dir.resolve("ref-" + run + ".log"));
            assertEquals(0, code, Files.readString(dir.resolve("ref-" + run + ".log")));
            REFERENCE.put(run, out);
        }
        return out;
    }

    @ParameterizedTest(name = "run {0}, SIGINT at {1}")
    @CsvSource({
            "A, pretraining#1", "A, pretraining#6", "A, update#1", "A, update#5", "A, validation#1", "A, validation#2",
            "A, metrics#1", "A, curve#1", "A, best#1", "A, checkpoint#1", "A, update#20", "A, validation#5", "A, curve#3",
            "A, checkpoint#3",
            "B, update#2", "B, validation#1", "B, curve#2", "B, checkpoint#2",
            "C, pretraining#2", "C, update#3"})
    void aCtrlCAnywhereLeavesACheckpointThatResumesBitForBit(String run, String point) throws Exception {
        Path ref = reference(run), out = dir.resolve(run + "-" + point.replace('#', '-'));
        Path log = dir.resolve(out.getFileName() + ".log");
        Files.createDirectories(out);
        int code = jvm(args(run, out), point, log);
        String text = Files.readString(log, StandardCharsets.UTF_8);
        // stopped with a checkpoint, or (a Ctrl-C during the last epoch's checkpoint) finished with it
        assertTrue(code == 130 || code == 0, "exit " + code + "\n" + text);
        assertTrue(text.contains("interrupted: saving a checkpoint"), "the signal arrived\n" + text);
        Path ckpt = out.resolve("checkpoint.safetensors");
        assertTrue(Files.exists(ckpt), text);
        int epochs = Integer.parseInt(args(run, out).get(args(run, out).indexOf("--epochs") + 1));
        if (Position.fromMetadata(SafeTensors.read(ckpt).metadata()).epoch() < epochs) {
            List<String> resume = new ArrayList<>(args(run, out));
            resume.add("--resume");
            int again = jvm(resume, null, dir.resolve(out.getFileName() + "-resume.log"));
            assertEquals(0, again, Files.readString(dir.resolve(out.getFileName() + "-resume.log")));
        }
        for (String f : List.of("checkpoint.safetensors", "best.safetensors")) {
            assertArrayEquals(Files.readAllBytes(ref.resolve(f)), Files.readAllBytes(out.resolve(f)), run + " at " + point + ": " + f);
        }
        // the metrics rows (epoch, costs, accuracy) are those of the uninterrupted run; only timings differ
        assertEquals(costs(ref.resolve("metrics.csv")), costs(out.resolve("metrics.csv")));
    }

    static List<String> costs(Path csv) throws IOException {
        return Files.readAllLines(csv).stream().map(l -> String.join(",", List.of(l.split(",")).subList(0, 4))).toList();
    }
}
