package dev.tessitura.model.nade;

import dev.tessitura.model.lstm.LstmReference;
import java.util.ArrayList;
import java.util.List;

/**
 * The LSTM-NADE in float64, composed of the float64 references: u(0) = 0 and u(t) the top h of {@link LstmReference}'s
 * stack (no read-out) after v(1..t); bv(t) = bv + u(t-1) Wuv, bh(t) = bh + u(t-1) Wuh; each frame under
 * {@link NadeReference}; cost = -(1/T) sum_t log p(v(t) | v(&lt;t)). The oracle of the engine's LSTM-NADE, itself
 * checked by finite differences.
 */
final class LstmNadeReference {
    final int nv, nh, nu;
    final NadeReference nade;
    final LstmReference lstm;
    final double[] Wuh, Wuv;   // (nu, nh), (nu, nv)

    LstmNadeReference(int nv, int nh, int[] layers) {
        this.nv = nv;
        this.nh = nh;
        this.nu = layers[layers.length - 1];
        nade = new NadeReference(nv, nh);
        lstm = new LstmReference(nv, layers, 0);
        Wuh = new double[nu * nh];
        Wuv = new double[nu * nv];
    }

    /** In the engine's storage order: W, V, bv, bh, Wuh, Wuv, then Wx, Wh, b per layer. */
    List<double[]> params() {
        List<double[]> all = new ArrayList<>(List.of(nade.W, nade.V, nade.bv, nade.bh, Wuh, Wuv));
        for (int l = 0; l < lstm.hidden.length; l++) all.addAll(List.of(lstm.wx[l], lstm.wh[l], lstm.b[l]));
        return all;
    }

    /** u(t-1) for t = 1..T: (T, nu), row 0 zero. */
    private double[] previousStates(double[] v, int steps) {
        double[] h = lstm.hiddenTop(v, 1, steps), prev = new double[steps * nu];
        System.arraycopy(h, 0, prev, nu, (steps - 1) * nu);
        return prev;
    }

    /** The biases (T, n) b + u(t-1) M for M (nu, n). */
    private double[] biases(double[] prev, double[] b, double[] m, int steps, int n) {
        double[] out = NadeReference.repeat(b, steps);
        for (int t = 0; t < steps; t++) {
            for (int k = 0; k < nu; k++) for (int j = 0; j < n; j++) out[t * n + j] += prev[t * nu + k] * m[k * n + j];
        }
        return out;
    }

    double cost(double[] v, int steps) {
        double[] prev = previousStates(v, steps);
        double c = 0;
        for (double lp : nade.forward(v, biases(prev, nade.bv, Wuv, steps, nv), biases(prev, nade.bh, Wuh, steps, nh), steps).logP()) c -= lp / steps;
        return c;
    }

    /** d cost / d every parameter, in {@link #params} order. */
    List<double[]> grads(double[] v, int steps) {
        double[] prev = previousStates(v, steps);
        double[] bvt = biases(prev, nade.bv, Wuv, steps, nv), bht = biases(prev, nade.bh, Wuh, steps, nh);
        NadeReference.Grads g = nade.backward(nade.forward(v, bvt, bht, steps), v, 1.0 / steps);
        double[] dWuh = new double[nu * nh], dWuv = new double[nu * nv], dhTop = new double[steps * nu];
        for (int t = 0; t < steps; t++) {
            for (int k = 0; k < nu; k++) {
                double du = 0;
                for (int j = 0; j < nv; j++) {
                    dWuv[k * nv + j] += prev[t * nu + k] * g.bvt()[t * nv + j];
                    du += g.bvt()[t * nv + j] * Wuv[k * nv + j];
                }
                for (int j = 0; j < nh; j++) {
                    dWuh[k * nh + j] += prev[t * nu + k] * g.bht()[t * nh + j];
                    du += g.bht()[t * nh + j] * Wuh[k * nh + j];
                }
                if (t > 0) dhTop[(t - 1) * nu + k] = du;              // u(t-1) is the top h after frame t-1
            }
        }
        LstmReference.Grads s = lstm.gradsFromTop(v, 1, steps, dhTop);
        List<double[]> all = new ArrayList<>(List.of(g.W(), g.V(), g.bv(), g.bh(), dWuh, dWuv));
        for (int l = 0; l < s.wx.length; l++) all.addAll(List.of(s.wx[l], s.wh[l], s.b[l]));
        return all;
    }
}
