package dev.tessitura.model;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import java.util.List;

/**
 * A list of rolls' frames stacked in order on a backend, roll s from row {@code first[s]}, then a number of zero rows;
 * kept while the same list (of as many frames) comes back, so that a run copies its training set in once and every
 * epoch's chunks are views of it or are gathered from it ({@link Backend#gatherRows}).
 */
public final class StackedFrames {
    /** The stacked frames (frames + zero rows, notes) and each roll's first row in them. */
    public record Stack(Tensor frames, int[] first) {
        /** Frames [t0, t0 + length) of roll s: a view. */
        public Tensor rows(int s, int t0, int length) {
            return frames.slice(first[s] + t0, first[s] + t0 + length);
        }
    }

    private final Backend be;
    private final int notes, zeroRows;
    private List<PianoRoll> of;
    private int rows;
    private Stack stack;

    public StackedFrames(Backend be, int notes, int zeroRows) {
        this.be = be;
        this.notes = notes;
        this.zeroRows = zeroRows;
    }

    /** The rolls' frames on the backend: those of last time if rolls is the same list of as many frames. */
    public Stack of(List<PianoRoll> rolls) {
        int[] first = new int[rolls.size()];
        int total = 0;
        for (int s = 0; s < rolls.size(); s++) {
            first[s] = total;
            total = Math.addExact(total, rolls.get(s).frames());
        }
        if (rolls == of && total == rows) return stack;
        int all = Math.addExact(total, zeroRows);
        float[] x = new float[Math.multiplyExact(all, notes)];
        for (int s = 0; s < rolls.size(); s++) {
            float[] r = rolls.get(s).toFloats();
            System.arraycopy(r, 0, x, first[s] * notes, r.length);
        }
        of = rolls;
        rows = total;
        stack = new Stack(be.of(x, all, notes), first);
        return stack;
    }
}
