package dev.tessitura.midi;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import javax.sound.midi.MetaMessage;
import javax.sound.midi.MidiEvent;
import javax.sound.midi.MidiSystem;
import javax.sound.midi.Sequence;
import javax.sound.midi.ShortMessage;
import javax.sound.midi.Track;
import org.junit.jupiter.api.Test;

/**
 * Crafted worst-case MIDI files: each is read or refused in bounded, roughly linear work (a generous 5 s here;
 * before the bounds some took minutes), and a refusal names the file and the reason.
 */
class MidiLimitsTest {
    static final Path NAME = Path.of("worst.mid");
    static final Duration BOUND = Duration.ofSeconds(5);
    static final int ON = ShortMessage.NOTE_ON, OFF = ShortMessage.NOTE_OFF;

    static MidiEvent note(int cmd, int channel, int pitch, long tick) throws Exception {
        return new MidiEvent(new ShortMessage(cmd, channel, pitch, cmd == ON ? 90 : 0), tick);
    }

    static MidiEvent tempo(int us, long tick) throws Exception {
        return new MidiEvent(new MetaMessage(0x51, new byte[] {(byte) (us >> 16), (byte) (us >> 8), (byte) us}, 3), tick);
    }

    static byte[] bytes(Sequence s) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MidiSystem.write(s, s.getTracks().length == 1 ? 0 : 1, out);
        return out.toByteArray();
    }

    @Test
    void aHugeDeltaTimeIsRefused() throws Exception {
        Sequence s = new Sequence(Sequence.PPQ, 1);
        Track t = s.createTrack();
        t.add(note(ON, 0, 60, 0));
        t.add(note(OFF, 0, 60, 0x0FFFFFFF)); // the largest delta a MIDI file can hold
        byte[] b = bytes(s);
        var e = assertTimeoutPreemptively(BOUND, () -> assertThrows(MidiFormatException.class, () -> MidiReader.read(b, NAME, false)));
        assertTrue(e.getMessage().startsWith("worst.mid: ") && e.getMessage().contains("quarter notes in"), e.getMessage());
    }

    @Test
    void anAbsurdlySlowTempoIsRefused() throws Exception {
        // 2000 quarter notes at the slowest tempo, 16.8 s each: over nine hours
        byte[] b = MidiReaderTest.smf(1, new int[] {0, -1, 0, 0xFFFFFF}, new int[] {0, ON, 0, 60, 90}, new int[] {2000, OFF, 0, 60, 0});
        var e = assertTimeoutPreemptively(BOUND, () -> assertThrows(MidiFormatException.class, () -> MidiReader.read(b, NAME, false)));
        assertTrue(e.getMessage().startsWith("worst.mid: ") && e.getMessage().contains("more than the limit of 21600 s"), e.getMessage());
    }

    @Test
    void thousandsOfTempoChangesAndNotesStayFast() throws Exception {
        // 200,000 tempo changes, then 100,000 notes: each note's time must not come from a scan of the tempo map
        Sequence s = new Sequence(Sequence.PPQ, 16);
        Track t = s.createTrack();
        for (int i = 0; i < 200_000; i++) t.add(tempo(400_000 + i % 2 * 100_000, i)); // in tick order: Track.add is quick
        for (int i = 0; i < 200_000; i++) t.add(note(i % 2 == 0 ? ON : OFF, 0, 40 + i / 2 % 40, 200_000 + i));
        byte[] b = bytes(s);
        NoteSequence seq = assertTimeoutPreemptively(BOUND, () -> {
            NoteSequence n = MidiReader.read(b, NAME, false);
            Quantizer.onSeconds(n, 0.05, 21, 88);
            return n;
        });
        assertEquals(100_000, seq.notes().size());
        // ticks of 1/16 quarter: 0.025 s at 400,000 us a quarter, 0.03125 s at 500,000 (also after the last change)
        assertEquals(100_000 * 0.025 + (99_999 + 200_000) * 0.03125, seq.totalSeconds(), 1e-6);
    }

    @Test
    void thousandsOfNotesHeldToAFarEndAreMergedNotRepeated() throws Exception {
        // 16 tracks x 16 channels x 88 pitches sound from tick 0 with no note-off; the last event sits 2^19
        // quarters on, so each note covers 2^20 frames: 22,528 notes x 2^20 frames, set one by one, took minutes
        Sequence s = new Sequence(Sequence.PPQ, 1);
        for (int k = 0; k < 16; k++) {
            Track t = s.createTrack();
            if (k == 0) t.add(tempo(10_000, 0)); // fast, so that the file is not refused for its length in seconds
            for (int ch = 0; ch < 16; ch++) for (int p = 21; p <= 108; p++) t.add(note(ON, ch, p, 0));
        }
        s.getTracks()[0].add(new MidiEvent(new ShortMessage(ShortMessage.CONTROL_CHANGE, 0, 7, 100), 1L << 19));
        byte[] b = bytes(s);
        PianoRoll roll = assertTimeoutPreemptively(BOUND,
                () -> Quantizer.onBeats(MidiReader.read(b, NAME, true), 2, 21, 88).roll());
        assertEquals(Quantizer.MAX_FRAMES, roll.frames());
        assertEquals(88L * Quantizer.MAX_FRAMES, roll.noteCells());
    }

    @Test
    void veryManyTracksAreReadInLinearTime() throws Exception {
        NoteSequence seq = assertTimeoutPreemptively(BOUND, () -> MidiReader.read(tracks(Short.MAX_VALUE), NAME, true));
        assertEquals(Short.MAX_VALUE, seq.notes().size());
        // the JDK's parser would read a count above 32767 as negative, and the file as empty
        var e = assertThrows(MidiFormatException.class, () -> MidiReader.read(tracks(0xFFFF), NAME, true));
        assertTrue(e.getMessage().startsWith("worst.mid: 65535 tracks; at most 32767"), e.getMessage());
    }

    /** A format-1 file of {@code n} tracks of one note each, written by hand (MidiSystem.write overflows the stack). */
    static byte[] tracks(int n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, (byte) (n >> 8), (byte) n, 0, 4});
        for (int k = 0; k < n; k++) {
            int ch = k % 16, p = 21 + k % 88;
            out.writeBytes(new byte[] {'M', 'T', 'r', 'k', 0, 0, 0, 12, (byte) (k % 64), (byte) (0x90 | ch), (byte) p, 90,
                    2, (byte) (0x80 | ch), (byte) p, 0, 0, (byte) 0xFF, 0x2F, 0});
        }
        return out.toByteArray();
    }
}
