package dev.tessitura.model.melody;

import java.util.ArrayList;
import java.util.List;

/**
 * Monophonic melodies as event sequences, the encoding of Magenta's Melody RNN "basic_rnn" configuration: one event
 * per sixteenth note ({@link #STEPS_PER_QUARTER} = 4) over {@link #CLASSES} = 38 classes,
 * <pre>
 *   0        note-off: the sounding note stops, silence follows
 *   1        no event: whatever was going on (a note or a rest) continues
 *   2 .. 37  note-on of MIDI pitch 48 .. 83 (event = pitch - 46); it also ends the note before it
 * </pre>
 * A melody is an {@code int[]} of events; the model sees event t one-hot and predicts event t + 1.
 *
 * <p>The same melody can be written in more than one way: a note-off while nothing sounds (at the start, or after
 * another note-off) means the same as no event. {@link #canonical} rewrites those as no event; {@link #encode} only
 * writes canonical sequences, so events -> notes -> events is the identity on canonical sequences.
 *
 * <p>Pitches outside 48..83 are brought into range by {@link #fitToRange}: the whole melody is shifted by the number
 * of octaves that leaves the fewest notes outside (ties: the smallest shift), then each note still outside is moved
 * by octaves on its own. Magenta's basic_rnn does the same octave squash but first transposes to C major; we do not
 * change the key here (the folder reader can transpose rolls to C before extraction).
 */
public final class MelodyEncoding {
    public static final int NOTE_OFF = 0, NO_EVENT = 1, FIRST_NOTE_ON = 2;
    public static final int MIN_PITCH = 48, MAX_PITCH = 83;
    public static final int CLASSES = FIRST_NOTE_ON + MAX_PITCH - MIN_PITCH + 1;   // 38
    public static final int STEPS_PER_QUARTER = 4;

    /** A note of a monophonic melody on the step grid: MIDI pitch, steps [start, end). */
    public record StepNote(int pitch, int start, int end) {
        public StepNote {
            if (start < 0 || end <= start) throw new IllegalArgumentException("melody note " + pitch + " over steps [" + start + ", " + end + ")");
            if (pitch < 0 || pitch > 127) throw new IllegalArgumentException("melody note pitch " + pitch + " is not a MIDI pitch");
        }
    }

    private MelodyEncoding() {}

    /** The note-on event of MIDI pitch 48..83. */
    public static int noteOn(int pitch) {
        if (pitch < MIN_PITCH || pitch > MAX_PITCH) {
            throw new IllegalArgumentException("pitch " + pitch + " is outside the melody range " + MIN_PITCH + ".." + MAX_PITCH
                    + "; bring it into range with MelodyEncoding.fitToRange");
        }
        return pitch - MIN_PITCH + FIRST_NOTE_ON;
    }

    public static boolean isNoteOn(int event) {
        return event >= FIRST_NOTE_ON && event < CLASSES;
    }

    /** The MIDI pitch of a note-on event. */
    public static int pitch(int event) {
        if (!isNoteOn(event)) throw new IllegalArgumentException("event " + event + " is not a note-on (2.." + (CLASSES - 1) + ")");
        return event - FIRST_NOTE_ON + MIN_PITCH;
    }

    /** Throws if any event is not one of the {@link #CLASSES} classes. */
    public static void check(int[] events) {
        for (int t = 0; t < events.length; t++) {
            if (events[t] < 0 || events[t] >= CLASSES) {
                throw new IllegalArgumentException("melody event " + events[t] + " at step " + t + " is not in 0.." + (CLASSES - 1));
            }
        }
    }

    /**
     * Events of {@code steps} steps for notes sorted by start, not overlapping, all in range: a note-on at each start,
     * no event while it sounds, a note-off at its end unless another note starts there (or the melody ends).
     */
    public static int[] encode(List<StepNote> notes, int steps) {
        int[] ev = new int[steps];
        java.util.Arrays.fill(ev, NO_EVENT);
        int prevEnd = 0;
        for (StepNote n : notes) {
            if (n.start() < prevEnd) throw new IllegalArgumentException("melody notes overlap or are unsorted at " + n);
            if (n.end() > steps) throw new IllegalArgumentException("melody note " + n + " ends after step " + steps);
            ev[n.start()] = noteOn(n.pitch());
            if (n.end() < steps) ev[n.end()] = NOTE_OFF;   // overwritten by the next note-on if one starts there
            prevEnd = n.end();
        }
        return ev;
    }

    /**
     * The notes of an event sequence: each note-on starts a note that lasts until the next note-on or note-off, or the
     * sequence's end. Note-offs with nothing sounding are ignored.
     */
    public static List<StepNote> decode(int[] events) {
        check(events);
        List<StepNote> notes = new ArrayList<>();
        int pitch = -1, start = 0;
        for (int t = 0; t <= events.length; t++) {
            int e = t < events.length ? events[t] : NOTE_OFF;
            if (e == NO_EVENT) continue;
            if (pitch >= 0) notes.add(new StepNote(pitch, start, t));
            pitch = isNoteOn(e) ? pitch(e) : -1;
            start = t;
        }
        return notes;
    }

    /** The same melody with every note-off that stops nothing written as no event (see the class comment). */
    public static int[] canonical(int[] events) {
        return encode(decode(events), events.length);
    }

    /** The notes moved into 48..83 by octaves, as the class comment says; the input is not changed. */
    public static List<StepNote> fitToRange(List<StepNote> notes) {
        int best = 0, bestOutside = Integer.MAX_VALUE;
        for (int k : new int[] {0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6}) {   // smallest |shift| first wins ties
            int outside = 0;
            for (StepNote n : notes) {
                int p = n.pitch() + 12 * k;
                if (p < MIN_PITCH || p > MAX_PITCH) outside++;
            }
            if (outside < bestOutside) { best = k; bestOutside = outside; }
        }
        List<StepNote> out = new ArrayList<>(notes.size());
        for (StepNote n : notes) {
            int p = n.pitch() + 12 * best;
            while (p < MIN_PITCH) p += 12;
            while (p > MAX_PITCH) p -= 12;
            out.add(new StepNote(p, n.start(), n.end()));
        }
        return out;
    }
}
