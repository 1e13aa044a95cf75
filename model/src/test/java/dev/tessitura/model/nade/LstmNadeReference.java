package dev.tessitura.model.nade;

import dev.tessitura.model.lstm.LstmReference;
import java.util.ArrayList;
import java.util.List;

/**
 * The LSTM-NADE in float64, composed of the float64 references: u(0) = 0 and u(t) the top h of {@link LstmReference}'s
 * stack (no read-out) after v(1..t), or with skip connections every layer's h side by side, u(t) = [h^0(t), ...,
 * h^top(t)], the input feeding every layer; bv(t) = bv + u~(t-1) Wuv, bh(t) = bh + u~(t-1) Wuh with u~(t-1) = u(t-1),
 * or m(t-1) * u(t-1) under a dropout mask m; each frame under {@link NadeReference}; cost = -(1/T) sum_t log p(v(t) |
 * v(&lt;t)). The oracle of the engine's LSTM-NADE, itself checked by finite differences.
 */
final class LstmNadeReference {
    final int nv, nh, nu;
    final boolean skip;
    final NadeReference nade;
    final LstmReference lstm;
    final double[] Wuh, Wuv;   // (nu, nh), (nu, nv)

    LstmNadeReference(int nv, int nh, int[] layers) {
        this(nv, nh, layers, false);
    }

    LstmNadeReference(int nv, int nh, int[] layers, boolean skip) {
        this.nv = nv;
        this.nh = nh;
        this.skip = skip;
        this.nu = skip ? java.util.Arrays.stream(layers).sum() : layers[layers.length - 1];
        nade = new NadeReference(nv, nh);
        lstm = new LstmReference(nv, layers, 0, skip);
        Wuh = new double[nu * nh];
        Wuv = new double[nu * nv];
    }

    /** In the engine's storage order: W, V, bv, bh, Wuh, Wuv, then Wx, (Wi with skip, above the first,) Wh, b per layer. */
    List<double[]> params() {
        List<double[]> all = new ArrayList<>(List.of(nade.W, nade.V, nade.bv, nade.bh, Wuh, Wuv));
        for (int l = 0; l < lstm.hidden.length; l++) {
            all.add(lstm.wx[l]);
            if (lstm.wi[l].length > 0) all.add(lstm.wi[l]);
            all.addAll(List.of(lstm.wh[l], lstm.b[l]));
        }
        return all;
    }

    /** Where layer l's h starts in u(t): 0 without skip (u is the top's h alone). */
    private int column(int l) {
        int at = 0;
        for (int k = 0; skip && k < l; k++) at += lstm.hidden[k];
        return at;
    }

    /** u~(t-1) for t = 1..T: (T, nu), row 0 zero; times mask (T, nu) unless it is null. */
    private double[] previousStates(double[] v, int steps, double[] mask) {
        double[][] h = lstm.hiddenAll(v, 1, steps);
        double[] prev = new double[steps * nu];
        int top = h.length - 1;
        for (int l = skip ? 0 : top; l <= top; l++) {
            int hn = lstm.hidden[l], at = column(l);
            for (int t = 1; t < steps; t++) System.arraycopy(h[l], (t - 1) * hn, prev, t * nu + at, hn);
        }
        if (mask != null) for (int i = 0; i < prev.length; i++) prev[i] *= mask[i];
        return prev;
    }

    /** The biases (T, n) b + u~(t-1) M for M (nu, n). */
    private double[] biases(double[] prev, double[] b, double[] m, int steps, int n) {
        double[] out = NadeReference.repeat(b, steps);
        for (int t = 0; t < steps; t++) {
            for (int k = 0; k < nu; k++) for (int j = 0; j < n; j++) out[t * n + j] += prev[t * nu + k] * m[k * n + j];
        }
        return out;
    }

    double cost(double[] v, int steps) {
        return cost(v, steps, null);
    }

    /** The cost with dropout multipliers mask (T, nu) (row t multiplies u(t-1)), or without where it is null. */
    double cost(double[] v, int steps, double[] mask) {
        double[] prev = previousStates(v, steps, mask);
        double c = 0;
        for (double lp : nade.forward(v, biases(prev, nade.bv, Wuv, steps, nv), biases(prev, nade.bh, Wuh, steps, nh), steps).logP()) c -= lp / steps;
        return c;
    }

    List<double[]> grads(double[] v, int steps) {
        return grads(v, steps, null);
    }

    /** d cost / d every parameter, in {@link #params} order, with dropout multipliers mask (T, nu) or null. */
    List<double[]> grads(double[] v, int steps, double[] mask) {
        double[] prev = previousStates(v, steps, mask);
        double[] bvt = biases(prev, nade.bv, Wuv, steps, nv), bht = biases(prev, nade.bh, Wuh, steps, nh);
        NadeReference.Grads g = nade.backward(nade.forward(v, bvt, bht, steps), v, 1.0 / steps);
        double[] dWuh = new double[nu * nh], dWuv = new double[nu * nv];
        double[][] dh = new double[lstm.hidden.length][];                // d cost / d h^l (T, H_l)
        for (int l = 0; l < dh.length; l++) dh[l] = new double[steps * lstm.hidden[l]];
        for (int t = 0; t < steps; t++) {
            for (int k = 0; k < nu; k++) {
                double du = 0;                                           // d cost / d u~(t-1)_k
                for (int j = 0; j < nv; j++) {
                    dWuv[k * nv + j] += prev[t * nu + k] * g.bvt()[t * nv + j];
                    du += g.bvt()[t * nv + j] * Wuv[k * nv + j];
                }
                for (int j = 0; j < nh; j++) {
                    dWuh[k * nh + j] += prev[t * nu + k] * g.bht()[t * nh + j];
                    du += g.bht()[t * nh + j] * Wuh[k * nh + j];
                }
                if (mask != null) du *= mask[t * nu + k];
                if (t == 0) continue;                                    // u(0) = 0 is no layer's output
                for (int l = 0; l < dh.length; l++) {                    // u(t-1)_k is h^l after frame t-1 for one l
                    int at = column(l), hn = lstm.hidden[l];
                    if ((skip || l == dh.length - 1) && k >= at && k < at + hn) dh[l][(t - 1) * hn + k - at] = du;
                }
            }
        }
        LstmReference.Grads s = lstm.gradsFromLayers(v, 1, steps, dh);
        List<double[]> all = new ArrayList<>(List.of(g.W(), g.V(), g.bv(), g.bh(), dWuh, dWuv));
        for (int l = 0; l < s.wx.length; l++) {
            all.add(s.wx[l]);
            if (s.wi[l].length > 0) all.add(s.wi[l]);
            all.addAll(List.of(s.wh[l], s.b[l]));
        }
        return all;
    }
}
