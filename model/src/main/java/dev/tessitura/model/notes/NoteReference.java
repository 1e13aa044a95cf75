package dev.tessitura.model.notes;

import dev.tessitura.model.lstm.LstmReference;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The note-by-note model of {@link NoteModel} in plain float64 Java, one tune and one frame at a time: the oracle the
 * engine model is tested against, itself checked by finite differences and by exact normalisation. The frame LSTM is
 * an {@link LstmReference} without read-out; the note LSTM, the contexts and the masked softmax are written out here:
 * <pre>
 *   d_t = hF_t mF_t;  gC = d_t Wc;  yC = d_t Wyc + v_{t-1} Wvy + by
 *   z^0_k = Nx0[prev_k] + Nx0[n + 1 + min(k, P - 1)] + gC + nb0 + h^0_{k-1} Nh0;  z^l_k = h^{l-1}_k Nx_l + nb_l + h^l_{k-1} Nh_l
 *   logits_k = (h^top_k mN_k) Wy + yC;  log p(token_k) = logits_k[token_k] - log sum over the allowed tokens of exp(logits_k)
 * </pre>
 * where the allowed tokens after a note p are the notes above p and END, after START every note and END.
 */
public final class NoteReference {
    public final int n, classes, in0;
    public final int[] hf, hn;
    public final LstmReference frame;
    public final double[][] nx, nh, nb;
    public final double[] wc, wyc, wvy, wy, by;

    /** Dropout multipliers: the frame LSTM's output j at frame t of tune s, the note LSTM's output j at its token k. */
    public interface Masks {
        double frame(int s, int t, int j);

        double note(int s, int t, int k, int j);

        Masks NONE = new Masks() {
            @Override public double frame(int s, int t, int j) { return 1; }

            @Override public double note(int s, int t, int k, int j) { return 1; }
        };
    }

    public NoteReference(int n, int[] hf, int[] hn) {
        this.n = n;
        this.classes = n + 1;
        this.in0 = n + 1 + NoteLayout.POSITIONS;
        this.hf = hf.clone();
        this.hn = hn.clone();
        frame = new LstmReference(n, hf, 0);
        int layers = hn.length;
        nx = new double[layers][];
        nh = new double[layers][];
        nb = new double[layers][];
        for (int l = 0; l < layers; l++) {
            int in = l == 0 ? in0 : hn[l - 1];
            nx[l] = new double[in * 4 * hn[l]];
            nh[l] = new double[hn[l] * 4 * hn[l]];
            nb[l] = new double[4 * hn[l]];
        }
        int top = hf[hf.length - 1];
        wc = new double[top * 4 * hn[0]];
        wyc = new double[top * classes];
        wvy = new double[n * classes];
        wy = new double[hn[layers - 1] * classes];
        by = new double[classes];
    }

    /** The parameters in {@link NoteModel#paramNames} order. */
    public List<double[]> params() {
        List<double[]> all = new ArrayList<>();
        for (int l = 0; l < hf.length; l++) all.addAll(List.of(frame.wx[l], frame.wh[l], frame.b[l]));
        for (int l = 0; l < hn.length; l++) all.addAll(List.of(nx[l], nh[l], nb[l]));
        all.addAll(List.of(wc, wyc, wvy, wy, by));
        return all;
    }

    /** Every parameter uniform in [-scale, scale), rounded to float so that an engine model can hold the same values. */
    public void randomize(SplittableRandom r, double scale) {
        for (double[] a : params()) for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(-scale, scale);
    }

    /** log P(v_t | v_&lt;t) of every frame of a tune, without dropout. */
    public double[] logProbs(int[][] tune) {
        double[] out = new double[tune.length];
        run(tune, 0, Masks.NONE, 0, out, null);
        return out;
    }

    /** The loss scale * sum over the tunes' frames of -log P(v_t | v_&lt;t), and its gradient (params() order). */
    public record Result(double loss, List<double[]> grads) {}

    /** The loss and its gradient by backpropagation through whole tunes, with the given dropout multipliers. */
    public Result lossAndGrads(List<int[][]> tunes, Masks masks, double scale) {
        List<double[]> g = new ArrayList<>();
        for (double[] a : params()) g.add(new double[a.length]);
        double loss = 0;
        for (int s = 0; s < tunes.size(); s++) {
            double[] lp = new double[tunes.get(s).length];
            run(tunes.get(s), s, masks, scale, lp, g);
            for (double v : lp) loss -= scale * v;
        }
        return new Result(loss, g);
    }

