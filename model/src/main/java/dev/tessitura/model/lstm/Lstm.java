package dev.tessitura.model.lstm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.Init;
import dev.tessitura.model.Sizes;

/**
 * A stack of LSTM layers over piano-roll frames predicting the next frame with independent sigmoid outputs
 * (cross-entropy), on any backend. The same equations as {@link LstmReference}, which tests this class.
 *
 * <p>Data are time-major: a minibatch of B sequences of T steps is x (T, B, nIn), so that step t is the contiguous
 * block of rows [t B, (t + 1) B). That lets the input projection of all steps be one GEMM, z = x Wx + b over T B rows;
 * only h_{t-1} Wh and the cell are done step by step, in one backend op per layer ({@link Backend#lstmForward}). The
 * backward pass mirrors it: per step the fused cell backward and dh_{t-1} += dz_t Wh^T ({@link Backend#lstmBackward}),
 * then dWx, dWh and db for all steps in one GEMM each.
 *
 * <p>All parameters live in one tensor (views Wx[l] (in_l, 4H_l), Wh[l] (H_l, 4H_l), b[l] (4H_l), Wy (H_top, nOut),
 * by (nOut)), the gradients in a second of the same layout, so an optimizer step or a checkpoint is one loop.
 *
 * <p>With {@code skip} (Graves 2013; Ip's RNN4Music option) the input also feeds every layer above the first, through
 * Wi[l] (nIn, 4H_l), and every layer below the top also feeds the read-out, through Wy{l} (H_l, nOut): each layer is
 * then one product away from both the data and the loss (see {@link LstmReference}). Layout per layer Wx, Wi, Wh,
 * b; then Wy0 .. Wy{top-1}, Wy, by. Without a read-out (nOut = 0) the caller reads every layer's h itself
 * ({@link #layerOutput}, {@link #backwardFromLayers}), as the LSTM-NADE's bias maps do.
 */
public final class Lstm {
    public final int nIn, nOut;
    private final int[] hidden;
    private final Backend be;
    /** All parameters, and their gradients in the same layout. */
    public final Tensor params, grads;
    private final Tensor[] wx, wh, b, gWx, gWh, gB;
    private final Tensor wy, by, gWy, gBy;
    private final boolean skip;
    private final Tensor[] wi, gWi, wyl, gWyl;   // skip connections (null where absent)
    // Wx^T (4H_l, in_l), formed in each backward pass: the product dh_below = dz Wx^T then reads it in place
    // instead of as a transposed operand
    private final Tensor[] wxT;

    // workspace for one (T, B), reallocated when the shape changes
    private int steps = -1, batch = -1;
    private Tensor[] z, c, h;        // per layer: z (T B, 4H) gate activations; c, h (T B, H)
    private Tensor logits, dLogits;  // (T B, nOut)
    private Tensor yLogits;          // (T B, nOut) scratch of the loss: y * logits
    private Tensor dz;               // (T B, 4H_max) for the layer being differentiated
    private Tensor dhA, dhB;         // (T B, H_max): gradient of the current layer's h, and of the layer below's
    private Tensor dc;               // (B, H_max)
    // carried state: h and c of the last step of the previous minibatch, per layer (B, H)
    private Tensor[] h0, c0;
    private boolean hasState, fromState;
    private Tensor x;                // the last forward's input (T B, nIn)

    public Lstm(Backend backend, int nIn, int[] hidden, int nOut) {
        this(backend, nIn, hidden, nOut, false, null, null);
    }

    /** A stack with or without the skip connections (see the class comment). */
    public Lstm(Backend backend, int nIn, int[] hidden, int nOut, boolean skip) {
        this(backend, nIn, hidden, nOut, skip, null, null);
    }

    /** A stack without skip connections whose parameters live in the given tensors (see the full constructor). */
    public Lstm(Backend backend, int nIn, int[] hidden, int nOut, Tensor params, Tensor grads) {
        this(backend, nIn, hidden, nOut, false, params, grads);
    }

