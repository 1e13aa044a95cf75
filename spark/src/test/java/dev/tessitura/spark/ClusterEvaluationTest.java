package dev.tessitura.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.cli.Main;
import dev.tessitura.cli.ModelCommands;
import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Report;
import dev.tessitura.model.io.SafeTensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** evaluate --master in local mode: the figures of the one-JVM evaluation, bit for bit, however the tunes are split. */
class ClusterEvaluationTest {
    static final String[] AIS = {"--ais-runs", "12", "--ais-steps", "150", "--gibbs-burn-in", "4", "--gibbs-samples", "6", "--seed", "5"};
    @TempDir Path dir;

    /** Trains a small RNN-RBM for one epoch; returns its checkpoint. */
    static Path model(Path dir, Path data) {
        Path run = dir.resolve("run");
        TestData.Result t = TestData.cli(2, "train", "rnn-rbm", "--data", data.toString(), "--out", run.toString(), "--epochs", "1",
                "--hidden", "10", "--recurrent", "6", "--k", "3", "--steps", "10", "--lr", "0.1");
        assertEquals(0, t.code(), t.err());
        return run.resolve("checkpoint.safetensors");
    }

    @Test
    void splitByTunesGivesTheOneJvmFiguresBitForBit() {
        Path data = TestData.write(dir, 4, 7);
        Path ckpt = model(dir, data);
        String[] common = concat(new String[] {"evaluate", "--checkpoint", ckpt.toString(), "--data", data.toString(), "--backend", "simd"}, AIS);
        // in one JVM, on two threads
        List<ModelKind.Scores> one = new ArrayList<>();
        TestData.Result local = TestData.run((o, e) -> command(new Main.Io(o, e), recording(inOneJvm(), one)).execute(common));
        assertEquals(0, local.code(), local.err());
        TestData.Result cli = TestData.cli(2, common);
        assertEquals(0, cli.code(), cli.err());
        assertEquals(withoutTimes(cli.out()), withoutTimes(local.out()));
        for (String tasks : new String[] {"1", "3", "7"}) {
            List<ModelKind.Scores> split = new ArrayList<>();
            TestData.Result r = TestData.run((o, e) -> command(new Main.Io(o, e), recording(new ClusterEvaluation(), split))
                    .execute(concat(common, new String[] {"--master", "local[2]", "--tasks", tasks})));
            assertEquals(0, r.code(), r.err());
            assertEquals(one, split, tasks + " task(s)");
            assertEquals(withoutTimes(cli.out()), withoutTimes(r.out()).replaceAll("(?m)^on Spark.*\\n", ""), tasks + " task(s)");
            assertTrue(r.out().contains("7 tunes in " + tasks + " tasks"), r.out());
        }
    }

    @Test
    void modelsThatDoNotSplitGpuBatchesAndMixturesAreRefused() {
        Path data = TestData.write(dir, 4, 3), run = dir.resolve("lstm");
        TestData.Result t = TestData.cli(1, "train", "lstm", "--data", data.toString(), "--out", run.toString(), "--epochs", "1", "--layers", "6");
        assertEquals(0, t.code(), t.err());
        TestData.Result r = TestData.spark("evaluate", "--checkpoint", run.resolve("checkpoint.safetensors").toString(), "--data", data.toString(),
                "--master", "local[1]");
        assertEquals(1, r.code());
        assertEquals("tessitura evaluate: lstm's evaluation is exact and does not split by tunes: leave --master out", r.err().strip());
        Path ckpt = model(dir, data);
        r = TestData.spark("evaluate", "--checkpoint", ckpt.toString(), "--data", data.toString(), "--master", "local[1]", "--batch-chains", "5000");
        assertEquals(1, r.code());
        assertTrue(r.err().strip().startsWith("tessitura evaluate: --batch-chains 5000 batches tunes for one GPU"), r.err());
        r = TestData.spark("evaluate", "--checkpoint", ckpt.toString(), "--checkpoint", ckpt.toString(), "--data", data.toString(),
                "--master", "local[1]");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("a mixture of checkpoints is evaluated in one JVM: drop --master"), r.err());
    }

    @Test
    void rangesAreContiguousNonEmptyAndBalancedByFrames() {
        List<PianoRoll> rolls = new ArrayList<>();
        for (int f : new int[] {50, 10, 10, 10, 10, 10, 30, 30}) rolls.add(PianoRoll.builder(f, 21, 88).build());
        List<int[]> r = ClusterEvaluation.ranges(rolls, 4);
        assertEquals("[[0, 1], [1, 4], [4, 7], [7, 8]]", Arrays.deepToString(r.toArray()));
        assertEquals(8, ClusterEvaluation.ranges(rolls, 100).size());
        assertEquals("[[0, 8]]", Arrays.deepToString(ClusterEvaluation.ranges(rolls, 1).toArray()));
        List<int[]> three = ClusterEvaluation.ranges(rolls, 3);
        assertEquals(3, three.size());
        for (int i = 0; i < three.size(); i++) {
            assertTrue(three.get(i)[0] < three.get(i)[1]);
            assertEquals(i == 0 ? 0 : three.get(i - 1)[1], three.get(i)[0]);
        }
        assertEquals(8, three.get(2)[1]);
    }

    static CommandLine command(Main.Io io, ModelCommands.Measure m) {
        CommandLine cl = new CommandLine(new Root());
        cl.addSubcommand(ClusterEvaluation.command(io, m));
        return Main.configure(cl, io);
    }

    @CommandLine.Command(name = "tessitura")
    static final class Root {}

    /** The CLI's own evaluation in this JVM, on two threads. */
    static ModelCommands.Measure inOneJvm() {
        return new ModelCommands.Measure() {
            @Override public <E> ModelKind.Scores measure(ModelKind.Evaluating<E> e, E settings, SafeTensors.Contents c, ModelKind.Selection s,
                                                          CommandLine.ParseResult pr, Main.Io io) throws java.io.IOException {
                try (Backend be = Backends.create("simd", new BackendOptions(2, 0))) {
                    return e.evaluate(be, c, settings, s, new dev.tessitura.cli.CliReport(io.out(), io.err()));
                }
            }
        };
    }

    static ModelCommands.Measure recording(ModelCommands.Measure inner, List<ModelKind.Scores> into) {
        return new ModelCommands.Measure() {
            @Override public <E> ModelKind.Scores measure(ModelKind.Evaluating<E> e, E settings, SafeTensors.Contents c, ModelKind.Selection s,
                                                          CommandLine.ParseResult pr, Main.Io io) throws java.io.IOException {
                ModelKind.Scores x = inner.measure(e, settings, c, s, pr, io);
                into.add(x);
                return x;
            }
        };
    }

    /** Output without the seconds an evaluation took. */
    static String withoutTimes(String out) {
        return out.replaceAll("\\(\\d+\\.\\d s\\)", "(t)");
    }

    static String[] concat(String[] a, String[] b) {
        String[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
