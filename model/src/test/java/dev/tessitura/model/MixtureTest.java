package dev.tessitura.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.nade.RnnNadeConfig;
import dev.tessitura.model.nade.RnnNadeTrainer;
import dev.tessitura.model.notes.NoteConfig;
import dev.tessitura.model.notes.NoteTrainer;
import dev.tessitura.model.rnnrbm.RnnRbmTest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MixtureTest {
    static final int NOTES = 4, LOWEST = 60;

    @TempDir
    Path dir;

    /** Parameters drawn with a spread that makes the conditionals far from uniform. */
    static void scramble(Backend be, Tensor params, long seed) {
        Random r = new Random(seed);
        float[] p = new float[Math.toIntExact(params.size())];
        for (int i = 0; i < p.length; i++) p[i] = (float) (0.8 * r.nextGaussian());
        be.copy(params, be.of(p, p.length));
    }

    /** An LSTM-NADE and a note-by-note LSTM over 4 notes, through their checkpoints and the registry, as evaluate gets them. */
    List<ExactFrames> members(Backend be) throws Exception {
        RnnNadeTrainer nade = new RnnNadeTrainer(be, RnnNadeConfig.defaults().withNh(7).withLstmLayers(new int[] {6, 5}).withSkip(true), NOTES);
        scramble(be, nade.model.params, 1);
        nade.save(dir.resolve("a.safetensors"), Position.start(0), Map.of());
        NoteTrainer notes = new NoteTrainer(be, NoteConfig.defaults().withFrame(new int[] {9}).withNote(new int[] {8}).withBatch(2).withSteps(3), NOTES);
        scramble(be, notes.model.params, 2);
        notes.save(dir.resolve("b.safetensors"), Position.start(0), Map.of());
        List<ExactFrames> out = new ArrayList<>();
        for (String f : List.of("a", "b")) {
            SafeTensors.Contents c = SafeTensors.read(dir.resolve(f + ".safetensors"));
            out.add(Models.of(c).exactFrames(be, c));
        }
        return out;
    }

    /** A 4-note roll: the past given, then the frame whose bits are {@code last}. */
    static PianoRoll roll(int[][] past, int last) {
        PianoRoll.Builder b = PianoRoll.builder(past.length + 1, LOWEST, NOTES);
        for (int t = 0; t < past.length; t++) for (int j : past[t]) b.set(t, LOWEST + j);
        for (int j = 0; j < NOTES; j++) if ((last >> j & 1) == 1) b.set(past.length, LOWEST + j);
        return b.build();
    }

    @Test
    void theMixedConditionalSumsToOneOverEveryFrame() throws Exception {
        try (Backend be = RnnRbmTest.create("scalar")) {
            List<ExactFrames> members = members(be);
            int[][] past = {{0, 2}, {}, {1, 2, 3}};
            double[] weights = {0.3, 0.7};
            double mixed = 0, first = 0, second = 0, largest = 0;
            for (int last = 0; last < 1 << NOTES; last++) {
                double[][] lp = Mixture.logProbs(members, List.of(roll(past, last)));
                double p = Math.exp(Mixture.mix(lp, weights)[past.length]);
                assertEquals(0.3 * Math.exp(lp[0][past.length]) + 0.7 * Math.exp(lp[1][past.length]), p, 1e-12);
                mixed += p;
                first += Math.exp(lp[0][past.length]);
                second += Math.exp(lp[1][past.length]);
                largest = Math.max(largest, p);
            }
            assertEquals(1, first, 1e-5);
            assertEquals(1, second, 1e-5);
            assertEquals(1, mixed, 1e-5);
            assertTrue(largest > 0.2, "the scrambled members should be far from uniform, largest " + largest);
        }
    }

    @Test
    void aMemberWithItselfOrAloneIsThatMember() throws Exception {
        try (Backend be = RnnRbmTest.create("scalar")) {
            List<ExactFrames> members = members(be);
            List<PianoRoll> rolls = List.of(roll(new int[][] {{1}, {0, 3}, {}, {2}}, 5), roll(new int[][] {{3}}, 9));
            for (ExactFrames e : members) {
                double[] own = Mixture.logProbs(List.of(e), rolls)[0];
                assertArrayEquals(own, Mixture.mix(new double[][] {own, own}, new double[] {0.25, 0.75}), 1e-12);
                Mixture.Result alone = Mixture.evaluate(List.of(e), new double[] {1}, rolls, 0, 1, null);
                double mean = 0;
                for (double x : own) mean += x / own.length;
                assertEquals(mean, alone.logLikelihood(), 1e-12);
                assertEquals(mean, alone.members()[0], 1e-12);
            }
            Mixture.Result both = Mixture.evaluate(members, new double[] {0.5, 0.5}, rolls, 0, 1, null);
            assertEquals(7, both.frames());
            assertTrue(both.logLikelihood() >= 0.5 * both.members()[0] + 0.5 * both.members()[1], "Jensen: " + both);
        }
    }

    /** Each member's draws at step t follow its conditional there: the 16 frames' frequencies against their probabilities. */
    @Test
    void eachMembersDrawsFollowItsConditionalGivenTheTruePast() throws Exception {
        try (Backend be = RnnRbmTest.create("scalar")) {
            int[][] past = {{0, 2}, {}, {1, 2, 3}};
            int samples = 3000;
            for (ExactFrames e : members(be)) {
                float[] drawn = e.draws(roll(past, 6), samples, new Rng(9, 1));
                for (int t : new int[] {1, 3}) {
                    int[][] prefix = java.util.Arrays.copyOf(past, t);
                    double[] counts = new double[1 << NOTES];
                    for (int q = 0; q < samples; q++) {
                        int code = 0;
                        for (int j = 0; j < NOTES; j++) if (drawn[((t * samples) + q) * NOTES + j] > 0.5f) code |= 1 << j;
                        counts[code]++;
                    }
                    for (int code = 0; code < 1 << NOTES; code++) {
                        double p = Math.exp(e.logProbs(roll(prefix, code))[t]);
                        assertEquals(p, counts[code] / samples, 0.035, "step " + t + ", frame " + code);
                    }
                }
            }
        }
    }

    @Test
    void fittedWeightsAreTheMostLikely() {
        Random r = new Random(3);
        int n = 400;
        double[][] lp = new double[3][n];
        for (int i = 0; i < n; i++) {
            lp[0][i] = -1 - 2 * r.nextDouble();
            lp[1][i] = lp[0][i] + (i % 3 == 0 ? 1.5 : -1.0);      // better on a third of the frames
            lp[2][i] = -6 + r.nextDouble();                        // worse everywhere: no weight at the optimum
        }
        double[] w = Mixture.fitWeights(lp, 5000);
        assertEquals(1, w[0] + w[1] + w[2], 1e-12);
        double best = total(Mixture.mix(lp, w));
        for (double a = 0; a <= 1.0001; a += 0.02) {
            for (double b = 0; a + b <= 1.0001; b += 0.02) {
                double c = Math.max(0, 1 - a - b);
                assertTrue(total(Mixture.mix(lp, new double[] {a, b, c})) <= best + 1e-9, a + ", " + b);
            }
        }
        assertTrue(w[0] > 0.2 && w[1] > 0.2 && w[2] < 0.01, java.util.Arrays.toString(w));
    }

    static double total(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return s;
    }

    /** A member that always draws the same frame, all notes on or all off; its probabilities are not used here. */
    static ExactFrames constant(boolean on) {
        return new ExactFrames() {
            @Override public int notes() { return NOTES; }

            @Override public double[] logProbs(PianoRoll roll) { return new double[roll.frames()]; }

            @Override public float[] draws(PianoRoll roll, int samples, Rng rng) {
                float[] out = new float[roll.frames() * samples * NOTES];
                if (on) java.util.Arrays.fill(out, 1f);
                return out;
            }
        };
    }

    @Test
    void drawsComeFromEachMemberWithItsWeight() {
        PianoRoll.Builder b = PianoRoll.builder(100, LOWEST, NOTES);
        for (int t = 0; t < 100; t++) for (int j = 0; j < NOTES; j++) b.set(t, LOWEST + j);
        // against frames with every note on, a draw of the 'on' member scores 1 and of the 'off' member 0: ACC = its weight
        Mixture.Result r = Mixture.evaluate(List.of(constant(true), constant(false)), new double[] {0.3, 0.7}, List.of(b.build()), 50, 4, null);
        assertEquals(0.3, r.acc(), 0.03);
        assertEquals(0.3, r.accPooled(), 0.03);
        Mixture.Result only = Mixture.evaluate(List.of(constant(true), constant(false)), new double[] {1, 0}, List.of(b.build()), 50, 4, null);
        assertEquals(1, only.acc(), 0);
    }

    @Test
    void badWeightsAndMembersAreRefused() throws Exception {
        List<PianoRoll> rolls = List.of(roll(new int[][] {{1}}, 2));
        ExactFrames on = constant(true);
        assertThrows(IllegalArgumentException.class, () -> Mixture.evaluate(List.of(on, on), new double[] {0.5}, rolls, 0, 1, null));
        assertThrows(IllegalArgumentException.class, () -> Mixture.evaluate(List.of(on, on), new double[] {0.5, 0.6}, rolls, 0, 1, null));
        assertThrows(IllegalArgumentException.class, () -> Mixture.evaluate(List.of(on, on), new double[] {-0.5, 1.5}, rolls, 0, 1, null));
        ExactFrames wider = new ExactFrames() {
            @Override public int notes() { return NOTES + 1; }
            @Override public double[] logProbs(PianoRoll roll) { return new double[roll.frames()]; }
            @Override public float[] draws(PianoRoll roll, int samples, Rng rng) { return new float[0]; }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Mixture.evaluate(List.of(on, wider), new double[] {0.5, 0.5}, rolls, 0, 1, null));
        assertTrue(e.getMessage().contains("5 and 4 notes"), e.getMessage());
    }
}
