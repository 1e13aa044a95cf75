package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import java.util.SplittableRandom;

/**
 * The RNN-RBM's cost and gradients in plain float64 Java: the oracle for {@link RnnRbm}, itself checked against
 * PyTorch (../shared/reference/rnnrbm_*.json) and finite differences. Row-vector form, as the tutorial:
 * <pre>
 *   u(0) = u0 (zero unless learned)
 *   bv(t) = bv + u(t-1) Wuv,   bh(t) = bh + u(t-1) Wuh                               (1), (2)
 *   u(t)  = tanh(bu + v(t) Wvu + u(t-1) Wuu)                                        (3)
 *   F_t(x) = -x.bv(t) - sum_j softplus((x W)_j + bh(t)_j)
 *   cost = sum_t [F_t(v(t)) - F_t(v~(t))] / T,  the negative samples v~ held constant
 * </pre>
 * Matrices are row-major: W (nv, nh), Wuh (nu, nh), Wuv (nu, nv), Wvu (nv, nu), Wuu (nu, nu).
 */
public final class RnnRbmReference {
    public final int nv, nh, nu;
    public final double[] w, bv, bh, wuh, wuv, wvu, wuu, bu, u0;

    public RnnRbmReference(int nv, int nh, int nu) {
        this.nv = nv;
        this.nh = nh;
        this.nu = nu;
        w = new double[nv * nh];
        bv = new double[nv];
        bh = new double[nh];
        wuh = new double[nu * nh];
        wuv = new double[nu * nv];
        wvu = new double[nv * nu];
        wuu = new double[nu * nu];
        bu = new double[nu];
        u0 = new double[nu];
    }

    /** The parameters in {@link RnnRbm#NAMES} order: W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu, u0. */
    public double[][] params() {
        return new double[][] {w, bv, bh, wuh, wuv, wvu, wuu, bu, u0};
    }

    /**
     * Every parameter uniform in [-scale, scale), Wuu in [-wuuScale, wuuScale), drawn in {@link #params} order and
     * rounded to float, so that an engine model given them by {@link #copyInto} holds exactly the reference's values.
     */
    public void randomize(SplittableRandom r, double scale, double wuuScale) {
        double[][] all = params();
        for (int k = 0; k < all.length; k++) {
            double s = all[k] == wuu ? wuuScale : scale;
            for (int i = 0; i < all[k].length; i++) all[k][i] = (float) r.nextDouble(-s, s);
        }
    }

    /** These parameters into an engine RNN-RBM (tanh recurrence) of the same sizes. */
    public void copyInto(Backend be, RnnRbm m) {
        double[][] all = params();
        for (int k = 0; k < all.length; k++) {
            float[] f = new float[all[k].length];
            for (int i = 0; i < f.length; i++) f[i] = (float) all[k][i];
            be.copyFromHost(m.param(RnnRbm.NAMES[k]), f, 0);
        }
    }

    /** Everything the forward pass computes for a chunk of T frames. */
    public record Forward(double[][] u, double[][] bvt, double[][] bht, double[] freeEnergy, double[] freeEnergyNeg, double cost) {}

    /** Gradients of the cost, one array per parameter (u0 too, for the learned-u(0) option). */
    public record Grads(double[] w, double[] bv, double[] bh, double[] wuh, double[] wuv, double[] wvu, double[] wuu,
                        double[] bu, double[] u0) {
        /** The arrays in {@link RnnRbm#NAMES} order. */
        public double[][] all() {
            return new double[][] {w, bv, bh, wuh, wuv, wvu, wuu, bu, u0};
        }
    }

    /** The cost and gradients of B chunks trained as one batch, and those of the RNN pretraining's predictor cost. */
    public record Batch(double cost, Grads grads, double predictorCost, Grads predictorGrads) {}

    /**
     * B chunks v[b], vNeg[b] (T, nv) trained as one batch ({@link RnnRbm#forward(dev.tessitura.engine.Tensor, int, int)}):
     * every chunk starts from u(0) and the costs are per frame over all T B frames, so the batch's cost and every
     * gradient are the means of the chunks' own.
     */
    public Batch batch(double[][] v, double[][] vNeg, int steps) {
        int b = v.length;
        double cost = 0, predictor = 0;
        Grads g = zeroGrads(this), pg = zeroGrads(this);
        for (int c = 0; c < b; c++) {
            cost += cost(v[c], vNeg[c], steps) / b;
            predictor += predictorCost(v[c], steps) / b;
            addScaled(g, grads(v[c], vNeg[c], steps), 1.0 / b);
            addScaled(pg, predictorGrads(v[c], steps), 1.0 / b);
        }
        return new Batch(cost, g, predictor, pg);
    }

    private static void addScaled(Grads into, Grads x, double scale) {
        double[][] a = into.all(), bx = x.all();
        for (int k = 0; k < a.length; k++) for (int i = 0; i < a[k].length; i++) a[k][i] += scale * bx[k][i];
    }

