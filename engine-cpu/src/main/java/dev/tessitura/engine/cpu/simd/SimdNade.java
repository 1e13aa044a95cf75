package dev.tessitura.engine.cpu.simd;

import static dev.tessitura.engine.cpu.simd.SimdBackend.GEMM_PARALLEL_FLOPS;
import static dev.tessitura.engine.cpu.simd.SimdBackend.data;
import static dev.tessitura.engine.cpu.simd.SimdBackend.off;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SimdBackend's NADE ops. Vectors run along the hidden units: V^T (nv, nh) is formed once per call, so that
 * s_i = bv_i + h . V[:, i] is a contiguous dot product and the backward's sum of ds_i V[:, i] a run of FMAs. As in
 * the scalar reference, h = sigmoid(a) is recomputed only after a unit that is on (a changes nowhere else): for music
 * (a few notes of 88) the sigmoids cost a few vectors per note, and the nv dot products are the work.
 *
 * <p>Threads: the forward pass and sampling share out the rows; the backward pass shares out the hidden units
 * (whole vectors of them), each thread walking every row for its units, so that dW, dV and dBh are sums over the rows
 * in row order whatever the thread count: the same bits for any number of threads, without a reduction.
 */
final class SimdNade {
    private final SimdBackend be;
    private final Lanes lanes;
    private final SimdPhilox philox;
    private final WorkerPool pool;

    SimdNade(SimdBackend be) {
        this.be = be;
        this.lanes = be.lanes;
        this.philox = be.philox;
        this.pool = be.pool;
    }

    /** Whether T rows of a NADE op of nv x nh are worth the hand-over to the workers (about 2 nv nh flops a row). */
    private static boolean parallel(int rows, int nv, int nh) {
        return 2L * rows * nv * nh >= GEMM_PARALLEL_FLOPS;
    }

    /** V^T (nv, nh) of V (nh, nv). */
    private static float[] transposed(Tensor vw, int nv, int nh) {
        float[] vt = new float[nv * nh];
        SimdBlas.transpose(data(vw), off(vw), nh, nv, vt, 0);
        return vt;
    }

    /** Rows whose dot products run together: four independent FMA chains that share the loads of V^T. */
    private static final int GROUP = 4;

    void forward(Tensor logp, Tensor p, Tensor v, Tensor w, Tensor vw, Tensor bv, Tensor bh) {
        Checks.NadeShape sh = Checks.nadeForward(be, logp, p, v, w, vw, bv, bh);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh();
        float[] vt = transposed(vw, nv, nh);
        float[] vd = data(v), pd = data(p), lpd = data(logp), wd = data(w), bvd = data(bv), bhd = data(bh);
        int vOff = off(v), pOff = off(p), lpOff = off(logp), wOff = off(w), bvOff = off(bv), bhOff = off(bh);
        pool.forRange(rows, parallel(rows, nv, nh), (r0, r1) -> {
            float[] a = new float[GROUP * nh], h = new float[GROUP * nh];   // (GROUP, nh) each: a_i and h_i of the group's rows
            float[] s = new float[GROUP], buf = new float[GROUP * lanes.floats().length()];
            for (int t0 = r0; t0 < r1; t0 += GROUP) {
                int m = Math.min(GROUP, r1 - t0);
                start(a, bhd, bhOff, sh.bhPerRow(), t0, m, nh);
                for (int i = 0; i < nv; i++) {
                    refresh(a, h, vd, vOff, t0, m, i, nv, nh);
                    dots(h, m, nh, vt, i * nh, s, buf);
                    for (int k = 0; k < m; k++) {
                        int row = (t0 + k) * nv;
                        pd[pOff + row + i] = bvd[bvOff + (sh.bvPerRow() ? row : 0) + i] + s[k];   // s_i for now
                        float vi = vd[vOff + row + i];
                        if (vi != 0) fma(vi, wd, wOff + i * nh, a, k * nh, nh);   // a_{i+1} = a_i + v_i W[i, :]
                    }
                }
                for (int k = 0; k < m; k++) lpd[lpOff + t0 + k] = (float) logLikelihood(pd, pOff + (t0 + k) * nv, vd, vOff + (t0 + k) * nv, nv);
            }
        });
    }

    /** a_0 = bh(t) (nh) for the m rows t0 .. of a group, row k of a (GROUP, nh). */
    private static void start(float[] a, float[] bh, int bhOff, boolean perRow, int t0, int m, int nh) {
        for (int k = 0; k < m; k++) System.arraycopy(bh, bhOff + (perRow ? (t0 + k) * nh : 0), a, k * nh, nh);
    }