    /** One tune: log-probabilities into logP; with g not null, also the gradient of -scale sum logP added into g. */
    private void run(int[][] tune, int s, Masks masks, double scale, double[] logP, List<double[]> g) {
        int steps = tune.length, top = hf[hf.length - 1];
        double[] x = new double[steps * n];                      // (1, T, n): the previous frames
        for (int t = 1; t < steps; t++) for (int j : tune[t - 1]) x[t * n + j] = 1;
        double[] hF = frame.hiddenTop(x, 1, steps);              // (T, HF)
        double[] dhF = new double[steps * top];
        for (int t = 0; t < steps; t++) {
            NoteLayout.check(tune[t], n);
            double[] d = new double[top], u = new double[n];
            for (int j = 0; j < top; j++) d[j] = hF[t * top + j] * masks.frame(s, t, j);
            System.arraycopy(x, t * n, u, 0, n);
            double[] dd = frameStep(tune[t], d, u, s, t, masks, scale, g, logP);
            if (dd != null) for (int j = 0; j < top; j++) dhF[t * top + j] = dd[j] * masks.frame(s, t, j);
        }
        if (g == null) return;
        LstmReference.Grads fg = frame.gradsFromTop(x, 1, steps, dhF);
        for (int l = 0; l < hf.length; l++) {
            add(g.get(3 * l), fg.wx[l]);
            add(g.get(3 * l + 1), fg.wh[l]);
            add(g.get(3 * l + 2), fg.b[l]);
        }
    }