    /** v and vNeg are (T, nv) row-major. u[t] is u(t) for t = 0..T (u[0] = u0). */
    public Forward forward(double[] v, double[] vNeg, int steps) {
        return rbmForward(v, vNeg, steps, recurrence(v, steps));
    }

    /** (3): u(0) = u0, u(t) = tanh(bu + v(t) Wvu + u(t-1) Wuu) for t = 1..T. */
    double[][] recurrence(double[] v, int steps) {
        double[][] u = new double[steps + 1][];
        u[0] = u0.clone();
        for (int t = 0; t < steps; t++) {
            double[] a = affine(bu, u[t], wuu, nu, nu);
            for (int i = 0; i < nv; i++) {
                double x = v[t * nv + i];
                if (x != 0) for (int k = 0; k < nu; k++) a[k] += x * wvu[i * nu + k];
            }
            u[t + 1] = new double[nu];
            for (int k = 0; k < nu; k++) u[t + 1][k] = Math.tanh(a[k]);
        }
        return u;
    }

    /**
     * The RBM part, given the states u(0..T) of any recurrence (the LSTM-RBM's reference shares it): the biases (1),
     * (2), the free energies of data and negative samples and the cost.
     */
    Forward rbmForward(double[] v, double[] vNeg, int steps, double[][] u) {
        double[][] bvt = new double[steps][], bht = new double[steps][];
        double[] f = new double[steps], fn = new double[steps];
        double cost = 0;
        for (int t = 0; t < steps; t++) {
            bvt[t] = affine(bv, u[t], wuv, nu, nv);                       // (1)
            bht[t] = affine(bh, u[t], wuh, nu, nh);                       // (2)
            f[t] = freeEnergy(v, t, bvt[t], bht[t]);
            fn[t] = freeEnergy(vNeg, t, bvt[t], bht[t]);
            cost += (f[t] - fn[t]) / steps;
        }
        return new Forward(u, bvt, bht, f, fn, cost);
    }

    /** The cost of a chunk with fixed negative samples. */
    public double cost(double[] v, double[] vNeg, int steps) {
        return forward(v, vNeg, steps).cost();
    }

    static Grads zeroGrads(RnnRbmReference m) {
        return new Grads(new double[m.w.length], new double[m.nv], new double[m.nh], new double[m.wuh.length],
                new double[m.wuv.length], new double[m.wvu.length], new double[m.wuu.length], new double[m.nu], new double[m.nu]);
    }

    /** d cost / d every parameter, by hand: the RBM terms directly, the RNN through bv(t) and bh(t) by BPTT. */
    public Grads grads(double[] v, double[] vNeg, int steps) {
        Forward fw = forward(v, vNeg, steps);
        Grads g = zeroGrads(this);
        recurrenceBackward(fw.u(), v, rbmBackward(fw, v, vNeg, steps, g), steps, g);
        return g;
    }

    /**
     * RNN pretraining's cost: the RNN part alone as a next-frame predictor, the RNN-RBM with W = 0, whose conditional
     * is a product of independent notes P(v_j(t) = 1 | v(<t)) = sigmoid(bv_j(t)). Its exact negative log-likelihood
     * per frame: sum_t sum_j [softplus(bv_j(t)) - v_j(t) bv_j(t)] / T.
     */
    public double predictorCost(double[] v, int steps) {
        return predictorCost(v, steps, recurrence(v, steps));
    }

    /** d predictorCost / d bv, Wuv and the recurrence (W, bh, Wuh get zero): d/d bv(t) = (sigmoid(bv(t)) - v(t)) / T. */
    public Grads predictorGrads(double[] v, int steps) {
        double[][] u = recurrence(v, steps);
        Grads g = zeroGrads(this);
        recurrenceBackward(u, v, predictorBackward(v, steps, u, g), steps, g);
        return g;
    }

