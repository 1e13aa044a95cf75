package dev.tessitura.model.notes;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.Init;
import dev.tessitura.model.Sizes;
import dev.tessitura.model.lstm.Lstm;
import java.util.ArrayList;
import java.util.List;

/**
 * The note-by-note model: an exact, normalised distribution over frames given the past, frame by frame, each frame
 * as its notes in ascending pitch then END (Walder 2016's stream), with a two-level recurrence.
 * <pre>
 *   hF_t = FrameLSTM(v_{t-1}, ...)                                      (HF)   v_{-1} = 0: the first frame is predicted too
 *   gC_t = (hF_t mF) Wc                                                 (4 HN_0)  context of the note LSTM's gates
 *   yC_t = (hF_t mF) Wyc + v_{t-1} Wvy + by                             (n + 1)   context of its read-out
 *   token k of frame t: x = onehot(prev) ++ onehot(min(k, P - 1))       prev = the previous note, START (= n) for k = 0
 *   z^0_k = x Nx0 + gC_t + nb0 + h^0_{k-1} Nh0;  z^l_k = h^{l-1}_k Nx_l + nb_l + h^l_{k-1} Nh_l   (h_{-1} = c_{-1} = 0)
 *   logits_k = (h^top_k mN) Wy + yC_t + mask(prev)                      (n + 1)   mask: -1e9 at every pitch <= prev
 *   P(v_t | v_&lt;t) = prod_k softmax(logits_k)[token k]
 * </pre>
 * mF, mN are inverted-dropout masks in training and 1 otherwise. A masked logit's exp is exactly 0, so each token's
 * softmax is over the pitches above the previous note and END, and the frame probabilities sum to 1 over all 2^n
 * frames (a note at the top leaves only END, so every frame ends). {@link NoteReference} is the same model in float64.
 *
 * <p>Per frame the frame LSTM takes one step and the note LSTM one per token (4.96 on average on Nottingham); its
 * steps run over all the minibatch's frames at once ({@link NoteLayout}), so a chunk of T frames is T steps of B
 * rows plus about ten steps of all T B frames, instead of Walder's 5 T steps of B rows.
 *
 * <p>All parameters live in one tensor: the frame LSTM's block ({@link Lstm}'s layout, no read-out), then per note
 * layer Nx_l (in_l, 4HN_l), Nh_l (HN_l, 4HN_l), nb_l (4HN_l) with in_0 = n + 1 + P, then Wc (HF, 4HN_0), Wyc (HF, n+1),
 * Wvy (n, n+1), Wy (HN_top, n+1), by (n+1); the gradients in a second of the same layout.
 */
public final class NoteModel {
    static final int P = NoteLayout.POSITIONS;
    /** The logit of a barred token: its exp underflows to exactly 0 next to any allowed one. */
    static final float BARRED = -1e9f;

    final Backend be;
    final int n, classes, in0;
    final int[] hf, hn;
    public final Tensor params, grads;
    final Lstm frame;
    final Tensor[] nx, nh, nb, gNx, gNh, gNb;
    final Tensor wc, wyc, wvy, wy, by, gWc, gWyc, gWvy, gWy, gBy;
    // tables gathered by index: inputs ((n+1) P, in0), masks (n+1, n+1), one-hot targets (n+1, n+1)
    final Tensor inputTable, maskTable, targetTable;