    /**
     * A stack whose parameters and gradients live in the given tensors of {@link #size} elements (views into a
     * larger model's storage, as in the LSTM-RBM), or in new ones where they are null. nOut = 0: no read-out; use
     * {@link #forwardHidden} and {@link #backwardFromHidden}.
     */
    public Lstm(Backend backend, int nIn, int[] hidden, int nOut, boolean skip, Tensor params, Tensor grads) {
        if (hidden.length == 0) throw new IllegalArgumentException("lstm: at least one layer");
        for (int hn : hidden) if (hn < 1) throw new IllegalArgumentException("lstm: layer sizes must be >= 1, got " + java.util.Arrays.toString(hidden));
        this.be = backend;
        this.nIn = nIn;
        this.hidden = hidden.clone();
        this.nOut = nOut;
        this.skip = skip;
        int layers = hidden.length;
        long total = size(nIn, hidden, nOut, skip);
        this.params = params != null ? params : be.zeros(Sizes.parameters(be, "lstm", total));
        this.grads = grads != null ? grads : be.zeros(Sizes.parameters(be, "lstm", total));
        if (this.params.size() != total || this.grads.size() != total) {
            throw new IllegalArgumentException("lstm: parameters need " + total + " elements, got " + this.params.size() + " and " + this.grads.size());
        }
        wx = new Tensor[layers]; wh = new Tensor[layers]; b = new Tensor[layers];
        gWx = new Tensor[layers]; gWh = new Tensor[layers]; gB = new Tensor[layers];
        wxT = new Tensor[layers];
        wi = new Tensor[layers]; gWi = new Tensor[layers]; wyl = new Tensor[layers]; gWyl = new Tensor[layers];
        long at = 0;
        for (int l = 0; l < layers; l++) {
            int in = inputSize(l), hn = hidden[l], g4 = 4 * hn;
            wx[l] = this.params.view(at, in, g4); gWx[l] = this.grads.view(at, in, g4); at += (long) in * g4;
            if (skip && l > 0) {
                wi[l] = this.params.view(at, nIn, g4); gWi[l] = this.grads.view(at, nIn, g4); at += (long) nIn * g4;
            }
            wh[l] = this.params.view(at, hn, g4); gWh[l] = this.grads.view(at, hn, g4); at += (long) hn * g4;
            b[l] = this.params.view(at, g4); gB[l] = this.grads.view(at, g4); at += g4;
            wxT[l] = l > 0 ? be.zeros(g4, in) : null;   // layer 0 passes no gradient to the data
        }
        for (int l = 0; skip && nOut > 0 && l < layers - 1; l++) {
            wyl[l] = this.params.view(at, hidden[l], nOut); gWyl[l] = this.grads.view(at, hidden[l], nOut); at += (long) hidden[l] * nOut;
        }
        int top = hidden[layers - 1];
        wy = this.params.view(at, top, nOut); gWy = this.grads.view(at, top, nOut); at += (long) top * nOut;
        by = this.params.view(at, nOut); gBy = this.grads.view(at, nOut);
    }

    /** The number of parameters of a stack: per layer Wx, Wh, b; then Wy and by. */
    public static long size(int nIn, int[] hidden, int nOut) {
        return size(nIn, hidden, nOut, false);
    }

    /** As {@link #size(int, int[], int)}, with the skip connections' Wi and Wy{l} where {@code skip}. */
    public static long size(int nIn, int[] hidden, int nOut, boolean skip) {
        long total = 0;
        for (int l = 0; l < hidden.length; l++) {
            int in = l == 0 ? nIn : hidden[l - 1], g4 = 4 * hidden[l];
            total += (long) in * g4 + (long) hidden[l] * g4 + g4;
            if (skip && l > 0) total += (long) nIn * g4;
            if (skip && l < hidden.length - 1) total += (long) hidden[l] * nOut;
        }
        return total + (long) hidden[hidden.length - 1] * nOut + nOut;
    }

