package dev.tessitura.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.midi.PianoRoll;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The paper's accuracy rule: per time step, then the mean over steps; exact for independent notes. */
class ExpectedAccuracyTest {
    static float[] f(double... x) {
        float[] a = new float[x.length];
        for (int i = 0; i < x.length; i++) a[i] = (float) x[i];
        return a;
    }

    @Test
    void oneFrameCountsInsertionsMissesAndAnEmptyMatch() {
        float[] truth = f(1, 1, 0, 0, 1);
        assertEquals(2.0 / 4, ExpectedAccuracy.of(truth, 0, f(1, 1, 1, 0, 0), 0, 5), 0);   // TP 2, FP 1, FN 1
        assertEquals(0.0, ExpectedAccuracy.of(truth, 0, f(0, 0, 0, 0, 0), 0, 5), 0);       // all missed
        assertEquals(1.0, ExpectedAccuracy.of(f(0, 0), 0, f(0, 0), 0, 2), 0);              // empty for empty counts 1
        assertEquals(0.0, ExpectedAccuracy.of(f(0, 0), 0, f(0, 1), 0, 2), 0);              // a note for silence: 0
        // offsets: the second row of each
        assertEquals(0.5, ExpectedAccuracy.of(f(9, 9, 1, 1), 2, f(9, 9, 9, 0, 1, 0), 4, 2), 0);
    }

    @Test
    void stepsAreAveragedNotPooled() {
        ExpectedAccuracy a = new ExpectedAccuracy();
        // step 1: truth {1,1,1,1}, two samples: all four (1) and one of them (1/4): expected 5/8
        a.add(f(1, 1, 1, 1), 0, f(1, 1, 1, 1, 1, 0, 0, 0), 0, 2, 4);
        // step 2: truth {1,0,0,0}, one sample {0,1,0,0}: 0
        a.add(f(1, 0, 0, 0), 0, f(0, 1, 0, 0), 0, 1, 4);
        assertEquals((5.0 / 8 + 0) / 2, a.value(), 1e-15);
        assertEquals(2, a.frames());
        // pooled, the same predictions would read (4 + 1 + 0) / (4 + 4 + 2): another figure
        assertTrue(Math.abs(a.value() - 0.5) > 0.1);
    }

    @Test
    void independentNotesByHand() {
        double[] scratch = new double[8];
        // truth {1, 0}, p = 1/2 each: frames 00 -> 0, 10 -> 1, 01 -> 0, 11 -> 1/2; the mean 3/8
        assertEquals(3.0 / 8, ExpectedAccuracy.independent(f(1, 0), 0, new double[] {0.5, 0.5}, 0, 2, scratch), 1e-15);
        // an empty truth: the chance of predicting the empty frame
        assertEquals(0.8 * 0.5, ExpectedAccuracy.independent(f(0, 0), 0, new double[] {0.2, 0.5}, 0, 2, scratch), 1e-15);
        // decided probabilities are the decided prediction
        float[] truth = f(1, 0, 1, 0, 0);
        double[] p = {1, 1, 0, 0, 1};
        assertEquals(ExpectedAccuracy.of(truth, 0, f(p), 0, 5), ExpectedAccuracy.independent(truth, 0, p, 0, 5, scratch), 1e-15);
    }

    @Test
    void independentNotesAgainstEnumeration() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 10;
        double[] scratch = new double[n + 1];
        for (int trial = 0; trial < 20; trial++) {
            float[] truth = new float[n], v = new float[n];
            double[] p = new double[n];
            for (int j = 0; j < n; j++) {
                truth[j] = r.nextDouble() < 0.3 ? 1 : 0;
                p[j] = r.nextDouble() < 0.2 ? (r.nextBoolean() ? 0 : 1) : r.nextDouble();
            }
            double want = 0;
            for (int m = 0; m < 1 << n; m++) {
                double pm = 1;
                for (int j = 0; j < n; j++) {
                    v[j] = m >> j & 1;
                    pm *= v[j] == 1 ? p[j] : 1 - p[j];
                }
                want += pm * ExpectedAccuracy.of(truth, 0, v, 0, n);
            }
            assertEquals(want, ExpectedAccuracy.independent(truth, 0, p, 0, n, scratch), 1e-12, "trial " + trial);
        }
    }

    @Test
    void independentNotesScoresFrameByFrame() {
        IndependentNotes s = new IndependentNotes(2, 2000, 7, 1);
        // frame 1: truth {1, 0}, p {0.8, 0.1}: log P = log 0.8 + log 0.9
        s.addProbabilities(new double[] {0.8, 0.1}, 0, f(1, 0), 0);
        // frame 2: truth {0, 0}, logits {0, ln 3} (p 1/2, 3/4): log P = log 1/2 + log 1/4
        s.addLogits(f(0, Math.log(3)), 0, f(0, 0), 0);
        IndependentNotes.Result res = s.result();
        double ll1 = Math.log(0.8) + Math.log(0.9), ll2 = Math.log(0.5) + Math.log(0.25);
        assertEquals((ll1 + ll2) / 2, res.logLikelihood(), 1e-6);
        assertEquals(Math.abs(ll1 - ll2) / 2 / Math.sqrt(2), res.stdErr(), 1e-6);   // population sd / sqrt(n)
        // per step: frame 1, E[TP] 0.8 and E[1 / (1 + FP)] = 0.9 + 0.1 / 2; frame 2, P(empty) = 1/2 x 1/4
        double acc1 = 0.8 * (0.9 + 0.05), acc2 = 0.5 * 0.25;
        assertEquals((acc1 + acc2) / 2, res.accuracy(), 1e-7);
        // pooled expected: TP 0.8, FP 0.1 + 0.5 + 0.75, FN 0.2; thresholded: TP 1, FP 1 (p 3/4)
        assertEquals(0.8 / (0.8 + 1.35 + 0.2), res.accPooled(), 1e-7);
        assertEquals(0.5, res.accThreshold(), 0);
        // 2000 sampled frames per step: within a few standard errors (<= 0.5 / sqrt(2000 x 2)) of the exact figure
        assertEquals(res.accuracy(), res.accSampled(), 0.03);
    }

    @Test
    void repeatingThePreviousFrameByHand() {
        PianoRoll.Builder b = PianoRoll.builder(3, 60, 4);
        b.set(0, 60).set(1, 60).set(1, 61).set(2, 63);
        // frame 0 from silence: 0; frame 1 from {60}: 1/2; frame 2 from {60, 61}: 0
        assertEquals((0 + 0.5 + 0) / 3, Rolls.repeatAccuracy(List.of(b.build())), 1e-15);
        // an all-silent tune: every empty frame predicted empty
        assertEquals(1.0, Rolls.repeatAccuracy(List.of(PianoRoll.builder(4, 60, 4).build())), 0);
    }
}
