package dev.tessitura.model.melody;

import dev.tessitura.midi.MidiWriter;
import dev.tessitura.model.melody.MelodyEncoding.StepNote;
import java.io.IOException;
import java.nio.file.Path;
import javax.sound.midi.InvalidMidiDataException;
import javax.sound.midi.MetaMessage;
import javax.sound.midi.MidiEvent;
import javax.sound.midi.MidiSystem;
import javax.sound.midi.Sequence;
import javax.sound.midi.ShortMessage;
import javax.sound.midi.Track;

/**
 * A melody to a type-1 Standard MIDI File: one note per note-on, lasting until the next note-on or note-off (so a
 * re-struck pitch stays two notes, which {@link MidiWriter}'s piano-roll path cannot express), {@link MidiWriter#PPQ}
 * ticks per quarter, a sixteenth step = PPQ / 4 ticks, channel 0, piano, velocity 80. Reading the file back with
 * {@link dev.tessitura.midi.MidiReader} and {@link MelodyExtractor#events} gives {@link MelodyEncoding#canonical} of
 * the events.
 */
public final class MelodyMidi {
    public static final int VELOCITY = 80;

    private MelodyMidi() {}

    public static Sequence toSequence(int[] events, double bpm) {
        if (!(bpm > 0)) throw new IllegalArgumentException("tempo must be > 0 bpm, got " + bpm);
        int tps = MidiWriter.PPQ / MelodyEncoding.STEPS_PER_QUARTER;
        try {
            Sequence seq = new Sequence(Sequence.PPQ, MidiWriter.PPQ);
            Track meta = seq.createTrack(), notes = seq.createTrack();
            int us = (int) Math.round(60e6 / bpm);
            meta.add(new MidiEvent(new MetaMessage(0x51, new byte[] {(byte) (us >> 16), (byte) (us >> 8), (byte) us}, 3), 0));
            notes.add(new MidiEvent(new ShortMessage(ShortMessage.PROGRAM_CHANGE, 0, 0, 0), 0));
            // in time order, so a note-off and the next note-on at the same tick keep that order in the track
            for (StepNote n : MelodyEncoding.decode(events)) {
                notes.add(new MidiEvent(new ShortMessage(ShortMessage.NOTE_ON, 0, n.pitch(), VELOCITY), (long) n.start() * tps));
                notes.add(new MidiEvent(new ShortMessage(ShortMessage.NOTE_OFF, 0, n.pitch(), 0), (long) n.end() * tps));
            }
            // end of track at the melody's end, so trailing rests survive the round trip
            long end = (long) events.length * tps;
            meta.add(new MidiEvent(new MetaMessage(0x2F, new byte[0], 0), end));
            notes.add(new MidiEvent(new MetaMessage(0x2F, new byte[0], 0), end));
            return seq;
        } catch (InvalidMidiDataException e) {
            throw new IllegalStateException(e);   // our own messages are always valid
        }
    }

    /** Writes the melody to {@code file}. */
    public static void write(int[] events, double bpm, Path file) throws IOException {
        MidiSystem.write(toSequence(events, bpm), 1, file.toFile());
    }
}