    /** Whether the input feeds every layer and every layer the read-out. */
    public boolean skip() { return skip; }

    public int layers() { return hidden.length; }

    /** Offset and length, in {@link #params}, of layer l's block (Wx, Wh, b); l = layers() is the read-out (Wy, by). */
    public long[] block(int l) {
        Tensor first = l < layers() ? wx[l] : skip && layers() > 1 ? wyl[0] : wy, last = l < layers() ? b[l] : by;
        return new long[] {first.offset() - params.offset(), last.offset() + last.size() - first.offset()};
    }
    public int hidden(int l) { return hidden[l]; }
    private int inputSize(int l) { return l == 0 ? nIn : hidden[l - 1]; }

    /** The parameter names, in storage order: Wx0, Wh0, b0, Wx1, (Wi1,) ..., (Wy0, ...,) Wy, by. */
    public java.util.List<String> paramNames() {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (int l = 0; l < layers(); l++) {
            names.add("Wx" + l);
            if (wi[l] != null) names.add("Wi" + l);
            names.addAll(java.util.List.of("Wh" + l, "b" + l));
        }
        for (int l = 0; l < layers(); l++) if (wyl[l] != null) names.add("Wy" + l);
        if (nOut > 0) names.addAll(java.util.List.of("Wy", "by"));
        return names;
    }

    /** Views of the parameters by name, for tests and checkpoints: "Wx0", "Wh0", "b0", ..., "Wy", "by". */
    public Tensor param(String name) {
        return named(name, false);
    }

    public Tensor grad(String name) {
        return named(name, true);
    }

    private Tensor named(String name, boolean grad) {
        if (name.equals("Wy")) return grad ? gWy : wy;
        if (name.equals("by")) return grad ? gBy : by;
        String digits = name.replaceAll("\\D", "");
        int l = digits.isEmpty() || digits.length() > 6 ? -1 : Integer.parseInt(digits);
        Tensor t = l < 0 || l >= layers() ? null
                : name.equals("Wx" + l) ? (grad ? gWx : wx)[l] : name.equals("Wi" + l) ? (grad ? gWi : wi)[l]
                : name.equals("Wh" + l) ? (grad ? gWh : wh)[l] : name.equals("b" + l) ? (grad ? gB : b)[l]
                : name.equals("Wy" + l) ? (grad ? gWyl : wyl)[l] : null;
        if (t == null) throw new IllegalArgumentException("lstm: no parameter " + name);
        return t;
    }

    /** Every weight ~ N(0, std^2) from Philox stream (seed, 0) by Box-Muller; biases 0 (Ip's RNN4Music: std 0.1). */
    public void initNormal(double std, long seed) {
        initNormal(std, seed, 0f);
    }

    /**
     * As {@link #initNormal(double, long)}, with the forget gates' biases (the block [H, 2H) of each b) set to
     * {@code forgetBias}: 1 keeps the cells remembering from the start, so gradients reach back in time early in
     * training (Gers, Schmidhuber and Cummins 2000; Jozefowicz, Zaremba and Sutskever 2015).
     */
    public void initNormal(double std, long seed, float forgetBias) {
        Init.normal(be, params, std, seed);
        for (int l = 0; l < layers(); l++) {
            be.fill(b[l], 0f);
            be.fill(b[l].view(hidden[l], hidden[l]), forgetBias);
        }
        be.fill(by, 0f);
    }