    /** The predictor's cost given the states u(0..T) of any recurrence (the LSTM-RBM's reference shares it). */
    double predictorCost(double[] v, int steps, double[][] u) {
        double cost = 0;
        for (int t = 0; t < steps; t++) {
            double[] bvt = affine(bv, u[t], wuv, nu, nv);                // (1)
            for (int i = 0; i < nv; i++) {
                double a = bvt[i];
                cost += Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a))) - v[t * nv + i] * a;
            }
        }
        return cost / steps;
    }

    /** The predictor's gradient of bv and Wuv into g, and d cost / d u(t) (t = 0..T; row T is 0) for the recurrence. */
    double[][] predictorBackward(double[] v, int steps, double[][] u, Grads g) {
        double[][] du = new double[steps + 1][nu];
        for (int t = 0; t < steps; t++) {
            double[] bvt = affine(bv, u[t], wuv, nu, nv);
            for (int i = 0; i < nv; i++) {
                double d = (1 / (1 + Math.exp(-bvt[i])) - v[t * nv + i]) / steps;
                g.bv()[i] += d;
                for (int k = 0; k < nu; k++) {
                    g.wuv()[k * nv + i] += u[t][k] * d;
                    du[t][k] += d * wuv[k * nv + i];
                }
            }
        }
        return du;
    }

    /** (3) backwards in time from d cost / d u(t) (t = 0..T): Wvu, Wuu, bu and u0 into g. */
    private void recurrenceBackward(double[][] u, double[] v, double[][] du, int steps, Grads g) {
        // (3) backwards in time: da(t) = du(t) (1 - u(t)^2); du(t-1) += da(t) Wuu^T
        for (int t = steps; t >= 1; t--) {
            double[] da = new double[nu];
            for (int k = 0; k < nu; k++) da[k] = du[t][k] * (1 - u[t][k] * u[t][k]);
            for (int k = 0; k < nu; k++) {
                g.bu()[k] += da[k];
                for (int i = 0; i < nv; i++) g.wvu()[i * nu + k] += v[(t - 1) * nv + i] * da[k];
                for (int m = 0; m < nu; m++) {
                    g.wuu()[m * nu + k] += u[t - 1][m] * da[k];
                    du[t - 1][m] += da[k] * wuu[m * nu + k];
                }
            }
        }
        System.arraycopy(du[0], 0, g.u0(), 0, nu);
    }

    /**
     * The RBM part of the gradient (W, bv, bh, Wuh, Wuv into g) for the forward pass fw, and d cost / d u(t) through
     * the biases of step t+1 (t = 0..T; row T is 0): what a recurrence backpropagates.
     */
    double[][] rbmBackward(Forward fw, double[] v, double[] vNeg, int steps, Grads g) {
        double[][] du = new double[steps + 1][nu];
        for (int t = 0; t < steps; t++) {
            // dF/dbv(t) = -x, dF/dbh(t) = -sigmoid(x W + bh(t)), dF/dW = -x^T sigmoid(...); cost = (F(v) - F(v~)) / T
            double[] dbvt = new double[nv], dbht = new double[nh];
            for (int sign = 1, pass = 0; pass < 2; pass++, sign = -1) {
                double[] x = pass == 0 ? v : vNeg;
                double scale = sign / (double) steps;
                double[] s = hidden(x, t, fw.bht()[t]);
                for (int i = 0; i < nv; i++) {
                    double xi = x[t * nv + i];
                    dbvt[i] -= scale * xi;
                    if (xi != 0) for (int j = 0; j < nh; j++) g.w()[i * nh + j] -= scale * xi * s[j];
                }
                for (int j = 0; j < nh; j++) dbht[j] -= scale * s[j];
            }
            for (int i = 0; i < nv; i++) g.bv()[i] += dbvt[i];
            for (int j = 0; j < nh; j++) g.bh()[j] += dbht[j];
            // (1), (2): bv(t) = bv + u(t-1) Wuv  =>  dWuv += u(t-1)^T dbv(t),  du(t-1) += dbv(t) Wuv^T
            double[] up = fw.u()[t];
            for (int k = 0; k < nu; k++) {
                for (int i = 0; i < nv; i++) {
                    g.wuv()[k * nv + i] += up[k] * dbvt[i];
                    du[t][k] += dbvt[i] * wuv[k * nv + i];
                }
                for (int j = 0; j < nh; j++) {
                    g.wuh()[k * nh + j] += up[k] * dbht[j];
                    du[t][k] += dbht[j] * wuh[k * nh + j];
                }
            }
        }
        return du;
    }

    /** b + x M for a row vector x (n) and M (n, m). */
    private static double[] affine(double[] b, double[] x, double[] m, int n, int cols) {
        double[] y = b.clone();
        for (int k = 0; k < n; k++) {
            if (x[k] != 0) for (int j = 0; j < cols; j++) y[j] += x[k] * m[k * cols + j];
        }
        return y;
    }

    /** sigmoid(x(t) W + bh) = E[h | x(t)]. */
    private double[] hidden(double[] x, int t, double[] bht) {
        double[] s = new double[nh];
        for (int j = 0; j < nh; j++) {
            double a = bht[j];
            for (int i = 0; i < nv; i++) a += x[t * nv + i] * w[i * nh + j];
            s[j] = 1 / (1 + Math.exp(-a));
        }
        return s;
    }

    /** F(x(t)) = -x.bv(t) - sum_j softplus((x W)_j + bh(t)_j). */
    private double freeEnergy(double[] x, int t, double[] bvt, double[] bht) {
        double e = 0;
        for (int i = 0; i < nv; i++) e -= x[t * nv + i] * bvt[i];
        for (int j = 0; j < nh; j++) {
            double a = bht[j];
            for (int i = 0; i < nv; i++) a += x[t * nv + i] * w[i * nh + j];
            e -= Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a)));
        }
        return e;
    }
}
