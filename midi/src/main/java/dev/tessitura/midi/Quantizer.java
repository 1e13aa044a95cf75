package dev.tessitura.midi;

import java.util.Arrays;
import java.util.List;

/**
 * Notes to piano roll. A note covers frames [round(start), round(end)) on the chosen grid, at least one frame.
 * Two grids: {@link #onBeats} ({@code framesPerQuarter} frames per quarter note, from ticks, so tempo changes do
 * not matter) and {@link #onSeconds} (a fixed period, through the tempo map). Notes outside the range are dropped
 * and counted in {@link Result#droppedOutOfRange}.
 */
public final class Quantizer {
    /** Rolls longer than this are refused (a corrupt tick value would otherwise ask for gigabytes). */
    public static final int MAX_FRAMES = 1 << 20;
    private static final long MASK = (1L << 21) - 1;

    /** The roll and how many notes fell outside its range. */
    public record Result(PianoRoll roll, int droppedOutOfRange) {}

    private Quantizer() {}

    /** On the beat grid; the roll lasts until the sequence's last event. */
    public static Result onBeats(NoteSequence seq, int framesPerQuarter, int lowestNote, int noteCount) {
        if (framesPerQuarter <= 0) throw new IllegalArgumentException("framesPerQuarter " + framesPerQuarter);
        double scale = (double) framesPerQuarter / seq.ppq();
        long[] s = new long[seq.notes().size()], e = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            Note n = seq.notes().get(i);
            s[i] = Math.round(n.startTick() * scale);
            e[i] = Math.round(n.endTick() * scale);
        }
        return build(seq.notes(), s, e, Math.round(seq.totalTicks() * scale), lowestNote, noteCount);
    }

    /** On a fixed period of {@code periodSeconds}. */
    public static Result onSeconds(NoteSequence seq, double periodSeconds, int lowestNote, int noteCount) {
        if (!(periodSeconds > 0)) throw new IllegalArgumentException("period " + periodSeconds + " s");
        long[] s = new long[seq.notes().size()], e = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            Note n = seq.notes().get(i);
            s[i] = Math.round(n.startSeconds() / periodSeconds);
            e[i] = Math.round(n.endSeconds() / periodSeconds);
        }
        return build(seq.notes(), s, e, Math.round(seq.totalSeconds() / periodSeconds), lowestNote, noteCount);
    }

    private static Result build(List<Note> notes, long[] s, long[] e, long total, int lowest, int count) {
        long frames = total;
        for (int i = 0; i < s.length; i++) {
            e[i] = Math.max(e[i], s[i] + 1);
            frames = Math.max(frames, e[i]);
        }
        if (frames > MAX_FRAMES) {
            throw new IllegalArgumentException("the roll would have " + frames + " frames, more than " + MAX_FRAMES);
        }
        // Overlapping notes of one pitch are merged before their frames are set, so the work is bounded by
        // frames x pitches however many notes a file stacks up (thousands held to the end of a long file took
        // minutes). Each note as one long, pitch | start | end (all < 2^21 after the check above), sorted.
        long[] keys = new long[s.length];
        int n = 0, dropped = 0;
        for (int i = 0; i < s.length; i++) {
            int p = notes.get(i).pitch();
            if (p < lowest || p >= lowest + count) dropped++;
            else keys[n++] = (long) p << 42 | s[i] << 21 | e[i];
        }
        Arrays.sort(keys, 0, n);
        PianoRoll.Builder b = PianoRoll.builder((int) frames, lowest, count);
        for (int i = 0; i < n; ) {
            int p = (int) (keys[i] >>> 42);
            long from = keys[i] >>> 21 & MASK, to = keys[i] & MASK;
            for (i++; i < n && keys[i] >>> 42 == p && (keys[i] >>> 21 & MASK) <= to; i++) to = Math.max(to, keys[i] & MASK);
            for (long t = from; t < to; t++) b.set((int) t, p);
        }
        return new Result(b.build(), dropped);
    }
}