    private void workspace(int t, int bs) {
        if (t == steps && bs == batch) return;
        steps = t;
        batch = bs;
        int rows = t * bs, hMax = 0;
        z = new Tensor[layers()]; c = new Tensor[layers()]; h = new Tensor[layers()];
        h0 = new Tensor[layers()]; c0 = new Tensor[layers()];
        for (int l = 0; l < layers(); l++) {
            int hn = hidden[l];
            hMax = Math.max(hMax, hn);
            z[l] = be.zeros(rows, 4 * hn);
            c[l] = be.zeros(rows, hn);
            h[l] = be.zeros(rows, hn);
            h0[l] = be.zeros(bs, hn);
            c0[l] = be.zeros(bs, hn);
        }
        hasState = false;
        if (nOut > 0) {
            logits = be.zeros(rows, nOut);
            dLogits = be.zeros(rows, nOut);
            yLogits = be.zeros(rows, nOut);
        }
        dz = be.zeros(rows * 4 * hMax);
        dhA = be.zeros(rows * hMax);
        dhB = be.zeros(rows * hMax);
        dc = be.zeros(bs * hMax);
    }

    /** Forgets the carried state: the next minibatch starts from h_0 = c_0 = 0. */
    public void resetState() {
        hasState = false;
    }

    /**
     * Forward pass over x (T, B, nIn); returns the logits (T B, nOut), valid until the next call. With
     * {@code carry}, the minibatch continues the sequences of the previous one of the same shape: its last h and c
     * are this one's h_0 and c_0, and no gradient flows back into it (truncated BPTT).
     */
    public Tensor forward(Tensor x, int t, int bs, boolean carry) {
        return forward(x, t, bs, carry, NONE);
    }

    /** As {@link #forward(Tensor, int, int, boolean)}, with the rows in {@code fresh} starting from h_0 = c_0 = 0. */
    public Tensor forward(Tensor x, int t, int bs, boolean carry, int[] fresh) {
        if (nOut == 0) throw new IllegalStateException("lstm: no read-out (nOut = 0); use forwardHidden");
        Tensor in = forwardHidden(x, t, bs, carry, fresh);
        be.gemm(logits, in, false, wy, false, 1f, 0f);                // y^ = h_top Wy + by
        for (int l = 0; l < layers() - 1 && skip; l++) be.gemm(logits, h[l], false, wyl[l], false, 1f, 1f);   // + h^l Wy{l}
        be.addRowVector(logits, logits, by);
        return logits;
    }

    /**
     * The stack alone over x (T, B, nIn) (see {@link #forward}); returns the top layer's h (T B, H_top), valid
     * until the next call.
     */
    public Tensor forwardHidden(Tensor x, int t, int bs, boolean carry) {
        return forwardHidden(x, t, bs, carry, NONE);
    }

    /**
     * As {@link #forwardHidden(Tensor, int, int, boolean)}; with {@code carry}, the rows listed in {@code fresh} (a new
     * sequence starting there) restart from h_0 = c_0 = 0 while the others continue.
     */
    public Tensor forwardHidden(Tensor x, int t, int bs, boolean carry, int[] fresh) {
        if (x.size() != (long) t * bs * nIn) {
            throw new IllegalArgumentException("lstm: x " + x + " is not (" + t + ", " + bs + ", " + nIn + ")");
        }
        for (int r : fresh) {
            if (r < 0 || r >= bs) throw new IllegalArgumentException("lstm: fresh row " + r + " outside batch " + bs);
        }
        workspace(t, bs);
        this.x = x.reshape(t * bs, nIn);
        fromState = carry && hasState;
        if (fromState) {
            for (int l = 0; l < layers(); l++) {                     // the previous minibatch's last step
                be.copy(h0[l], rows(h[l], t - 1, bs));
                be.copy(c0[l], rows(c[l], t - 1, bs));
                for (int r : fresh) {
                    be.fill(h0[l].slice(r, r + 1), 0f);
                    be.fill(c0[l].slice(r, r + 1), 0f);
                }
            }
        }
        Tensor in = this.x;
        for (int l = 0; l < layers(); l++) {
            be.gemm(z[l], in, false, wx[l], false, 1f, 0f);           // z = x Wx + b, every step at once
            if (wi[l] != null) be.gemm(z[l], this.x, false, wi[l], false, 1f, 1f);   // skip: + x Wi
            be.addRowVector(z[l], z[l], b[l]);
            // per step: z_t += h_{t-1} Wh, then the cell
            be.lstmForward(h[l], c[l], z[l], wh[l], fromState ? h0[l] : null, fromState ? c0[l] : null, bs);
            in = h[l];
        }
        hasState = true;
        return in;
    }

