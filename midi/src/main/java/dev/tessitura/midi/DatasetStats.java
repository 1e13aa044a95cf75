package dev.tessitura.midi;

import java.util.ArrayList;
import java.util.List;

/** Per-split statistics of a {@link Dataset}; {@link #toString()} is a readable table. */
public record DatasetStats(String name, List<Split> splits) {
    /**
     * Sequences, frames, note cells, lowest and highest sounding MIDI note (-1 if none), mean notes per frame, and the
     * frame-level accuracy (Bay et al. 2009: sum TP / sum (TP + FP + FN)) of the trivial predictor that repeats the
     * previous frame (silence before the first): the baseline a next-frame model has to beat (NaN without notes).
     */
    public record Split(String split, int sequences, long frames, long notes, int lowest, int highest, double repeatAccuracy) {
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
            out.add(new Split(s, d.split(s).size(), frames, notes, hi < 0 ? -1 : lo, hi, repeatAccuracy(d.split(s))));
        }
        return new DatasetStats(d.name(), out);
    }

    /**
     * Frame-level accuracy sum TP / sum (TP + FP + FN) of predicting every frame of the rolls as a copy of the
     * previous one (silence before the first); NaN when there are no notes at all.
     */
    public static double repeatAccuracy(List<PianoRoll> rolls) {
        long kept = 0, changed = 0;
        for (PianoRoll r : rolls) {
            int[] prev = new int[0];
            for (int t = 0; t < r.frames(); t++) {
                int[] n = r.notesAt(t);
                int same = common(prev, n);
                kept += same;                                  // TP of the repeat prediction
                changed += prev.length + n.length - 2 * same;  // its FP + FN
                prev = n;
            }
        }
        return kept + changed == 0 ? Double.NaN : (double) kept / (kept + changed);
    }

    /** How many notes two ascending note lists share. */
    private static int common(int[] a, int[] b) {
        int n = 0;
        for (int i = 0, j = 0; i < a.length && j < b.length; ) {
            if (a[i] < b[j]) i++;
            else if (a[i] > b[j]) j++;
            else { n++; i++; j++; }
        }
        return n;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(name).append('\n');
        b.append(String.format("%-6s %9s %10s %10s %9s %11s %10s%n", "split", "sequences", "frames", "notes", "range", "notes/frame",
                "repeat ACC"));
        for (Split s : splits) {
            // a split without notes has no range and no accuracy: a dash, not -1..-1 and NaN
            String range = s.lowest() < 0 ? "-" : s.lowest() + ".." + s.highest();
            String repeat = Double.isNaN(s.repeatAccuracy()) ? "-" : String.format(java.util.Locale.ROOT, "%.2f%%", 100 * s.repeatAccuracy());
            b.append(String.format(java.util.Locale.ROOT, "%-6s %9d %10d %10d %9s %11.2f %10s%n", s.split(), s.sequences(),
                    s.frames(), s.notes(), range, s.meanNotesPerFrame(), repeat));
        }
        b.append("repeat ACC: frame-level accuracy of predicting every frame as a copy of the previous one\n");
        return b.toString();
    }
}
