package dev.tessitura.model.melody;

import dev.tessitura.midi.MidiReader;
import dev.tessitura.midi.Note;
import dev.tessitura.midi.NoteSequence;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.melody.MelodyEncoding.StepNote;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Extracts monophonic melodies ({@link MelodyEncoding} events) from MIDI notes or a piano roll.
 *
 * <p>The melody line is the <b>skyline</b>: at each sixteenth step the highest sounding note (of one channel, or of
 * all). A note-on is written when the top note changes: a new note starts on top, the same pitch is struck again, or
 * the top note ends and a lower one still sounding becomes the top (it is re-articulated). No event while the top note
 * goes on; a note-off when it stops and silence follows. A piano roll cannot show a re-strike (two notes of one pitch
 * back to back look like one long note), so from a roll only pitch changes and silences start notes.
 *
 * <p>Splitting, Magenta's pipeline simplified: a silence of at least {@link Options#gapSteps} steps (Magenta: one bar,
 * 16) ends a melody. Each melody starts at its first note-on and ends with the note-off after its last note; melodies
 * shorter than {@link Options#minSteps} are dropped (Magenta: 7 bars; it also drops melodies with fewer than 5 pitch
 * classes and truncates long ones, which we do not: the batcher carries state across chunks). Pitches are then moved
 * into 48..83 by {@link MelodyEncoding#fitToRange}.
 *
 * <p>MIDI notes are put on the grid by rounding: step = round(tick * 4 / ppq); a note lasts at least one step.
 * Tracks are not visible in {@link NoteSequence}, so a single part is chosen by MIDI channel.
 */
public final class MelodyExtractor {
    /** A MIDI file longer than this many steps is refused (a corrupt tick would ask for gigabytes). */
    public static final int MAX_STEPS = 1 << 22;

    /**
     * @param channel  0-based MIDI channel whose notes make the melody, or -1 for all channels
     * @param minSteps melodies shorter than this (note-off included) are dropped
     * @param gapSteps a silence of at least this many steps ends a melody
     */
    public record Options(int channel, int minSteps, int gapSteps) {
        /** All channels, Magenta's 7 bars minimum and 1 bar gap. */
        public static final Options DEFAULT = new Options(-1, 7 * 16, 16);

        public Options {
            if (channel < -1 || channel > 15) throw new IllegalArgumentException("melody channel " + channel + " is not -1 (all) or 0..15");
            if (minSteps < 1 || gapSteps < 1) throw new IllegalArgumentException("melody minSteps and gapSteps must be >= 1: " + minSteps + ", " + gapSteps);
        }
    }

    private MelodyExtractor() {}

    /** Melodies of a MIDI file (drum channel skipped). */
    public static List<int[]> fromFile(Path file, Options o) throws IOException {
        return fromNotes(MidiReader.read(file), o);
    }

    /** Melodies of a note sequence. */
    public static List<int[]> fromNotes(NoteSequence seq, Options o) {
        return split(skyline(seq, o.channel()), o);
    }

    /**
     * Melodies of a piano roll whose frames are sixteenth steps (quantize with 4 frames per quarter note).
     * Only the channel-free options apply.
     */
    public static List<int[]> fromRoll(PianoRoll roll, Options o) {
        List<StepNote> notes = new ArrayList<>();
        int pitch = -1, start = 0;
        for (int t = 0; t <= roll.frames(); t++) {
            int[] on = t < roll.frames() ? roll.notesAt(t) : new int[0];
            int top = on.length == 0 ? -1 : on[on.length - 1];       // notesAt is ascending
            if (top == pitch) continue;
            if (pitch >= 0) notes.add(new StepNote(pitch, start, t));
            pitch = top;
            start = t;
        }
        return split(notes, o);
    }

    /**
     * The whole skyline of a sequence as one event sequence from step 0 to the end of the file: no splitting, no
     * minimum length, pitches moved into range by {@link MelodyEncoding#fitToRange} (which leaves an in-range melody
     * alone). This reads back a melody that {@link MelodyMidi} wrote, and makes a primer from a MIDI file.
     */
    public static int[] events(NoteSequence seq, int channel) {
        List<StepNote> notes = MelodyEncoding.fitToRange(skyline(seq, channel));
        int steps = Math.toIntExact(step(seq.totalTicks(), seq.ppq()));
        if (!notes.isEmpty()) steps = Math.max(steps, notes.get(notes.size() - 1).end());
        return MelodyEncoding.encode(notes, steps);
    }

    private static long step(long tick, int ppq) {
        return Math.round(tick * (double) MelodyEncoding.STEPS_PER_QUARTER / ppq);
    }

    /** The top note at each step as monophonic step notes (see the class comment). */
    static List<StepNote> skyline(NoteSequence seq, int channel) {
        List<Note> notes = new ArrayList<>();
        for (Note n : seq.notes()) if (channel < 0 || n.channel() == channel) notes.add(n);
        int[] start = new int[notes.size()], end = new int[notes.size()];
        long steps = 0;
        for (int i = 0; i < notes.size(); i++) {
            long s = step(notes.get(i).startTick(), seq.ppq()), e = Math.max(step(notes.get(i).endTick(), seq.ppq()), s + 1);
            if (e > MAX_STEPS) throw new IllegalArgumentException("a note ends at step " + e + ", more than " + MAX_STEPS + " steps into the file");
            start[i] = (int) s;
            end[i] = (int) e;
            steps = Math.max(steps, e);
        }
        // top[t] = index of the note on top at step t: the highest pitch, and of equal pitches the latest start
        int[] top = new int[(int) steps];
        Arrays.fill(top, -1);
        for (int i = 0; i < notes.size(); i++) {
            for (int t = start[i]; t < end[i]; t++) {
                int j = top[t];
                if (j < 0 || notes.get(i).pitch() > notes.get(j).pitch()
                        || notes.get(i).pitch() == notes.get(j).pitch() && start[i] > start[j]) top[t] = i;
            }
        }
        List<StepNote> out = new ArrayList<>();
        for (int t = 0; t < steps; ) {
            if (top[t] < 0) { t++; continue; }
            int s = t;
            while (t < steps && top[t] == top[s]) t++;
            out.add(new StepNote(notes.get(top[s]).pitch(), s, t));
        }
        return out;
    }

    /** Cuts step notes into melodies at long silences, drops short ones, fits the rest into range. */
    private static List<int[]> split(List<StepNote> notes, Options o) {
        List<int[]> melodies = new ArrayList<>();
        int from = 0;
        for (int i = 1; i <= notes.size(); i++) {
            if (i < notes.size() && notes.get(i).start() - notes.get(i - 1).end() < o.gapSteps()) continue;
            List<StepNote> part = notes.subList(from, i);
            int first = part.get(0).start(), length = part.get(part.size() - 1).end() - first + 1;   // + the note-off
            if (length >= o.minSteps()) {
                List<StepNote> moved = new ArrayList<>();
                for (StepNote n : MelodyEncoding.fitToRange(part)) moved.add(new StepNote(n.pitch(), n.start() - first, n.end() - first));
                melodies.add(MelodyEncoding.encode(moved, length));
            }
            from = i;
        }
        return melodies;
    }
}