    /**
     * The mean cross-entropy of the last forward's logits against targets y (T B, nOut):
     * sum [softplus(y^) - y y^] over the rows where mask is 1 (mask (T B, nOut) of 0/1, or null for all), divided by
     * the number of counted rows {@code frames}.
     */
    public double loss(Tensor y, Tensor mask, int frames) {
        crossEntropy(y, mask);
        return be.sum(dLogits) / frames;
    }

    /** As {@link #loss(Tensor, Tensor, int)}, written to {@code out} (1) on the backend: no wait for it. */
    public void loss(Tensor y, Tensor mask, int frames, Tensor out) {
        crossEntropy(y, mask);
        int n = Math.toIntExact(dLogits.size());
        be.rowSums(out.reshape(1), dLogits.reshape(1, n), 1f / frames, 0f);   // summed in float64, then / frames
    }

    /** dLogits = the per-element cross-entropy softplus(y^) - y y^, masked. */
    private void crossEntropy(Tensor y, Tensor mask) {
        be.softplus(dLogits, logits);
        be.mul(yLogits, y, logits);
        be.sub(dLogits, dLogits, yLogits);
        if (mask != null) be.mul(dLogits, dLogits, mask);
    }

    /**
     * Backward pass of the last forward for the loss above: ACCUMULATES the gradient of every parameter into
     * {@link #grads} (zero it first with {@link #zeroGrads}).
     */
    public void backward(Tensor y, Tensor mask, int frames) {
        // d loss / d y^ = (sigmoid(y^) - y) mask / frames
        be.sigmoid(dLogits, logits);
        be.sub(dLogits, dLogits, y);
        if (mask != null) be.mul(dLogits, dLogits, mask);
        be.scale(dLogits, 1f / frames);
        backwardFromLogits(dLogits);
    }

    /**
     * The buffer (T B, nOut) that a caller with another output layer (e.g. a softmax over melody events) fills with
     * d loss / d logits before calling {@link #backwardFromLogits}.
     */
    public Tensor logitsGradient() {
        return dLogits;
    }

    /** Backward pass of the last forward from d loss / d logits (T B, nOut); accumulates into {@link #grads}. */
    public void backwardFromLogits(Tensor dLogits) {
        be.gemm(gWy, h[layers() - 1], true, dLogits, false, 1f, 1f);  // dWy += h^T dy^
        for (int l = 0; l < layers() - 1 && skip; l++) be.gemm(gWyl[l], h[l], true, dLogits, false, 1f, 1f);
        be.columnSums(gBy, dLogits, 1f, 1f);                           // dby += sum over rows
        Tensor dh = hiddenGradient();
        be.gemm(dh, dLogits, false, wy, true, 1f, 0f);                 // dh_top = dy^ Wy^T
        backwardLayers(dh, skip ? dLogits : null, null);
    }

    /** The buffer (T B, H_top) that {@link #backwardFromHidden} reads d loss / d h_top from (a caller may fill it). */
    public Tensor hiddenGradient() {
        return dhA.view(0, steps * batch, hidden[layers() - 1]);
    }

    /**
     * Backward pass of the last forward from d loss / d h_top (T B, H_top), which must be {@link #hiddenGradient}
     * (it is overwritten on the way down); accumulates into the stack's gradients.
     */
    public void backwardFromHidden(Tensor dhTop) {
        if (skip) throw new IllegalStateException("lstm: with skip connections every layer feeds the output; use backwardFromLogits or backwardFromLayers");
        backwardLayers(dhTop, null, null);
    }