    /** h_k = sigmoid(a_k) for the group's rows whose a changed before unit i: i = 0, or unit i - 1 is on. */
    private void refresh(float[] a, float[] h, float[] v, int vOff, int t0, int m, int i, int nv, int nh) {
        for (int k = 0; k < m; k++) {
            if (i == 0 || v[vOff + (t0 + k) * nv + i - 1] != 0) sigmoid(a, k * nh, h, k * nh, nh);
        }
    }

    /**
     * s[k] = h_k . vt[vOff ..] (n) for the first m (at most GROUP) rows k of h (rows of length n), each dot as one FMA
     * chain per lane over the whole vectors, the sum of the lanes in order, then the tail's FMAs in order: the same
     * operations for a row whatever its group, so a dot's bits do not depend on how the rows were shared among threads.
     */
    private void dots(float[] h, int m, int n, float[] vt, int vOff, float[] s, float[] buf) {
        VectorSpecies<Float> sp = lanes.floats();
        int len = sp.length(), bound = sp.loopBound(n);
        // rows beyond m repeat row 0: four chains always, their sums unused
        int o1 = m > 1 ? n : 0, o2 = m > 2 ? 2 * n : 0, o3 = m > 3 ? 3 * n : 0;
        FloatVector c0 = FloatVector.zero(sp), c1 = c0, c2 = c0, c3 = c0;
        for (int j = 0; j < bound; j += len) {
            FloatVector x = FloatVector.fromArray(sp, vt, vOff + j);
            c0 = FloatVector.fromArray(sp, h, j).fma(x, c0);
            c1 = FloatVector.fromArray(sp, h, o1 + j).fma(x, c1);
            c2 = FloatVector.fromArray(sp, h, o2 + j).fma(x, c2);
            c3 = FloatVector.fromArray(sp, h, o3 + j).fma(x, c3);
        }
        c0.intoArray(buf, 0);
        c1.intoArray(buf, len);
        c2.intoArray(buf, 2 * len);
        c3.intoArray(buf, 3 * len);
        for (int k = 0; k < m; k++) {
            float sum = 0f;
            for (int l = 0; l < len; l++) sum += buf[k * len + l];
            for (int j = bound; j < n; j++) sum = Math.fma(h[k * n + j], vt[vOff + j], sum);
            s[k] = sum;
        }
    }

    /** p = sigmoid(s) over one row holding s on entry; returns the row's log p(v) = sum_i v_i log p_i + (1 - v_i) log(1 - p_i). */
    private double logLikelihood(float[] p, int pOff, float[] v, int vOff, int n) {
        VectorSpecies<Float> sp = lanes.floats();
        FloatVector acc = FloatVector.zero(sp);
        int i = 0;
        for (int bound = sp.loopBound(n); i < bound; i += sp.length()) {
            FloatVector s = FloatVector.fromArray(sp, p, pOff + i), vi = FloatVector.fromArray(sp, v, vOff + i);
            // -log p(v_i) = v softplus(-s) + (1 - v) softplus(s)
            acc = acc.add(vi.mul(SimdMath.softplus(s.neg())).add(vi.broadcast(1f).sub(vi).mul(SimdMath.softplus(s))));
            SimdMath.sigmoid(s).intoArray(p, pOff + i);
        }
        double nll = SimdMath.sumLanes(acc);
        for (; i < n; i++) {
            float s = p[pOff + i], vi = v[vOff + i];
            nll += vi * SimdMath.softplus(-s) + (1f - vi) * SimdMath.softplus(s);
            p[pOff + i] = SimdMath.sigmoid(s);
        }
        return -nll;
    }

