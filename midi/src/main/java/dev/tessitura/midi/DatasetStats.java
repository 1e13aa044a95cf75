package dev.tessitura.midi;

import java.util.ArrayList;
import java.util.List;

/** Per-split statistics of a {@link Dataset}; {@link #toString()} is a readable table. */
public record DatasetStats(String name, List<Split> splits) {
    /** Sequences, frames, note cells, lowest and highest sounding MIDI note (-1 if none), mean notes per frame. */
    public record Split(String split, int sequences, long frames, long notes, int lowest, int highest) {
        public double meanNotesPerFrame() { return frames == 0 ? 0 : (double) notes / frames; }
    }

    public static DatasetStats of(Dataset d) {
        List<Split> out = new ArrayList<>();
        for (String s : Dataset.SPLITS) {
            long frames = 0, notes = 0;
            int lo = Integer.MAX_VALUE, hi = -1;
            for (PianoRoll r : d.split(s)) {
                frames += r.frames();
                for (int t = 0; t < r.frames(); t++) {
                    int[] n = r.notesAt(t);
                    notes += n.length;
                    if (n.length > 0) { lo = Math.min(lo, n[0]); hi = Math.max(hi, n[n.length - 1]); }
                }
            }
            out.add(new Split(s, d.split(s).size(), frames, notes, hi < 0 ? -1 : lo, hi));
        }
        return new DatasetStats(d.name(), out);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(name).append('\n');
        b.append(String.format("%-6s %9s %10s %10s %9s %10s%n", "split", "sequences", "frames", "notes", "range", "notes/frame"));
        for (Split s : splits) {
            b.append(String.format("%-6s %9d %10d %10d %4d..%-3d %10.2f%n", s.split(), s.sequences(), s.frames(), s.notes(),
                    s.lowest(), s.highest(), s.meanNotesPerFrame()));
        }
        return b.toString();
    }
}
