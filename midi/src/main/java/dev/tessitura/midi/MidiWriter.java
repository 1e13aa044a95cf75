package dev.tessitura.midi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import javax.sound.midi.InvalidMidiDataException;
import javax.sound.midi.MetaMessage;
import javax.sound.midi.MidiEvent;
import javax.sound.midi.MidiSystem;
import javax.sound.midi.Sequence;
import javax.sound.midi.ShortMessage;
import javax.sound.midi.Track;

/**
 * Piano roll to Standard MIDI File. By default consecutive active frames of a pitch are held as one note;
 * with {@code rearticulate} every frame is a separate note. Reading the result back with
 * {@link MidiReader} and {@link Quantizer#onBeats} at the same frames per quarter gives the same roll.
 */
public final class MidiWriter {
    /** Writing options; {@link #DEFAULT} is 120 bpm, velocity 80, piano, 2 frames per quarter, held notes, type 1. */
    public record Options(double bpm, int velocity, int program, int framesPerQuarter, boolean rearticulate, int type) {
        public static final Options DEFAULT = new Options(120, 80, 0, 2, false, 1);

        public Options {
            if (!(bpm > 0) || velocity < 1 || velocity > 127 || program < 0 || program > 127 || framesPerQuarter < 1
                    || (type != 0 && type != 1)) {
                throw new IllegalArgumentException("bad MIDI writer options " + this);
            }
        }
    }

    /** Ticks per quarter note of the files we write. */
    public static final int PPQ = 480;

    private MidiWriter() {}

    /** Builds the sequence for {@code roll}. */
    public static Sequence toSequence(PianoRoll roll, Options o) {
        if (PPQ % o.framesPerQuarter() != 0) throw new IllegalArgumentException("framesPerQuarter must divide " + PPQ);
        int tpf = PPQ / o.framesPerQuarter();
        try {
            Sequence seq = new Sequence(Sequence.PPQ, PPQ);
            Track meta = seq.createTrack();
            Track notes = o.type() == 0 ? meta : seq.createTrack();
            int us = (int) Math.round(60e6 / o.bpm());
            meta.add(new MidiEvent(new MetaMessage(0x51, new byte[] {(byte) (us >> 16), (byte) (us >> 8), (byte) us}, 3), 0));
            notes.add(new MidiEvent(new ShortMessage(ShortMessage.PROGRAM_CHANGE, 0, o.program(), 0), 0));
            int n = roll.frames();
            // every note's on and off, pitch by pitch, then put in time order (stable: at one tick they keep this order)
            // and appended: Track.add searches back from its end for an earlier tick, so adding out of order is
            // quadratic in the number of notes
            List<MidiEvent> events = new ArrayList<>();
            for (int note = roll.lowestNote(); note <= roll.highestNote(); note++) {
                int t = 0;
                while (t < n) {
                    if (!roll.isOn(t, note)) { t++; continue; }
                    int end = t + 1;
                    if (!o.rearticulate()) while (end < n && roll.isOn(end, note)) end++;
                    events.add(new MidiEvent(new ShortMessage(ShortMessage.NOTE_ON, 0, note, o.velocity()), (long) t * tpf));
                    events.add(new MidiEvent(new ShortMessage(ShortMessage.NOTE_OFF, 0, note, 0), (long) end * tpf));
                    t = end;
                }
            }
            events.sort(Comparator.comparingLong(MidiEvent::getTick));
            for (MidiEvent e : events) notes.add(e);
            // end of track at the roll's end, so trailing silent frames survive the round trip
            meta.add(new MidiEvent(new MetaMessage(0x2F, new byte[0], 0), (long) n * tpf));
            if (notes != meta) notes.add(new MidiEvent(new MetaMessage(0x2F, new byte[0], 0), (long) n * tpf));
            return seq;
        } catch (InvalidMidiDataException e) {
            throw new IllegalStateException(e); // our own messages are always valid
        }
    }

    /** Writes {@code roll} to {@code file}. */
    public static void write(PianoRoll roll, Options o, Path file) throws IOException {
        MidiSystem.write(toSequence(roll, o), o.type(), file.toFile());
    }
}