    void sample(Tensor v, Tensor p, Tensor w, Tensor vw, Tensor bv, Tensor bh, Rng rng) {
        Checks.NadeShape sh = Checks.nadeSample(be, v, p, w, vw, bv, bh);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh();
        long first = rng.take((long) rows * nv);
        float[] vt = transposed(vw, nv, nh);
        float[] vd = data(v), pd = data(p), wd = data(w), bvd = data(bv), bhd = data(bh);
        int vOff = off(v), pOff = off(p), wOff = off(w), bvOff = off(bv), bhOff = off(bh);
        pool.forRange(rows, parallel(rows, nv, nh), (r0, r1) -> {
            float[] a = new float[GROUP * nh], h = new float[GROUP * nh];   // (GROUP, nh) each
            float[] s = new float[GROUP], buf = new float[GROUP * lanes.floats().length()];
            float[] u = new float[(r1 - r0) * nv];                       // these rows' uniforms, element t nv + i of the draw
            philox.uniforms(rng.seed(), rng.stream(), first, (long) r0 * nv, u, 0, u.length);
            for (int t0 = r0; t0 < r1; t0 += GROUP) {
                int m = Math.min(GROUP, r1 - t0);
                start(a, bhd, bhOff, sh.bhPerRow(), t0, m, nh);
                // the group's rows walk the units together, each drawing its own and changing its own a
                for (int i = 0; i < nv; i++) {
                    refresh(a, h, vd, vOff, t0, m, i, nv, nh);
                    dots(h, m, nh, vt, i * nh, s, buf);
                    for (int k = 0; k < m; k++) {
                        int row = (t0 + k) * nv;
                        float pi = SimdMath.sigmoid(bvd[bvOff + (sh.bvPerRow() ? row : 0) + i] + s[k]);
                        float vi = u[(t0 + k - r0) * nv + i] < pi ? 1f : 0f;
                        pd[pOff + row + i] = pi;
                        vd[vOff + row + i] = vi;
                        if (vi != 0) fma(vi, wd, wOff + i * nh, a, k * nh, nh);
                    }
                }
            }
        });
    }

    void backward(Tensor dW, Tensor dV, Tensor dBv, Tensor dBh, Tensor v, Tensor p, Tensor w, Tensor vw, Tensor bh, float alpha) {
        Checks.NadeShape sh = Checks.nadeBackward(be, dW, dV, dBv, dBh, v, p, w, vw, bh);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh(), len = lanes.floats().length();
        boolean bhRow = Checks.bias("nadeBackward", bh, rows, nh);
        float[] vt = transposed(vw, nv, nh);
        float[] vd = data(v), pd = data(p), wd = data(w), bhd = data(bh), dWd = data(dW), dVd = data(dV), dBhd = data(dBh);
        int vOff = off(v), pOff = off(p), wOff = off(w), bhOff = off(bh), dWOff = off(dW), dVOff = off(dV), dBhOff = off(dBh);
        // hidden units in whole vectors, so that a unit is in a vector or in the tail whatever the thread count
        pool.forRange((nh + len - 1) / len, parallel(rows, nv, nh), (g0, g1) -> {
            int j0 = g0 * len, n = Math.min(nh, g1 * len) - j0;
            float[] snap = new float[(nv + 1) * n];   // (segments, n): a at the start of each run of units with one h
            int[] start = new int[nv + 1];            // the first unit of each segment
            float[] h = new float[n], hh = new float[n], g = new float[n], da = new float[n];   // (n) each
            float[] dvt = new float[nv * n];          // (nv, n): dV^T of these units, summed over the rows
            for (int t = 0; t < rows; t++) {
                int row = vOff + t * nv, prow = pOff + t * nv;
                // the a_i in the forward pass's order (Backend.nadeBackward says why), kept where they change
                System.arraycopy(bhd, bhOff + (bhRow ? t * nh : 0) + j0, snap, 0, n);
                int segments = 1;
                for (int i = 0; i < nv - 1; i++) {
                    if (vd[row + i] == 0) continue;
                    System.arraycopy(snap, (segments - 1) * n, snap, segments * n, n);
                    fma(vd[row + i], wd, wOff + i * nh + j0, snap, segments * n, n);   // a_{i+1} = a_i + v_i W[i, :]
                    start[segments++] = i + 1;
                }
                java.util.Arrays.fill(da, 0f);                  // a_nv feeds nothing
                for (int k = segments - 1; k >= 0; k--) {
                    int i0 = start[k], i1 = k + 1 < segments ? start[k + 1] : nv;
                    // unit i1 - 1 ended this segment (it is on): dW[i1 - 1, :] += v_{i1-1} da_{i1}
                    if (k + 1 < segments) fma(vd[row + i1 - 1], da, 0, dWd, dWOff + (i1 - 1) * nh + j0, n);
                    sigmoid(snap, k * n, h, 0, n);
                    java.util.Arrays.fill(g, 0f);
                    for (int i = i0; i < i1; i++) {
                        unitTerms(alpha * (pd[prow + i] - vd[row + i]), vt, i * nh + j0, g, h, dvt, i * n, n);
                    }
                    derivative(h, hh, n);
                    mulAdd(g, hh, da, n);                                // da += g h (1 - h)
                }
                fma(1f, da, 0, dBhd, dBhOff + (sh.bhPerRow() ? t * nh : 0) + j0, n);   // a_0 = bh(t)
            }
            for (int j = 0; j < n; j++) {
                int o = dVOff + (j0 + j) * nv;
                for (int i = 0; i < nv; i++) dVd[o + i] += dvt[i * n + j];
            }
        });
        biasGradient(dBv, sh.bvPerRow(), pd, pOff, vd, vOff, rows, nv, alpha);
    }

