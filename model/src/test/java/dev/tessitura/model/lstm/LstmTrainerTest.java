package dev.tessitura.model.lstm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.IndependentNotes;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Position;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LstmTrainerTest {
    static final int NOTES = 12;

    /** A tune cycling through an arpeggio of {@code period} chords, starting at chord {@code phase}. */
    static PianoRoll arpeggio(int frames, int period, int phase) {
        PianoRoll.Builder b = PianoRoll.builder(frames, 60, NOTES);
        for (int t = 0; t < frames; t++) {
            int k = (t + phase) % period;
            b.set(t, 60 + k * 3 % NOTES);
            b.set(t, 60 + (k * 3 + 4) % NOTES);
        }
        return b.build();
    }

    static List<PianoRoll> tunes() {
        List<PianoRoll> l = new ArrayList<>();
        for (int i = 0; i < 6; i++) l.add(arpeggio(9 + 5 * i, 4, i));
        return l;
    }

    /** {@code count} arpeggios of 2-61 frames, lengths drawn from {@code seed}. */
    static List<PianoRoll> randomTunes(long seed, int count) {
        java.util.Random r = new java.util.Random(seed);
        List<PianoRoll> rolls = new ArrayList<>();
        for (int i = 0; i < count; i++) rolls.add(arpeggio(2 + r.nextInt(60), 4, i % 3));
        return rolls;
    }

    static int pairsOf(List<PianoRoll> rolls) {
        return rolls.stream().mapToInt(p -> p.frames() - 1).sum();
    }

    static LstmConfig config(Optimizer.Kind kind, float lr, Minibatches.Mode mode) {
        return LstmConfig.defaults().withHidden(new int[] {16, 11}).withMode(mode).withBatch(4).withSteps(7).withOptimizer(kind).withLr(new float[] {lr}).withSeed(5);
    }

    static Backend scalar() {
        return Backends.create("scalar", BackendOptions.defaults());
    }

    @Test
    void chunksSeeEveryPairOnceWithMasksAndCarriedState() {
        List<PianoRoll> rolls = List.of(arpeggio(10, 4, 0), arpeggio(4, 4, 1), arpeggio(1, 4, 0));   // the last has no pair
        List<Minibatches.Batch> batches = Minibatches.epoch(rolls, Minibatches.Mode.CHUNKS, 2, 4, false, 0, 0);
        assertEquals(3, batches.size());                          // 9 pairs of the longest tune in chunks of 4
        assertFalse(batches.get(0).carry());
        assertTrue(batches.get(1).carry() && batches.get(2).carry());
        assertEquals(4 + 3, batches.get(0).frames());            // both tunes; the second has 3 pairs
        assertEquals(4, batches.get(1).frames());
        assertEquals(1, batches.get(2).frames());
        float[] roll = rolls.get(0).toFloats();
        Minibatches.Batch b1 = batches.get(1);
        for (int t = 0; t < 4; t++) {                             // tune 0 is lane 0: step t of chunk 1 is pair 4 + t
            int row = (t * 2) * NOTES;
            assertArrayEquals(java.util.Arrays.copyOfRange(roll, (4 + t) * NOTES, (5 + t) * NOTES), java.util.Arrays.copyOfRange(b1.x(), row, row + NOTES));
            assertArrayEquals(java.util.Arrays.copyOfRange(roll, (5 + t) * NOTES, (6 + t) * NOTES), java.util.Arrays.copyOfRange(b1.y(), row, row + NOTES));
            assertEquals(0f, b1.mask()[(t * 2 + 1) * NOTES]);    // lane 1's tune has ended
        }
    }

    @Test
    void shuffledChunksGroupTunesOfLikeLengthAndStillSeeEveryPairOnce() {
        List<PianoRoll> rolls = randomTunes(4, 53);
        int pairs = pairsOf(rolls);
        List<Minibatches.Batch> a = Minibatches.epoch(rolls, Minibatches.Mode.CHUNKS, 3, 5, true, 9, 2);
        assertEquals(pairs, a.stream().mapToInt(Minibatches.Batch::frames).sum());
        List<Minibatches.Batch> again = Minibatches.epoch(rolls, Minibatches.Mode.CHUNKS, 3, 5, true, 9, 2);
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i).x(), again.get(i).x());
        List<Minibatches.Batch> other = Minibatches.epoch(rolls, Minibatches.Mode.CHUNKS, 3, 5, true, 9, 3);
        assertFalse(java.util.Arrays.equals(a.get(0).x(), other.get(0).x()), "another epoch, another order");
        // sorted pools: far fewer padded rows than the 53 tunes in random groups of 3 would need
        long computed = (long) a.size() * 3 * 5, random = 0;
        List<PianoRoll> shuffled = new java.util.ArrayList<>(rolls);
        Minibatches.shuffle(shuffled, 9, 1, 2L << 20);
        for (int g = 0; g < shuffled.size(); g += 3) {
            int longest = 0;
            for (PianoRoll p : shuffled.subList(g, Math.min(g + 3, shuffled.size()))) longest = Math.max(longest, p.frames() - 1);
            random += (long) ((longest + 4) / 5) * 3 * 5;
        }
        assertTrue(computed < 0.9 * random, "rows computed " + computed + ", with random groups " + random);
    }

    @Test
    void packedRowsTakeTunesOneAfterAnotherEachFromAFreshState() {
        // pairs 9, 3, 2, 6 in chunks of 4 (3, 1, 1, 2 chunks): dealt longest first to the emptier of 2 rows,
        // row 0 takes the 9 (3 chunks), row 1 the 6 (2), then the 3 (to row 1: 3 chunks), then the 2 (row 0: 4)
        List<PianoRoll> rolls = List.of(arpeggio(10, 4, 0), arpeggio(4, 4, 1), arpeggio(3, 4, 2), arpeggio(7, 4, 3));
        List<Minibatches.Batch> batches = Minibatches.epoch(rolls, Minibatches.Mode.PACKED, 2, 4, false, 0, 0);
        assertEquals(4, batches.size());
        assertEquals(9 + 3 + 2 + 6, batches.stream().mapToInt(Minibatches.Batch::frames).sum());
        assertFalse(batches.get(0).carry());
        assertArrayEquals(new int[0], batches.get(1).fresh());
        assertArrayEquals(new int[] {1}, batches.get(2).fresh());      // row 1: the 3-pair tune after the 6-pair one
        assertArrayEquals(new int[] {0}, batches.get(3).fresh());      // row 0: the 2-pair tune after the 9-pair one
        for (int i = 1; i < 4; i++) assertTrue(batches.get(i).carry());
        assertEquals(1 + 3, batches.get(2).frames());                   // row 0: the 9-pair tune's last; row 1: the 3-pair tune
        // row 1 of chunk 2 starts the 3-pair tune (arpeggio(4, 4, 1)) at its first pair; its 4th step is padding
        float[] roll = rolls.get(1).toFloats();
        Minibatches.Batch b2 = batches.get(2);
        for (int t = 0; t < 3; t++) {
            int row = (t * 2 + 1) * NOTES;
            assertArrayEquals(java.util.Arrays.copyOfRange(roll, t * NOTES, (t + 1) * NOTES), java.util.Arrays.copyOfRange(b2.x(), row, row + NOTES));
        }
        assertEquals(0f, b2.mask()[(3 * 2 + 1) * NOTES]);
        // on many tunes, far fewer rows computed than side by side in CHUNKS, every pair still once
        List<PianoRoll> many = randomTunes(5, 61);
        int pairs = pairsOf(many);
        List<Minibatches.Batch> packed = Minibatches.epoch(many, Minibatches.Mode.PACKED, 3, 5, true, 9, 2);
        List<Minibatches.Batch> chunks = Minibatches.epoch(many, Minibatches.Mode.CHUNKS, 3, 5, true, 9, 2);
        assertEquals(pairs, packed.stream().mapToInt(Minibatches.Batch::frames).sum());
        assertTrue(packed.size() < chunks.size(), "minibatches packed " + packed.size() + ", chunks " + chunks.size());
    }

    @Test
    void tilingRepeatsShortTunesAndTruncatesLongOnes() {
        List<PianoRoll> rolls = List.of(arpeggio(3, 4, 0), arpeggio(50, 4, 0));
        List<Minibatches.Batch> batches = Minibatches.epoch(rolls, Minibatches.Mode.TILE, 2, 6, false, 0, 0);
        assertEquals(1, batches.size());
        Minibatches.Batch b = batches.get(0);
        assertNull(b.mask());
        assertEquals(12, b.frames());
        float[] shortRoll = rolls.get(0).toFloats();
        for (int t = 0; t < 6; t++) {                              // 2 pairs, repeated
            int row = (t * 2) * NOTES, s = t % 2;
            assertArrayEquals(java.util.Arrays.copyOfRange(shortRoll, s * NOTES, (s + 1) * NOTES), java.util.Arrays.copyOfRange(b.x(), row, row + NOTES));
        }
    }

    @ParameterizedTest
    @EnumSource(Optimizer.Kind.class)
    void everyOptimizerLearnsTheArpeggio(Optimizer.Kind kind) {
        float lr = switch (kind) { case SGD -> 1f; case MOMENTUM, NESTEROV -> 0.3f; case RMSPROP, ADAM -> 0.02f; };
        try (Backend be = scalar()) {
            LstmTrainer tr = new LstmTrainer(be, config(kind, lr, Minibatches.Mode.CHUNKS), NOTES);
            double first = tr.trainEpoch(tunes(), 0, null), last = first;
            for (int e = 1; e < 60; e++) last = tr.trainEpoch(tunes(), e, null);
            assertTrue(last < 0.5 * first, kind + ": cost " + first + " -> " + last);
            IndependentNotes.Result ev = tr.evaluate(tunes());
            long pairs = tunes().stream().mapToLong(r -> r.frames() - 1).sum();
            assertEquals(pairs, ev.frames());
            assertTrue(ev.accThreshold() > 0.5, kind + " ACC " + ev.accThreshold());
            assertTrue(ev.accuracy() > 0.3 && ev.accuracy() <= 1, kind + " expected ACC " + ev.accuracy());
        }
    }

    /**
     * With lr = 0 an epoch measures the cost without changing the model; the shuffle regroups the tunes, which changes
     * nothing for a per-tune cost with the state reset at each tune's start. PACKED puts several tunes in a row one
     * after another: a state carried from one into the next would change the cost.
     */
    @ParameterizedTest
    @EnumSource(value = Minibatches.Mode.class, names = {"CHUNKS", "PACKED"})
    void evaluationNllIsTheTrainingCostOfTheSameFrames(Minibatches.Mode mode) {
        try (Backend be = scalar()) {
            // weights N(0, 1): a state carried across a tune's start would move the cost well past the tolerance
            LstmTrainer tr = new LstmTrainer(be, LstmConfig.defaults().withHidden(new int[] {16, 11}).withMode(mode).withBatch(4).withSteps(7).withLr(new float[] {0f}).withInitStd(1.0).withSeed(5), NOTES);
            double cost = tr.trainEpoch(tunes(), 0, null);
            assertEquals(cost, -tr.evaluate(tunes()).logLikelihood(), 1e-4 * cost);
        }
    }

    @Test
    void sameSeedSameModelOnEveryBackendSetting() {
        float[][] results = new float[3][];
        String[] names = {"scalar", "simd-1", "simd-2"};
        for (int i = 0; i < 3; i++) {
            try (Backend be = i == 0 ? scalar() : Backends.create("simd", new BackendOptions(i, 0))) {
                LstmTrainer tr = new LstmTrainer(be, config(Optimizer.Kind.ADAM, 0.01f, Minibatches.Mode.CHUNKS), NOTES);
                for (int e = 0; e < 3; e++) tr.trainEpoch(tunes(), e, null);
                results[i] = be.toArray(tr.model.params);
                // twice on the same backend setting: identical bits
                LstmTrainer again = new LstmTrainer(be, config(Optimizer.Kind.ADAM, 0.01f, Minibatches.Mode.CHUNKS), NOTES);
                for (int e = 0; e < 3; e++) again.trainEpoch(tunes(), e, null);
                assertArrayEquals(results[i], be.toArray(again.model.params), names[i]);
            }
        }
        // SIMD is deterministic whatever the thread count
        assertArrayEquals(results[1], results[2]);
    }

    @Test
    void generationIsSeededKeepsThePrimerAndFollowsWhatItLearnt() {
        try (Backend be = scalar()) {
            LstmTrainer tr = new LstmTrainer(be, config(Optimizer.Kind.ADAM, 0.02f, Minibatches.Mode.CHUNKS), NOTES);
            for (int e = 0; e < 80; e++) tr.trainEpoch(tunes(), e, null);
            PianoRoll primer = arpeggio(4, 4, 0);
            PianoRoll a = tr.generate(primer, 20, 0.1f, 9), b = tr.generate(primer, 20, 0.1f, 9);
            assertEquals(a, b);
            assertEquals(24, a.frames());
            for (int t = 0; t < 4; t++) assertArrayEquals(primer.notesAt(t), a.notesAt(t));
            PianoRoll truth = arpeggio(24, 4, 0);
            int same = 0;
            for (int t = 4; t < 24; t++) if (java.util.Arrays.equals(truth.notesAt(t), a.notesAt(t))) same++;
            assertTrue(same >= 14, "generated frames equal to the arpeggio: " + same + "/20");
        }
    }

    /**
     * What a backend gathers a minibatch from: each row's frame in the rolls' frames stacked in the order given (the
     * target the next one), -1 exactly where the row is masked; in every mode, shuffled or not, with a too-short roll
     * (skipped) among them.
     */
    @ParameterizedTest
    @EnumSource(Minibatches.Mode.class)
    void rowsSayWhereEveryInputAndTargetComesFrom(Minibatches.Mode mode) {
        List<PianoRoll> rolls = new java.util.ArrayList<>(tunes());
        rolls.add(2, arpeggio(1, 4, 1));
        int stacked = 0;
        for (PianoRoll r : rolls) stacked += r.frames();
        float[] all = new float[stacked * NOTES];
        int at = 0;
        for (PianoRoll r : rolls) {
            System.arraycopy(r.toFloats(), 0, all, at, r.frames() * NOTES);
            at += r.frames() * NOTES;
        }
        for (boolean shuffle : new boolean[] {false, true}) {
            for (Minibatches.Batch b : Minibatches.epoch(rolls, mode, 3, 5, shuffle, 4, 1)) {
                int counted = 0;
                for (int r = 0; r < 15; r++) {
                    int row = b.rows()[r];
                    float[] x = java.util.Arrays.copyOfRange(b.x(), r * NOTES, (r + 1) * NOTES);
                    float[] y = java.util.Arrays.copyOfRange(b.y(), r * NOTES, (r + 1) * NOTES);
                    boolean masked = b.mask() != null && b.mask()[r * NOTES] == 0f;
                    assertEquals(masked, row < 0, mode + " row " + r);
                    if (row < 0) {
                        assertArrayEquals(new float[NOTES], x);
                        assertArrayEquals(new float[NOTES], y);
                        continue;
                    }
                    counted++;
                    assertArrayEquals(java.util.Arrays.copyOfRange(all, row * NOTES, (row + 1) * NOTES), x, mode + " x of row " + r);
                    assertArrayEquals(java.util.Arrays.copyOfRange(all, (row + 1) * NOTES, (row + 2) * NOTES), y, mode + " y of row " + r);
                }
                assertEquals(b.frames(), counted, mode + ": counted rows");
            }
        }
    }

    @Test
    void divergenceStopsWithAClearMessage() {
        try (Backend be = scalar()) {
            LstmTrainer tr = new LstmTrainer(be, config(Optimizer.Kind.SGD, 1f, Minibatches.Mode.CHUNKS), NOTES);
            be.fill(tr.model.param("Wy"), Float.NaN);
            DivergedException e = assertThrows(DivergedException.class, () -> tr.trainEpoch(tunes(), 0, null));
            assertTrue(e.getMessage().contains("not finite (update 0:"), e.getMessage());
        }
    }

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path tmp;

    @ParameterizedTest
    @EnumSource(value = Minibatches.Mode.class, names = {"CHUNKS", "PACKED"})
    void stoppingSavingAndResumingGivesTheUninterruptedResultBitForBit(Minibatches.Mode mode) throws Exception {
        LstmConfig cfg = LstmConfig.defaults().withHidden(new int[] {9}).withMode(mode).withBatch(2).withSteps(5).withOptimizer(Optimizer.Kind.ADAM).withLr(new float[] {0.01f}).withForgetBias(1f).withSkip(true).withSeed(3);
        // 20 tunes: PACKED deals a pool of 16 (POOL groups' worth) into one group, and a stop waits for a group's end
        List<PianoRoll> data = new ArrayList<>();
        for (int i = 0; i < 20; i++) data.add(arpeggio(9 + 5 * (i % 6), 4, i % 4));
        float[] uninterrupted;
        try (Backend be = scalar()) {
            LstmTrainer tr = new LstmTrainer(be, cfg, NOTES);
            for (int e = 0; e < 3; e++) tr.trainEpoch(data, e, null);
            uninterrupted = be.toArray(tr.model.params);
        }
        java.nio.file.Path ckpt = tmp.resolve("run/checkpoint.safetensors");
        java.nio.file.Files.createDirectories(ckpt.getParent());
        Position stoppedAt;
        try (Backend be = scalar()) {
            LstmTrainer tr = new LstmTrainer(be, cfg, NOTES);
            tr.trainEpoch(data, 0, null);
            int[] calls = {0};
            // ask to stop at once: the trainer finishes the group of tunes it is in, then stops
            EpochResult r = tr.trainEpoch(data, Position.start(1), () -> ++calls[0] > 0, null);
            assertFalse(r.completed());
            assertTrue(r.next().index() > 0);
            stoppedAt = r.next();
            tr.save(ckpt, stoppedAt, java.util.Map.of("data", "tunes()"));
        }
        try (Backend be = scalar()) {
            dev.tessitura.model.io.SafeTensors.Contents c = dev.tessitura.model.io.SafeTensors.read(ckpt);
            LstmTrainer tr = LstmTrainer.load(be, c);
            assertEquals(1f, tr.config().forgetBias());
            assertTrue(tr.config().skip());
            assertEquals(stoppedAt, LstmTrainer.position(c));
            assertEquals("tunes()", c.metadata().get("data"));
            EpochResult r = tr.trainEpoch(data, LstmTrainer.position(c), () -> false, null);
            assertTrue(r.completed());
            tr.trainEpoch(data, 2, null);
            assertArrayEquals(uninterrupted, be.toArray(tr.model.params));
        }
    }

    @Test
    void theForgetBiasInitialisesOnlyTheForgetGatesOfEveryLayer() {
        try (Backend be = scalar()) {
            Lstm lstm = new Lstm(be, 5, new int[] {3, 4}, 6);
            lstm.initNormal(0.1, 7, 1f);
            float[] withBias = be.toArray(lstm.params);
            assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0}, be.toArray(lstm.param("b0")));
            assertArrayEquals(new float[] {0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}, be.toArray(lstm.param("b1")));
            assertArrayEquals(new float[6], be.toArray(lstm.param("by")));
            // the weights are those of the plain initialisation
            lstm.initNormal(0.1, 7);
            assertArrayEquals(be.toArray(lstm.param("Wh1")), java.util.Arrays.copyOfRange(withBias,
                    (int) (lstm.param("Wh1").offset() - lstm.params.offset()), (int) (lstm.param("Wh1").offset() - lstm.params.offset() + 16 * 4)));
            assertArrayEquals(new float[16], be.toArray(lstm.param("b1")));
        }
    }
}
