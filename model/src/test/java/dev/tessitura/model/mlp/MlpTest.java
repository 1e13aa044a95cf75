package dev.tessitura.model.mlp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.ResumeCheck;
import dev.tessitura.model.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MLP's hand-written backward pass against finite differences, and the model through the registry. */
class MlpTest {
    @TempDir Path dir;

    /**
     * float64 central differences (h = 1e-6) of the summed cross-entropy of three examples, against the gradient
     * accumulated by costAndGradient: relative error of the whole vector below 1e-7 (the truncation error is O(h^2)
     * ~ 1e-12 relative; rounding adds ~1e-16 / h ~ 1e-10). Random weights of N(0, 0.5^2) so that tanh is curved.
     */
    @Test
    void backwardMatchesFiniteDifferences() {
        Mlp net = new Mlp(2, 5, 4);
        SplittableRandom r = new SplittableRandom(7);
        double[] p = new double[(int) net.size()];
        for (int i = 0; i < p.length; i++) p[i] = r.nextGaussian() * 0.5;
        int[][] active = {{0, 3, 7}, {}, {2, 9}};
        float[] y = {1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1};
        int[] yOff = {0, 5, 10};
        double[] g = new double[p.length];
        double[] seed = new double[p.length];
        java.util.Arrays.fill(g, 0.25);                                  // the gradient accumulates onto what is there
        double scale = 0.5;
        net.costAndGradient(p, g, active, y, yOff, scale);
        double num = 0, den = 0;
        for (int i = 0; i < p.length; i++) {
            double keep = p[i];
            p[i] = keep + 1e-6;
            double up = net.costAndGradient(p, seed, active, y, yOff, 0);
            p[i] = keep - 1e-6;
            double down = net.costAndGradient(p, seed, active, y, yOff, 0);
            p[i] = keep;
            double fd = scale * (up - down) / 2e-6, got = g[i] - 0.25;
            num += (got - fd) * (got - fd);
            den += fd * fd;
        }
        assertTrue(Math.sqrt(num / den) < 1e-7, "relative error " + Math.sqrt(num / den));
        // a wrong backward would be caught: e.g. the tanh derivative dropped moves the error to order 1
        assertTrue(den > 1e-3, "a gradient large enough to test");
    }

    @Test
    void activeInputsAreTheWindowsNotesSilenceBeforeTheStart() {
        Mlp net = new Mlp(2, 3, 1);
        float[] roll = {1, 0, 0, 0, 1, 1, 0, 0, 0};                       // frames {0}, {1, 2}, {}
        assertArrayEquals(new int[0], net.active(roll, 0));
        assertArrayEquals(new int[] {0}, net.active(roll, 1));
        assertArrayEquals(new int[] {1, 2, 3}, net.active(roll, 2));       // t-1: notes 1, 2; t-2: note 0 at 3 + 0
    }

    @Test
    void itLearnsAPatternAndResumesBitForBit() throws Exception {
        // a tune that alternates two chords: predictable from the window, not from the marginals
        List<PianoRoll> tunes = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            PianoRoll.Builder b = PianoRoll.builder(24 + s, 21, 88);
            for (int t = 0; t < 24 + s; t++) for (int n : (t + s) % 2 == 0 ? new int[] {60, 64} : new int[] {62, 65}) b.set(t, n);
            tunes.add(b.build());
        }
        Path data = dir.resolve("alt.pickle");
        DatasetWriters.write(new Dataset("alt", tunes.subList(0, 3), tunes.subList(3, 4), tunes.subList(3, 4)), data);
        MlpKind.Config c = MlpKind.MLP.settings().parse(List.of("--window", "2", "--hidden", "8", "--lr", "0.03", "--batch", "10"));
        try (Backend be = Backends.create("scalar", BackendOptions.defaults())) {
            Trainer a = MlpKind.MLP.trainer(be, c, data, 0, Report.QUIET);
            double before = a.validate(0, () -> false).cost();
            for (int e = 0; e < 30; e++) a.trainEpoch(Position.start(e), () -> false, null);
            Trainer.Validation after = a.validate(30, () -> false);
            assertTrue(after.cost() < 1 && before > 30, "valid cross-entropy " + before + " -> " + after.cost());
            assertTrue(after.accuracy() > 0.8, "expected accuracy " + after.accuracy());

            ResumeCheck.stoppedEpochResumesBitForBit(MlpKind.MLP, c, be, data, dir);
        }
    }
}
