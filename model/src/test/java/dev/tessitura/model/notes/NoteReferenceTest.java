package dev.tessitura.model.notes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NoteReferenceTest {
    /** Two tunes over 5 notes with an empty frame, the top note, a full frame and a repeated frame. */
    static List<int[][]> tunes() {
        return List.of(new int[][] {{0, 2}, {}, {1, 2, 4}, {1, 2, 4}}, new int[][] {{4}, {0, 1, 2, 3, 4}, {3}});
    }

    /** Dropout-like multipliers that differ per tune, frame, token and unit, so that a mix-up of any of them shows. */
    static NoteReference.Masks masks() {
        return new NoteReference.Masks() {
            @Override public double frame(int s, int t, int j) { return 0.5 + ((7 * s + 3 * t + j) % 5) * 0.25; }

            @Override public double note(int s, int t, int k, int j) { return 0.25 + ((5 * s + 2 * t + 3 * k + j) % 4) * 0.5; }
        };
    }

    static NoteReference model(long seed) {
        NoteReference m = new NoteReference(5, new int[] {4, 3}, new int[] {3, 2});
        m.randomize(new SplittableRandom(seed), 0.6);
        return m;
    }

    /**
     * Every parameter's gradient against a central difference (h = 1e-6) of the float64 loss with fixed dropout
     * multipliers. Tolerance |g - fd| <= 1e-9 + 1e-6 |fd|: the difference's truncation error is ~h^2 = 1e-12 times a
     * third derivative of order 1 and its rounding ~1e-16 / h = 1e-10; a wrong sign, index, mask or missing term
     * misses by orders of magnitude.
     */
    @Test
    void gradientsMatchFiniteDifferences() {
        NoteReference m = model(3);
        List<int[][]> tunes = tunes();
        NoteReference.Masks masks = masks();
        double scale = 1.0 / 7;
        NoteReference.Result r = m.lossAndGrads(tunes, masks, scale);
        double h = 1e-6, worst = 0, sumAbs = 0;
        int checked = 0;
        List<double[]> params = m.params();
        for (int p = 0; p < params.size(); p++) {
            double[] a = params.get(p);
            for (int i = 0; i < a.length; i++) {
                double keep = a[i];
                a[i] = keep + h;
                double up = m.lossAndGrads(tunes, masks, scale).loss();
                a[i] = keep - h;
                double down = m.lossAndGrads(tunes, masks, scale).loss();
                a[i] = keep;
                double fd = (up - down) / (2 * h), got = r.grads().get(p)[i];
                double tol = 1e-9 + 1e-6 * Math.abs(fd);
                assertTrue(Math.abs(got - fd) <= tol, String.format(Locale.ROOT, "parameter %d[%d]: gradient %.10g, difference %.10g", p, i, got, fd));
                worst = Math.max(worst, Math.abs(got - fd));
                sumAbs += Math.abs(fd);
                checked++;
            }
        }
        System.out.printf(Locale.ROOT, "note reference: %d gradients against finite differences, largest |g - fd| %.2g%n", checked, worst);
        assertTrue(sumAbs > 1, "the gradient should not be all but zero: sum |fd| = " + sumAbs);
        assertEquals(checked, params.stream().mapToInt(a -> a.length).sum());
    }

    /** All 2^6 frames over 6 notes, given several histories: their probabilities sum to 1 within float64 rounding. */
    @Test
    void frameProbabilitiesSumToOneOverAllFrames() {
        NoteReference m = new NoteReference(6, new int[] {5}, new int[] {4, 3});
        m.randomize(new SplittableRandom(11), 1.5);   // large weights: far from uniform
        int[][][] histories = {{}, {{0, 5}}, {{1, 2, 3}, {}, {5}}, {{0, 1, 2, 3, 4, 5}, {2}}};
        double worst = 0, largest = 0;
        for (int[][] history : histories) {
            double sum = 0;
            for (int mask = 0; mask < 64; mask++) {
                double p = Math.exp(last(m.logProbs(append(history, frame(mask)))));
                sum += p;
                largest = Math.max(largest, p);
            }
            assertEquals(1.0, sum, 1e-12, "history of " + history.length + " frames");
            worst = Math.max(worst, Math.abs(sum - 1));
        }
        assertTrue(largest > 0.1, "a model this far from uniform puts much mass on some frame: " + largest);
        System.out.printf(Locale.ROOT, "note reference: sum over 64 frames - 1 at most %.2g%n", worst);
    }

    @Test
    void framesMustBeAscendingDistinctNotesInRange() {
        NoteReference m = model(1);
        assertThrows(IllegalArgumentException.class, () -> m.logProbs(new int[][] {{2, 1}}));
        assertThrows(IllegalArgumentException.class, () -> m.logProbs(new int[][] {{1, 1}}));
        assertThrows(IllegalArgumentException.class, () -> m.logProbs(new int[][] {{5}}));
    }

    static int[] frame(int mask) {
        List<Integer> on = new ArrayList<>();
        for (int j = 0; j < 6; j++) if ((mask >> j & 1) != 0) on.add(j);
        return on.stream().mapToInt(Integer::intValue).toArray();
    }

    static int[][] append(int[][] history, int[] frame) {
        int[][] t = java.util.Arrays.copyOf(history, history.length + 1);
        t[history.length] = frame;
        return t;
    }

    static double last(double[] a) {
        return a[a.length - 1];
    }
}
