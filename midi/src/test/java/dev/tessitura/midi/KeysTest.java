package dev.tessitura.midi;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class KeysTest {
    /** A scale, one note per frame, with the tonic held an extra 3 frames at the start and end. */
    static PianoRoll scale(int... notes) {
        PianoRoll.Builder b = PianoRoll.builder(notes.length + 6, 21, 88);
        for (int t = 0; t < 3; t++) { b.set(t, notes[0]); b.set(notes.length + 3 + t, notes[0]); }
        for (int i = 0; i < notes.length; i++) b.set(3 + i, notes[i]);
        return b.build();
    }

    @Test
    void estimatesScales() {
        assertEquals(new Keys.Key(0, false), Keys.estimate(scale(60, 62, 64, 65, 67, 69, 71, 72)));
        assertEquals(new Keys.Key(9, true), Keys.estimate(scale(57, 59, 60, 62, 64, 65, 68, 69)));
        assertEquals(new Keys.Key(7, false), Keys.estimate(scale(67, 69, 71, 72, 74, 76, 78, 79)));
    }

    @Test
    void transposesToC() {
        Keys.Transposed g = Keys.toC(scale(67, 69, 71, 72, 74, 76, 78, 79));
        assertEquals(5, g.shift()); // G -> C is up 5, not down 7
        assertEquals(scale(72, 74, 76, 77, 79, 81, 83, 84), g.roll());
        assertEquals(-3, new Keys.Key(3, true).shiftToC());
        assertEquals(-6, new Keys.Key(6, false).shiftToC());
        Keys.Transposed out = Keys.transpose(PianoRoll.builder(2, 21, 88).set(0, 107).set(1, 60).build(), 3);
        assertEquals(1, out.droppedCells());
        assertTrue(out.roll().isOn(1, 63));
    }
}
