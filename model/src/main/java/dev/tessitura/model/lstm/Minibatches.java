package dev.tessitura.model.lstm;

import dev.tessitura.engine.Philox;
import dev.tessitura.midi.PianoRoll;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts piano rolls into minibatches of B sequences x L steps for next-frame prediction: the input at step t is
 * frame t and the target frame t + 1, so a tune of N frames gives N - 1 training pairs. Two ways, both in the issue:
 * <ul>
 *   <li>{@link Mode#TILE}, the RNN4Music seed's way: one window of L steps per tune, from its start; a shorter tune
 *       is repeated (tiled) to fill the window, a longer one truncated. Every row counts; no state is carried.</li>
 *   <li>{@link Mode#CHUNKS}, the exact way: B tunes side by side, cut into consecutive chunks of L steps; the LSTM
 *       state is carried from one chunk to the next of the same group, and the steps after a tune's end are masked
 *       out, so every pair of every tune is seen exactly once and nothing else is. A group runs as long as its
 *       longest tune, so tunes of like length are grouped: after the shuffle, each pool of {@link #POOL} groups' worth
 *       of tunes is sorted by length before it is cut into groups, and the groups' order is shuffled again (on
 *       Nottingham: 60 % of the computed rows are real frames instead of 34 % with random groups). Without
 *       shuffling (evaluation) all tunes are sorted by length.</li>
 *   <li>{@link Mode#PACKED}: as CHUNKS, but each of the B rows takes several tunes one after another, each from a
 *       chunk boundary with its state restarted at zero there ({@link Batch#fresh}), so a row is padded only after
 *       each tune's last pair, not until the group's longest tune ends. The tunes of a pool are dealt longest first,
 *       each to the row with the fewest chunks so far, and the rows then run side by side. Every pair is still seen
 *       exactly once and no state crosses from one tune into another.</li>
 * </ul>
 * Data are laid out time-major, (L, B, n), as {@link Lstm#forward} takes them.
 */
public final class Minibatches {
    public enum Mode { TILE, CHUNKS, PACKED }

    /**
     * One minibatch: x, y (L B, n) and mask (L B, n) of 0/1 (null when every row counts); frames = the number of
     * counted rows; carry = continue the state of the previous minibatch, except in the rows listed in fresh (a tune
     * that starts there, in {@link Mode#PACKED}), whose state restarts at zero. rows (L B) says where each row's
     * input comes from: its frame's row in all the rolls' frames stacked in the order given to {@link #epoch} (its
     * target is the next row), or -1 for a masked row (x, y zero): what a backend gathers x, y and mask from.
     */
    public record Batch(float[] x, float[] y, float[] mask, int frames, boolean carry, int[] fresh, int[] rows) {}

    private Minibatches() {}

    private static final java.util.Comparator<PianoRoll> LONGEST_FIRST =
            java.util.Comparator.comparingInt(PianoRoll::frames).reversed();

    /** Groups per pool of tunes sorted by length in {@link Mode#CHUNKS} (more: less padding, less randomness). */
    static final int POOL = 8;

    /**
     * The minibatches of one epoch over {@code rolls} in the order given by a seeded shuffle (Philox stream
     * (seed, 1), epoch as the block offset, so every epoch has its own order and a resumed run the same one).
     * {@code shuffle = false} keeps the order (evaluation).
     */
    public static List<Batch> epoch(List<PianoRoll> rolls, Mode mode, int batch, int steps, boolean shuffle,
                                    long seed, int epoch) {
        List<PianoRoll> usable = new ArrayList<>();
        for (PianoRoll r : rolls) if (r.frames() >= 2) usable.add(r);
        Map<PianoRoll, Integer> first = new IdentityHashMap<>();        // each roll's first row in the stacked frames
        int stacked = 0;
        for (PianoRoll r : rolls) {
            first.putIfAbsent(r, stacked);
            stacked = Math.addExact(stacked, r.frames());
        }
        if (shuffle) shuffle(usable, seed, 1, (long) epoch << 20);
        List<Batch> out = new ArrayList<>();
        if (mode == Mode.TILE) {
            for (int g = 0; g < usable.size(); g += batch) out.add(tiled(usable.subList(g, Math.min(usable.size(), g + batch)), first, batch, steps));
            return out;
        }
        int pool = shuffle ? POOL * batch : Math.max(usable.size(), 1);
        if (mode == Mode.PACKED) {
            // each pool of the shuffled tunes dealt to the B rows of one group (the pools are random already)
            for (int p = 0; p < usable.size(); p += pool) packed(usable.subList(p, Math.min(usable.size(), p + pool)), first, batch, steps, out);
            return out;
        }
        // CHUNKS: tunes of like length side by side (longest first), then the groups in a shuffled order
        List<List<PianoRoll>> groups = new ArrayList<>();
        for (int p = 0; p < usable.size(); p += pool) {
            List<PianoRoll> sorted = new ArrayList<>(usable.subList(p, Math.min(usable.size(), p + pool)));
            sorted.sort(LONGEST_FIRST);
            for (int g = 0; g < sorted.size(); g += batch) groups.add(sorted.subList(g, Math.min(sorted.size(), g + batch)));
        }
        if (shuffle) shuffle(groups, seed, 7, (long) epoch << 20);
        for (List<PianoRoll> group : groups) chunks(group, first, batch, steps, out);
        return out;
    }

    /** Fisher-Yates with uniforms of Philox stream (seed, stream) from block {@code block}: the same order everywhere. */
    public static <T> void shuffle(List<T> list, long seed, int stream, long block) {
        int n = list.size();
        float[] u = new float[Math.max(n, 1)];
        Philox.uniforms(seed, stream, block, u, 0, n);
        for (int i = n - 1; i > 0; i--) java.util.Collections.swap(list, i, Math.min(i, (int) (u[i] * (i + 1))));
    }

    private static Batch tiled(List<PianoRoll> group, Map<PianoRoll, Integer> first, int batch, int steps) {
        int n = group.get(0).noteCount();
        float[] x = new float[steps * batch * n], y = new float[x.length];
        float[] mask = group.size() < batch ? new float[x.length] : null;   // a last, partial group: mask empty lanes
        int[] rows = padding(steps * batch);
        for (int b = 0; b < group.size(); b++) {
            float[] roll = group.get(b).toFloats();
            int frames = group.get(b).frames(), pairs = frames - 1;
            for (int t = 0; t < steps; t++) {
                int s = t % pairs;                       // tiled: after the last pair, start again
                int row = (t * batch + b) * n;
                System.arraycopy(roll, s * n, x, row, n);
                System.arraycopy(roll, (s + 1) * n, y, row, n);
                if (mask != null) java.util.Arrays.fill(mask, row, row + n, 1f);
                rows[t * batch + b] = first.get(group.get(b)) + s;
            }
        }
        return new Batch(x, y, mask, group.size() * steps, false, new int[0], rows);
    }

    /**
     * {@link Mode#PACKED}: the tunes dealt longest first, each to the row with the fewest chunks so far (ties: the
     * lowest row), each starting at a chunk boundary; then the rows' chunks side by side.
     */
    private static void packed(List<PianoRoll> tunes, Map<PianoRoll, Integer> first, int batch, int steps, List<Batch> out) {
        Dealt<PianoRoll> dealt = deal(tunes, r -> r.frames() - 1, batch, steps);
        List<List<PianoRoll>> rows = dealt.rows();
        int n = rows.get(0).get(0).noteCount(), length = dealt.chunks();
        int[] tuneOf = new int[batch], startOf = new int[batch];        // per row: its current tune, and its first chunk
        float[][] roll = new float[batch][];
        for (int b = 0; b < batch; b++) roll[b] = rows.get(b).isEmpty() ? null : rows.get(b).get(0).toFloats();
        for (int chunk = 0; chunk < length; chunk++) {
            float[] x = new float[steps * batch * n], y = new float[x.length], mask = new float[x.length];
            int[] at = padding(steps * batch);
            int frames = 0;
            List<Integer> fresh = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                List<PianoRoll> row = rows.get(b);
                if (tuneOf[b] < row.size() && (chunk - startOf[b]) * steps >= row.get(tuneOf[b]).frames() - 1) {
                    tuneOf[b]++;                                     // the row's tune has ended: the next one starts here
                    startOf[b] = chunk;
                    if (tuneOf[b] < row.size()) {
                        fresh.add(b);
                        roll[b] = row.get(tuneOf[b]).toFloats();
                    }
                }
                if (tuneOf[b] >= row.size()) continue;               // the row is done: padding to the group's end
                PianoRoll tune = row.get(tuneOf[b]);
                frames += copyPairs(roll[b], first.get(tune), (chunk - startOf[b]) * steps, tune.frames() - 1, b, batch, steps, n, x, y, mask, at);
            }
            out.add(new Batch(x, y, mask, frames, chunk > 0, fresh.stream().mapToInt(Integer::intValue).toArray(), at));
        }
    }

    /** Items dealt to B rows: each row's items in order, and the chunks of the longest row. */
    public record Dealt<T>(List<List<T>> rows, int chunks) {}

    /**
     * Deals items longest first (a stable sort by {@code length}, the steps each fills), each to the row with the
     * fewest chunks of {@code steps} so far (ties: the lowest row), each item starting at a chunk boundary.
     */
    public static <T> Dealt<T> deal(List<T> items, java.util.function.ToIntFunction<T> length, int batch, int steps) {
        List<T> sorted = new ArrayList<>(items);
        sorted.sort(java.util.Comparator.comparingInt(length).reversed());
        List<List<T>> rows = new ArrayList<>();
        int[] chunksOf = new int[batch];
        for (int b = 0; b < batch; b++) rows.add(new ArrayList<>());
        for (T item : sorted) {
            int b = 0;
            for (int q = 1; q < batch; q++) if (chunksOf[q] < chunksOf[b]) b = q;
            rows.get(b).add(item);
            chunksOf[b] += (length.applyAsInt(item) + steps - 1) / steps;
        }
        int longest = 0;
        for (int c : chunksOf) longest = Math.max(longest, c);
        return new Dealt<>(rows, longest);
    }

    private static void chunks(List<PianoRoll> group, Map<PianoRoll, Integer> first, int batch, int steps, List<Batch> out) {
        int n = group.get(0).noteCount(), longest = 0;
        float[][] rolls = new float[group.size()][];
        for (int b = 0; b < group.size(); b++) {
            rolls[b] = group.get(b).toFloats();
            longest = Math.max(longest, group.get(b).frames() - 1);
        }
        for (int t0 = 0; t0 < longest; t0 += steps) {
            float[] x = new float[steps * batch * n], y = new float[x.length], mask = new float[x.length];
            int[] at = padding(steps * batch);
            int frames = 0;
            for (int b = 0; b < group.size(); b++) {
                frames += copyPairs(rolls[b], first.get(group.get(b)), t0, group.get(b).frames() - 1, b, batch, steps, n, x, y, mask, at);
            }
            out.add(new Batch(x, y, mask, frames, t0 > 0, new int[0], at));
        }
    }

    /**
     * Row b of a minibatch from pairs t0 .. of a tune's roll (frame s in, s + 1 the target; the roll's frames from
     * row {@code first} of the stacked ones) until the L steps or the tune's pairs run out, unmasked; returns how many.
     */
    private static int copyPairs(float[] roll, int first, int t0, int pairs, int b, int batch, int steps, int n, float[] x, float[] y,
                                 float[] mask, int[] rows) {
        int t = 0;
        for (; t < steps && t0 + t < pairs; t++) {
            int s = t0 + t, row = (t * batch + b) * n;
            System.arraycopy(roll, s * n, x, row, n);
            System.arraycopy(roll, (s + 1) * n, y, row, n);
            java.util.Arrays.fill(mask, row, row + n, 1f);
            rows[t * batch + b] = first + s;
        }
        return t;
    }

    /** rows of a minibatch before any is filled: all masked. */
    private static int[] padding(int n) {
        int[] rows = new int[n];
        java.util.Arrays.fill(rows, -1);
        return rows;
    }
}
