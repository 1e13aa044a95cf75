package dev.tessitura.model.nade;

import java.util.SplittableRandom;

/**
 * NADE (Larochelle &amp; Murray 2011) over one frame of nv binary units, in plain float64 Java: the oracle that the
 * engine's NADE ops are tested against, itself checked against PyTorch (../shared/reference/rnnnade_*.json, through
 * {@link RnnNadeReference}), finite differences, exact normalisation and sampling frequencies. The units are taken in
 * index order 0..nv-1 (low to high pitch):
 * <pre>
 *   a_0 = bh                                                                      (nh)
 *   h_i = sigmoid(a_i)                                                            (nh)
 *   p_i = P(v_i = 1 | v_&lt;i) = sigmoid(s_i),   s_i = bv_i + h_i . V[:, i]
 *   a_{i+1} = a_i + v_i W[i, :]
 *   log p(v) = sum_i v_i log p_i + (1 - v_i) log(1 - p_i)
 * </pre>
 * W is (nv, nh) and V is (nh, nv), row-major, as in the fixtures. A batch of T frames may give every frame its own
 * biases bv(t), bh(t) (the RNN-NADE's time-dependent biases); the gradients of bv and bh are then the sums over the
 * frames of those of bv(t), bh(t), as for biases bv(t) = bv + c(t), bh(t) = bh + c'(t).
 */
public final class NadeReference {
    public final int nv, nh;
    public final double[] W;   // (nv, nh)
    public final double[] V;   // (nh, nv)
    public final double[] bv;  // (nv)
    public final double[] bh;  // (nh)

    public NadeReference(int nv, int nh) {
        this(nv, nh, new double[nv * nh], new double[nh * nv], new double[nv], new double[nh]);
    }

    /** A NADE over existing arrays, shared and not copied (the RNN-NADE's frame distribution uses its own). */
    NadeReference(int nv, int nh, double[] W, double[] V, double[] bv, double[] bh) {
        if (W.length != nv * nh || V.length != nh * nv || bv.length != nv || bh.length != nh) {
            throw new IllegalArgumentException("NADE parameters do not have the sizes nv = " + nv + ", nh = " + nh);
        }
        this.nv = nv;
        this.nh = nh;
        this.W = W;
        this.V = V;
        this.bv = bv;
        this.bh = bh;
    }

    /** The parameters in the fixture's order: W, V, bv, bh. */
    public double[][] params() {
        return new double[][] {W, V, bv, bh};
    }

    /** Every parameter uniform in [-scale, scale), drawn in {@link #params} order. */
    public void randomize(SplittableRandom r, double scale) {
        for (double[] p : params()) for (int k = 0; k < p.length; k++) p[k] = r.nextDouble(-scale, scale);
    }

    /**
     * What the forward pass computes for T frames, and keeps for the backward pass: logP (T) = log p(v_t), p (T, nv)
     * every conditional p_i of every frame, h (T, nv, nh) every h_i of every frame.
     */
    public record Forward(int T, double[] logP, double[] p, double[] h) {}

    /**
     * Gradients of a cost: W (nv, nh), V (nh, nv), the per-frame biases bvt (T, nv), bht (T, nh), and the shared
     * biases bv (nv), bh (nh), their sums over the frames.
     */
    public record Grads(double[] W, double[] V, double[] bv, double[] bh, double[] bvt, double[] bht) {
        /** W, V, bv, bh: the arrays of {@link NadeReference#params} order. */
        public double[][] params() {
            return new double[][] {W, V, bv, bh};
        }
    }

    /** T frames v (T, nv), each under the shared biases bv, bh. */
    public Forward forward(double[] v, int T) {
        return forward(v, repeat(bv, T), repeat(bh, T), T);
    }

    /** T frames v (T, nv), frame t under its own biases bvt[t] (T, nv) and bht[t] (T, nh). */
    public Forward forward(double[] v, double[] bvt, double[] bht, int T) {
        double[] logP = new double[T];          // (T)
        double[] p = new double[T * nv];        // (T, nv)
        double[] h = new double[T * nv * nh];   // (T, nv, nh)
        double[] a = new double[nh];            // (nh)
        for (int t = 0; t < T; t++) {
            System.arraycopy(bht, t * nh, a, 0, nh);                            // a_0 = bh(t)
            for (int i = 0; i < nv; i++) {
                int ti = t * nv + i;
                double s = conditional(a, bvt[ti], i, h, ti * nh);               // h_i, s_i = bv_i + h_i . V[:, i]
                p[ti] = sigmoid(s);                                               // p_i = sigmoid(s_i)
                double vi = v[ti];
                // v_i log p_i + (1 - v_i) log(1 - p_i), with log sigmoid(s) = -softplus(-s)
                logP[t] -= vi * softplus(-s) + (1 - vi) * softplus(s);
                if (vi != 0) for (int j = 0; j < nh; j++) a[j] += vi * W[i * nh + j];   // a_{i+1} = a_i + v_i W[i, :]
            }
        }
        return new Forward(T, logP, p, h);
    }

