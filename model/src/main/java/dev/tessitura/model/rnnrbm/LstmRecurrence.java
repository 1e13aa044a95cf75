package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.lstm.Lstm;
import java.util.List;

/**
 * The LSTM-RBM's recurrence (Lyu et al. 2015): u(t) is the top layer's h after an LSTM stack (no read-out) has read
 * v(1..t); u(0) = 0 and every layer starts from h = c = 0. The stack is {@link Lstm}, so the cell, its fused backward
 * and BPTT are the polyphonic LSTM's own.
 */
public final class LstmRecurrence implements Recurrence {
    private final Backend be;
    private final int[] layers;
    private final Lstm lstm;
    private boolean started;          // generation: whether the stack holds the state of a previous step

    /** Its parameter count: the stack's Wx, Wh, b per layer. */
    public static long size(int nv, int[] layers) {
        return Lstm.size(nv, layers, 0);
    }

    /** Over views params and grads of {@link #size} elements. */
    public LstmRecurrence(Backend be, int nv, int[] layers, Tensor params, Tensor grads) {
        this.be = be;
        this.layers = layers.clone();
        this.lstm = new Lstm(be, nv, layers, 0, params, grads);
    }

    public int[] layers() { return layers.clone(); }

    @Override public List<String> names() { return lstm.paramNames(); }

    @Override public Tensor param(String name) { return lstm.param(name); }

    @Override public Tensor grad(String name) { return lstm.grad(name); }

    @Override public void initTutorial() {
        be.scale(lstm.params, 0.01f);
        for (int l = 0; l < layers.length; l++) be.fill(lstm.param("b" + l), 0f);
    }

    @Override public void forward(Tensor v, Tensor u, int steps, int batch) {
        be.fill(u.slice(0, batch), 0f);
        be.copy(u.slice(batch, (steps + 1) * batch), lstm.forwardHidden(v, steps, batch, false));
    }

    @Override public void backward(Tensor v, Tensor u, Tensor du, int steps, int batch) {
        Tensor dh = lstm.hiddenGradient();                              // d cost / d h_top(t) = d cost / d u(t)
        be.copy(dh, du.slice(batch, (steps + 1) * batch));
        lstm.backwardFromHidden(dh);
    }

    @Override public void start(Tensor u) {
        be.fill(u, 0f);
        started = false;
    }

    @Override public void step(Tensor v, Tensor uPrev, Tensor uOut) {
        be.copy(uOut, lstm.forwardHidden(v, 1, 1, started));           // h and c carry over from the last step
        started = true;
    }
}
