package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Tensor;
import java.util.List;

/**
 * The deterministic part of an RNN-RBM: the state u(t) that sets the biases of step t+1, made from v(1..t). Its
 * parameters are views into the model's one parameter tensor (and gradients into its gradient tensor).
 */
public interface Recurrence {
    /** Parameter names in storage order, and the views they name. */
    List<String> names();

    Tensor param(String name);

    Tensor grad(String name);

    /**
     * How u is laid out in {@link #forward} and {@link #backward}: null for one block ((T+1) B, nu); else the widths of
     * its parts, stored one after another, each a whole ((T+1) B, width) block (the LSTM with skip connections: every
     * layer's h). One row, as in generation, is the same either way: the parts side by side.
     */
    default int[] parts() {
        return null;
    }

    /** Sets the recurrence's parameters after the RBM part's tutorial initialisation drew N(0, 1) everywhere. */
    void initTutorial();

    /**
     * u ((T+1) B, nu): writes u(0) into rows [0, B) and u(t) for t = 1..T into rows [t B, (t+1) B), from B chunks v
     * (T B, nv), time-major (frame t of chunk b in row t B + b); every chunk starts from u(0).
     */
    void forward(Tensor v, Tensor u, int steps, int batch);

    /**
     * Given du ((T+1) B, nu) = d cost / d u(t) through the biases (step T's rows are 0), ACCUMULATES the recurrence's
     * gradients by backpropagation through time. du may be overwritten. Needs the last {@link #forward}'s v and u.
     */
    void backward(Tensor v, Tensor u, Tensor du, int steps, int batch);

    /** Generation: u(0) into u (1, nu); forgets the state of an earlier piece. */
    void start(Tensor u);

    /** Generation, one step: u(t) into uOut (1, nu) from v(t) (1, nv) and u(t-1) (1, nu) (uOut may be uPrev). */
    void step(Tensor v, Tensor uPrev, Tensor uOut);
}
