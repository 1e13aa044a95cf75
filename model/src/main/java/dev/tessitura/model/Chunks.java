package dev.tessitura.model;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An epoch as the RNN-RBM and the RNN-NADE train: every sequence cut into chunks of T frames, each chunk an update's
 * time steps (starting from u(0)), the sequences in a Philox shuffle per epoch; B chunks of one length per update;
 * the frames on the backend once, an update's B chunks gathered there ({@link Gathers}).
 */
public final class Chunks {
    private Chunks() {}

    /**
     * The chunks {sequence, first frame, length} of an epoch, in a Philox shuffle of the sequences for (seed, epoch)
     * drawn from stream (seed, stream); each sequence cut into chunks of {@code chunk} frames, the last one shorter.
     */
    public static List<int[]> of(List<PianoRoll> rolls, long seed, int stream, int epoch, int chunk) {
        int n = rolls.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        float[] u = new float[Math.max(n, 1)];
        Philox.uniforms(seed, stream, (long) epoch << 20, u, 0, n);
        for (int i = n - 1; i > 0; i--) {
            int j = Math.min(i, (int) (u[i] * (i + 1)));
            Integer t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        List<int[]> out = new ArrayList<>();
        for (int s : order) {
            int frames = rolls.get(s).frames();
            for (int t0 = 0; t0 < frames; t0 += chunk) out.add(new int[] {s, t0, Math.min(chunk, frames - t0)});
        }
        return out;
    }

    /**
     * The updates of an epoch: its chunks in order, B = batch at a time among chunks of the same length (a batch's
     * chunks walk their T steps together). A chunk joins the first unfilled group of its length; groups go out as
     * they fill, the unfilled ones at the end of the epoch in the order they were opened. Every frame is trained on
     * once per epoch; with B = 1 these are the chunks themselves, in order.
     */
    public static List<List<int[]>> batches(List<int[]> chunks, int batch) {
        List<List<int[]>> out = new ArrayList<>();
        Map<Integer, List<int[]>> open = new LinkedHashMap<>();
        for (int[] c : chunks) {
            List<int[]> g = open.computeIfAbsent(c[2], len -> new ArrayList<>());
            g.add(c);
            if (g.size() == batch) {
                out.add(g);
                open.remove(c[2]);
            }
        }
        out.addAll(open.values());
        return out;
    }

    /**
     * The rows of the stacked frames that each update of a B > 1 epoch trains on, as one table on the backend (copied
     * in once per epoch, its tensor kept across epochs): update i's B chunks of T frames time-major, frame t of chunk b
     * in row t B + b.
     */
    public static final class Gathers {
        private final Backend be;
        private final String model;
        private Tensor table;
        private StackedFrames.Stack frames;
        private long[] offset;
        private int[] rows;

        /** model names the model in a message. */
        public Gathers(Backend be, String model) {
            this.be = be;
            this.model = model;
        }

        /** Fills the table for an epoch's updates over these frames; returns this. */
        public Gathers epoch(StackedFrames.Stack frames, List<List<int[]>> updates) {
            this.frames = frames;
            offset = new long[updates.size()];
            rows = new int[updates.size()];
            long total = 0;
            for (int i = 0; i < updates.size(); i++) {
                offset[i] = total;
                rows[i] = updates.get(i).size() * updates.get(i).get(0)[2];
                total += rows[i];
            }
            if (frames.frames().rows() > 1 << 24) throw new IllegalArgumentException(model + ": more than 2^24 frames in one epoch");
            float[] at = new float[Math.toIntExact(total)];
            for (int i = 0; i < updates.size(); i++) {
                List<int[]> group = updates.get(i);
                int batch = group.size();
                for (int b = 0; b < batch; b++) {
                    int[] c = group.get(b);
                    int first = frames.first()[c[0]] + c[1];
                    for (int t = 0; t < c[2]; t++) at[Math.toIntExact(offset[i]) + t * batch + b] = first + t;   // exact: at most 2^24 rows
                }
            }
            if (table == null || table.size() < at.length) table = be.zeros(at.length);
            be.copyFromHost(table.view(0, at.length), at, 0);
            return this;
        }

        /** Update i's frames (T B, nv) gathered into the first rows of into. */
        public Tensor update(int i, Tensor into) {
            Tensor v = into.slice(0, rows[i]);
            be.gatherRows(v, frames.frames(), table.view(offset[i], rows[i]));
            return v;
        }
    }
}
