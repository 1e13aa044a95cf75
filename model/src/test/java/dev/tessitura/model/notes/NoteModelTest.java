package dev.tessitura.model.notes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.engine.Rng;
import dev.tessitura.model.Fixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NoteModelTest {
    static Backend backend(String name) {
        return switch (name) {
            case "scalar" -> Backends.create("scalar", BackendOptions.defaults());
            case "simd-1" -> Backends.create("simd", new BackendOptions(1, 0));
            default -> Backends.create("simd", new BackendOptions(2, 0));
        };
    }

    static NoteConfig config(int[] frame, int[] note, int batch, int steps) {
        return NoteConfig.defaults().withFrame(frame).withNote(note).withBatch(batch).withSteps(steps).withSeed(5);
    }

    /** An engine model holding the reference's parameters. */
    static NoteTrainer engine(Backend be, NoteReference ref, int batch, int steps) {
        NoteTrainer t = new NoteTrainer(be, config(ref.hf, ref.hn, batch, steps), ref.n);
        List<String> names = t.model.paramNames();
        List<double[]> values = ref.params();
        assertEquals(values.size(), names.size());
        for (int p = 0; p < names.size(); p++) {
            double[] v = values.get(p);
            float[] f = new float[v.length];
            for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
            be.copyFromHost(t.model.param(names.get(p)), f, 0);
        }
        return t;
    }

    /**
     * The engine's loss and every parameter's gradient against the float64 reference, on one chunk that holds both
     * tunes whole (the reference back-propagates through whole tunes), with and without dropout (the reference given
     * the engine's masks). Norm-wise relative error <= 1e-4 per parameter: float32 sums of at most a few hundred terms
     * of order 1 are good to ~1e-6; a wrong index or a missing term is off by far more. Then the exact log-probability
     * of every frame over chunks of 2 frames (the state carried) against the reference's, within 1e-5 absolute.
     */
    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-1", "simd-2"})
    void engineMatchesTheFloat64Reference(String backend) {
        NoteReference ref = NoteReferenceTest.model(3);
        List<int[][]> tunes = NoteReferenceTest.tunes();
        try (Backend be = backend(backend)) {
            for (float dropout : new float[] {0f, 0.4f}) {
                NoteTrainer t = engine(be, ref, 2, 4);
                List<NoteBatches.Batch> batches = NoteBatches.epoch(tunes, 2, 4, false, 0, 0);
                assertEquals(1, batches.size());
                NoteBatches.Batch mb = batches.get(0);
                double loss = t.lossAndGradient(tunes, mb, dropout);
                float[][] masks = t.pass.masks();
                NoteReference.Masks m = dropout == 0 ? NoteReference.Masks.NONE : masksOf(masks, NoteLayout.of(tunes, mb, ref.n), mb, ref);
                NoteReference.Result want = ref.lossAndGrads(tunes, m, 1.0 / mb.frames());
                assertEquals(want.loss(), loss, 1e-5 * want.loss(), backend + " loss");
                double worst = 0;
                List<String> names = t.model.paramNames();
                for (int p = 0; p < names.size(); p++) {
                    double err = Fixture.relErr(be.toArray(t.model.grad(names.get(p))), want.grads().get(p));
                    assertTrue(err < 1e-4, backend + " dropout " + dropout + ": gradient of " + names.get(p) + " off by " + err);
                    worst = Math.max(worst, err);
                }
                System.out.printf(Locale.ROOT, "note model on %s, dropout %.1f: loss %.6f (reference %.6f), gradients' worst relative error %.2g%n",
                        backend, dropout, loss, want.loss(), worst);
            }
            NoteTrainer t = engine(be, ref, 2, 2);
            double[][] got = t.logProbs(tunes);
            for (int s = 0; s < tunes.size(); s++) {
                double[] want = ref.logProbs(tunes.get(s));
                for (int f = 0; f < want.length; f++) assertEquals(want[f], got[s][f], 1e-5, backend + " log P of tune " + s + " frame " + f);
            }
        }
    }

    /** The reference's view of the engine's dropout masks: frame rows (N, HF) and token rows (R, HN_top) of the layout. */
    static NoteReference.Masks masksOf(float[][] masks, NoteLayout lay, NoteBatches.Batch mb, NoteReference ref) {
        int hf = ref.hf[ref.hf.length - 1], hn = ref.hn[ref.hn.length - 1];
        java.util.Map<Long, Integer> sorted = new java.util.HashMap<>();   // (tune, frame) -> sorted index
        for (int i = 0; i < lay.frames; i++) sorted.put((long) mb.tune()[lay.slot[i]] << 32 | mb.frame()[lay.slot[i]], i);
        return new NoteReference.Masks() {
            @Override public double frame(int s, int t, int j) { return masks[0][sorted.get((long) s << 32 | t) * hf + j]; }

            @Override public double note(int s, int t, int k, int j) {
                return masks[1][(lay.offsets[k] + sorted.get((long) s << 32 | t)) * hn + j];
            }
        };
    }

    /** All 2^6 frames over 6 notes after several histories: the engine's probabilities sum to 1 within 1e-6 (float32 logits). */
    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-2"})
    void frameProbabilitiesSumToOneOverAllFrames(String backend) {
        NoteReference ref = new NoteReference(6, new int[] {5}, new int[] {4, 3});
        ref.randomize(new SplittableRandom(11), 1.5);
        int[][][] histories = {{}, {{0, 5}}, {{1, 2, 3}, {}, {5}}, {{0, 1, 2, 3, 4, 5}, {2}}};
        try (Backend be = backend(backend)) {
            NoteTrainer t = engine(be, ref, 16, 3);
            double worst = 0;
            for (int[][] history : histories) {
                List<int[][]> all = new ArrayList<>();
                for (int mask = 0; mask < 64; mask++) all.add(NoteReferenceTest.append(history, NoteReferenceTest.frame(mask)));
                double sum = 0;
                for (double[] lp : t.logProbs(all)) sum += Math.exp(NoteReferenceTest.last(lp));
                assertEquals(1.0, sum, 1e-6, backend + ", history of " + history.length + " frames");
                worst = Math.max(worst, Math.abs(sum - 1));
            }
            System.out.printf(Locale.ROOT, "note model on %s: sum over 64 frames - 1 at most %.2g%n", backend, worst);
        }
    }

    /**
     * Frames drawn given a history against the model's exact probabilities of all 2^4 frames over 4 notes: Pearson's
     * chi-square over 20,000 draws (fixed seed) below 37.7, the 0.1 % point of chi-square with 15 degrees of freedom.
     * Every draw is ascending, distinct and in range.
     */
    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-2"})
    void drawnFramesFollowTheExactProbabilities(String backend) {
        NoteReference ref = new NoteReference(4, new int[] {3}, new int[] {3});
        ref.randomize(new SplittableRandom(2), 1.2);
        int[][] history = {{0, 3}, {1}};
        int draws = 20000;
        try (Backend be = backend(backend)) {
            NoteTrainer t = engine(be, ref, 16, 3);
            List<int[][]> all = new ArrayList<>();
            for (int mask = 0; mask < 16; mask++) all.add(NoteReferenceTest.append(history, frameOf(mask)));
            double[] p = new double[16];
            double[][] lp = t.logProbs(all);
            for (int mask = 0; mask < 16; mask++) p[mask] = Math.exp(NoteReferenceTest.last(lp[mask]));
            t.logProbs(List.<int[][]>of(NoteReferenceTest.append(history, new int[0])));     // a forward over one tune: its layout
            NoteLayout lay = t.pass.layout();
            int last = -1;
            for (int i = 0; i < lay.frames; i++) if (lay.slot[i] == 2 * 16) last = i;   // frame 2 of the tune: slot 2 B
            int[][] drawn = t.sampleLast(draws, new Rng(9, 4));
            long[] count = new long[16];
            for (int d = 0; d < draws; d++) {
                int[] f = drawn[last * draws + d];
                NoteLayout.check(f, 4);
                int mask = 0;
                for (int j : f) mask |= 1 << j;
                count[mask]++;
            }
            double chi2 = 0;
            for (int mask = 0; mask < 16; mask++) chi2 += (count[mask] - draws * p[mask]) * (count[mask] - draws * p[mask]) / (draws * p[mask]);
            System.out.printf(Locale.ROOT, "note model on %s: chi-square of %d draws over 16 frames %.1f%n", backend, draws, chi2);
            assertTrue(chi2 < 37.7, "chi-square " + chi2);
            // the same draws again from the same seed; other draws from another
            assertArrayEquals(drawn[last * draws + 7], t.sampleLast(draws, new Rng(9, 4))[last * draws + 7]);
        }
    }

    /**
     * The mask bars exactly the notes at or below the previous one and never END; START bars nothing. Drawn with END
     * all but impossible (logit -30) and every weight 0, a frame climbs to the top note, where only END is left; with
     * note 2 also far the likeliest (+30), every frame starts there and no note below it or repeated can follow.
     */
    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd-2"})
    void noNoteAtOrBelowThePreviousOneCanBeDrawnAndEndAlwaysCan(String backend) {
        int n = 6;
        try (Backend be = backend(backend)) {
            NoteTrainer t = new NoteTrainer(be, config(new int[] {3}, new int[] {4}, 4, 3), n);
            float[] mask = be.toArray(t.model.maskTable);
            for (int prev = 0; prev <= n; prev++) {
                for (int j = 0; j <= n; j++) {
                    boolean barred = prev < n && j <= prev;
                    assertEquals(barred ? NoteModel.BARRED : 0f, mask[prev * (n + 1) + j], "after " + prev + ", token " + j);
                }
            }
            be.fill(t.model.params, 0f);
            float[] bias = new float[n + 1];
            bias[n] = -30f;
            be.copyFromHost(t.model.param("by"), bias, 0);
            for (int[] f : drawFromTheEnd(t, 2000)) {
                NoteLayout.check(f, n);
                assertTrue(f.length > 0 && f[f.length - 1] == n - 1, "a frame that cannot end before the top: " + java.util.Arrays.toString(f));
            }
            bias[2] = 30f;
            be.copyFromHost(t.model.param("by"), bias, 0);
            for (int[] f : drawFromTheEnd(t, 2000)) {
                NoteLayout.check(f, n);
                assertEquals(2, f[0], java.util.Arrays.toString(f));
                assertEquals(n - 1, f[f.length - 1], java.util.Arrays.toString(f));
            }
        }
    }

    /** A barred token has weight exactly 0: q = (1/4, 0, 3/4) over (0, barred, 2) splits [0, 1) at 1/4. */
    @org.junit.jupiter.api.Test
    void drawKnownAnswers() {
        float[] logits = {0f, NoteModel.BARRED, (float) Math.log(3)};
        double[] w = new double[3];
        assertEquals(0, NoteSampler.draw(logits, 0, 3, 0f, w));
        assertEquals(0, NoteSampler.draw(logits, 0, 3, 0.2499f, w));
        assertEquals(2, NoteSampler.draw(logits, 0, 3, 0.2501f, w));
        assertEquals(2, NoteSampler.draw(logits, 0, 3, 0.99999994f, w));
        assertEquals(0, w[1]);
    }

    /** Frames drawn for the second frame of a two-frame tune. */
    static int[][] drawFromTheEnd(NoteTrainer t, int draws) {
        t.logProbs(List.<int[][]>of(new int[][] {{1}, {}}));
        NoteLayout lay = t.pass.layout();
        int at = lay.slot[0] == 4 ? 0 : 1;                              // frame 1 of the tune: slot 1 B = 4
        int[][] all = t.sampleLast(draws, new Rng(3, 4));
        return java.util.Arrays.copyOfRange(all, at * draws, (at + 1) * draws);
    }

    static int[] frameOf(int mask) {
        List<Integer> on = new ArrayList<>();
        for (int j = 0; j < 4; j++) if ((mask >> j & 1) != 0) on.add(j);
        return on.stream().mapToInt(Integer::intValue).toArray();
    }
}
