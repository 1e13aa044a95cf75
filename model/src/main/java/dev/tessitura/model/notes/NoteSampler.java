package dev.tessitura.model.notes;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import java.util.Arrays;

/**
 * Exact ancestral sampling from a {@link NoteModel}: each frame token by token, each token drawn from its masked
 * softmax (the notes above the previous one, and END) with one Philox uniform, until END. Many frames are drawn at
 * once: every still unfinished frame is a row of the note LSTM's step, and the rows that drew END leave after each
 * step (their state compacted away), so a step costs what the frames still going need.
 */
final class NoteSampler {
    /** Frames drawn side by side at most. */
    static final int CHUNK = 8192;

    private final NoteModel m;
    private final Backend be;
    private final int n, classes, layers;
    private Tensor gCf, yCf;                             // (frames, 4HN_0), (frames, n+1) the frames' contexts
    private final Tensor xs, ctx, logits, bias, index;    // (CHUNK, in0), (CHUNK, 4HN_0), (CHUNK, n+1) x 2, (4 CHUNK)
    private final Tensor[] z, h, c, hNew, cNew;          // per layer (CHUNK, 4H), (CHUNK, H) x 4

    NoteSampler(NoteModel model) {
        this.m = model;
        this.be = model.be;
        this.n = model.n;
        this.classes = model.classes;
        this.layers = model.hn.length;
        xs = be.zeros(CHUNK, m.in0);
        ctx = be.zeros(CHUNK, 4 * m.hn[0]);
        logits = be.zeros(CHUNK, classes);
        bias = be.zeros(CHUNK, classes);
        index = be.zeros(4 * CHUNK);
        z = new Tensor[layers]; h = new Tensor[layers]; c = new Tensor[layers]; hNew = new Tensor[layers]; cNew = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            z[l] = be.zeros(CHUNK, 4 * m.hn[l]);
            h[l] = be.zeros(CHUNK, m.hn[l]);
            c[l] = be.zeros(CHUNK, m.hn[l]);
            hNew[l] = be.zeros(CHUNK, m.hn[l]);
            cNew[l] = be.zeros(CHUNK, m.hn[l]);
        }
    }

    /**
     * The primer's frames (perhaps none) followed by {@code steps} frames, each drawn given all before it, with the
     * uniforms of Philox stream (seed, 2). Resets the frame LSTM's carried state.
     */
    int[][] generate(int[][] primer, int steps, long seed) {
        if (steps < 0) throw new IllegalArgumentException("note-lstm: cannot generate " + steps + " frames");
        for (int[] f : primer) NoteLayout.check(f, n);
        int[][] out = Arrays.copyOf(primer, primer.length + steps);
        Rng rng = new Rng(seed, 2);
        Tensor x = be.zeros(1, n);
        float[] previous = new float[n];
        m.frame.resetState();
        for (int t = 0; t < out.length; t++) {
            Arrays.fill(previous, 0f);
            if (t > 0) for (int j : out[t - 1]) previous[j] = 1f;
            be.copyFromHost(x, previous, 0);
            Tensor hF = m.frame.forwardHidden(x, 1, 1, t > 0);
            if (t >= primer.length) out[t] = sample(hF, x, 1, rng)[0];
        }
        return out;
    }

    /**
     * Draws {@code copies} frames from each of F frames' conditionals given hF (F, HF) and u (F, n), the frame LSTM's
     * top output and the previous frame: out[i copies + s] is sample s of frame i, its notes ascending. The uniforms come
     * from rng, one per unfinished frame and token step, in order.
     */
    int[][] sample(Tensor hF, Tensor u, int copies, Rng rng) {
        int frames = hF.rows();
        if (gCf == null || gCf.rows() < frames) {
            gCf = be.zeros(frames, 4 * m.hn[0]);
            yCf = be.zeros(frames, classes);
        }
        Tensor gc = gCf.slice(0, frames), yc = yCf.slice(0, frames);
        m.context(gc, yc, hF, u);
        int[][] out = new int[frames * copies][];
        for (int s0 = 0; s0 < out.length; s0 += CHUNK) chunk(out, s0, Math.min(out.length, s0 + CHUNK), copies, gc, yc, rng);
        return out;
    }

    private void chunk(int[][] out, int s0, int s1, int copies, Tensor gc, Tensor yc, Rng rng) {
        int a = s1 - s0;
        int[] row = new int[a], prev = new int[a], count = new int[a];   // per live row: its sample, previous token, notes so far
        int[][] notes = new int[a][n];
        for (int i = 0; i < a; i++) {
            row[i] = s0 + i;
            prev[i] = n;
        }
        float[] idx = new float[4 * CHUNK], lg = new float[CHUNK * classes], uni = new float[CHUNK];
        double[] w = new double[classes];
        for (int k = 0; a > 0; k++) {
            for (int i = 0; i < a; i++) {
                idx[i] = NoteLayout.inputRow(prev[i], k);
                idx[a + i] = prev[i];
                idx[2 * a + i] = row[i] / copies;
            }
            be.copyFromHost(index.view(0, 3 * a), idx, 0);
            Tensor in = xs.slice(0, a);
            be.gatherRows(in, m.inputTable, index.view(0, a));
            for (int l = 0; l < layers; l++) {
                Tensor zl = z[l].slice(0, a);
                m.noteInput(l, zl, in);
                if (l == 0) {
                    be.gatherRows(ctx.slice(0, a), gc, index.view(2L * a, a));
                    be.add(zl, zl, ctx.slice(0, a));
                }
                m.noteStep(l, hNew[l].slice(0, a), cNew[l].slice(0, a), zl, k == 0 ? null : h[l].slice(0, a), k == 0 ? null : c[l].slice(0, a));
                in = hNew[l].slice(0, a);
            }
            Tensor out0 = logits.slice(0, a), b = bias.slice(0, a);
            be.gemm(out0, in, false, m.wy, false, 1f, 0f);
            be.gatherRows(b, yc, index.view(2L * a, a));
            be.add(out0, out0, b);
            be.gatherRows(b, m.maskTable, index.view(a, a));
            be.add(out0, out0, b);
            be.copyToHost(lg, 0, out0);
            Philox.uniforms(rng.seed(), rng.stream(), rng.take(a), uni, 0, a);
            int live = 0;
            for (int i = 0; i < a; i++) {
                int token = draw(lg, i * classes, classes, uni[i], w);
                if (token == n) {
                    out[row[i]] = Arrays.copyOf(notes[i], count[i]);
                    continue;
                }
                notes[i][count[i]++] = token;
                idx[3 * CHUNK + live] = i;                    // keeps its state: the live rows move up
                row[live] = row[i];
                prev[live] = token;
                count[live] = count[i];
                int[] t = notes[live];
                notes[live] = notes[i];
                notes[i] = t;
                live++;
            }
            if (live > 0) {
                be.copyFromHost(index.view(3L * CHUNK, live), idx, 3 * CHUNK);
                for (int l = 0; l < layers; l++) {
                    be.gatherRows(h[l].slice(0, live), hNew[l].slice(0, a), index.view(3L * CHUNK, live));
                    be.gatherRows(c[l].slice(0, live), cNew[l].slice(0, a), index.view(3L * CHUNK, live));
                }
            }
            a = live;
        }
    }

    /**
     * The token j with cdf_{j-1} <= u Z < cdf_j of q = exp(logits - max) over one row (a barred token's weight is exactly
     * 0), in float64; u in [0, 1); w (classes) is scratch. Where u Z rounds up to the total, the last token of nonzero
     * weight.
     */
    static int draw(float[] logits, int off, int classes, float u, double[] w) {
        double mx = Double.NEGATIVE_INFINITY, total = 0;
        for (int j = 0; j < classes; j++) mx = Math.max(mx, logits[off + j]);
        int last = 0;
        for (int j = 0; j < classes; j++) {
            total += w[j] = Math.exp(logits[off + j] - mx);
            if (w[j] > 0) last = j;
        }
        double target = u * total, cdf = 0;
        for (int j = 0; j < classes; j++) {
            cdf += w[j];
            if (target < cdf) return j;
        }
        return last;
    }
}
