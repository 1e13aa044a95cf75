package dev.tessitura.midi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FolkTunesTest {
    @Test
    void seededTunesInSixEightAndFourFourOverTheirChords() {
        Dataset a = FolkTunes.dataset(7, 30, 5, 5), b = FolkTunes.dataset(7, 30, 5, 5);
        assertEquals(a.train(), b.train());                       // the same seed, the same corpus
        assertNotEquals(a.train(), FolkTunes.dataset(8, 30, 5, 5).train());
        boolean jig = false, reel = false;
        for (PianoRoll r : a.train()) {
            // 8 or 16 bars: 48 or 96 frames of 6/8, 64 or 128 of 4/4
            assertTrue(java.util.Set.of(48, 96, 64, 128).contains(r.frames()), "frames " + r.frames());
            jig |= r.frames() == 48 || r.frames() == 96;
            reel |= r.frames() == 64 || r.frames() == 128;
            for (int t = 0; t < r.frames(); t++) {
                int[] notes = r.notesAt(t);
                // a bass note of C, F or G in octave 3, and exactly one melody note in octave 5 at every frame
                assertTrue(notes[0] == 48 || notes[0] == 53 || notes[0] == 55, "bass " + notes[0]);
                long melody = java.util.Arrays.stream(notes).filter(n -> n >= 72).count();
                assertEquals(1, melody, "frame " + t);
                for (int n : notes) assertTrue(java.util.Set.of(0, 2, 4, 5, 7, 9, 11).contains(n % 12), "C major only");
            }
            int last = r.frames() - 1;
            assertEquals(48, r.notesAt(last)[0], "every tune ends on the tonic");
        }
        assertTrue(jig && reel, "both meters");
    }
}
