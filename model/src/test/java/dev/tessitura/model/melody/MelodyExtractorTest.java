package dev.tessitura.model.melody;

import static dev.tessitura.model.melody.MelodyEncoding.NOTE_OFF;
import static dev.tessitura.model.melody.MelodyEncoding.NO_EVENT;
import static dev.tessitura.model.melody.MelodyEncoding.noteOn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessitura.midi.MidiReader;
import dev.tessitura.midi.NoteSequence;
import dev.tessitura.midi.PianoRoll;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.sound.midi.MidiEvent;
import javax.sound.midi.MidiSystem;
import javax.sound.midi.Sequence;
import javax.sound.midi.ShortMessage;
import javax.sound.midi.Track;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MelodyExtractorTest {
    static final int OFF = NOTE_OFF, NE = NO_EVENT;
    static final MelodyExtractor.Options ALL = new MelodyExtractor.Options(-1, 1, 16);

    static int on(int pitch) { return noteOn(pitch); }

    @Test
    void skylineOfAPolyphonicRoll() {
        PianoRoll.Builder b = PianoRoll.builder(12, 36, 61);
        for (int t = 0; t < 4; t++) b.set(t, 60).set(t, 64).set(t, 67);   // a chord: its top 67 is the melody
        for (int t = 4; t < 6; t++) b.set(t, 72).set(t, 60);                // 72 on top of a held 60
        b.set(6, 60);                                                         // 72 stops, 60 goes on: it becomes the top
        b.set(9, 65);                                                         // after a two-step rest
        List<int[]> m = MelodyExtractor.fromRoll(b.build(), ALL);
        assertEquals(1, m.size());
        assertArrayEquals(new int[] {on(67), NE, NE, NE, on(72), NE, on(60), OFF, NE, on(65), OFF}, m.get(0));
    }

    @Test
    void longSilencesSplitMelodiesAndShortOnesAreDropped() {
        PianoRoll.Builder b = PianoRoll.builder(40, 36, 61);
        b.set(2, 62).set(3, 62);
        b.set(20, 64).set(21, 64);                        // 16 silent steps (4..19) after the first note: one bar
        PianoRoll roll = b.build();
        List<int[]> two = MelodyExtractor.fromRoll(roll, new MelodyExtractor.Options(-1, 1, 16));
        assertEquals(2, two.size());
        assertArrayEquals(new int[] {on(62), NE, OFF}, two.get(0));     // starts at its first note, ends with note-off
        assertArrayEquals(new int[] {on(64), NE, OFF}, two.get(1));
        List<int[]> one = MelodyExtractor.fromRoll(roll, new MelodyExtractor.Options(-1, 1, 17));
        assertEquals(1, one.size());
        assertEquals(21, one.get(0).length);                             // steps 2..21 and the note-off
        assertEquals(0, MelodyExtractor.fromRoll(roll, new MelodyExtractor.Options(-1, 4, 16)).size());
        assertEquals(1, MelodyExtractor.fromRoll(roll, new MelodyExtractor.Options(-1, 21, 17)).size());
        assertEquals(0, MelodyExtractor.fromRoll(roll, new MelodyExtractor.Options(-1, 22, 17)).size());
        assertThrows(IllegalArgumentException.class, () -> new MelodyExtractor.Options(16, 1, 16));
    }

    @Test
    void anEmptyRollHasNoMelody() {
        assertEquals(0, MelodyExtractor.fromRoll(PianoRoll.builder(20, 21, 88).build(), ALL).size());
    }

    @Test
    void outOfRangeMelodiesAreMovedByOctaves() {
        PianoRoll.Builder b = PianoRoll.builder(4, 21, 88);
        b.set(0, 30).set(1, 35).set(2, 40);
        assertArrayEquals(new int[] {on(54), on(59), on(64), OFF}, MelodyExtractor.fromRoll(b.build(), ALL).get(0));
    }

    /**
     * Two tracks at 96 ticks per quarter (24 per step): a tune on channel 0 with a re-struck note and off-grid
     * timing, and a bass on channel 1 with one note above the tune.
     */
    static byte[] twoTrackFile() throws Exception {
        Sequence seq = new Sequence(Sequence.PPQ, 96);
        Track tune = seq.createTrack(), bass = seq.createTrack();
        note(tune, 0, 72, 0, 48);        // steps [0, 2)
        note(tune, 0, 72, 48, 96);       // [2, 4): the same pitch struck again
        note(tune, 0, 74, 96, 190);      // [4, 8): 190 / 24 = 7.9 rounds to 8
        note(tune, 0, 76, 215, 240);     // [9, 10): 215 / 24 = 8.96 rounds to 9
        note(bass, 1, 48, 0, 192);       // [0, 8)
        note(bass, 1, 79, 144, 168);     // [6, 7): above the tune
        note(bass, 1, 50, 192, 288);     // [8, 12)
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MidiSystem.write(seq, 1, out);
        return out.toByteArray();
    }

    static void note(Track t, int channel, int pitch, long on, long off) throws Exception {
        t.add(new MidiEvent(new ShortMessage(ShortMessage.NOTE_ON, channel, pitch, 90), on));
        t.add(new MidiEvent(new ShortMessage(ShortMessage.NOTE_OFF, channel, pitch, 0), off));
    }

    @Test
    void fromAMidiFileWithTwoTracks(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("two-tracks.mid");
        Files.write(file, twoTrackFile());
        NoteSequence seq = MidiReader.read(file);
        // skyline of both: 79 cuts into the 74, which is struck again after it; the bass shows through the gaps
        assertArrayEquals(new int[] {on(72), NE, on(72), NE, on(74), NE, on(79), on(74), on(50), on(76), on(50), NE, OFF},
                MelodyExtractor.fromFile(file, ALL).get(0));
        assertArrayEquals(new int[] {on(72), NE, on(72), NE, on(74), NE, NE, NE, OFF, on(76), OFF},
                single(MelodyExtractor.fromNotes(seq, new MelodyExtractor.Options(0, 1, 16))));
        assertArrayEquals(new int[] {on(48), NE, NE, NE, NE, NE, on(79), on(48), on(50), NE, NE, NE, OFF},
                single(MelodyExtractor.fromNotes(seq, new MelodyExtractor.Options(1, 1, 16))));
        // the whole file: from step 0 to its last event (step 12), no trailing note-off added
        assertArrayEquals(new int[] {on(72), NE, on(72), NE, on(74), NE, NE, NE, OFF, on(76), OFF, NE},
                MelodyExtractor.events(seq, 0));
    }

    static int[] single(List<int[]> melodies) {
        assertEquals(1, melodies.size());
        return melodies.get(0);
    }
}
