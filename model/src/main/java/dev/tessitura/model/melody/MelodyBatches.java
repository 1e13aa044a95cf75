package dev.tessitura.model.melody;

import dev.tessitura.engine.Philox;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts melodies into minibatches of B melodies x L steps for next-event prediction, the way
 * {@link dev.tessitura.model.lstm.Minibatches.Mode#CHUNKS} cuts piano rolls: B melodies side by side, cut into
 * consecutive chunks of L steps; the LSTM state is carried from one chunk to the next of the same group, and the steps
 * after a melody's end are padding (input and target -1, an all-zero one-hot row, which
 * {@link dev.tessitura.engine.Backend#softmaxCrossEntropy} skips). A melody of N events gives N - 1 pairs, each seen
 * exactly once per epoch.
 *
 * <p>Batches hold event indices, not one-hot floats (8 bytes per step instead of 304), time-major: position
 * t B + b is step t of lane b, as {@link dev.tessitura.model.lstm.Lstm#forward} takes its rows.
 */
public final class MelodyBatches {
    /**
     * One minibatch: inputs, targets (L B) events, -1 for padding; events = the number of real pairs;
     * carry = continue the LSTM state of the previous minibatch.
     */
    public record Batch(int[] inputs, int[] targets, int events, boolean carry) {}

    private MelodyBatches() {}

    /**
     * The minibatches of one epoch, melodies in the order of a seeded shuffle (Fisher-Yates on Philox stream
     * (seed, 1), block offset epoch * 2^20, so each epoch has its own order and a resumed run the same one);
     * {@code shuffle = false} keeps the given order (evaluation). Melodies shorter than 2 events are skipped.
     */
    public static List<Batch> epoch(List<int[]> melodies, int batch, int steps, boolean shuffle, long seed, int epoch) {
        if (batch < 1 || steps < 1) throw new IllegalArgumentException("melody batches: batch and steps must be >= 1, got " + batch + ", " + steps);
        List<int[]> usable = new ArrayList<>();
        for (int[] m : melodies) {
            MelodyEncoding.check(m);
            if (m.length >= 2) usable.add(m);
        }
        if (shuffle) {
            int n = usable.size();
            float[] u = new float[Math.max(n, 1)];
            Philox.uniforms(seed, 1, (long) epoch << 20, u, 0, n);
            for (int i = n - 1; i > 0; i--) {
                int j = Math.min(i, (int) (u[i] * (i + 1)));
                int[] t = usable.get(i);
                usable.set(i, usable.get(j));
                usable.set(j, t);
            }
        }
        List<Batch> out = new ArrayList<>();
        for (int g = 0; g < usable.size(); g += batch) {
            List<int[]> group = usable.subList(g, Math.min(usable.size(), g + batch));
            int longest = 0;
            for (int[] m : group) longest = Math.max(longest, m.length - 1);
            for (int t0 = 0; t0 < longest; t0 += steps) {
                int[] in = new int[steps * batch], target = new int[steps * batch];
                Arrays.fill(in, -1);
                Arrays.fill(target, -1);
                int events = 0;
                for (int b = 0; b < group.size(); b++) {
                    int[] m = group.get(b);
                    for (int t = 0; t < steps && t0 + t < m.length - 1; t++) {
                        in[t * batch + b] = m[t0 + t];
                        target[t * batch + b] = m[t0 + t + 1];
                        events++;
                    }
                }
                out.add(new Batch(in, target, events, t0 > 0));
            }
        }
        return out;
    }
}