    public NoteModel(Backend backend, int n, int[] frameHidden, int[] noteHidden) {
        this.be = backend;
        this.n = n;
        this.classes = n + 1;
        this.in0 = n + 1 + P;
        this.hf = frameHidden.clone();
        this.hn = noteHidden.clone();
        int total = Sizes.parameters(be, "note-lstm", size(n, hf, hn));
        params = be.zeros(total);
        grads = be.zeros(total);
        long f = Lstm.size(n, hf, 0);
        frame = new Lstm(be, n, hf, 0, false, params.view(0, (int) f), grads.view(0, (int) f));
        int layers = hn.length;
        nx = new Tensor[layers]; nh = new Tensor[layers]; nb = new Tensor[layers];
        gNx = new Tensor[layers]; gNh = new Tensor[layers]; gNb = new Tensor[layers];
        long[] at = {f};
        for (int l = 0; l < layers; l++) {
            int in = l == 0 ? in0 : hn[l - 1], g4 = 4 * hn[l];
            nx[l] = view(params, at, in, g4); gNx[l] = view(grads, at, in, g4); at[0] += (long) in * g4;
            nh[l] = view(params, at, hn[l], g4); gNh[l] = view(grads, at, hn[l], g4); at[0] += (long) hn[l] * g4;
            nb[l] = view(params, at, 1, g4).reshape(g4); gNb[l] = view(grads, at, 1, g4).reshape(g4); at[0] += g4;
        }
        int top = hf[hf.length - 1], g0 = 4 * hn[0];
        wc = view(params, at, top, g0); gWc = view(grads, at, top, g0); at[0] += (long) top * g0;
        wyc = view(params, at, top, classes); gWyc = view(grads, at, top, classes); at[0] += (long) top * classes;
        wvy = view(params, at, n, classes); gWvy = view(grads, at, n, classes); at[0] += (long) n * classes;
        wy = view(params, at, hn[layers - 1], classes); gWy = view(grads, at, hn[layers - 1], classes); at[0] += (long) hn[layers - 1] * classes;
        by = view(params, at, 1, classes).reshape(classes); gBy = view(grads, at, 1, classes).reshape(classes);
        float[] input = new float[classes * P * in0], mask = new float[classes * classes], target = new float[classes * classes];
        for (int prev = 0; prev < classes; prev++) {
            for (int k = 0; k < P; k++) {
                int row = NoteLayout.inputRow(prev, k);
                input[row * in0 + prev] = 1f;
                input[row * in0 + classes + k] = 1f;
            }
            if (prev < n) for (int j = 0; j <= prev; j++) mask[prev * classes + j] = BARRED;   // START (= n) bars nothing
            target[prev * classes + prev] = 1f;
        }
        inputTable = be.of(input, classes * P, in0);
        maskTable = be.of(mask, classes, classes);
        targetTable = be.of(target, classes, classes);
    }

    private static Tensor view(Tensor t, long[] at, int rows, int cols) {
        return t.view(at[0], rows, cols);
    }

    /** The number of parameters of a model of these sizes. */
    public static long size(int n, int[] hf, int[] hn) {
        long total = Lstm.size(n, hf, 0);
        for (int l = 0; l < hn.length; l++) {
            int in = l == 0 ? n + 1 + P : hn[l - 1], g4 = 4 * hn[l];
            total += (long) in * g4 + (long) hn[l] * g4 + g4;
        }
        int top = hf[hf.length - 1], classes = n + 1;
        return total + (long) top * 4 * hn[0] + (long) top * classes + (long) n * classes + (long) hn[hn.length - 1] * classes + classes;
    }

    /**
     * Every weight ~ N(0, std^2) from Philox stream (seed, 0) over the whole parameter tensor ({@link Init#normal});
     * every bias 0 but the forget gates' of both LSTMs, {@code forgetBias}.
     */
    public void init(double std, long seed, float forgetBias) {
        Init.normal(be, params, std, seed);
        for (int l = 0; l < hf.length; l++) {
            Tensor b = frame.param("b" + l);
            be.fill(b, 0f);
            be.fill(b.view(hf[l], hf[l]), forgetBias);
        }
        for (int l = 0; l < hn.length; l++) {
            be.fill(nb[l], 0f);
            be.fill(nb[l].view(hn[l], hn[l]), forgetBias);
        }
        be.fill(by, 0f);
    }

    /** The parameter names, in storage order: frame.Wx0, frame.Wh0, frame.b0, ..., note.Wx0, note.Wh0, note.b0, ..., Wc, Wyc, Wvy, Wy, by. */
    public List<String> paramNames() {
        List<String> names = new ArrayList<>();
        for (String s : frame.paramNames()) names.add("frame." + s);
        for (int l = 0; l < hn.length; l++) names.addAll(List.of("note.Wx" + l, "note.Wh" + l, "note.b" + l));
        names.addAll(List.of("Wc", "Wyc", "Wvy", "Wy", "by"));
        return names;
    }

