package dev.tessitura.model.nade;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The RNN-NADE (Boulanger-Lewandowski et al. 2012, sec. 5) in plain float64 Java: the RNN-RBM's recurrence and
 * time-dependent biases with a {@link NadeReference NADE} as the distribution of each frame. The oracle for the
 * engine's RNN-NADE, itself checked against PyTorch (../shared/reference/rnnnade_*.json) and finite differences.
 * Row-vector form, as the fixtures and {@link dev.tessitura.model.rnnrbm.RnnRbmReference}, for t = 1..T:
 * <pre>
 *   u(0) = 0
 *   bv(t) = bv + u(t-1) Wuv,   bh(t) = bh + u(t-1) Wuh                                (1), (2)
 *   u(t)  = tanh(bu + v(t) Wvu + u(t-1) Wuu)                                          (3)
 *   log p(v(t) | v(&lt;t)) = the NADE's log p(v(t)) under the biases bv(t), bh(t)      (4)
 *   cost = -(1/T) sum_t log p(v(t) | v(&lt;t))                                          (5)
 * </pre>
 * With dropout (training's --dropout) the biases (1), (2) read m(t-1) * u(t-1) for fixed multipliers m.
 * Matrices are row-major: W (nv, nh), V (nh, nv), Wuh (nu, nh), Wuv (nu, nv), Wvu (nv, nu), Wuu (nu, nu). In the
 * code frames count from 0: frame t is the paper's v(t+1), its biases come from row t of u (T+1, nu), and it makes
 * row t+1.
 */
public final class RnnNadeReference {
    public final int nv, nh, nu;
    public final double[] W;    // (nv, nh)
    public final double[] V;    // (nh, nv)
    public final double[] bv;   // (nv)
    public final double[] bh;   // (nh)
    public final double[] Wuh;  // (nu, nh)
    public final double[] Wuv;  // (nu, nv)
    public final double[] Wvu;  // (nv, nu)
    public final double[] Wuu;  // (nu, nu)
    public final double[] bu;   // (nu)
    /** The frame distribution: a NADE over the arrays W, V, bv, bh above (shared, not copied). */
    public final NadeReference nade;

    public RnnNadeReference(int nv, int nh, int nu) {
        this.nv = nv;
        this.nh = nh;
        this.nu = nu;
        W = new double[nv * nh];
        V = new double[nh * nv];
        bv = new double[nv];
        bh = new double[nh];
        Wuh = new double[nu * nh];
        Wuv = new double[nu * nv];
        Wvu = new double[nv * nu];
        Wuu = new double[nu * nu];
        bu = new double[nu];
        nade = new NadeReference(nv, nh, W, V, bv, bh);
    }

    /** The parameters in the fixture's order: W, V, bv, bh, Wuh, Wuv, Wvu, Wuu, bu. */
    public double[][] params() {
        return new double[][] {W, V, bv, bh, Wuh, Wuv, Wvu, Wuu, bu};
    }

    /** Every parameter uniform in [-scale, scale), drawn in {@link #params} order. */
    public void randomize(SplittableRandom r, double scale) {
        for (double[] p : params()) for (int k = 0; k < p.length; k++) p[k] = r.nextDouble(-scale, scale);
    }

    /**
     * Everything the forward pass computes for T frames: u (T+1, nu) with u(0) = 0 in row 0, the biases bvt (T, nv)
     * and bht (T, nh), the NADE's pass over the frames (log p(v(t) | v(&lt;t)) and every conditional), the cost.
     */
    public record Forward(int T, double[] u, double[] bvt, double[] bht, NadeReference.Forward frames, double cost) {}

    /** Gradients of the cost, one array per parameter, shaped as the parameters. */
    public record Grads(double[] W, double[] V, double[] bv, double[] bh, double[] Wuh, double[] Wuv, double[] Wvu,
                        double[] Wuu, double[] bu) {
        /** The arrays in {@link RnnNadeReference#params} order. */
        public double[][] all() {
            return new double[][] {W, V, bv, bh, Wuh, Wuv, Wvu, Wuu, bu};
        }
    }

    /** The forward pass over a sequence v (T, nv), row-major. */
    public Forward forward(double[] v, int T) {
        return forward(v, T, null);
    }

    /** As above, with dropout where mask (T, nu) is not null: its row t multiplies u(t-1) where (1), (2) read it. */
    public Forward forward(double[] v, int T, double[] mask) {
        double[] u = new double[(T + 1) * nu];  // (T+1, nu): row 0 is u(0) = 0
        double[] bvt = new double[T * nv];      // (T, nv)
        double[] bht = new double[T * nh];      // (T, nh)
        for (int t = 0; t < T; t++) {
            // (1), (2): bv(t) = bv + u(t-1) Wuv, bh(t) = bh + u(t-1) Wuh
            double[] ut = dropped(u, mask, t);  // (nu): u(t-1), times m(t-1) with dropout
            System.arraycopy(bv, 0, bvt, t * nv, nv);
            addTimes(ut, 0, nu, Wuv, nv, bvt, t * nv);
            System.arraycopy(bh, 0, bht, t * nh, nh);
            addTimes(ut, 0, nu, Wuh, nh, bht, t * nh);
            // (3): u(t) = tanh(bu + v(t) Wvu + u(t-1) Wuu)
            double[] z = bu.clone();            // (nu)
            addTimes(v, t * nv, nv, Wvu, nu, z, 0);
            addTimes(u, t * nu, nu, Wuu, nu, z, 0);
            for (int k = 0; k < nu; k++) u[(t + 1) * nu + k] = Math.tanh(z[k]);
        }
        NadeReference.Forward frames = nade.forward(v, bvt, bht, T);     // (4)
        double cost = 0;
        for (double lp : frames.logP()) cost -= lp / T;                    // (5)
        return new Forward(T, u, bvt, bht, frames, cost);
    }

    /** The cost (5) of a sequence v (T, nv). */
    public double cost(double[] v, int T) {
        return forward(v, T).cost();
    }

    /** The cost (5) with dropout multipliers mask (T, nu) (see {@link #forward(double[], int, double[])}). */
    public double cost(double[] v, int T, double[] mask) {
        return forward(v, T, mask).cost();
    }

    /** Row t of u (T+1, nu), u(t-1) of frame t, times row t of mask (T, nu) unless it is null. */
    private double[] dropped(double[] u, double[] mask, int t) {
        double[] out = Arrays.copyOfRange(u, t * nu, (t + 1) * nu);
        if (mask != null) for (int k = 0; k < nu; k++) out[k] *= mask[t * nu + k];
        return out;
    }

    /** d cost / d every parameter, by hand: the NADE's backward per frame, then BPTT through (1), (2) and (3). */
    public Grads grads(double[] v, int T) {
        return grads(v, T, null);
    }

    /** As above, with dropout multipliers mask (T, nu) or null. */
    public Grads grads(double[] v, int T, double[] mask) {
        Forward fw = forward(v, T, mask);
        // (4), (5): d cost / d W, V and the biases of every frame; bv and bh get the sums over frames of bv(t), bh(t)
        NadeReference.Grads frames = nade.backward(fw.frames(), v, 1.0 / T);
        Grads g = new Grads(frames.W(), frames.V(), frames.bv(), frames.bh(), new double[nu * nh],
                new double[nu * nv], new double[nv * nu], new double[nu * nu], new double[nu]);
        double[] u = fw.u();                    // (T+1, nu)
        double[] du = new double[(T + 1) * nu]; // (T+1, nu): d cost / d u(t); row T gets nothing
        double[] dz = new double[nu];           // (nu): d cost / d (bu + v(t) Wvu + u(t-1) Wuu)
        for (int t = T - 1; t >= 0; t--) {
            // row t+1 of du is complete: frame t+1's biases and recurrence, the only users of u(t+1), are done
            // (3): dz = du(t) (1 - u(t)^2); dbu += dz, dWvu += v(t)^T dz, dWuu += u(t-1)^T dz, du(t-1) += dz Wuu^T
            for (int k = 0; k < nu; k++) {
                double ut = u[(t + 1) * nu + k];
                dz[k] = du[(t + 1) * nu + k] * (1 - ut * ut);
                g.bu()[k] += dz[k];
            }
            backTimes(v, t * nv, nv, Wvu, nu, dz, 0, g.Wvu(), null, 0);
            backTimes(u, t * nu, nu, Wuu, nu, dz, 0, g.Wuu(), du, t * nu);
            // (1), (2) on u~ = m(t-1) u(t-1): dWuv += u~^T dbv(t), dWuh += u~^T dbh(t), du~ = dbv(t) Wuv^T + dbh(t) Wuh^T,
            // then du(t-1) += m(t-1) du~
            double[] ut = dropped(u, mask, t), dut = new double[nu];
            backTimes(ut, 0, nu, Wuv, nv, frames.bvt(), t * nv, g.Wuv(), dut, 0);
            backTimes(ut, 0, nu, Wuh, nh, frames.bht(), t * nh, g.Wuh(), dut, 0);
            for (int k = 0; k < nu; k++) du[t * nu + k] += (mask == null ? 1 : mask[t * nu + k]) * dut[k];
        }
        return g;
    }

    /** y[yOff .. yOff+cols) += x[xOff .. xOff+n) M, for the row vector x (n) and M (n, cols). */
    private static void addTimes(double[] x, int xOff, int n, double[] M, int cols, double[] y, int yOff) {
        for (int k = 0; k < n; k++) {
            double xk = x[xOff + k];
            if (xk != 0) for (int j = 0; j < cols; j++) y[yOff + j] += xk * M[k * cols + j];
        }
    }

    /**
     * The backward of y = x M for the row vector x (n) and M (n, cols), given dy[dyOff .. dyOff+cols): dM (n, cols)
     * += x^T dy and, unless dx is null, dx[dxOff .. dxOff+n) += dy M^T.
     */
    private static void backTimes(double[] x, int xOff, int n, double[] M, int cols, double[] dy, int dyOff,
                                  double[] dM, double[] dx, int dxOff) {
        for (int k = 0; k < n; k++) {
            double xk = x[xOff + k], dxk = 0;
            for (int j = 0; j < cols; j++) {
                dM[k * cols + j] += xk * dy[dyOff + j];
                dxk += dy[dyOff + j] * M[k * cols + j];
            }
            if (dx != null) dx[dxOff + k] += dxk;
        }
    }
}
