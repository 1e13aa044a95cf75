package dev.tessitura.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import dev.tessitura.model.Report;
import dev.tessitura.model.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sweep in local mode equals, trial for trial, the same settings run one by one with train and evaluate. */
class SweepTest {
    static final String GRID = "lr-rbm=0.01,0.1;hidden=8,12;recurrent=6;k=3;steps=10";
    static final Map<String, String> EVAL = Map.of("ais-runs", "10", "ais-steps", "300", "gibbs-burn-in", "10", "gibbs-samples", "10");
    @TempDir Path dir;

    @Test
    void fourTrialsEqualTrainAndEvaluateOneByOne() throws Exception {
        Path data = TestData.write(dir, 6, 4), out = dir.resolve("sweep");
        TestData.Result r = TestData.spark("sweep", "--model", "rnn-rbm", "--data", data.toString(), "--out", out.toString(), "--grid", GRID,
                "--epochs", "1", "--master", "local[2]", "--backend", "simd");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("4 trial(s) over lr-rbm, hidden, 0 with a result already, 4 to run"), r.out());
        List<String[]> rows = rows(out);
        assertEquals(4, rows.size());
        String[] header = Files.readAllLines(out.resolve("trials.csv")).get(0).split(",");
        assertEquals(List.of("trial", "id", "lr-rbm", "hidden", "recurrent", "k", "steps", "seed", "status", "valid_ll"), List.of(header).subList(0, 10));
        double bestLl = Double.NEGATIVE_INFINITY;
        String bestId = null;
        for (String[] row : rows) {
            assertEquals("ok", row[8], String.join(",", row));
            // the same settings, one by one: train with the trial's seed, then evaluate its checkpoint on the valid split
            Path run = dir.resolve("run" + row[0]);
            TestData.Result t = TestData.cli(1, "train", "rnn-rbm", "--data", data.toString(), "--out", run.toString(), "--epochs", "1",
                    "--lr-rbm", row[2], "--hidden", row[3], "--recurrent", row[4], "--k", row[5], "--steps", row[6], "--seed", row[7], "--backend", "simd");
            assertEquals(0, t.code(), t.err());
            byte[] own = Files.readAllBytes(run.resolve("checkpoint.safetensors"));
            assertArrayEquals(own, Files.readAllBytes(out.resolve("trials").resolve(row[1] + ".safetensors")), "trial " + row[0] + "'s checkpoint");
            double ll = Double.parseDouble(row[9]);
            assertEquals(validation(run.resolve("checkpoint.safetensors"), data), ll, 0.0, "trial " + row[0] + "'s figure, exactly");
            TestData.Result e = TestData.cli(1, "evaluate", "--checkpoint", run.resolve("checkpoint.safetensors").toString(), "--data", data.toString(),
                    "--split", "valid", "--ais-runs", "10", "--ais-steps", "300", "--gibbs-burn-in", "10", "--gibbs-samples", "10", "--backend", "simd");
            assertEquals(0, e.code(), e.err());
            Matcher m = Pattern.compile("log-likelihood per time step: (-?[0-9.]+) ").matcher(e.out());
            assertTrue(m.find(), e.out());
            assertEquals(m.group(1), String.format(Locale.ROOT, "%.4f", ll), "as evaluate prints it");
            if (ll > bestLl) {
                bestLl = ll;
                bestId = row[1];
            }
        }
        assertArrayEquals(Files.readAllBytes(out.resolve("trials").resolve(bestId + ".safetensors")), Files.readAllBytes(out.resolve("best.safetensors")));
        assertTrue(ImageIO.read(out.resolve("sweep.png").toFile()).getWidth() >= 2 * 300);
        String md = Files.readString(out.resolve("trials.md"));
        assertTrue(md.contains("| trial | lr-rbm | hidden |") && md.contains("(best)"), md);

        // again on the same folder: nothing to run, the same table
        String before = Files.readString(out.resolve("trials.csv"));
        r = TestData.spark("sweep", "--model", "rnn-rbm", "--data", data.toString(), "--out", out.toString(), "--grid", GRID,
                "--epochs", "1", "--master", "local[2]", "--backend", "simd");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("4 with a result already, 0 to run"), r.out());
        assertEquals(before, Files.readString(out.resolve("trials.csv")));
    }

    /** The validation figure as evaluate computes it, through the model's own evaluation. */
    static double validation(Path checkpoint, Path data) throws Exception {
        ModelKind<?> kind = Models.byName("rnn-rbm");
        try (Backend be = Backends.create("simd", new BackendOptions(1, 0))) {
            return score(kind.evaluating(), be, SafeTensors.read(checkpoint), data);
        }
    }

    private static <E> double score(ModelKind.Evaluating<E> e, Backend be, SafeTensors.Contents c, Path data) throws Exception {
        E settings = e.settings().defaults();
        for (var s : e.settings().all()) {
            if (!s.options().isEmpty() && EVAL.containsKey(s.name().substring(2))) settings = e.settings().with(settings, s, EVAL.get(s.name().substring(2)));
        }
        return e.evaluate(be, c, settings, new ModelKind.Selection(data, "valid", 1, 0), Report.QUIET).logLikelihood();
    }

    /** trials.csv's rows after the header, each field unquoted. */
    static List<String[]> rows(Path out) throws Exception {
        List<String> lines = Files.readAllLines(out.resolve("trials.csv"));
        List<String[]> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            List<String> f = new ArrayList<>();
            StringBuilder b = new StringBuilder();
            boolean quoted = false;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (quoted && c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') b.append(line.charAt(++i));
                else if (c == '"') quoted = !quoted;
                else if (c == ',' && !quoted) {
                    f.add(b.toString());
                    b.setLength(0);
                } else b.append(c);
            }
            f.add(b.toString());
            rows.add(f.toArray(String[]::new));
        }
        return rows;
    }
}
