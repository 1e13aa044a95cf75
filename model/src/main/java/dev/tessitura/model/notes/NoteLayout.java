package dev.tessitura.model.notes;

import java.util.Arrays;
import java.util.List;

/**
 * The frames a minibatch predicts, laid out for the note LSTM. The frames are sorted by their number of tokens (notes
 * + END), most first (ties in slot order), so that the frames still going at token step k are a prefix of that order:
 * step k's rows are frames [0, counts[k]), stored from row offsets[k]. A step then is one product and one cell over
 * contiguous rows, and no row is padding.
 *
 * <p>Per token row the model gathers its input, its mask and its target from small tables by index
 * ({@link #indices}): the input row prev P + min(k, P - 1) (the previous token, START = n for k = 0, and the position
 * k), the mask row prev (the pitches at or below the previous note barred), the target token (a note, or END = n).
 */
final class NoteLayout {
    /** Positions within a frame told apart in the input; later ones share the last. */
    static final int POSITIONS = 16;

    final int n;            // notes per frame; the token END (and START) is n
    final int slots;        // rows of the frame LSTM (T B)
    final int frames;       // N: slots that predict a frame
    final int rows;         // R: token rows, the sum of counts
    final int[] slot;       // (N) sorted frame i's slot
    final int[][] notes;    // (N) sorted frame i's notes, ascending
    final int[] counts;     // (K) frames with more than k tokens
    final int[] offsets;    // (K + 1) first row of step k; offsets[K] = R

    /** The frames predicted at each slot (its notes, ascending, or null where the slot is padding). */
    NoteLayout(int[][] predicted, int n) {
        this.n = n;
        this.slots = predicted.length;
        Integer[] order = new Integer[slots];
        int count = 0;
        for (int s = 0; s < slots; s++) if (predicted[s] != null) order[count++] = s;
        Integer[] real = Arrays.copyOf(order, count);
        Arrays.sort(real, (a, b) -> Integer.compare(predicted[b].length, predicted[a].length));   // stable: ties in slot order
        frames = count;
        slot = new int[count];
        notes = new int[count][];
        for (int i = 0; i < count; i++) {
            slot[i] = real[i];
            notes[i] = predicted[real[i]];
            check(notes[i], n);
        }
        int steps = count == 0 ? 0 : notes[0].length + 1;
        counts = new int[steps];
        offsets = new int[steps + 1];
        for (int k = 0, i = count; k < steps; k++) {
            while (i > 0 && notes[i - 1].length + 1 <= k) i--;
            counts[k] = i;
            offsets[k + 1] = offsets[k] + i;
        }
        rows = offsets[steps];
    }

    /** The predicted frames of a minibatch of tunes (null at padding slots). */
    static NoteLayout of(List<int[][]> tunes, NoteBatches.Batch b, int n) {
        int[][] p = new int[b.tune().length][];
        for (int s = 0; s < p.length; s++) if (b.tune()[s] >= 0) p[s] = tunes.get(b.tune()[s])[b.frame()[s]];
        return new NoteLayout(p, n);
    }

    /** The frame LSTM's inputs (slots, n): at each slot the frame before the predicted one (none before a tune's first). */
    static float[] inputs(List<int[][]> tunes, NoteBatches.Batch b, int n) {
        float[] x = new float[b.tune().length * n];
        for (int s = 0; s < b.tune().length; s++) {
            if (b.tune()[s] < 0 || b.frame()[s] == 0) continue;
            for (int j : tunes.get(b.tune()[s])[b.frame()[s] - 1]) x[s * n + j] = 1f;
        }
        return x;
    }

    int steps() {
        return counts.length;
    }

    /** Sorted frame i's token k: a note, or END = n. */
    int target(int i, int k) {
        return k < notes[i].length ? notes[i][k] : n;
    }

    /** The token before token k of sorted frame i: START = n for k = 0. */
    int previous(int i, int k) {
        return k == 0 ? n : notes[i][k - 1];
    }

    /** The input table's row for a token: the previous token and the position. */
    static int inputRow(int previous, int k) {
        return previous * POSITIONS + Math.min(k, POSITIONS - 1);
    }

    /**
     * What the model gathers by, as floats (whole numbers): per token row its input row (R), its mask row (R), its
     * target (R); per sorted frame its slot (N); per slot its sorted position, or N where the slot is padding (slots).
     */
    float[] indices() {
        float[] a = new float[3 * rows + frames + slots];
        for (int k = 0; k < steps(); k++) {
            for (int i = 0; i < counts[k]; i++) {
                int r = offsets[k] + i;
                a[r] = inputRow(previous(i, k), k);
                a[rows + r] = previous(i, k);
                a[2 * rows + r] = target(i, k);
            }
        }
        int at = 3 * rows;
        Arrays.fill(a, at + frames, a.length, frames);
        for (int i = 0; i < frames; i++) {
            a[at + i] = slot[i];
            a[at + frames + slot[i]] = i;
        }
        return a;
    }

    /** A frame must be strictly ascending notes in [0, n): the order the tokens are emitted in. */
    static void check(int[] frame, int n) {
        for (int j = 0; j < frame.length; j++) {
            if (frame[j] < 0 || frame[j] >= n || (j > 0 && frame[j] <= frame[j - 1])) {
                throw new IllegalArgumentException("note-lstm: a frame must hold distinct notes in [0, " + n + ") in ascending order, got "
                        + Arrays.toString(frame));
            }
        }
    }
}