    /** The negative log-likelihood -sum_t log p(v_t) of T frames v (T, nv) under the shared biases. */
    public double nll(double[] v, int T) {
        double nll = 0;
        for (double lp : forward(v, T).logP()) nll -= lp;
        return nll;
    }

    /** d/d every parameter of -sum_t log p(v_t), for T frames v (T, nv) under the shared biases. */
    public Grads grads(double[] v, int T) {
        return backward(forward(v, T), v, 1);
    }

    /**
     * The gradients of scale * (-sum_t log p(v_t)) for the forward pass fw of the frames v (T, nv): the standard NADE
     * backward, i from nv-1 down to 0 carrying da = d/d a_{i+1}, O(nv nh) per frame.
     */
    public Grads backward(Forward fw, double[] v, double scale) {
        int T = fw.T();
        double[] dW = new double[nv * nh];      // (nv, nh)
        double[] dV = new double[nh * nv];      // (nh, nv)
        double[] dbvt = new double[T * nv];     // (T, nv)
        double[] dbht = new double[T * nh];     // (T, nh)
        double[] da = new double[nh];           // (nh)
        for (int t = 0; t < T; t++) {
            java.util.Arrays.fill(da, 0);                                         // a_nv feeds nothing
            for (int i = nv - 1; i >= 0; i--) {
                int ti = t * nv + i, hi = ti * nh;
                double vi = v[ti];
                // a_{i+1} = a_i + v_i W[i, :]: dW[i, :] += v_i da_{i+1}; da_{i+1} flows on into da_i unchanged
                if (vi != 0) for (int j = 0; j < nh; j++) dW[i * nh + j] += vi * da[j];
                // -log p(v) = sum_i softplus(s_i) - v_i s_i: d/d s_i = p_i - v_i, and s_i = bv_i(t) + h_i . V[:, i]
                double ds = scale * (fw.p()[ti] - vi);
                dbvt[ti] = ds;
                for (int j = 0; j < nh; j++) {
                    double hj = fw.h()[hi + j];
                    dV[j * nv + i] += ds * hj;
                    da[j] += ds * V[j * nv + i] * hj * (1 - hj);                  // h_i = sigmoid(a_i)
                }
            }
            System.arraycopy(da, 0, dbht, t * nh, nh);                           // a_0 = bh(t)
        }
        return new Grads(dW, dV, columnSums(dbvt, T, nv), columnSums(dbht, T, nh), dbvt, dbht);
    }

    /**
     * One frame (nv) drawn exactly from p(v) under the biases bvt (nv), bht (nh), ancestrally in index order: v_i is
     * 1 when the caller's uniform u[i] (nv, in [0, 1)) is below p_i = P(v_i = 1 | v_&lt;i), the Bernoulli convention
     * of {@link dev.tessitura.engine.Philox}, so that the same uniforms give the same frame.
     */
    public double[] sample(double[] bvt, double[] bht, double[] u) {
        double[] v = new double[nv];            // (nv)
        double[] a = bht.clone();               // (nh): a_0 = bh
        double[] h = new double[nh];            // (nh)
        for (int i = 0; i < nv; i++) {
            double p = sigmoid(conditional(a, bvt[i], i, h, 0));
            v[i] = u[i] < p ? 1 : 0;
            if (v[i] != 0) for (int j = 0; j < nh; j++) a[j] += W[i * nh + j];   // a_{i+1} = a_i + v_i W[i, :]
        }
        return v;
    }

    /** h_i = sigmoid(a_i) into h[hOff ..] and returns s_i = bv_i + h_i . V[:, i]. */
    private double conditional(double[] a, double bvi, int i, double[] h, int hOff) {
        double s = bvi;
        for (int j = 0; j < nh; j++) {
            double hj = sigmoid(a[j]);
            h[hOff + j] = hj;
            s += hj * V[j * nv + i];
        }
        return s;
    }

    /** b (n) repeated for T frames: (T, n). */
    static double[] repeat(double[] b, int T) {
        double[] r = new double[T * b.length];
        for (int t = 0; t < T; t++) System.arraycopy(b, 0, r, t * b.length, b.length);
        return r;
    }

    /** The column sums (n) of x (T, n). */
    static double[] columnSums(double[] x, int T, int n) {
        double[] s = new double[n];
        for (int t = 0; t < T; t++) for (int k = 0; k < n; k++) s[k] += x[t * n + k];
        return s;
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }
}