    public Tensor param(String name) {
        return named(name, false);
    }

    public Tensor grad(String name) {
        return named(name, true);
    }

    private Tensor named(String name, boolean grad) {
        if (name.startsWith("frame.")) return grad ? frame.grad(name.substring(6)) : frame.param(name.substring(6));
        switch (name) {
            case "Wc": return grad ? gWc : wc;
            case "Wyc": return grad ? gWyc : wyc;
            case "Wvy": return grad ? gWvy : wvy;
            case "Wy": return grad ? gWy : wy;
            case "by": return grad ? gBy : by;
            default: break;
        }
        for (int l = 0; l < hn.length; l++) {
            if (name.equals("note.Wx" + l)) return grad ? gNx[l] : nx[l];
            if (name.equals("note.Wh" + l)) return grad ? gNh[l] : nh[l];
            if (name.equals("note.b" + l)) return grad ? gNb[l] : nb[l];
        }
        throw new IllegalArgumentException("note-lstm: no parameter " + name);
    }

    public int notes() { return n; }

    public int[] frameHidden() { return hf.clone(); }

    public int[] noteHidden() { return hn.clone(); }

    // ---------------------------------------------------------------- the note LSTM, shared by training and sampling

    /** Context of m frames: gC = hF Wc (m, 4HN_0); yC = hF Wyc + u Wvy + by (m, n+1); hF (m, HF), u (m, n). */
    void context(Tensor gC, Tensor yC, Tensor hF, Tensor u) {
        be.gemm(gC, hF, false, wc, false, 1f, 0f);
        be.gemm(yC, hF, false, wyc, false, 1f, 0f);
        be.gemm(yC, u, false, wvy, false, 1f, 1f);
        be.addRowVector(yC, yC, by);
    }

    /** Backward of {@link #context}: accumulates the weights' gradients; dhF (m, HF) = dgC Wc^T + dyC Wyc^T. */
    void contextBackward(Tensor dhF, Tensor dgC, Tensor dyC, Tensor hF, Tensor u) {
        be.gemm(gWc, hF, true, dgC, false, 1f, 1f);
        be.gemm(gWyc, hF, true, dyC, false, 1f, 1f);
        be.gemm(gWvy, u, true, dyC, false, 1f, 1f);
        be.columnSums(gBy, dyC, 1f, 1f);
        be.gemm(dhF, dgC, false, wc, true, 1f, 0f);
        be.gemm(dhF, dyC, false, wyc, true, 1f, 1f);
    }

    /**
     * One token step of note layer l over m rows: z (m, 4H) holds the input's share (x Nx_l + nb_l, and gC for layer
     * 0) on entry; z += hPrev Nh_l unless hPrev is null (k = 0), then the cell writes h, c (m, H) from cPrev (or 0).
     */
    void noteStep(int l, Tensor h, Tensor c, Tensor z, Tensor hPrev, Tensor cPrev) {
        if (hPrev != null) be.gemm(z, hPrev, false, nh[l], false, 1f, 1f);
        be.lstmCell(h, c, z, cPrev);
    }

    /** z (m, 4HN_l) = in Nx_l + nb_l for in (m, in_l): a layer's input share of every row at once. */
    void noteInput(int l, Tensor z, Tensor in) {
        be.gemm(z, in, false, nx[l], false, 1f, 0f);
        be.addRowVector(z, z, nb[l]);
    }

    /** Fills dst (m, keep.cols) with an inverted-dropout mask: 1 / keep with probability keep, else 0. */
    void dropoutMask(Tensor dst, Tensor keepProbability, float keep, Rng rng) {
        be.bernoulli(dst, keepProbability, rng);
        be.scale(dst, 1f / keep);
    }
}