    /** Layer l's h (T B, H_l) of the last forward, valid until the next call. */
    public Tensor layerOutput(int l) {
        return h[l];
    }

    /**
     * Backward pass of the last forward of a stack without read-out whose every layer's h feeds the caller: from
     * d loss / d h_top in dhTop, which must be {@link #hiddenGradient}, and d loss / d h^l (T B, H_l) in below[l] for
     * each layer l under the top (only read); accumulates into the stack's gradients.
     */
    public void backwardFromLayers(Tensor dhTop, Tensor[] below) {
        if (nOut > 0 || below.length != layers() - 1) throw new IllegalArgumentException("lstm: backwardFromLayers wants no read-out and "
                + (layers() - 1) + " lower layers' gradients, got " + below.length);
        backwardLayers(dhTop, null, below);
    }

    /**
     * BPTT down the stack from dh_top; with skip, dLogits also reaches each lower layer through its Wy{l}, and
     * dhDirect[l] (or null) is what reaches layer l's h from outside the stack.
     */
    private void backwardLayers(Tensor dhTop, Tensor dLogits, Tensor[] dhDirect) {
        int t = steps, bs = batch, rows = t * bs;
        if (dhTop.storage() != dhA.storage() || dhTop.offset() != dhA.offset() || dhTop.size() != (long) rows * hidden[layers() - 1]) {
            throw new IllegalArgumentException("lstm: backwardFromHidden reads hiddenGradient(), got " + dhTop);
        }
        Tensor dhBuf = dhA, belowBuf = dhB;                            // the two alternate as we go down
        Tensor dh = dhTop;
        for (int l = layers() - 1; l >= 0; l--) {
            int hn = hidden[l], g4 = 4 * hn;
            Tensor dzl = dz.view(0, rows, g4), dcl = dc.view(0, bs, hn);
            be.fill(dcl, 0f);
            // per step, from the last: the cell's backward, then dh_{t-1} += dz_t Wh^T
            be.lstmBackward(dzl, dcl, dh, z[l], c[l], fromState ? c0[l] : null, wh[l], bs);
            // dWh += sum_t h_{t-1}^T dz_t: steps 1..T-1 in one GEMM, step 0 from the carried state
            if (t > 1) be.gemm(gWh[l], h[l].slice(0, (t - 1) * bs), true, dzl.slice(bs, rows), false, 1f, 1f);
            if (fromState) be.gemm(gWh[l], h0[l], true, rows(dzl, 0, bs), false, 1f, 1f);
            Tensor in = l == 0 ? x : h[l - 1];
            be.gemm(gWx[l], in, true, dzl, false, 1f, 1f);              // dWx += x^T dz
            if (wi[l] != null) be.gemm(gWi[l], x, true, dzl, false, 1f, 1f);   // skip: dWi += x^T dz
            be.columnSums(gB[l], dzl, 1f, 1f);                           // db += sum over rows
            if (l > 0) {
                Tensor below = belowBuf.view(0, rows, hidden[l - 1]);
                be.transpose(wxT[l], wx[l]);
                be.gemm(below, dzl, false, wxT[l], false, 1f, 0f);       // dh of the layer below = dz Wx^T
                if (dLogits != null) be.gemm(below, dLogits, false, wyl[l - 1], true, 1f, 1f);   // + dy^ Wy{l-1}^T
                if (dhDirect != null) be.add(below, below, dhDirect[l - 1]);   // + what h^{l-1} feeds directly
                Tensor swap = dhBuf;
                dhBuf = belowBuf;
                belowBuf = swap;
                dh = below;
            }
        }
    }

    public void zeroGrads() {
        be.fill(grads, 0f);
    }

    private static final int[] NONE = {};

    /** Rows of step s: the (B, n) block [s B, (s + 1) B) of a (T B, n) tensor. */
    private static Tensor rows(Tensor t, int s, int bs) {
        return t.slice(s * bs, (s + 1) * bs);
    }
}
