package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.lstm.Lstm;
import java.util.List;

/**
 * The LSTM-RBM's recurrence (Lyu et al. 2015): u(t) is the top layer's h after an LSTM stack (no read-out) has read
 * v(1..t); u(0) = 0 and every layer starts from h = c = 0. The stack is {@link Lstm}, so the cell, its fused backward
 * and BPTT are the polyphonic LSTM's own.
 *
 * <p>With {@code skip} (Graves 2013, as the LSTM's --skip) v(t) also feeds every layer above the first (through Wi{l})
 * and u(t) is every layer's h, u(t) = [h^0(t), ..., h^top(t)] (nu = sum H_l), so that each layer reaches the biases
 * through its own rows of Wuv, Wuh. u is then stored layer by layer ({@link #parts}).
 */
public final class LstmRecurrence implements Recurrence {
    private final Backend be;
    private final int[] layers;
    private final boolean skip;
    private final Lstm lstm;
    private final Tensor[] dhBelow;   // with skip: the layers under the top's d cost / d h^l, views into du
    private boolean started;          // generation: whether the stack holds the state of a previous step

    /** Its parameter count: the stack's Wx, Wh, b per layer. */
    public static long size(int nv, int[] layers) {
        return size(nv, layers, false);
    }

    /** As {@link #size(int, int[])}, with the skip connections' Wi{l} where {@code skip}. */
    public static long size(int nv, int[] layers, boolean skip) {
        return Lstm.size(nv, layers, 0, skip);
    }

    /** Over views params and grads of {@link #size} elements. */
    public LstmRecurrence(Backend be, int nv, int[] layers, Tensor params, Tensor grads) {
        this(be, nv, layers, false, params, grads);
    }

    /** As above, with the skip connections where {@code skip} (see the class comment). */
    public LstmRecurrence(Backend be, int nv, int[] layers, boolean skip, Tensor params, Tensor grads) {
        this.be = be;
        this.layers = layers.clone();
        this.skip = skip;
        this.lstm = new Lstm(be, nv, layers, 0, skip, params, grads);
        this.dhBelow = new Tensor[layers.length - 1];
    }

    public int[] layers() { return layers.clone(); }

    public boolean skip() { return skip; }

    /** The size of u(t): the top layer's, or with skip every layer's. */
    public int nu() {
        int nu = 0;
        for (int h : layers) nu += h;
        return skip ? nu : layers[layers.length - 1];
    }

    @Override public int[] parts() { return skip ? layers.clone() : null; }

    @Override public List<String> names() { return lstm.paramNames(); }

    @Override public Tensor param(String name) { return lstm.param(name); }

    @Override public Tensor grad(String name) { return lstm.grad(name); }

    @Override public void initTutorial() {
        be.scale(lstm.params, 0.01f);
        for (int l = 0; l < layers.length; l++) be.fill(lstm.param("b" + l), 0f);
    }

    @Override public void forward(Tensor v, Tensor u, int steps, int batch) {
        if (!skip) {
            be.fill(u.slice(0, batch), 0f);
            be.copy(u.slice(batch, (steps + 1) * batch), lstm.forwardHidden(v, steps, batch, false));
            return;
        }
        lstm.forwardHidden(v, steps, batch, false);
        for (int l = 0; l < layers.length; l++) {                       // part l of u: u^l(t) = h^l(t), u^l(0) = 0
            Tensor ul = part(u, l, steps, batch);
            be.fill(ul.slice(0, batch), 0f);
            be.copy(ul.slice(batch, (steps + 1) * batch), lstm.layerOutput(l));
        }
    }

    @Override public void backward(Tensor v, Tensor u, Tensor du, int steps, int batch) {
        Tensor dh = lstm.hiddenGradient();                              // d cost / d h_top(t) = d cost / d u(t)
        int top = layers.length - 1;
        if (!skip) {
            be.copy(dh, du.slice(batch, (steps + 1) * batch));
            lstm.backwardFromHidden(dh);
            return;
        }
        be.copy(dh, part(du, top, steps, batch).slice(batch, (steps + 1) * batch));
        for (int l = 0; l < top; l++) dhBelow[l] = part(du, l, steps, batch).slice(batch, (steps + 1) * batch);
        lstm.backwardFromLayers(dh, dhBelow);
    }

    /** Layer l's block ((T+1) B, H_l) of u (or du) stored layer by layer. */
    private Tensor part(Tensor u, int l, int steps, int batch) {
        int rows = (steps + 1) * batch;
        long at = 0;
        for (int k = 0; k < l; k++) at += (long) rows * layers[k];
        return u.view(at, rows, layers[l]);
    }

    @Override public void start(Tensor u) {
        be.fill(u, 0f);
        started = false;
    }

    @Override public void step(Tensor v, Tensor uPrev, Tensor uOut) {
        Tensor top = lstm.forwardHidden(v, 1, 1, started);             // h and c carry over from the last step
        started = true;
        if (!skip) {
            be.copy(uOut, top);
            return;
        }
        int at = 0;                                                     // one row: the layers' h side by side
        for (int l = 0; l < layers.length; l++) {
            be.copy(uOut.view(at, 1, layers[l]), lstm.layerOutput(l));
            at += layers[l];
        }
    }
}
