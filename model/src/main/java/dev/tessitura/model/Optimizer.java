package dev.tessitura.model;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import java.util.Locale;

/**
 * The update rules the models offer, over one parameter tensor and its gradient tensor (a model's whole state is one
 * allocation each, so a step is one op per block). State tensors mirror the parameters. A block (a contiguous range
 * of the parameters, e.g. one layer) can take its own learning rate.
 */
public final class Optimizer {
    public enum Kind {
        /** p -= lr g. */
        SGD,
        /** v = mu v - lr g; p += v (classical momentum). */
        MOMENTUM,
        /**
         * Nesterov's accelerated gradient in the form of Bengio, Boulanger-Lewandowski and Pascanu (2013, eq. 7),
         * used for the RNN-RBM there: v = mu v - lr g; p += mu v - lr g.
         */
        NESTEROV,
        /** See {@link Backend#rmsprop}: decay 0.9, eps 1e-6. */
        RMSPROP,
        /** See {@link Backend#adam}: beta1 0.9, beta2 0.999, eps 1e-8. */
        ADAM;

        public static Kind parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown optimizer '" + s + "' (sgd, momentum, nesterov, rmsprop, adam)");
            }
        }
    }

    private final Backend be;
    private final Kind kind;
    private final float momentum;
    private final Tensor s1, s2;      // momentum velocity / RMSprop mean square / Adam first and second moments
    private int step;

    public Optimizer(Backend backend, Kind kind, Tensor params, float momentum) {
        this.be = backend;
        this.kind = kind;
        this.momentum = momentum;
        int n = Math.toIntExact(params.size());
        s1 = kind == Kind.SGD ? null : be.zeros(n);
        s2 = kind == Kind.ADAM ? be.zeros(n) : null;
    }

    public Kind kind() { return kind; }

    /** Updates done so far (Adam's t). */
    public int steps() { return step; }

    /** The optimizer's state tensors, for checkpoints: none, one or two tensors of the parameters' size. */
    public Tensor[] state() {
        return s1 == null ? new Tensor[0] : s2 == null ? new Tensor[] {s1} : new Tensor[] {s1, s2};
    }

    public void restoreSteps(int steps) {
        this.step = steps;
    }

    /** Starts one update: call {@link #apply} for each block, then the next update calls begin again. */
    public void begin() {
        step++;
    }

    /** Updates params[from, from + n) with grads[from, from + n) at learning rate lr. */
    public void apply(Tensor params, Tensor grads, long from, int n, float lr) {
        Tensor p = params.view(from, n), g = grads.view(from, n);
        switch (kind) {
            case SGD -> be.axpy(p, g, -lr);
            case MOMENTUM -> be.momentum(p, g, s1.view(from, n), lr, momentum, false);
            case NESTEROV -> be.momentum(p, g, s1.view(from, n), lr, momentum, true);
            case RMSPROP -> be.rmsprop(p, g, s1.view(from, n), lr, 0.9f, 1e-6f);
            case ADAM -> be.adam(p, g, s1.view(from, n), s2.view(from, n), lr, 0.9f, 0.999f, 1e-8f, step);
        }
    }
}
