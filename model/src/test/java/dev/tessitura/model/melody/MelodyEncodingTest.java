package dev.tessitura.model.melody;

import static dev.tessitura.model.melody.MelodyEncoding.NOTE_OFF;
import static dev.tessitura.model.melody.MelodyEncoding.NO_EVENT;
import static dev.tessitura.model.melody.MelodyEncoding.noteOn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessitura.model.melody.MelodyEncoding.StepNote;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MelodyEncodingTest {
    static final int OFF = NOTE_OFF, NE = NO_EVENT;

    @Test
    void classesAreMagentasBasicRnn() {
        assertEquals(38, MelodyEncoding.CLASSES);
        assertEquals(2, noteOn(48));
        assertEquals(37, noteOn(83));
        assertEquals(60, MelodyEncoding.pitch(noteOn(60)));
        assertThrows(IllegalArgumentException.class, () -> noteOn(47));
        assertThrows(IllegalArgumentException.class, () -> noteOn(84));
        assertThrows(IllegalArgumentException.class, () -> MelodyEncoding.pitch(NO_EVENT));
        assertThrows(IllegalArgumentException.class, () -> MelodyEncoding.check(new int[] {1, 38}));
        assertThrows(IllegalArgumentException.class, () -> MelodyEncoding.check(new int[] {-1}));
    }

    @Test
    void knownEncoding() {
        // a held note, two back-to-back notes of one pitch (the second is struck again), a rest, a last note
        List<StepNote> notes = List.of(new StepNote(60, 0, 2), new StepNote(64, 2, 3), new StepNote(64, 3, 5), new StepNote(67, 7, 8));
        int[] want = {noteOn(60), NE, noteOn(64), noteOn(64), NE, OFF, NE, noteOn(67), OFF, NE};
        int[] ev = MelodyEncoding.encode(notes, 10);
        assertArrayEquals(want, ev);
        assertEquals(notes, MelodyEncoding.decode(ev));
        // a note sounding at the end gets no note-off, and decodes as lasting to the end
        assertArrayEquals(new int[] {NE, noteOn(50), NE}, MelodyEncoding.encode(List.of(new StepNote(50, 1, 3)), 3));
        assertEquals(List.of(new StepNote(50, 1, 3)), MelodyEncoding.decode(new int[] {NE, noteOn(50), NE}));
    }

    @Test
    void encodeRejectsOverlapsAndNotesPastTheEnd() {
        assertThrows(IllegalArgumentException.class,
                () -> MelodyEncoding.encode(List.of(new StepNote(60, 0, 3), new StepNote(62, 2, 4)), 5));
        assertThrows(IllegalArgumentException.class, () -> MelodyEncoding.encode(List.of(new StepNote(60, 0, 6)), 5));
        assertThrows(IllegalArgumentException.class, () -> MelodyEncoding.encode(List.of(new StepNote(90, 0, 1)), 5));
    }

    @Test
    void canonicalDropsNoteOffsThatStopNothing() {
        int[] ev = {OFF, noteOn(60), OFF, OFF, NE};
        assertArrayEquals(new int[] {NE, noteOn(60), OFF, NE, NE}, MelodyEncoding.canonical(ev));
    }

    /** notes -> events -> notes, and canonical events -> notes -> events, on random melodies. */
    @Test
    void randomRoundTrips() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int k = 0; k < 300; k++) {
            List<StepNote> notes = new ArrayList<>();
            int t = rnd.nextInt(3);
            for (int i = rnd.nextInt(12); i > 0; i--) {
                int len = 1 + rnd.nextInt(4);
                notes.add(new StepNote(48 + rnd.nextInt(36), t, t + len));
                t += len + (rnd.nextInt(3) == 0 ? rnd.nextInt(4) : 0);     // often legato, sometimes a rest
            }
            int steps = Math.max(t, 1) + rnd.nextInt(3);
            int[] ev = MelodyEncoding.encode(notes, steps);
            assertEquals(notes, MelodyEncoding.decode(ev), "notes -> events -> notes");
            assertArrayEquals(ev, MelodyEncoding.encode(MelodyEncoding.decode(ev), steps), "events -> notes -> events");
            assertArrayEquals(ev, MelodyEncoding.canonical(ev));

            int[] any = new int[1 + rnd.nextInt(20)];                      // arbitrary events, redundant note-offs too
            for (int i = 0; i < any.length; i++) any[i] = rnd.nextInt(4) == 0 ? OFF : rnd.nextInt(2) == 0 ? NE : 2 + rnd.nextInt(36);
            int[] c = MelodyEncoding.canonical(any);
            assertEquals(MelodyEncoding.decode(any), MelodyEncoding.decode(c));
            assertArrayEquals(c, MelodyEncoding.canonical(c));
        }
    }

    @Test
    void fitToRangeShiftsByOctavesThenFoldsTheRest() {
        assertEquals(List.of(54, 59, 64), pitches(MelodyEncoding.fitToRange(notes(30, 35, 40))));   // +2 octaves, not +3
        assertEquals(List.of(60, 83, 48), pitches(MelodyEncoding.fitToRange(notes(60, 83, 48))));   // in range: unchanged
        assertEquals(List.of(64, 74), pitches(MelodyEncoding.fitToRange(notes(100, 110))));          // -3 octaves
        // 40 and 90 cannot both fit after one shift: +1 octave (the first of the best) puts 40 at 52, 102 folds to 78
        assertEquals(List.of(52, 78), pitches(MelodyEncoding.fitToRange(notes(40, 90))));
    }

    static List<StepNote> notes(int... pitches) {
        List<StepNote> l = new ArrayList<>();
        for (int i = 0; i < pitches.length; i++) l.add(new StepNote(pitches[i], i, i + 1));
        return l;
    }

    static List<Integer> pitches(List<StepNote> notes) {
        return notes.stream().map(StepNote::pitch).toList();
    }
}