    /** dBv += alpha (p - v), per row or summed over the rows in row order. */
    private void biasGradient(Tensor dBv, boolean perRow, float[] p, int pOff, float[] v, int vOff, int rows, int nv, float alpha) {
        VectorSpecies<Float> sp = lanes.floats();
        float[] g = data(dBv);
        for (int t = 0; t < rows; t++) {
            int go = off(dBv) + (perRow ? t * nv : 0), i = 0;
            for (int bound = sp.loopBound(nv); i < bound; i += sp.length()) {
                FloatVector ds = FloatVector.fromArray(sp, p, pOff + t * nv + i).sub(FloatVector.fromArray(sp, v, vOff + t * nv + i)).mul(alpha);
                FloatVector.fromArray(sp, g, go + i).add(ds).intoArray(g, go + i);
            }
            for (; i < nv; i++) g[go + i] += alpha * (p[pOff + t * nv + i] - v[vOff + t * nv + i]);
        }
    }

    // ---------------------------------------------------------------- row kernels: a vector loop and a scalar tail

    /** h[hOff ..] = sigmoid(a[aOff ..]) over n units. */
    private void sigmoid(float[] a, int aOff, float[] h, int hOff, int n) {
        VectorSpecies<Float> sp = lanes.floats();
        int j = 0;
        for (int bound = sp.loopBound(n); j < bound; j += sp.length()) {
            SimdMath.sigmoid(FloatVector.fromArray(sp, a, aOff + j)).intoArray(h, hOff + j);
        }
        for (; j < n; j++) h[hOff + j] = SimdMath.sigmoid(a[aOff + j]);
    }

    /** One unit's terms of the backward pass over n hidden units: g += ds V[:, i] (vt's row), dvt[dvtOff ..] += ds h. */
    private void unitTerms(float ds, float[] vt, int vtOff, float[] g, float[] h, float[] dvt, int dvtOff, int n) {
        VectorSpecies<Float> sp = lanes.floats();
        FloatVector d = FloatVector.broadcast(sp, ds);
        int j = 0;
        for (int bound = sp.loopBound(n); j < bound; j += sp.length()) {
            FloatVector.fromArray(sp, vt, vtOff + j).fma(d, FloatVector.fromArray(sp, g, j)).intoArray(g, j);
            FloatVector.fromArray(sp, h, j).fma(d, FloatVector.fromArray(sp, dvt, dvtOff + j)).intoArray(dvt, dvtOff + j);
        }
        for (; j < n; j++) {
            g[j] = Math.fma(vt[vtOff + j], ds, g[j]);
            dvt[dvtOff + j] = Math.fma(h[j], ds, dvt[dvtOff + j]);
        }
    }

    /** y[yOff ..] += x * z[zOff ..] over n elements, one FMA each. */
    private void fma(float x, float[] z, int zOff, float[] y, int yOff, int n) {
        VectorSpecies<Float> sp = lanes.floats();
        FloatVector xv = FloatVector.broadcast(sp, x);
        int j = 0;
        for (int bound = sp.loopBound(n); j < bound; j += sp.length()) {
            FloatVector.fromArray(sp, z, zOff + j).fma(xv, FloatVector.fromArray(sp, y, yOff + j)).intoArray(y, yOff + j);
        }
        for (; j < n; j++) y[yOff + j] = Math.fma(z[zOff + j], x, y[yOff + j]);
    }

    /** hh = h (1 - h). */
    private void derivative(float[] h, float[] hh, int n) {
        VectorSpecies<Float> sp = lanes.floats();
        int j = 0;
        for (int bound = sp.loopBound(n); j < bound; j += sp.length()) {
            FloatVector x = FloatVector.fromArray(sp, h, j);
            x.mul(x.broadcast(1f).sub(x)).intoArray(hh, j);
        }
        for (; j < n; j++) hh[j] = h[j] * (1f - h[j]);
    }

    /** y += x * z elementwise, one FMA each. */
    private void mulAdd(float[] x, float[] z, float[] y, int n) {
        VectorSpecies<Float> sp = lanes.floats();
        int j = 0;
        for (int bound = sp.loopBound(n); j < bound; j += sp.length()) {
            FloatVector.fromArray(sp, x, j).fma(FloatVector.fromArray(sp, z, j), FloatVector.fromArray(sp, y, j)).intoArray(y, j);
        }
        for (; j < n; j++) y[j] = Math.fma(x[j], z[j], y[j]);
    }
}
