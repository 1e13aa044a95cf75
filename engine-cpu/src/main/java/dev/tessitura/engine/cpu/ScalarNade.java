package dev.tessitura.engine.cpu;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;

/**
 * ScalarBackend's NADE section (its own file to keep ScalarBackend short): the loops of {@link
 * dev.tessitura.engine.Backend#nadeForward}, nadeBackward and nadeSample as their javadoc writes them, one row at a
 * time. Inner products add in float32 in index order, log-likelihoods in float64, as the other ops do. h_i =
 * sigmoid(a_i) is computed again only after a unit with v_{i-1} != 0, the only place a changes: the same numbers as
 * computing it for every i, nh sigmoids per note instead of per unit.
 */
final class ScalarNade {
    private ScalarNade() {}

    private static float[] d(Tensor t) {
        return HeapStorage.data(t);
    }

    private static int o(Tensor t) {
        return (int) t.offset();
    }

    static void forward(ScalarBackend be, Tensor logp, Tensor p, Tensor v, Tensor w, Tensor vw, Tensor bv, Tensor bh) {
        Checks.NadeShape sh = Checks.nadeForward(be, logp, p, v, w, vw, bv, bh);
        int nv = sh.nv(), nh = sh.nh();
        float[] a = new float[nh], h = new float[nh];                    // (nh) each
        for (int t = 0; t < sh.rows(); t++) {
            System.arraycopy(d(bh), o(bh) + (sh.bhPerRow() ? t * nh : 0), a, 0, nh);   // a_0 = bh(t)
            double lp = 0;
            for (int i = 0; i < nv; i++) {
                float vi = d(v)[o(v) + t * nv + i];
                float s = conditional(a, h, i, i == 0 || d(v)[o(v) + t * nv + i - 1] != 0, vw, d(bv)[o(bv) + (sh.bvPerRow() ? t * nv : 0) + i], nv, nh);
                d(p)[o(p) + t * nv + i] = ScalarBackend.sigmoid(s);
                lp -= vi * softplus(-s) + (1 - vi) * softplus(s);        // v log p + (1 - v) log(1 - p)
                if (vi != 0) addRow(a, vi, w, i, nh);
            }
            d(logp)[o(logp) + t] = (float) lp;
        }
    }

    static void backward(ScalarBackend be, Tensor dW, Tensor dV, Tensor dBv, Tensor dBh, Tensor v, Tensor p, Tensor w, Tensor vw,
                         Tensor bh, float alpha) {
        Checks.NadeShape sh = Checks.nadeBackward(be, dW, dV, dBv, dBh, v, p, w, vw, bh);
        int nv = sh.nv(), nh = sh.nh();
        boolean bhRow = Checks.bias("nadeBackward", bh, sh.rows(), nh);
        float[] a = new float[nh], da = new float[nh];                  // (nh) each
        float[] hs = new float[nv * nh];                                 // (nv, nh): h_i of the row
        float[] vwd = d(vw), dVd = d(dV), dWd = d(dW);
        for (int t = 0; t < sh.rows(); t++) {
            // the a_i in the forward's order, so that h_i has its bits (Backend.nadeBackward says why)
            System.arraycopy(d(bh), o(bh) + (bhRow ? t * nh : 0), a, 0, nh);
            for (int i = 0; i < nv; i++) {
                float vi = d(v)[o(v) + t * nv + i];
                if (i == 0 || d(v)[o(v) + t * nv + i - 1] != 0) for (int j = 0; j < nh; j++) hs[i * nh + j] = ScalarBackend.sigmoid(a[j]);
                else System.arraycopy(hs, (i - 1) * nh, hs, i * nh, nh);
                if (vi != 0) addRow(a, vi, w, i, nh);
            }
            java.util.Arrays.fill(da, 0f);                               // a_nv feeds nothing
            for (int i = nv - 1; i >= 0; i--) {
                float vi = d(v)[o(v) + t * nv + i];
                // a_{i+1} = a_i + v_i W[i, :]: dW[i, :] += v_i da_{i+1}, and da_{i+1} flows on into da_i
                if (vi != 0) for (int j = 0; j < nh; j++) dWd[o(dW) + i * nh + j] += vi * da[j];
                // -log p = softplus(s_i) - v_i s_i: d/ds_i = p_i - v_i, s_i = bv_i + h_i . V[:, i]
                float ds = alpha * (d(p)[o(p) + t * nv + i] - vi);
                d(dBv)[o(dBv) + (sh.bvPerRow() ? t * nv : 0) + i] += ds;
                for (int j = 0; j < nh; j++) {
                    float hj = hs[i * nh + j];
                    dVd[o(dV) + j * nv + i] += ds * hj;
                    da[j] += ds * vwd[o(vw) + j * nv + i] * hj * (1f - hj);   // h_i = sigmoid(a_i)
                }
            }
            for (int j = 0; j < nh; j++) d(dBh)[o(dBh) + (sh.bhPerRow() ? t * nh : 0) + j] += da[j];   // a_0 = bh(t)
        }
    }

    static void sample(ScalarBackend be, Tensor v, Tensor p, Tensor w, Tensor vw, Tensor bv, Tensor bh, Rng rng) {
        Checks.NadeShape sh = Checks.nadeSample(be, v, p, w, vw, bv, bh);
        int nv = sh.nv(), nh = sh.nh(), n = sh.rows() * nv;
        float[] u = new float[n];                                        // (T, nv): unit i of row t is element t nv + i
        Philox.uniforms(rng.seed(), rng.stream(), rng.take(n), u, 0, n);
        float[] a = new float[nh], h = new float[nh];
        for (int t = 0; t < sh.rows(); t++) {
            System.arraycopy(d(bh), o(bh) + (sh.bhPerRow() ? t * nh : 0), a, 0, nh);
            for (int i = 0; i < nv; i++) {
                float s = conditional(a, h, i, i == 0 || d(v)[o(v) + t * nv + i - 1] != 0, vw, d(bv)[o(bv) + (sh.bvPerRow() ? t * nv : 0) + i], nv, nh);
                float pi = ScalarBackend.sigmoid(s);
                float vi = u[t * nv + i] < pi ? 1f : 0f;
                d(p)[o(p) + t * nv + i] = pi;
                d(v)[o(v) + t * nv + i] = vi;
                if (vi != 0) addRow(a, vi, w, i, nh);
            }
        }
    }

    /** s_i = bv_i + h_i . V[:, i], with h = sigmoid(a) written first when {@code changed}. */
    private static float conditional(float[] a, float[] h, int i, boolean changed, Tensor vw, float bvi, int nv, int nh) {
        if (changed) for (int j = 0; j < nh; j++) h[j] = ScalarBackend.sigmoid(a[j]);
        float s = bvi;
        for (int j = 0; j < nh; j++) s += h[j] * d(vw)[o(vw) + j * nv + i];
        return s;
    }

    /** a += vi W[i, :]. */
    private static void addRow(float[] a, float vi, Tensor w, int i, int nh) {
        for (int j = 0; j < nh; j++) a[j] += vi * d(w)[o(w) + i * nh + j];
    }

    /** log(1 + e^x) in float64, never overflowing. */
    private static double softplus(double x) {
        return Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));
    }
}
