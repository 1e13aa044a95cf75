package dev.tessitura.model.baseline;

import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.Settings;
import dev.tessitura.model.io.SafeTensors;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The paper's note N-gram baselines (note-ngram): each note predicted from its own last N - 1 states (context), as
 * the smoothed frequency (n1 + a) / (n + 2a) with which it was on after that context in the training set (n times
 * seen, n1 times followed by the note; silence before a tune's start). Per note, a table of 2^context entries of its
 * own; {@code --shared}: one table for every note. The paper's IID note 1-gram is context 0, shared (one probability
 * for every note and frame: -16.24 on Nottingham); its note N-gram is per note (context 13, N = 14: -4.54).
 *
 * @param context the previous states of a note that predict it (N - 1)
 * @param shared  one table for every note, instead of one per note
 * @param alpha   additive smoothing a (1: Laplace)
 */
public final class NgramKind extends BaselineKind<NgramKind.Config> {
    public static final NgramKind NGRAM = new NgramKind();
    /** The longest context: 88 tables of 2^16 entries (keys of up to 88 x 2^16 stay exact in a float32 checkpoint). */
    static final int MAX_CONTEXT = 16;

    public record Config(int context, boolean shared, double alpha) {
        public Config {
            if (context < 0 || context > MAX_CONTEXT) throw new IllegalArgumentException("note-ngram: --context must be in 0.." + MAX_CONTEXT + ", got " + context);
            if (!(alpha > 0)) throw new IllegalArgumentException("note-ngram: --alpha must be > 0, got " + alpha);
        }

        Config withContext(int v) { return new Config(v, shared, alpha); }
        Config withShared(boolean v) { return new Config(context, v, alpha); }
        Config withAlpha(double v) { return new Config(context, shared, v); }
    }

    private static final Settings<Config> SETTINGS = Settings.of(new Config(13, false, 1))
            .integer("context", "--context", "N", "previous states of a note that predict it (the N-gram's N - 1)", Config::context, Config::withContext)
            .flag("shared", "--shared", "one table for every note (the IID note 1-gram with --context 0)", Config::shared, Config::withShared)
            .real("alpha", "--alpha", "A", "additive smoothing of the counts (1: Laplace)", Config::alpha, Config::withAlpha)
            .build();

    private NgramKind() {}

    @Override public String name() { return "note-ngram"; }

    @Override public String summary() { return "each note from its own last N - 1 states by smoothed counts (the paper's note N-gram and IID 1-gram)"; }

    @Override public Settings<Config> settings() { return SETTINGS; }

    @Override NoteTable count(Config c, List<PianoRoll> train, int n) {
        int tables = c.shared() ? 1 : n, size = 1 << c.context();
        double[] seen = new double[tables * size], on = new double[seen.length];
        for (PianoRoll r : train) {
            float[] x = r.toFloats();
            for (int t = 0; t < r.frames(); t++) {
                for (int j = 0; j < n; j++) {
                    int key = key(c, x, t, n, j, size);
                    seen[key]++;
                    on[key] += x[t * n + j];
                }
            }
        }
        float[] q = new float[seen.length];
        for (int k = 0; k < q.length; k++) q[k] = (float) ((on[k] + c.alpha()) / (seen[k] + 2 * c.alpha()));
        return new Table(c, q, seen);
    }

    /** The entry of note j at frame t: its table, and the context's bits (bit i: the note at t - 1 - i). */
    private static int key(Config c, float[] x, int t, int n, int j, int size) {
        int code = 0;
        for (int i = 0; i < c.context() && t - 1 - i >= 0; i++) if (x[(t - 1 - i) * n + j] > 0.5f) code |= 1 << i;
        return (c.shared() ? 0 : j * size) + code;
    }

    @Override NoteTable load(Config c, SafeTensors.Contents saved, int n) {
        int size = 1 << c.context();
        float[] keys = tensor(saved, "keys"), values = tensor(saved, "q");
        if (keys.length != values.length) throw new IllegalArgumentException("checkpoint: keys and q differ in length");
        float[] q = new float[(c.shared() ? 1 : n) * size];
        java.util.Arrays.fill(q, 0.5f);                       // a context never seen: (0 + a) / (0 + 2a)
        for (int i = 0; i < keys.length; i++) {
            int k = (int) keys[i];
            if (k < 0 || k >= q.length || k != keys[i]) throw new IllegalArgumentException("checkpoint: bad key " + keys[i]);
            q[k] = values[i];
        }
        return new Table(c, q, null);
    }

    /** The probabilities q; the checkpoint keeps only the entries seen in training (the rest are 1/2), keys as exact floats. */
    private record Table(Config c, float[] q, double[] seen) implements NoteTable {
        @Override public void predict(float[] roll, int t, int n, double[] p) {
            int size = 1 << c.context();
            for (int j = 0; j < n; j++) p[j] = q[key(c, roll, t, n, j, size)];
        }

        @Override public Map<String, float[]> tensors() {
            int m = 0;
            for (int k = 0; k < q.length; k++) if (seen == null || seen[k] > 0) m++;
            float[] keys = new float[m], values = new float[m];
            for (int k = 0, i = 0; k < q.length; k++) {
                if (seen != null && seen[k] == 0) continue;
                keys[i] = k;
                values[i++] = q[k];
            }
            Map<String, float[]> out = new java.util.LinkedHashMap<>();
            out.put("q", values);
            out.put("keys", keys);
            return out;
        }

        @Override public String describe() {
            return String.format(Locale.ROOT, "%s %d-gram, %d entries", c.shared() ? "shared" : "per-note", c.context() + 1, q.length);
        }
    }
}
