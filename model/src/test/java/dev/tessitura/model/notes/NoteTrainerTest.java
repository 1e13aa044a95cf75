package dev.tessitura.model.notes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Position;
import dev.tessitura.model.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NoteTrainerTest {
    static final int NOTES = 12;

    /** A tune cycling through {@code period} chords of two or three notes, starting at chord {@code phase}. */
    static int[][] arpeggio(int frames, int period, int phase) {
        int[][] t = new int[frames][];
        for (int f = 0; f < frames; f++) {
            int k = (f + phase) % period;
            Set<Integer> on = new java.util.TreeSet<>(List.of(k * 3 % NOTES, (k * 3 + 4) % NOTES));
            if (k % 2 == 0) on.add((k * 3 + 7) % NOTES);
            t[f] = on.stream().mapToInt(Integer::intValue).toArray();
        }
        return t;
    }

    static List<int[][]> tunes(int count) {
        List<int[][]> l = new ArrayList<>();
        for (int i = 0; i < count; i++) l.add(arpeggio(9 + 5 * (i % 6), 4, i % 4));
        return l;
    }

    static NoteConfig config() {
        return NoteConfig.defaults().withFrame(new int[] {16}).withNote(new int[] {12}).withBatch(2).withSteps(6).withLr(0.02f)
                .withInitStd(0.1).withSeed(3);
    }

    static Backend scalar() {
        return NoteModelTest.backend("scalar");
    }

    @Test
    void batchesPredictEveryFrameOnceFromThePreviousOneWithFreshStarts() {
        List<int[][]> tunes = new ArrayList<>(tunes(21));
        tunes.add(3, new int[0][]);                               // no frames: skipped
        for (boolean shuffle : new boolean[] {false, true}) {
            List<NoteBatches.Batch> batches = NoteBatches.epoch(tunes, 3, 5, shuffle, 7, 2);
            Set<Long> seen = new HashSet<>();
            int[] next = new int[tunes.size()];                   // per tune, the frame its stream must predict next
            Set<Integer> started = new HashSet<>();
            for (NoteBatches.Batch b : batches) {
                int frames = 0;
                for (int s = 0; s < b.tune().length; s++) {
                    int tune = b.tune()[s], f = b.frame()[s], row = s % 3;
                    if (tune < 0) continue;
                    frames++;
                    assertTrue(seen.add((long) tune << 32 | f), "frame " + f + " of tune " + tune + " twice");
                    assertEquals(next[tune], f, "tune " + tune + " in order");
                    next[tune]++;
                    if (f == 0) {                                 // a tune starts at a chunk's first step, from zero state
                        assertTrue(s < 3, "tune " + tune + " starts at step " + s / 3);
                        int r = row;
                        assertTrue(!b.carry() || java.util.Arrays.stream(b.fresh()).anyMatch(x -> x == r));
                        started.add(tune);
                    } else if (s < 3) {
                        assertTrue(b.carry() && java.util.Arrays.stream(b.fresh()).noneMatch(x -> x == row), "state carried into tune " + tune);
                    }
                }
                assertEquals(b.frames(), frames);
                float[] x = NoteLayout.inputs(tunes, b, NOTES);
                for (int s = 0; s < b.tune().length; s++) {
                    float[] want = new float[NOTES];
                    if (b.tune()[s] >= 0 && b.frame()[s] > 0) for (int j : tunes.get(b.tune()[s])[b.frame()[s] - 1]) want[j] = 1f;
                    assertArrayEquals(want, java.util.Arrays.copyOfRange(x, s * NOTES, (s + 1) * NOTES));
                }
            }
            assertEquals(NoteTrainer.framesPerEpoch(tunes), seen.size());
            assertEquals(tunes.size() - 1, started.size());
        }
        List<Integer> e2 = firstTunes(NoteBatches.epoch(tunes, 3, 5, true, 7, 2)), e3 = firstTunes(NoteBatches.epoch(tunes, 3, 5, true, 7, 3));
        assertEquals(e2, firstTunes(NoteBatches.epoch(tunes, 3, 5, true, 7, 2)));
        assertNotEquals(e2, e3, "each epoch its own order");
    }

    static List<Integer> firstTunes(List<NoteBatches.Batch> batches) {
        List<Integer> l = new ArrayList<>();
        for (NoteBatches.Batch b : batches) if (!b.carry()) for (int s = 0; s < 3; s++) l.add(b.tune()[s]);
        return l;
    }

    /** Frames sorted by token count: each step's rows a prefix; the indices of a hand-made example. */
    @Test
    void layoutSortsFramesSoThatEachStepIsAPrefix() {
        int n = 5;
        NoteLayout l = new NoteLayout(new int[][] {{0, 2}, null, {}, {1, 2, 4}, {3}}, n);
        assertEquals(4, l.frames);
        assertArrayEquals(new int[] {3, 0, 4, 2}, l.slot);          // 4, 3, 2, 1 tokens; ties in slot order
        assertArrayEquals(new int[] {4, 3, 2, 1}, l.counts);
        assertArrayEquals(new int[] {0, 4, 7, 9, 10}, l.offsets);
        float[] idx = l.indices();
        int r = l.rows;
        // step 0: every frame from START (= n); targets 1, 0, 3, END
        for (int i = 0; i < 4; i++) {
            assertEquals(NoteLayout.inputRow(n, 0), (int) idx[i]);
            assertEquals(n, (int) idx[r + i]);
        }
        assertArrayEquals(new float[] {1, 0, 3, n}, java.util.Arrays.copyOfRange(idx, 2 * r, 2 * r + 4));
        // step 1 (rows 4..6): after 1, 0, 3: targets 2, 2, END
        assertArrayEquals(new float[] {1, 0, 3}, java.util.Arrays.copyOfRange(idx, r + 4, r + 7));
        assertArrayEquals(new float[] {2, 2, n}, java.util.Arrays.copyOfRange(idx, 2 * r + 4, 2 * r + 7));
        assertEquals(NoteLayout.inputRow(1, 1), (int) idx[4]);
        // step 3: the three-note frame's END after 4
        assertEquals(4, (int) idx[r + 9]);
        assertEquals(n, (int) idx[2 * r + 9]);
        // per frame its slot; per slot its sorted position, the padding slot pointing at the zero row N
        assertArrayEquals(new float[] {3, 0, 4, 2}, java.util.Arrays.copyOfRange(idx, 3 * r, 3 * r + 4));
        assertArrayEquals(new float[] {1, 4, 3, 0, 2}, java.util.Arrays.copyOfRange(idx, 3 * r + 4, 3 * r + 9));
    }

    @Test
    void trainingLowersTheNllAndEvaluationMeasuresTheSameCost() {
        List<int[][]> data = tunes(12);
        try (Backend be = scalar()) {
            NoteTrainer t = new NoteTrainer(be, config().withDropout(0.1f), NOTES);
            double before = t.evaluate(data, 0, 0, () -> false, null).nll();
            double first = t.trainEpoch(data, Position.start(0), () -> false, null).meanCost(), last = first;
            for (int e = 1; e < 30; e++) last = t.trainEpoch(data, Position.start(e), () -> false, null).meanCost();
            NoteTrainer.Evaluation after = t.evaluate(data, 20, 1, () -> false, null);
            System.out.printf(java.util.Locale.ROOT, "note trainer: NLL per frame %.3f before, %.3f after 30 epochs (training cost %.3f -> %.3f), "
                    + "ACC %.1f%% expected, %.1f%% pooled%n", before, after.nll(), first, last, 100 * after.accExpected(), 100 * after.accPooled());
            assertTrue(after.nll() < 0.3 * before, "NLL " + before + " -> " + after.nll());
            assertTrue(after.accExpected() > 0.6, "a learnt arpeggio is mostly predicted: " + after.accExpected());
            assertEquals(NoteTrainer.framesPerEpoch(data), after.frames());
        }
        try (Backend be = scalar()) {
            // lr ~ 0 and no dropout: an epoch's training cost is the evaluation's NLL of the same frames
            NoteTrainer t = new NoteTrainer(be, config().withLr(1e-30f).withInitStd(0.5), NOTES);
            double cost = t.trainEpoch(data, Position.start(0), () -> false, null).meanCost();
            assertEquals(cost, t.evaluate(data, 0, 0, () -> false, null).nll(), 1e-5 * cost);
        }
    }

    @Test
    void generationIsSeededKeepsThePrimerAndFollowsWhatItLearnt() {
        List<int[][]> data = tunes(12);
        try (Backend be = scalar()) {
            NoteTrainer t = new NoteTrainer(be, config(), NOTES);
            for (int e = 0; e < 40; e++) t.trainEpoch(data, Position.start(e), () -> false, null);
            int[][] primer = arpeggio(4, 4, 0);
            int[][] a = t.generate(primer, 20, 9), b = t.generate(primer, 20, 9);
            assertEquals(24, a.length);
            for (int f = 0; f < 24; f++) assertArrayEquals(a[f], b[f]);
            for (int f = 0; f < 4; f++) assertArrayEquals(primer[f], a[f]);
            int[][] truth = arpeggio(24, 4, 0);
            int same = 0;
            for (int f = 4; f < 24; f++) if (java.util.Arrays.equals(truth[f], a[f])) same++;
            assertTrue(same >= 14, "generated frames equal to the arpeggio: " + same + "/20");
            assertFalse(java.util.Arrays.deepEquals(a, t.generate(primer, 20, 10)) && same < 20, "another seed, other draws");
        }
    }

    @TempDir
    Path tmp;

    /**
     * Stopped in the middle of an epoch, saved, loaded and continued, a run with dropout ends with the same checkpoint,
     * byte for byte, as one never stopped: parameters, Adam's moments and step count, and the dropout Rng's position.
     */
    @Test
    void stoppingSavingAndResumingGivesTheUninterruptedCheckpointByteForByte() throws Exception {
        NoteConfig cfg = config().withDropout(0.3f).withAugment(true).withLrDecay(0.9f);
        List<int[][]> data = tunes(40);                         // 40 tunes: 3 pools of 16 at batch 2
        Map<String, String> about = Map.of("data", "tunes(40)");
        Path whole = tmp.resolve("whole.safetensors"), part = tmp.resolve("part.safetensors"), resumed = tmp.resolve("resumed.safetensors");
        try (Backend be = scalar()) {
            NoteTrainer t = new NoteTrainer(be, cfg, NOTES);
            for (int e = 0; e < 3; e++) t.trainEpoch(data, Position.start(e), () -> false, null);
            t.save(whole, Position.start(3), about);
        }
        Position stoppedAt;
        try (Backend be = scalar()) {
            NoteTrainer t = new NoteTrainer(be, cfg, NOTES);
            t.trainEpoch(data, Position.start(0), () -> false, null);
            EpochResult r = t.trainEpoch(data, Position.start(1), () -> true, null);   // stops at the first pool's end
            assertFalse(r.completed());
            stoppedAt = r.next();
            assertTrue(stoppedAt.index() > 0);
            t.save(part, stoppedAt, about);
        }
        try (Backend be = scalar()) {
            SafeTensors.Contents c = SafeTensors.read(part);
            NoteTrainer t = NoteTrainer.load(be, c);
            assertEquals(cfg.dropout(), t.config().dropout());
            assertTrue(t.config().augment());
            assertEquals(stoppedAt, Position.fromMetadata(c.metadata()));
            assertTrue(t.trainEpoch(data, stoppedAt, () -> false, null).completed());
            t.trainEpoch(data, Position.start(2), () -> false, null);
            t.save(resumed, Position.start(3), about);
        }
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(resumed));
    }

    /** Repeating the previous frame, silence before the first: {60}, {60}, {60, 64}, {} score 0, 1, 1/2, 0; silence 1. */
    @Test
    void repeatBaselineIsTheMeanOverTimeSteps() {
        dev.tessitura.midi.PianoRoll r = dev.tessitura.midi.PianoRoll.builder(4, 60, NOTES).set(0, 60).set(1, 60).set(2, 60).set(2, 64).build();
        dev.tessitura.midi.PianoRoll silent = dev.tessitura.midi.PianoRoll.builder(2, 60, NOTES).build();
        assertEquals((0 + 1 + 0.5 + 0) / 4, NoteKind.repeatPerStep(List.of(r)), 1e-12);   // frame 3 is empty after {60, 64}: 0
        assertEquals(1.0, NoteKind.repeatPerStep(List.of(silent)), 1e-12);                  // empty predicted for empty: 1
        assertEquals((0 + 1 + 0.5 + 0 + 1 + 1) / 6, NoteKind.repeatPerStep(List.of(r, silent)), 1e-12);
    }

    @Test
    void settingsRoundTripThroughACheckpointHeader() {
        NoteConfig c = NoteConfig.defaults().withFrame(new int[] {30, 20}).withNote(new int[] {10, 9}).withBatch(7).withSteps(11).withLr(0.003f)
                .withLrDecay(0.8f).withClipNorm(2f).withDropout(0.25f).withInitStd(0.07).withForgetBias(0.5f).withAugment(true).withSeed(42);
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        NoteConfig.SETTINGS.encode(c, meta);
        NoteConfig back = NoteConfig.SETTINGS.decode(meta);
        assertEquals(List.of(), NoteConfig.SETTINGS.differences(back, c));
        assertArrayEquals(new int[] {10, 9}, back.note());
        assertEquals(0.25f, back.dropout());
        assertTrue(back.augment());
        assertEquals(0.003f * 0.8f * 0.8f, c.lr(2), 1e-9);
    }
}
