package dev.tessitura.model.notes;

import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.lstm.Minibatches;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tunes as token streams, and how a minibatch of them is laid out for {@link NoteModel}.
 *
 * <p>A tune is its frames, each the ascending indices (0 .. n-1 above the roll's lowest note) of its notes. Frame t is
 * emitted as tokens s_0 < s_1 < ... < s_{k-1}, END (= n); the token before s_0 is START, which shares END's index
 * n (END never precedes a token of the same frame). Every frame of a tune is predicted, the first one too, from an
 * empty "previous frame".
 *
 * <p>Minibatches: B streams side by side, cut into chunks of L frames (time-major: slot t B + b is frame t of stream
 * b). Each pool of {@link #POOL} B tunes (shuffled, per epoch) is dealt longest first to the stream with the fewest
 * chunks so far; every tune starts at a chunk boundary with the frame LSTM's state restarted there (a fresh row),
 * and the frame LSTM's state is carried from chunk to chunk within a tune. A pool's chunks end together, so a run can
 * stop between pools with no state to save.
 */
final class NoteBatches {
    /** Pools of POOL B tunes: fewer padded slots than B tunes at a time, still random groups. */
    static final int POOL = 8;

    private NoteBatches() {}

    /** A roll as a tune: per frame its notes' indices in the roll's range, ascending. */
    static int[][] tune(PianoRoll r) {
        int[][] t = new int[r.frames()][];
        for (int f = 0; f < t.length; f++) {
            int[] notes = r.notesAt(f);
            for (int j = 0; j < notes.length; j++) notes[j] -= r.lowestNote();
            Arrays.sort(notes);
            t[f] = notes;
        }
        return t;
    }

    static List<int[][]> tunes(List<PianoRoll> rolls) {
        return rolls.stream().map(NoteBatches::tune).toList();
    }

    /**
     * One minibatch of T B slots: slot s predicts frame frame[s] of tune tune[s] (-1, -1: padding). carry: continue
     * the frame LSTM's state of the previous minibatch, except in the rows listed in fresh (a tune starts there).
     * frames: the slots that predict a frame.
     */
    record Batch(int[] tune, int[] frame, boolean carry, int[] fresh, int frames) {}

    /**
     * The minibatches of one epoch. With {@code shuffle} the tunes are taken in the order of {@link Minibatches#shuffle}
     * with Philox stream (seed, 1) from block epoch 2^20 (each epoch its own order, a resumed run the same);
     * without, in the order given (evaluation). Tunes without frames are skipped.
     */
    static List<Batch> epoch(List<int[][]> tunes, int batch, int steps, boolean shuffle, long seed, int epoch) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < tunes.size(); i++) if (tunes.get(i).length > 0) order.add(i);
        if (shuffle) Minibatches.shuffle(order, seed, 1, (long) epoch << 20);
        List<Batch> out = new ArrayList<>();
        int pool = POOL * batch;
        for (int p = 0; p < order.size(); p += pool) pool(tunes, order.subList(p, Math.min(order.size(), p + pool)), batch, steps, out);
        return out;
    }

    /** One pool's chunks: its tunes dealt longest first, each to the stream with the fewest chunks ({@link Minibatches#deal}). */
    private static void pool(List<int[][]> tunes, List<Integer> ids, int batch, int steps, List<Batch> out) {
        Minibatches.Dealt<Integer> dealt = Minibatches.deal(ids, i -> tunes.get(i).length, batch, steps);
        List<List<Integer>> streams = dealt.rows();
        int length = dealt.chunks();
        int[] at = new int[batch], start = new int[batch];   // per stream: its current tune, the chunk it started at
        for (int chunk = 0; chunk < length; chunk++) {
            int[] tune = new int[steps * batch], frame = new int[steps * batch];
            Arrays.fill(tune, -1);
            Arrays.fill(frame, -1);
            List<Integer> fresh = new ArrayList<>();
            int frames = 0;
            for (int b = 0; b < batch; b++) {
                List<Integer> s = streams.get(b);
                if (at[b] < s.size() && (chunk - start[b]) * steps >= tunes.get(s.get(at[b])).length) {
                    at[b]++;                                   // the stream's tune has ended: the next starts here
                    start[b] = chunk;
                    if (at[b] < s.size()) fresh.add(b);
                }
                if (at[b] >= s.size()) continue;
                int id = s.get(at[b]), f0 = (chunk - start[b]) * steps, len = tunes.get(id).length;
                for (int t = 0; t < steps && f0 + t < len; t++) {
                    tune[t * batch + b] = id;
                    frame[t * batch + b] = f0 + t;
                    frames++;
                }
            }
            out.add(new Batch(tune, frame, chunk > 0, fresh.stream().mapToInt(Integer::intValue).toArray(), frames));
        }
    }
}
