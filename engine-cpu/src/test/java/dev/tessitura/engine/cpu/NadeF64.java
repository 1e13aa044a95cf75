package dev.tessitura.engine.cpu;

/**
 * The NADE ops of {@link dev.tessitura.engine.Backend} in float64 on float32 inputs, for NadeOpsTest: the
 * conditionals and log-likelihoods, the backward pass given the op's own p, and sampling given the uniforms. Each
 * also returns the scale a float32 rounding error is relative to (the sums of the magnitudes of the terms), so that
 * the tests can bound the float32 ops' errors by what their reductions allow. Biases are per row when they hold
 * T rows, shared otherwise. The model module checks the same ops against its PyTorch-verified NadeReference.
 */
final class NadeF64 {
    private NadeF64() {}

    /**
     * logp (T), p (T, nv), and scaleS (T, nv): the magnitude of s_i = bv_i + h_i . V[:, i], counting through h the
     * magnitude of a_i (sigmoid' &lt;= 1/4), so that |p - p64| &lt;= p (1 - p) rtol scaleS.
     */
    record Forward(double[] logp, double[] p, double[] scaleS, double[] terms) {}

    static Forward forward(float[] v, float[] w, float[] vw, float[] bv, float[] bh, int rows, int nv, int nh) {
        double[] logp = new double[rows], p = new double[rows * nv], scale = new double[rows * nv], terms = new double[rows];
        boolean bvRow = bv.length == rows * nv, bhRow = bh.length == rows * nh;
        double[] a = new double[nh], magA = new double[nh];
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < nh; j++) {
                a[j] = bh[(bhRow ? t * nh : 0) + j];
                magA[j] = Math.abs(a[j]);
            }
            for (int i = 0; i < nv; i++) {
                double b = bv[(bvRow ? t * nv : 0) + i], s = b, mag = Math.abs(b);
                for (int j = 0; j < nh; j++) {
                    double h = ConformanceSupport.sigmoid(a[j]), x = vw[j * nv + i];
                    s += h * x;
                    mag += Math.abs(h * x) + Math.abs(x) * magA[j] / 4;
                }
                double vi = v[t * nv + i], term = vi * ConformanceSupport.softplus(-s) + (1 - vi) * ConformanceSupport.softplus(s);
                p[t * nv + i] = ConformanceSupport.sigmoid(s);
                scale[t * nv + i] = mag;
                logp[t] -= term;
                terms[t] += Math.abs(term) + mag;
                for (int j = 0; j < nh; j++) {
                    a[j] += vi * w[i * nh + j];
                    magA[j] += Math.abs(vi * w[i * nh + j]);
                }
            }
        }
        return new Forward(logp, p, scale, terms);
    }

    /**
     * The gradients of alpha (-sum_t logp[t]) given p, and for each the sum of its terms' magnitudes, those through h
     * counted (1 + |a|) times: float32's a_i is off by up to rtol sum_k |v_k W[k, :]|, which h and h (1 - h) carry
     * with a relative factor of at most 1.
     */
    record Grads(double[] dW, double[] dV, double[] dBv, double[] dBh, double[] sW, double[] sV, double[] sBv, double[] sBh) {}

    /** Gradients for dBv and dBh per row ({@code perRow}) or summed; bh per row when it holds T rows. */
    static Grads backward(float[] v, float[] p, float[] w, float[] vw, float[] bh, int rows, int nv, int nh, double alpha, boolean perRow) {
        int gv = perRow ? rows * nv : nv, gh = perRow ? rows * nh : nh;
        Grads g = new Grads(new double[nv * nh], new double[nh * nv], new double[gv], new double[gh], new double[nv * nh],
                new double[nh * nv], new double[gv], new double[gh]);
        boolean bhRow = bh.length == rows * nh;
        double[] hs = new double[nv * nh], mags = new double[nv * nh], a = new double[nh], magA = new double[nh];
        double[] da = new double[nh], sDa = new double[nh];
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < nh; j++) {
                a[j] = bh[(bhRow ? t * nh : 0) + j];
                magA[j] = Math.abs(a[j]);
            }
            for (int i = 0; i < nv; i++) {
                for (int j = 0; j < nh; j++) {
                    hs[i * nh + j] = ConformanceSupport.sigmoid(a[j]);
                    mags[i * nh + j] = 1 + magA[j];
                    a[j] += v[t * nv + i] * w[i * nh + j];
                    magA[j] += Math.abs(v[t * nv + i] * w[i * nh + j]);
                }
            }
            java.util.Arrays.fill(da, 0);
            java.util.Arrays.fill(sDa, 0);
            for (int i = nv - 1; i >= 0; i--) {
                double vi = v[t * nv + i], ds = alpha * (p[t * nv + i] - vi);
                int bi = (perRow ? t * nv : 0) + i;
                g.dBv()[bi] += ds;
                g.sBv()[bi] += Math.abs(ds);
                for (int j = 0; j < nh; j++) {
                    g.dW()[i * nh + j] += vi * da[j];
                    g.sW()[i * nh + j] += Math.abs(vi) * sDa[j];
                    double h = hs[i * nh + j], x = ds * vw[j * nv + i] * h * (1 - h);
                    g.dV()[j * nv + i] += ds * h;
                    g.sV()[j * nv + i] += Math.abs(ds * h) * mags[i * nh + j];
                    da[j] += x;
                    sDa[j] += Math.abs(x) * mags[i * nh + j];
                }
            }
            for (int j = 0; j < nh; j++) {
                g.dBh()[(perRow ? t * nh : 0) + j] += da[j];
                g.sBh()[(perRow ? t * nh : 0) + j] += sDa[j];
            }
        }
        return g;
    }

    /** Frames drawn with the uniforms u (T, nv), and their conditionals: {v, p}; close marks the draws within FLIP. */
    static double[][] sample(float[] u, float[] w, float[] vw, float[] bv, float[] bh, int rows, int nv, int nh, boolean[] close) {
        double[] v = new double[rows * nv], p = new double[rows * nv];
        boolean bvRow = bv.length == rows * nv, bhRow = bh.length == rows * nh;
        double[] a = new double[nh];
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < nh; j++) a[j] = bh[(bhRow ? t * nh : 0) + j];
            for (int i = 0; i < nv; i++) {
                double s = bv[(bvRow ? t * nv : 0) + i];
                for (int j = 0; j < nh; j++) s += ConformanceSupport.sigmoid(a[j]) * vw[j * nv + i];
                double pi = ConformanceSupport.sigmoid(s);
                close[t * nv + i] = Math.abs(u[t * nv + i] - pi) < ConformanceSupport.FLIP;
                double vi = u[t * nv + i] < pi ? 1 : 0;
                p[t * nv + i] = pi;
                v[t * nv + i] = vi;
                for (int j = 0; j < nh; j++) a[j] += vi * w[i * nh + j];
            }
        }
        return new double[][] {v, p};
    }
}
