package dev.tessitura.model.melody;

import static dev.tessitura.model.melody.MelodyEncoding.CLASSES;
import static dev.tessitura.model.melody.MelodyEncoding.NOTE_OFF;
import static dev.tessitura.model.melody.MelodyEncoding.NO_EVENT;
import static dev.tessitura.model.melody.MelodyEncoding.noteOn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.MidiReader;
import dev.tessitura.model.lstm.LstmReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MelodyModelTest {
    static Backend scalar() {
        return Backends.create("scalar", BackendOptions.defaults());
    }

    static Backend simd(int threads) {
        return Backends.create("simd", new BackendOptions(threads, 0));
    }

    static MelodyConfig config(int[] hidden, int batch, int steps, float lr, double initStd, long seed) {
        return MelodyConfig.defaults().withHidden(hidden).withBatch(batch).withSteps(steps).withLr(lr).withInitStd(initStd).withSeed(seed);
    }

    static List<int[]> randomMelodies(int count, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<int[]> l = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] m = new int[7 + rnd.nextInt(20)];
            for (int t = 0; t < m.length; t++) m[t] = rnd.nextInt(CLASSES);
            l.add(m);
        }
        return l;
    }

    // ---------------------------------------------------------------- batches

    @Test
    void batchesSeeEveryPairOnceWithPaddingAndCarriedState() {
        int[] a = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, b = {12, 13, 14, 15}, c = {16};   // c has no pair
        List<MelodyBatches.Batch> batches = MelodyBatches.epoch(List.of(a, b, c), 2, 4, false, 0, 0);
        assertEquals(3, batches.size());                  // 9 pairs of the longest in chunks of 4
        assertFalse(batches.get(0).carry());
        assertTrue(batches.get(1).carry() && batches.get(2).carry());
        assertEquals(List.of(4 + 3, 4, 1), batches.stream().map(MelodyBatches.Batch::events).toList());
        MelodyBatches.Batch first = batches.get(0), last = batches.get(2);
        for (int t = 0; t < 4; t++) {                     // time-major: position t B + lane
            assertEquals(a[t], first.inputs()[2 * t]);
            assertEquals(a[t + 1], first.targets()[2 * t]);
        }
        assertEquals(b[2], first.inputs()[2 * 2 + 1]);
        assertEquals(b[3], first.targets()[2 * 2 + 1]);
        assertEquals(-1, first.inputs()[2 * 3 + 1]);      // b has 3 pairs: its 4th step is padding
        assertEquals(-1, first.targets()[2 * 3 + 1]);
        assertEquals(a[8], last.inputs()[0]);
        assertEquals(a[9], last.targets()[0]);
        assertEquals(-1, last.targets()[2]);
    }

    @Test
    void shuffleIsSeededAndDiffersByEpoch() {
        List<int[]> melodies = new ArrayList<>();
        for (int i = 0; i < 12; i++) melodies.add(new int[] {2 + i, 1});
        List<Integer> e0 = order(MelodyBatches.epoch(melodies, 12, 1, true, 3, 0));
        assertEquals(e0, order(MelodyBatches.epoch(melodies, 12, 1, true, 3, 0)));
        assertFalse(e0.equals(order(MelodyBatches.epoch(melodies, 12, 1, true, 3, 1))));
        assertEquals(12, new HashSet<>(e0).size());       // a permutation
        assertFalse(e0.equals(order(MelodyBatches.epoch(melodies, 12, 1, false, 3, 0))));
    }

    static List<Integer> order(List<MelodyBatches.Batch> batches) {
        return Arrays.stream(batches.get(0).inputs()).boxed().toList();
    }

    // ---------------------------------------------------------------- gradient

    /**
     * The model's gradient (softmax cross-entropy into Lstm.logitsGradient, scaled by 1/events, back through the
     * LSTM, all in float32 on the scalar backend) against central differences of the same loss computed in float64
     * by LstmReference at the same parameters, for every parameter. Tolerance |g - fd| <= 2e-7 + 1e-4 |fd|: the
     * gradients are below 0.1 and each is a float32 sum of at most a few hundred terms, so its rounding error is near
     * 1e-8 (seen: 5e-9); the float64 central difference (h = 1e-5) is exact to about 1e-10. A wrong scale (1/(N+1)
     * instead of 1/N), sign, transposition or padding row misses it by orders of magnitude.
     */
    @Test
    void gradientMatchesFloat64FiniteDifferences() {
        int[] hidden = {5, 4};
        int batch = 3, steps = 6;
        try (Backend be = scalar()) {
            MelodyTrainer m = new MelodyTrainer(be, config(hidden, batch, steps, 0.001f, 0.1, 1));
            SplittableRandom rnd = new SplittableRandom(5);
            float[] p = new float[(int) m.model.lstm.params.size()];
            for (int i = 0; i < p.length; i++) p[i] = (float) rnd.nextDouble(-0.5, 0.5);
            be.copyFromHost(m.model.lstm.params, p, 0);
            // three melodies of 6, 4 and 2 pairs: one chunk, with padding rows
            List<int[]> melodies = List.of(new int[] {2, 1, 9, 0, 1, 30, 37}, new int[] {20, 21, 1, 0, 5}, new int[] {1, 0, 14});
            List<MelodyBatches.Batch> batches = MelodyBatches.epoch(melodies, batch, steps, false, 0, 0);
            assertEquals(1, batches.size());
            MelodyBatches.Batch mb = batches.get(0);
            double loss = m.model.lossAndGradient(mb);
            float[] g = be.toArray(m.model.lstm.grads);

            LstmReference ref = new LstmReference(CLASSES, hidden, CLASSES);
            String[] names = {"Wx0", "Wh0", "b0", "Wx1", "Wh1", "b1", "Wy", "by"};
            double[][] arrays = {ref.wx[0], ref.wh[0], ref.b[0], ref.wx[1], ref.wh[1], ref.b[1], ref.wy, ref.by};
            long[] offsets = new long[names.length];
            for (int k = 0; k < names.length; k++) {
                float[] v = be.toArray(m.model.lstm.param(names[k]));
                assertEquals(arrays[k].length, v.length, names[k]);
                for (int i = 0; i < v.length; i++) arrays[k][i] = v[i];
                offsets[k] = m.model.lstm.param(names[k]).offset() - m.model.lstm.params.offset();
            }
            assertEquals(referenceLoss(ref, mb, batch, steps), loss, 1e-5 * loss);

            double h = 1e-5, worst = 0, worstAbs = 0, sumAbs = 0;
            int checked = 0;
            for (int k = 0; k < names.length; k++) {
                double[] a = arrays[k];
                for (int i = 0; i < a.length; i++) {
                    double keep = a[i];
                    a[i] = keep + h;
                    double up = referenceLoss(ref, mb, batch, steps);
                    a[i] = keep - h;
                    double down = referenceLoss(ref, mb, batch, steps);
                    a[i] = keep;
                    double fd = (up - down) / (2 * h), got = g[(int) offsets[k] + i];
                    double err = Math.abs(got - fd), tol = 2e-7 + 1e-4 * Math.abs(fd);
                    assertTrue(err <= tol, String.format(Locale.ROOT, "d loss / d %s[%d]: model %.8g, finite difference %.8g", names[k], i, got, fd));
                    worst = Math.max(worst, err / tol);
                    worstAbs = Math.max(worstAbs, err);
                    sumAbs += Math.abs(fd);
                    checked++;
                }
            }
            assertEquals(p.length, checked);
            System.out.printf(Locale.ROOT, "melody: gradient check of %d parameters, largest |model - fd| %.2g, %.2g%% of its tolerance%n",
                    checked, worstAbs, 100 * worst);
            assertTrue(sumAbs > 1, "the gradient should not be all but zero: sum |fd| = " + sumAbs);
        }
    }

    /** Mean of -log softmax(logits)_target over the batch's real pairs, in float64, through the reference LSTM. */
    static double referenceLoss(LstmReference ref, MelodyBatches.Batch mb, int batch, int steps) {
        double[] x = new double[batch * steps * CLASSES];              // batch-major (B, T, n), as the reference takes it
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++) {
                int e = mb.inputs()[t * batch + b];
                if (e >= 0) x[(b * steps + t) * CLASSES + e] = 1;
            }
        double[] logits = ref.logits(x, batch, steps);
        double sum = 0;
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++) {
                int target = mb.targets()[t * batch + b];
                if (target < 0) continue;
                int o = (b * steps + t) * CLASSES;
                double mx = Double.NEGATIVE_INFINITY, z = 0;
                for (int j = 0; j < CLASSES; j++) mx = Math.max(mx, logits[o + j]);
                for (int j = 0; j < CLASSES; j++) z += Math.exp(logits[o + j] - mx);
                sum += mx + Math.log(z) - logits[o + target];
            }
        return sum / mb.events();
    }

    // ---------------------------------------------------------------- sampling

    @Test
    void sampleKnownAnswers() {
        float[] logits = new float[CLASSES];
        Arrays.fill(logits, -1000f);                                   // exp(-1000) = 0: only classes 0 and 1 count
        logits[0] = 0f;
        logits[1] = (float) Math.log(3);                               // q = (1/4, 3/4)
        assertEquals(0, MelodySampling.sample(logits, 1, 0.24f));
        assertEquals(1, MelodySampling.sample(logits, 1, 0.26f));
        assertEquals(1, MelodySampling.sample(logits, 1, 0.999f));
        // temperature 2: q proportional to (1, sqrt 3), q0 = 0.366
        assertEquals(0, MelodySampling.sample(logits, 2, 0.36f));
        assertEquals(1, MelodySampling.sample(logits, 2, 0.37f));
        assertEquals(1, MelodySampling.sample(logits, 0, 0.0f));           // argmax
        assertThrows(IllegalArgumentException.class, () -> MelodySampling.sample(logits, -1, 0.5f));
    }

    @Test
    void temperatureTowardsZeroIsArgmaxAndOneSamples() {
        try (Backend be = scalar()) {
            MelodyTrainer m = new MelodyTrainer(be, config(new int[] {16}, 1, 1, 0.001f, 0.8, 4));
            int[] primer = {noteOn(60), NO_EVENT};
            int[] argmax = MelodySampling.generate(m.model, primer, 60, 0, 9);
            assertArrayEquals(argmax, MelodySampling.generate(m.model, primer, 60, 1e-6, 9));
            assertArrayEquals(argmax, MelodySampling.generate(m.model, primer, 60, 1e-6, 10));
            int[] sampled = MelodySampling.generate(m.model, primer, 60, 1, 9);
            assertFalse(Arrays.equals(argmax, sampled), "temperature 1 should not always pick the argmax");
            assertArrayEquals(sampled, MelodySampling.generate(m.model, primer, 60, 1, 9), "same seed, same melody");
            assertFalse(Arrays.equals(sampled, MelodySampling.generate(m.model, primer, 60, 1, 8)));
            assertArrayEquals(primer, Arrays.copyOf(sampled, 2));
        }
    }

    // ---------------------------------------------------------------- training

    /** A four-note arpeggio, 8 steps per cycle: C (held), E (held), G (cut short), C'. */
    static final int[] CYCLE = {noteOn(60), NO_EVENT, noteOn(64), NO_EVENT, noteOn(67), NOTE_OFF, noteOn(72), NO_EVENT};

    static int[] repeating(int length, int phase) {
        int[] m = new int[length];
        for (int t = 0; t < length; t++) m[t] = CYCLE[(t + phase) % CYCLE.length];
        return m;
    }

    @Test
    void learnsARepeatingMelodyAndReproducesIt() {
        List<int[]> melodies = List.of(repeating(48, 0), repeating(40, 2), repeating(44, 4), repeating(48, 6));
        try (Backend be = scalar()) {
            MelodyTrainer m = new MelodyTrainer(be, config(new int[] {24}, 4, 16, 0.01f, 0.1, 7));
            MelodyModel.Evaluation before = m.model.evaluate(melodies);
            double first = m.trainEpoch(melodies, 0, null), loss = first;
            for (int e = 1; e < 60; e++) loss = m.trainEpoch(melodies, e, null);
            MelodyModel.Evaluation after = m.model.evaluate(melodies);
            System.out.printf(Locale.ROOT, "melody: repeating tune, NLL %.3f -> %.3f nats/event, accuracy %.3f -> %.3f (%d events)%n",
                    before.nll(), after.nll(), before.accuracy(), after.accuracy(), after.events());
            assertEquals(47 + 39 + 43 + 47, after.events());
            assertTrue(loss < first / 4, "training loss " + first + " -> " + loss);
            assertTrue(after.accuracy() > 0.9, "accuracy " + after.accuracy());
            int[] want = repeating(40, 0);
            assertArrayEquals(want, MelodySampling.generate(m.model, Arrays.copyOf(want, 4), 36, 0, 1));
            assertArrayEquals(want, MelodySampling.generate(m.model, Arrays.copyOf(want, 4), 36, 0.1, 1));
        }
    }

    @Test
    void sameSeedSameParametersBitForBit() {
        List<int[]> melodies = randomMelodies(5, 3);
        float[] a, b, c;
        try (Backend be = scalar()) {
            a = train(be, melodies, 1);
            b = train(be, melodies, 1);
            c = train(be, melodies, 2);
        }
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c), "another seed should give other parameters");
        float[] s1, s2;
        try (Backend be1 = simd(1); Backend be2 = simd(2)) {
            s1 = train(be1, melodies, 1);
            s2 = train(be2, melodies, 1);
        }
        assertArrayEquals(s1, s2, "simd with 1 and 2 threads");
        double num = 0, den = 0;                                         // simd is close to scalar, not equal
        for (int i = 0; i < a.length; i++) {
            num += (s1[i] - a[i]) * (double) (s1[i] - a[i]);
            den += a[i] * (double) a[i];
        }
        assertTrue(Math.sqrt(num / den) < 1e-3, "simd vs scalar relative difference " + Math.sqrt(num / den));
    }

    static float[] train(Backend be, List<int[]> melodies, long seed) {
        MelodyTrainer m = new MelodyTrainer(be, config(new int[] {16, 8}, 2, 5, 0.003f, 0.1, seed));
        for (int e = 0; e < 2; e++) m.trainEpoch(melodies, e, null);
        return be.toArray(m.model.lstm.params);
    }

    /** The gradient that reaches Adam has a global norm of at most clipNorm; 0 leaves it alone. */
    @Test
    void gradientIsClippedToTheGlobalNorm() {
        MelodyBatches.Batch mb = MelodyBatches.epoch(randomMelodies(2, 4), 2, 3, false, 0, 0).get(0);
        try (Backend be = scalar()) {
            MelodyTrainer free = new MelodyTrainer(be, MelodyConfig.defaults().withHidden(new int[] {6}).withBatch(2).withSteps(3).withClipNorm(0f).withInitStd(0.5));
            free.model.lossAndGradient(mb);
            double norm = Math.sqrt(be.sumOfSquares(free.model.lstm.grads));
            free.step(mb);                                              // clipNorm 0: not clipped
            assertEquals(norm, Math.sqrt(be.sumOfSquares(free.model.lstm.grads)), 1e-6 * norm);
            float clip = (float) (norm / 3);
            MelodyTrainer clipped = new MelodyTrainer(be, MelodyConfig.defaults().withHidden(new int[] {6}).withBatch(2).withSteps(3).withClipNorm(clip).withInitStd(0.5));
            clipped.step(mb);
            assertEquals(clip, Math.sqrt(be.sumOfSquares(clipped.model.lstm.grads)), 1e-5 * clip);
        }
    }

    @Test
    void divergenceStopsBeforeTheUpdate() {
        try (Backend be = scalar()) {
            MelodyTrainer m = new MelodyTrainer(be, config(new int[] {4}, 2, 3, 0.001f, 0.1, 1));
            float[] p = be.toArray(m.model.lstm.params);
            be.fill(m.model.lstm.param("by"), Float.NaN);
            float[] bad = be.toArray(m.model.lstm.params);
            MelodyBatches.Batch mb = MelodyBatches.epoch(randomMelodies(2, 1), 2, 3, false, 0, 0).get(0);
            assertThrows(dev.tessitura.model.DivergedException.class, () -> m.step(mb));
            assertArrayEquals(bad, be.toArray(m.model.lstm.params));
            assertEquals(0, m.optimizer.steps());
            assertFalse(Arrays.equals(p, bad));
        }
    }

    @Test
    void wrongBatchShapeIsRejected() {
        try (Backend be = scalar()) {
            MelodyTrainer m = new MelodyTrainer(be, config(new int[] {4}, 2, 3, 0.001f, 0.1, 1));
            MelodyBatches.Batch mb = MelodyBatches.epoch(randomMelodies(1, 1), 3, 3, false, 0, 0).get(0);
            assertThrows(IllegalArgumentException.class, () -> m.step(mb));
            assertThrows(IllegalArgumentException.class, () -> m.model.evaluate(List.of(new int[] {2})));
        }
    }

    // ---------------------------------------------------------------- MIDI out

    @Test
    void generatedMidiReadsBackIntoTheSameEvents(@TempDir Path dir) throws Exception {
        try (Backend be = scalar()) {
            MelodyTrainer m = new MelodyTrainer(be, config(new int[] {16}, 1, 1, 0.001f, 0.8, 2));
            int[] gen = MelodySampling.generate(m.model, new int[] {noteOn(62)}, 95, 1.0, 5);
            int[] canon = MelodyEncoding.canonical(gen);
            assertTrue(MelodyEncoding.decode(canon).size() >= 5, "a melody with a few notes");
            Path file = dir.resolve("melody.mid");
            MelodyMidi.write(gen, 100, file);
            int[] back = MelodyExtractor.events(MidiReader.read(file), -1);
            assertArrayEquals(canon, back);
        }
    }

    @Test
    void reStruckNotesSurviveTheMidiRoundTrip(@TempDir Path dir) throws Exception {
        int[] ev = {NO_EVENT, noteOn(60), noteOn(60), NO_EVENT, NOTE_OFF, noteOn(83), noteOn(48), NO_EVENT, NO_EVENT};
        Path file = dir.resolve("restruck.mid");
        MelodyMidi.write(ev, 120, file);
        assertArrayEquals(ev, MelodyExtractor.events(MidiReader.read(file), -1));
    }

    // ---------------------------------------------------------------- speed (printed, not asserted)

    @Test
    void trainingSpeedOnASyntheticBatch() {
        int batch = 32, steps = 64;
        try (Backend be = simd(0)) {
            MelodyConfig defaults = MelodyConfig.defaults();
            MelodyTrainer m = new MelodyTrainer(be, MelodyConfig.defaults().withHidden(defaults.hidden()).withBatch(batch).withSteps(steps).withLr(defaults.lr()).withClipNorm(defaults.clipNorm()).withInitStd(defaults.initStd()));
            SplittableRandom rnd = new SplittableRandom(2);
            List<int[]> melodies = new ArrayList<>();
            for (int i = 0; i < batch; i++) melodies.add(rnd.ints(steps * 5 + 1, 0, CLASSES).toArray());
            List<MelodyBatches.Batch> batches = MelodyBatches.epoch(melodies, batch, steps, false, 0, 0);
            double loss = m.step(batches.get(0));                        // warm-up
            long t0 = System.nanoTime();
            long events = 0;
            for (int k = 1; k < batches.size(); k++) {
                loss = m.step(batches.get(k));
                events += batches.get(k).events();
            }
            double s = (System.nanoTime() - t0) * 1e-9;
            System.out.printf(Locale.ROOT, "melody: training speed %s, 2 x 128 units, B %d x L %d: %.0f events/s (%d events in %.2f s)%n",
                    be.description(), batch, steps, events / s, events, s);
            assertTrue(loss > 3 && loss < 4.5, "random events cost about ln 38 = 3.64 nats, got " + loss);
        }
    }
}
