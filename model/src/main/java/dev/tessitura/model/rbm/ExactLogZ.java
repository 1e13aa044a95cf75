package dev.tessitura.model.rbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;

/**
 * The exact log partition function of a small binary RBM, by enumerating the smaller layer (at most
 * {@link #MAX_UNITS} units) in float64. Summing out the other layer analytically:
 * <pre>
 *   enumerate h:  log Z = log sum_h exp(h.bh + sum_i softplus(bv_i + (W h)_i))
 *   enumerate v:  log Z = log sum_v exp(v.bv + sum_j softplus(bh_j + (v W)_j))
 * </pre>
 * Configurations are visited in Gray-code order, so each step flips one unit and updates the other layer's input
 * by one row or column of W (O(n) instead of O(n m)); the sum is a streaming log-sum-exp. Evaluation code: it
 * reads the parameters to host arrays, and 2^24 configurations take seconds.
 */
public final class ExactLogZ {
    /** The largest layer it will enumerate: 2^24 configurations. */
    public static final int MAX_UNITS = 24;

    private ExactLogZ() {}

    /** log Z of the RBM's current parameters. */
    public static double logZ(Rbm rbm) {
        Backend be = rbm.backend();
        return logZ(toDouble(be.toArray(rbm.w)), toDouble(be.toArray(rbm.bv)), toDouble(be.toArray(rbm.bh)), rbm.nv, rbm.nh);
    }

    /**
     * log Z for each row of a batch of RBMs sharing W (nv, nh) with biases bv (nv) or (B, nv), bh (nh) or (B, nh),
     * as the RNN-RBM's conditionals; B is the row count of whichever bias is per row (1 if neither).
     */
    public static double[] logZ(Backend be, Tensor w, Tensor bv, Tensor bh) {
        int nv = w.rows(), nh = w.cols();
        int rows = Math.max(bv.size() == nv ? 1 : bv.rows(), bh.size() == nh ? 1 : bh.rows());
        boolean bvRow = Checks.bias("logZ", bv, rows, nv), bhRow = Checks.bias("logZ", bh, rows, nh);
        double[] wd = toDouble(be.toArray(w)), bvd = toDouble(be.toArray(bv)), bhd = toDouble(be.toArray(bh));
        double[] out = new double[rows];
        for (int b = 0; b < rows; b++) {
            double[] v = bvRow ? java.util.Arrays.copyOfRange(bvd, b * nv, (b + 1) * nv) : bvd;
            double[] h = bhRow ? java.util.Arrays.copyOfRange(bhd, b * nh, (b + 1) * nh) : bhd;
            out[b] = logZ(wd, v, h, nv, nh);
        }
        return out;
    }

    /**
     * The exact note marginals P(v_i = 1) of each RBM of a batch (as {@link #logZ(Backend, Tensor, Tensor, Tensor)}),
     * (B nv) values, by enumerating the hidden layer: P(h) is proportional to exp(h.bh + sum_i softplus(bv_i + (W h)_i))
     * and P(v_i = 1 | h) = sigmoid(bv_i + (W h)_i). A reference for estimated marginals (AIS, Gibbs chains).
     */
    public static double[] visibleMarginals(Backend be, Tensor w, Tensor bv, Tensor bh) {
        int nv = w.rows(), nh = w.cols();
        if (nh > MAX_UNITS) throw new IllegalArgumentException("marginals: " + nh + " hidden units, more than " + MAX_UNITS);
        int rows = Math.max(bv.size() == nv ? 1 : bv.rows(), bh.size() == nh ? 1 : bh.rows());
        boolean bvRow = Checks.bias("marginals", bv, rows, nv), bhRow = Checks.bias("marginals", bh, rows, nh);
        double[] wd = toDouble(be.toArray(w)), bvd = toDouble(be.toArray(bv)), bhd = toDouble(be.toArray(bh));
        double[] out = new double[rows * nv], a = new double[nv], num = new double[nv];
        for (int b = 0; b < rows; b++) {
            int vo = bvRow ? b * nv : 0, ho = bhRow ? b * nh : 0;
            double max = Double.NEGATIVE_INFINITY, total = 0;
            java.util.Arrays.fill(num, 0);
            for (long m = 0; m < 1L << nh; m++) {
                double lp = 0;
                for (int j = 0; j < nh; j++) if ((m >> j & 1) == 1) lp += bhd[ho + j];
                for (int i = 0; i < nv; i++) {
                    a[i] = bvd[vo + i];
                    for (int j = 0; j < nh; j++) if ((m >> j & 1) == 1) a[i] += wd[i * nh + j];
                    lp += softplus(a[i]);
                }
                if (lp > max) {                                  // rescale the running sums to the new maximum
                    double r = Math.exp(max - lp);
                    total *= r;
                    for (int i = 0; i < nv; i++) num[i] *= r;
                    max = lp;
                }
                double p = Math.exp(lp - max);
                total += p;
                for (int i = 0; i < nv; i++) num[i] += p / (1 + Math.exp(-a[i]));
            }
            for (int i = 0; i < nv; i++) out[b * nv + i] = num[i] / total;
        }
        return out;
    }

    /** log Z of the RBM with W (nv, nh) row-major, bv (nv), bh (nh). */
    public static double logZ(double[] w, double[] bv, double[] bh, int nv, int nh) {
        if (w.length != nv * nh || bv.length != nv || bh.length != nh) {
            throw new IllegalArgumentException("logZ: W has " + w.length + ", bv " + bv.length + ", bh " + bh.length
                    + " values; expected " + nv * nh + ", " + nv + ", " + nh);
        }
        if (Math.min(nv, nh) > MAX_UNITS) {
            throw new IllegalArgumentException("logZ: both layers are larger than " + MAX_UNITS + " units (nv " + nv
                    + ", nh " + nh + "); exact enumeration is out of reach, use Ais");
        }
        if (nh <= nv) return enumerate(w, bh, bv, nh, nv, true);
        return enumerate(w, bv, bh, nv, nh, false);
    }

    /**
     * log sum_x exp(x.bx + sum_i softplus(by_i + (x-to-y input)_i)) over the n units x; m units y on the other side.
     * W is (nv, nh); when x is the hidden layer (xIsHidden) the input to y_i is sum_j W[i, j] x_j, else
     * sum_j W[j, i] x_j.
     */
    private static double enumerate(double[] w, double[] bx, double[] by, int n, int m, boolean xIsHidden) {
        double[] a = by.clone();            // (m) input to the other layer: by + W-part of x
        boolean[] x = new boolean[n];
        double xb = 0;                      // x.bx
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        long count = 1L << n;
        for (long g = 0; g < count; g++) {
            if (g > 0) {
                int j = Long.numberOfTrailingZeros(g);       // Gray code: step g flips bit ctz(g)
                x[j] = !x[j];
                double s = x[j] ? 1 : -1;
                xb += s * bx[j];
                for (int i = 0; i < m; i++) a[i] += s * (xIsHidden ? w[i * n + j] : w[j * m + i]);
            }
            double e = xb;
            for (int i = 0; i < m; i++) e += softplus(a[i]);
            if (e > max) {                                   // streaming log-sum-exp
                sum = sum * Math.exp(max - e) + 1;
                max = e;
            } else {
                sum += Math.exp(e - max);
            }
        }
        return max + Math.log(sum);
    }

    /** log(1 + exp(x)) without overflow. */
    static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
