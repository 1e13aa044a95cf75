package dev.tessitura.midi;

import java.util.Arrays;
import java.util.BitSet;

/**
 * A binary piano roll: {@link #frames()} time steps by {@link #noteCount()} pitches, pitch column j standing for
 * MIDI note {@link #lowestNote()} + j (the benchmarks use 88 columns from MIDI 21, A0, to 108, C8).
 * Immutable; build one with {@link #builder}.
 */
public final class PianoRoll {
    /** The benchmarks' range: MIDI 21..108, 88 units. */
    public static final int DEFAULT_LOWEST = 21, DEFAULT_COUNT = 88;

    private final int frames;
    private final int lowestNote;
    private final int noteCount;
    private final BitSet on; // bit t * noteCount + j

    private PianoRoll(int frames, int lowestNote, int noteCount, BitSet on) {
        this.frames = frames;
        this.lowestNote = lowestNote;
        this.noteCount = noteCount;
        this.on = on;
    }

    public int frames() { return frames; }
    public int lowestNote() { return lowestNote; }
    public int noteCount() { return noteCount; }
    /** The highest MIDI note the roll can hold. */
    public int highestNote() { return lowestNote + noteCount - 1; }

    /** Whether MIDI note {@code note} sounds in frame {@code t} (false for notes outside the range). */
    public boolean isOn(int t, int note) {
        if (t < 0 || t >= frames) throw new IndexOutOfBoundsException("frame " + t + " of " + frames);
        int j = note - lowestNote;
        return j >= 0 && j < noteCount && on.get(t * noteCount + j);
    }

    /** The sounding MIDI notes of frame t, ascending (the pickle form's frame). */
    public int[] notesAt(int t) {
        if (t < 0 || t >= frames) throw new IndexOutOfBoundsException("frame " + t + " of " + frames);
        return on.get(t * noteCount, (t + 1) * noteCount).stream().map(j -> j + lowestNote).toArray();
    }

    /** Number of (frame, note) cells that are on. */
    public int noteCells() { return on.cardinality(); }

    /** Row-major (frames, noteCount) 0/1 floats, the model's input layout. */
    public float[] toFloats() {
        float[] a = new float[frames * noteCount];
        on.stream().forEach(i -> a[i] = 1f);
        return a;
    }

    /** From row-major (frames, noteCount) values; a value > 0.5 is on. */
    public static PianoRoll fromFloats(float[] a, int frames, int lowestNote, int noteCount) {
        if (a.length != frames * noteCount) {
            throw new IllegalArgumentException(a.length + " values for a " + frames + " x " + noteCount + " roll");
        }
        BitSet on = new BitSet(a.length);
        for (int i = 0; i < a.length; i++) if (a[i] > 0.5f) on.set(i);
        return new PianoRoll(frames, lowestNote, noteCount, on);
    }

    /** The same notes in another range; notes that fall outside it are dropped. */
    public PianoRoll withRange(int newLowest, int newCount) {
        Builder b = builder(frames, newLowest, newCount);
        on.stream().forEach(i -> b.setIfInRange(i / noteCount, lowestNote + i % noteCount));
        return b.build();
    }

    public static Builder builder(int frames, int lowestNote, int noteCount) {
        return new Builder(frames, lowestNote, noteCount);
    }

    /** Mutable builder; {@link #build()} may be called once. */
    public static final class Builder {
        private final int frames, lowestNote, noteCount;
        private final BitSet on = new BitSet();

        private Builder(int frames, int lowestNote, int noteCount) {
            if (frames < 0 || noteCount <= 0 || lowestNote < 0 || lowestNote + noteCount > 128) {
                throw new IllegalArgumentException("bad piano roll: " + frames + " frames, notes " + lowestNote
                        + ".." + (lowestNote + noteCount - 1));
            }
            this.frames = frames;
            this.lowestNote = lowestNote;
            this.noteCount = noteCount;
        }

        /** Turns MIDI note {@code note} on in frame t; throws if it is outside the range. */
        public Builder set(int t, int note) {
            if (!setIfInRange(t, note)) {
                throw new IllegalArgumentException("note " + note + " outside " + lowestNote + ".." + (lowestNote + noteCount - 1));
            }
            return this;
        }

        /** Turns the note on if it is in range; returns false (and does nothing) otherwise. */
        public boolean setIfInRange(int t, int note) {
            if (t < 0 || t >= frames) throw new IndexOutOfBoundsException("frame " + t + " of " + frames);
            int j = note - lowestNote;
            if (j < 0 || j >= noteCount) return false;
            on.set(t * noteCount + j);
            return true;
        }

        public PianoRoll build() {
            return new PianoRoll(frames, lowestNote, noteCount, (BitSet) on.clone());
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PianoRoll p && p.frames == frames && p.lowestNote == lowestNote
                && p.noteCount == noteCount && p.on.equals(on);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {frames, lowestNote, noteCount, on.hashCode()});
    }

    @Override
    public String toString() {
        return "PianoRoll(" + frames + " frames, notes " + lowestNote + ".." + highestNote() + ", " + noteCells() + " on)";
    }
}