    /**
     * One frame given its context d (the frame LSTM's dropped-out output) and u (the previous frame): adds its log
     * probability to logP[t]; with g, accumulates the gradients of the note part and returns d loss / d d.
     */
    private double[] frameStep(int[] notes, double[] d, double[] u, int s, int t, Masks masks, double scale, List<double[]> g, double[] logP) {
        int top = d.length, layers = hn.length, tokens = notes.length + 1, g0 = 4 * hn[0], htop = hn[layers - 1];
        double[] gC = new double[g0], yC = by.clone();
        for (int p = 0; p < top; p++) {
            for (int q = 0; q < g0; q++) gC[q] += d[p] * wc[p * g0 + q];
            for (int q = 0; q < classes; q++) yC[q] += d[p] * wyc[p * classes + q];
        }
        for (int p = 0; p < n; p++) if (u[p] != 0) for (int q = 0; q < classes; q++) yC[q] += u[p] * wvy[p * classes + q];
        // forward through the tokens, keeping gates, c, h per layer and token
        double[][][] gates = new double[layers][tokens][], c = new double[layers][tokens][], h = new double[layers][tokens][];
        double[][] e = new double[tokens][], p = new double[tokens][];
        for (int k = 0; k < tokens; k++) {
            int prev = k == 0 ? n : notes[k - 1], target = k < notes.length ? notes[k] : n;
            for (int l = 0; l < layers; l++) {
                int hl = hn[l], g4 = 4 * hl;
                double[] z = nb[l].clone();
                if (l == 0) {
                    int pos = classes + Math.min(k, NoteLayout.POSITIONS - 1);
                    for (int q = 0; q < g4; q++) z[q] += nx[0][prev * g4 + q] + nx[0][pos * g4 + q] + gC[q];
                } else {
                    for (int a = 0; a < hn[l - 1]; a++) for (int q = 0; q < g4; q++) z[q] += h[l - 1][k][a] * nx[l][a * g4 + q];
                }
                if (k > 0) for (int a = 0; a < hl; a++) for (int q = 0; q < g4; q++) z[q] += h[l][k - 1][a] * nh[l][a * g4 + q];
                gates[l][k] = new double[g4];
                c[l][k] = new double[hl];
                h[l][k] = new double[hl];
                for (int j = 0; j < hl; j++) {
                    double i = sigmoid(z[j]), f = sigmoid(z[hl + j]), gg = Math.tanh(z[2 * hl + j]), o = sigmoid(z[3 * hl + j]);
                    double cPrev = k > 0 ? c[l][k - 1][j] : 0;
                    c[l][k][j] = f * cPrev + i * gg;
                    h[l][k][j] = o * Math.tanh(c[l][k][j]);
                    gates[l][k][j] = i;
                    gates[l][k][hl + j] = f;
                    gates[l][k][2 * hl + j] = gg;
                    gates[l][k][3 * hl + j] = o;
                }
            }
            e[k] = new double[htop];
            for (int j = 0; j < htop; j++) e[k][j] = h[layers - 1][k][j] * masks.note(s, t, k, j);
            double[] logits = yC.clone();
            for (int a = 0; a < htop; a++) for (int q = 0; q < classes; q++) logits[q] += e[k][a] * wy[a * classes + q];
            double mx = Double.NEGATIVE_INFINITY, sum = 0;
            for (int q = 0; q < classes; q++) if (allowed(prev, q)) mx = Math.max(mx, logits[q]);
            for (int q = 0; q < classes; q++) if (allowed(prev, q)) sum += Math.exp(logits[q] - mx);
            p[k] = new double[classes];
            for (int q = 0; q < classes; q++) if (allowed(prev, q)) p[k][q] = Math.exp(logits[q] - mx) / sum;
            logP[t] += logits[target] - mx - Math.log(sum);
        }
        if (g == null) return null;
        // backward: the read-out, then BPTT through the note layers from the top
        int base = 3 * hf.length;
        double[] gWc = g.get(base + 3 * layers), gWyc = g.get(base + 3 * layers + 1), gWvy = g.get(base + 3 * layers + 2);
        double[] gWy = g.get(base + 3 * layers + 3), gBy = g.get(base + 3 * layers + 4);
        double[] dyC = new double[classes], dgC = new double[g0];
        double[][] dh = new double[tokens][];
        for (int k = 0; k < tokens; k++) {
            int target = k < notes.length ? notes[k] : n;
            double[] dl = new double[classes];
            for (int q = 0; q < classes; q++) dl[q] = scale * (p[k][q] - (q == target ? 1 : 0));   // 0 where barred
            dh[k] = new double[htop];
            for (int q = 0; q < classes; q++) {
                dyC[q] += dl[q];
                for (int a = 0; a < htop; a++) {
                    gWy[a * classes + q] += e[k][a] * dl[q];
                    dh[k][a] += dl[q] * wy[a * classes + q] * masks.note(s, t, k, a);
                }
            }
        }
        for (int l = layers - 1; l >= 0; l--) {
            int hl = hn[l], g4 = 4 * hl, in = l == 0 ? in0 : hn[l - 1];
            double[] gNx = g.get(base + 3 * l), gNh = g.get(base + 3 * l + 1), gNb = g.get(base + 3 * l + 2);
            double[][] dBelow = new double[tokens][in];
            double[] dhNext = new double[hl], dcNext = new double[hl];
            for (int k = tokens - 1; k >= 0; k--) {
                double[] dz = new double[g4];
                for (int j = 0; j < hl; j++) {
                    double i = gates[l][k][j], f = gates[l][k][hl + j], gg = gates[l][k][2 * hl + j], o = gates[l][k][3 * hl + j];
                    double tc = Math.tanh(c[l][k][j]), cPrev = k > 0 ? c[l][k - 1][j] : 0;
                    double dhj = dh[k][j] + dhNext[j], dc = dcNext[j] + dhj * o * (1 - tc * tc);
                    dz[j] = dc * gg * i * (1 - i);
                    dz[hl + j] = dc * cPrev * f * (1 - f);
                    dz[2 * hl + j] = dc * i * (1 - gg * gg);
                    dz[3 * hl + j] = dhj * tc * o * (1 - o);
                    dcNext[j] = dc * f;
                }
                java.util.Arrays.fill(dhNext, 0);
                for (int q = 0; q < g4; q++) {
                    gNb[q] += dz[q];
                    if (k > 0) {
                        for (int a = 0; a < hl; a++) {
                            gNh[a * g4 + q] += h[l][k - 1][a] * dz[q];
                            dhNext[a] += dz[q] * nh[l][a * g4 + q];
                        }
                    }
                    if (l == 0) {
                        int prev = k == 0 ? n : notes[k - 1], pos = classes + Math.min(k, NoteLayout.POSITIONS - 1);
                        gNx[prev * g4 + q] += dz[q];
                        gNx[pos * g4 + q] += dz[q];
                        dgC[q] += dz[q];
                    } else {
                        for (int a = 0; a < in; a++) {
                            gNx[a * g4 + q] += h[l - 1][k][a] * dz[q];
                            dBelow[k][a] += dz[q] * nx[l][a * g4 + q];
                        }
                    }
                }
            }
            dh = dBelow;
        }
        double[] dd = new double[top];
        for (int a = 0; a < top; a++) {
            for (int q = 0; q < g0; q++) {
                gWc[a * g0 + q] += d[a] * dgC[q];
                dd[a] += dgC[q] * wc[a * g0 + q];
            }
            for (int q = 0; q < classes; q++) {
                gWyc[a * classes + q] += d[a] * dyC[q];
                dd[a] += dyC[q] * wyc[a * classes + q];
            }
        }
        for (int a = 0; a < n; a++) if (u[a] != 0) for (int q = 0; q < classes; q++) gWvy[a * classes + q] += u[a] * dyC[q];
        for (int q = 0; q < classes; q++) gBy[q] += dyC[q];
        return dd;
    }

    /** Whether token q may follow token prev within a frame: END always, a note only above the previous note. */
    static boolean allowed(int prev, int q, int n) {
        return q == n || prev == n || q > prev;
    }

    private boolean allowed(int prev, int q) {
        return allowed(prev, q, n);
    }

    private static void add(double[] into, double[] a) {
        for (int i = 0; i < a.length; i++) into[i] += a[i];
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
