package dev.tessitura.midi;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.List;
import javax.sound.midi.MetaMessage;
import javax.sound.midi.MidiEvent;
import javax.sound.midi.MidiSystem;
import javax.sound.midi.Sequence;
import javax.sound.midi.ShortMessage;
import javax.sound.midi.Track;
import org.junit.jupiter.api.Test;

class MidiReaderTest {
    static final Path NAME = Path.of("test.mid");

    /** Events as {tick, command, channel, data1, data2}; a command of -1 is a tempo event with data1 = us/quarter. */
    static byte[] smf(int ppq, int[]... events) throws Exception {
        Sequence s = new Sequence(Sequence.PPQ, ppq);
        Track t = s.createTrack();
        for (int[] e : events) {
            if (e[1] == -1) {
                int us = e[3];
                t.add(new MidiEvent(new MetaMessage(0x51, new byte[] {(byte) (us >> 16), (byte) (us >> 8), (byte) us}, 3), e[0]));
            } else {
                t.add(new MidiEvent(new ShortMessage(e[1], e[2], e[3], e[4]), e[0]));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MidiSystem.write(s, 0, out);
        return out.toByteArray();
    }

    static final int ON = ShortMessage.NOTE_ON, OFF = ShortMessage.NOTE_OFF;

    @Test
    void tempoChangeMovesSecondsButNotBeats() throws Exception {
        // 120 bpm for one quarter (0.5 s), then 60 bpm: the second quarter lasts 1 s
        NoteSequence s = MidiReader.read(smf(100, new int[] {0, ON, 0, 60, 90}, new int[] {100, OFF, 0, 60, 0},
                new int[] {100, -1, 0, 1_000_000}, new int[] {100, ON, 0, 62, 90}, new int[] {200, OFF, 0, 62, 0}), NAME, false);
        assertEquals(2, s.notes().size());
        Note b = s.notes().get(1);
        assertEquals(0.5, b.startSeconds(), 1e-9);
        assertEquals(1.5, b.endSeconds(), 1e-9);
        PianoRoll beats = Quantizer.onBeats(s, 2, 21, 88).roll();
        assertEquals(4, beats.frames());
        assertTrue(beats.isOn(2, 62) && beats.isOn(3, 62) && !beats.isOn(2, 60));
        PianoRoll secs = Quantizer.onSeconds(s, 0.25, 21, 88).roll();
        assertEquals(6, secs.frames());
        assertTrue(secs.isOn(1, 60) && !secs.isOn(2, 60));
        for (int t = 2; t < 6; t++) assertTrue(secs.isOn(t, 62));
    }

    @Test
    void velocityZeroIsNoteOffAndOverlapsAreCounted() throws Exception {
        NoteSequence s = MidiReader.read(smf(4, new int[] {0, ON, 0, 60, 100}, new int[] {4, ON, 0, 60, 0},
                new int[] {0, ON, 1, 64, 50}, new int[] {2, ON, 1, 64, 70}, new int[] {6, OFF, 1, 64, 0},
                new int[] {8, OFF, 1, 64, 0}), NAME, false);
        assertEquals(List.of(60, 64), s.notes().stream().map(Note::pitch).toList());
        assertEquals(4, s.notes().get(0).endTick());
        Note e = s.notes().get(1); // two overlapping note-ons: one note from the first on to the last off
        assertEquals(0, e.startTick());
        assertEquals(8, e.endTick());
        assertEquals(50, e.velocity());
        assertEquals(1, e.channel());
    }

    @Test
    void notesSoundingAtTheEndEndAtTheLastEvent() throws Exception {
        NoteSequence s = MidiReader.read(smf(4, new int[] {0, ON, 0, 60, 100}, new int[] {0, ShortMessage.PROGRAM_CHANGE, 2, 40, 0},
                new int[] {2, ON, 2, 67, 100}, new int[] {12, OFF, 0, 60, 0}), NAME, false);
        Note open = s.notes().stream().filter(n -> n.pitch() == 67).findFirst().orElseThrow();
        assertEquals(12, open.endTick());
        assertEquals(40, open.program());
    }

    @Test
    void drumsExcludedByDefault() throws Exception {
        byte[] b = smf(4, new int[] {0, ON, 9, 36, 100}, new int[] {4, OFF, 9, 36, 0}, new int[] {0, ON, 0, 60, 100},
                new int[] {4, OFF, 0, 60, 0});
        NoteSequence s = MidiReader.read(b, NAME, false);
        assertEquals(1, s.notes().size());
        assertEquals(1, s.droppedDrumNotes());
        assertEquals(2, MidiReader.read(b, NAME, true).notes().size());
    }

    @Test
    void outOfRangeNotesDroppedAndCounted() throws Exception {
        NoteSequence s = MidiReader.read(smf(4, new int[] {0, ON, 0, 10, 100}, new int[] {4, OFF, 0, 10, 0},
                new int[] {0, ON, 0, 120, 100}, new int[] {4, OFF, 0, 120, 0}, new int[] {0, ON, 0, 60, 100},
                new int[] {4, OFF, 0, 60, 0}), NAME, false);
        Quantizer.Result r = Quantizer.onBeats(s, 2, 21, 88);
        assertEquals(2, r.droppedOutOfRange());
        assertEquals(2, r.roll().noteCells()); // one quarter = 2 frames of note 60
    }

    @Test
    void badInputGivesTypedErrors() throws Exception {
        byte[] good = smf(4, new int[] {0, ON, 0, 60, 100}, new int[] {4, OFF, 0, 60, 0});
        assertThrows(MidiFormatException.class, () -> MidiReader.read(new byte[0], NAME, false));
        assertThrows(MidiFormatException.class, () -> MidiReader.read("hello world, not midi".getBytes(), NAME, false));
        assertThrows(MidiFormatException.class, () -> MidiReader.read(java.util.Arrays.copyOf(good, good.length - 3), NAME, false));
        byte[] smpte = good.clone();
        smpte[12] = (byte) 0xE7; // -25 fps
        var e = assertThrows(MidiFormatException.class, () -> MidiReader.read(smpte, NAME, false));
        assertTrue(e.getMessage().contains("SMPTE") && e.getMessage().contains("test.mid"), e.getMessage());
        var z = assertThrows(MidiFormatException.class, () -> MidiReader.read(smf(4, new int[] {0, -1, 0, 0}), NAME, false));
        assertTrue(z.getMessage().contains("tempo"), z.getMessage());
        var huge = assertThrows(MidiFormatException.class,
                () -> MidiReader.read(smf(1, new int[] {0, ON, 0, 60, 1}, new int[] {200_000_000, OFF, 0, 60, 0}), NAME, false));
        assertTrue(huge.getMessage().contains("quarter"), huge.getMessage());
    }
}
