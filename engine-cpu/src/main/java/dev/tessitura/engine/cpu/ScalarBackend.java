package dev.tessitura.engine.cpu;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import java.util.Arrays;

/**
 * The scalar reference: the simplest correct loops, one thread, float32 storage. It is the oracle the SIMD and CUDA
 * backends are tested against and the fallback when the Vector API module is absent, so clarity wins over speed
 * here. Inner products accumulate in float32 in index order (as a naive BLAS would); sums accumulate in float64.
 *
 * <p>Every op of {@link Backend} is here, section by section: its loops, or an override that names the interface's
 * default as the reference (the layer and AIS ops, gatherRows, momentum, sumOfSquares into a tensor: sequences of the
 * ops here), or, for the NADE section, the loops of {@link ScalarNade}. Only the plumbing stays implicit:
 * {@link Backend#of}, {@link Backend#toArray}, {@link Backend#record} (the body simply runs) and
 * {@link Backend#asynchronous} (false) are the interface's defaults.
 */
public final class ScalarBackend implements Backend {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public String description() {
        return "scalar: plain Java loops (reference), 1 thread";
    }

    @Override
    public void close() {
        // nothing held
    }

    // ---------------------------------------------------------------- memory

    @Override
    public Tensor zeros(int... shape) {
        return HeapStorage.zeros(this, shape);
    }

    @Override
    public void copyFromHost(Tensor dst, float[] src, int srcOffset) {
        HeapStorage.copyFromHost(this, dst, src, srcOffset);
    }

    @Override
    public void copyToHost(float[] dst, int dstOffset, Tensor src) {
        HeapStorage.copyToHost(this, dst, dstOffset, src);
    }

    @Override
    public void synchronize() {
        // every op has finished when it returns
    }

    private static float[] d(Tensor t) {
        return HeapStorage.data(t);
    }

    private static int o(Tensor t) {
        return (int) t.offset();
    }

    // ---------------------------------------------------------------- BLAS-like

    @Override
    public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        int[] mnk = Checks.gemm(this, c, a, transA, b, transB);
        gemm(d(c), o(c), d(a), o(a), a.cols(), transA, d(b), o(b), b.cols(), transB, mnk[0], mnk[1], mnk[2], alpha, beta);
    }

    /** C[i][j] = alpha * sum_p opA[i][p] opB[p][j] + beta * C[i][j]; ldX is the row length of X as stored. */
    static void gemm(float[] c, int oc, float[] a, int oa, int lda, boolean transA, float[] b, int ob, int ldb,
                     boolean transB, int m, int n, int k, float alpha, float beta) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    float x = transA ? a[oa + p * lda + i] : a[oa + i * lda + p];
                    float y = transB ? b[ob + j * ldb + p] : b[ob + p * ldb + j];
                    acc += x * y;
                }
                int ci = oc + i * n + j;
                // beta = 0 overwrites, so NaN or garbage in C does not leak through 0 * C
                c[ci] = beta == 0f ? alpha * acc : alpha * acc + beta * c[ci];
            }
        }
    }

    @Override
    public void addRowVector(Tensor out, Tensor x, Tensor bias) {
        Checks.elementwise(this, "addRowVector", out, x);
        Checks.owned(this, "addRowVector", bias);
        Checks.length("addRowVector", "bias", bias, x.cols());
        Checks.inPlaceOrDisjoint("addRowVector", out, bias);
        float[] od = d(out), xd = d(x), bd = d(bias);
        int rows = x.rows(), cols = x.cols();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) od[o(out) + i * cols + j] = xd[o(x) + i * cols + j] + bd[o(bias) + j];
        }
    }

    @Override
    public void columnSums(Tensor out, Tensor x, float alpha, float beta) {
        Checks.owned(this, "columnSums", out, x);
        Checks.length("columnSums", "out", out, x.cols());
        Checks.disjoint("columnSums", out, x);
        float[] od = d(out), xd = d(x);
        int rows = x.rows(), cols = x.cols();
        for (int j = 0; j < cols; j++) {
            double s = 0;
            for (int i = 0; i < rows; i++) s += xd[o(x) + i * cols + j];
            int oi = o(out) + j;
            od[oi] = beta == 0f ? (float) (alpha * s) : (float) (alpha * s + beta * od[oi]);
        }
    }

    @Override
    public void rowSums(Tensor out, Tensor x, float alpha, float beta) {
        Checks.owned(this, "rowSums", out, x);
        Checks.length("rowSums", "out", out, x.rows());
        Checks.disjoint("rowSums", out, x);
        float[] od = d(out), xd = d(x);
        int rows = x.rows(), cols = x.cols();
        for (int i = 0; i < rows; i++) {
            double s = 0;
            for (int j = 0; j < cols; j++) s += xd[o(x) + i * cols + j];
            int oi = o(out) + i;
            od[oi] = beta == 0f ? (float) (alpha * s) : (float) (alpha * s + beta * od[oi]);
        }
    }

    @Override
    public void axpy(Tensor y, Tensor x, float alpha) {
        Checks.elementwise(this, "axpy", y, x);
        float[] yd = d(y), xd = d(x);
        for (int i = 0; i < y.size(); i++) yd[o(y) + i] += alpha * xd[o(x) + i];
    }

    @Override
    public void scale(Tensor x, float alpha) {
        Checks.owned(this, "scale", x);
        float[] xd = d(x);
        for (int i = 0; i < x.size(); i++) xd[o(x) + i] *= alpha;
    }

    @Override
    public void fill(Tensor x, float value) {
        Checks.owned(this, "fill", x);
        Arrays.fill(d(x), o(x), o(x) + (int) x.size(), value);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        // like every elementwise op: in place or disjoint (the SIMD backend rejects a partial overlap too)
        Checks.elementwise(this, "copy", dst, src);
        System.arraycopy(d(src), o(src), d(dst), o(dst), (int) src.size());
    }

    @Override
    public void transpose(Tensor out, Tensor a) {
        Checks.transpose(this, out, a);
        int rows = a.rows(), cols = a.cols();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) d(out)[o(out) + j * rows + i] = d(a)[o(a) + i * cols + j];
        }
    }

    @Override
    public void gatherRows(Tensor dst, Tensor src, Tensor rows) {
        Backend.super.gatherRows(dst, src, rows);   // the interface default is the reference
    }

    @Override
    public double sum(Tensor x) {
        Checks.owned(this, "sum", x);
        double s = 0;
        for (int i = 0; i < x.size(); i++) s += d(x)[o(x) + i];
        return s;
    }

    @Override
    public double sumOfSquares(Tensor x) {
        Checks.owned(this, "sumOfSquares", x);
        double s = 0;
        for (int i = 0; i < x.size(); i++) {
            double v = d(x)[o(x) + i];
            s += v * v;
        }
        return s;
    }

    @Override
    public void sumOfSquares(Tensor x, Tensor out) {
        Backend.super.sumOfSquares(x, out);         // the interface default is the reference
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void add(Tensor out, Tensor a, Tensor b) {
        Checks.elementwise(this, "add", out, a, b);
        for (int i = 0; i < out.size(); i++) d(out)[o(out) + i] = d(a)[o(a) + i] + d(b)[o(b) + i];
    }

    @Override
    public void sub(Tensor out, Tensor a, Tensor b) {
        Checks.elementwise(this, "sub", out, a, b);
        for (int i = 0; i < out.size(); i++) d(out)[o(out) + i] = d(a)[o(a) + i] - d(b)[o(b) + i];
    }

    @Override
    public void mul(Tensor out, Tensor a, Tensor b) {
        Checks.elementwise(this, "mul", out, a, b);
        for (int i = 0; i < out.size(); i++) d(out)[o(out) + i] = d(a)[o(a) + i] * d(b)[o(b) + i];
    }

    @Override
    public void addMul(Tensor out, Tensor a, Tensor b) {
        Checks.elementwise(this, "addMul", out, a, b);
        for (int i = 0; i < out.size(); i++) d(out)[o(out) + i] += d(a)[o(a) + i] * d(b)[o(b) + i];
    }

    @Override
    public void clip(Tensor out, Tensor x, float lo, float hi) {
        Checks.elementwise(this, "clip", out, x);
        if (!(lo <= hi)) throw new IllegalArgumentException("clip: lo " + lo + " > hi " + hi);
        for (int i = 0; i < out.size(); i++) d(out)[o(out) + i] = Math.min(Math.max(d(x)[o(x) + i], lo), hi);
    }

    @Override
    public void sigmoid(Tensor out, Tensor x) {
        Checks.elementwise(this, "sigmoid", out, x);
        for (int i = 0; i < out.size(); i++) d(out)[o(out) + i] = sigmoid(d(x)[o(x) + i]);
    }

    @Override
    public void tanh(Tensor out, Tensor x) {
        Checks.elementwise(this, "tanh", out, x);
        for (int i = 0; i < out.size(); i++) d(out)[o(out) + i] = (float) Math.tanh(d(x)[o(x) + i]);
    }

    @Override
    public void softplus(Tensor out, Tensor x) {
        Checks.elementwise(this, "softplus", out, x);
        for (int i = 0; i < out.size(); i++) d(out)[o(out) + i] = softplus(d(x)[o(x) + i]);
    }

    @Override
    public void logSigmoid(Tensor out, Tensor x) {
        Checks.elementwise(this, "logSigmoid", out, x);
        for (int i = 0; i < out.size(); i++) d(out)[o(out) + i] = -softplus(-d(x)[o(x) + i]);
    }

    @Override
    public void exp(Tensor out, Tensor x) {
        Checks.elementwise(this, "exp", out, x);
        for (int i = 0; i < out.size(); i++) d(out)[o(out) + i] = (float) Math.exp(d(x)[o(x) + i]);
    }

    @Override
    public void sigmoidBackward(Tensor dx, Tensor dy, Tensor y) {
        Checks.elementwise(this, "sigmoidBackward", dx, dy, y);
        for (int i = 0; i < dx.size(); i++) {
            float yi = d(y)[o(y) + i];
            d(dx)[o(dx) + i] = d(dy)[o(dy) + i] * yi * (1f - yi);
        }
    }

    @Override
    public void tanhBackward(Tensor dx, Tensor dy, Tensor y) {
        Checks.elementwise(this, "tanhBackward", dx, dy, y);
        for (int i = 0; i < dx.size(); i++) {
            float yi = d(y)[o(y) + i];
            d(dx)[o(dx) + i] = d(dy)[o(dy) + i] * (1f - yi * yi);
        }
    }

    /** 1 / (1 + e^-x), evaluated in double so it is correctly rounded for every float x. */
    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-(double) x)));
    }

    /** log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows. */
    static float softplus(float x) {
        double v = x;
        return (float) (Math.max(v, 0.0) + Math.log1p(Math.exp(-Math.abs(v))));
    }

    // ---------------------------------------------------------------- random

    @Override
    public void uniform(Tensor out, Rng rng) {
        Checks.owned(this, "uniform", out);
        int n = (int) out.size();
        Philox.uniforms(rng.seed(), rng.stream(), rng.take(n), d(out), o(out), n);
    }

    @Override
    public void bernoulli(Tensor out, Tensor p, Rng rng) {
        Checks.elementwise(this, "bernoulli", out, p);
        int n = (int) out.size();
        float[] u = new float[n];
        Philox.uniforms(rng.seed(), rng.stream(), rng.take(n), u, 0, n);
        for (int i = 0; i < n; i++) d(out)[o(out) + i] = u[i] < d(p)[o(p) + i] ? 1f : 0f;
    }

    // ---------------------------------------------------------------- fused RBM ops

    @Override
    public void gibbsHalfStep(Tensor sample, Tensor prob, Tensor x, Tensor w, boolean transW, Tensor bias, Rng rng) {
        Checks.HalfStepShape hs = Checks.gibbsHalfStep(this, sample, prob, x, w, transW, bias);
        int rows = hs.rows(), nIn = hs.nIn(), nOut = hs.nOut();
        Tensor p = prob != null ? prob : zeros(rows, nOut);
        // prob = sigmoid(x op(W) + bias), the conditional of one RBM layer given the other
        gemm(d(p), o(p), d(x), o(x), nIn, false, d(w), o(w), w.cols(), transW, rows, nOut, nIn, 1f, 0f);
        addBias(p, bias, rows, nOut);
        sigmoid(p, p);
        bernoulli(sample, p, rng);
    }

    /** t += bias, a vector broadcast over rows or one bias row per row. */
    private void addBias(Tensor t, Tensor bias, int rows, int cols) {
        boolean perRow = Checks.bias("bias", bias, rows, cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                d(t)[o(t) + i * cols + j] += d(bias)[o(bias) + (perRow ? i * cols : 0) + j];
            }
        }
    }

    @Override
    public void gibbsChain(Tensor v, Tensor vProb, Tensor w, Tensor bv, Tensor bh, int k, Rng rng) {
        Checks.RbmShape sh = Checks.gibbsChain(this, v, vProb, w, bv, bh, k);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh();
        Tensor h = zeros(rows, nh), hProb = zeros(rows, nh);
        Tensor vp = vProb != null ? vProb : zeros(rows, nv);
        for (int s = 0; s < k; s++) {
            gibbsHalfStep(h, hProb, v, w, false, bh, rng);   // h ~ sigmoid(v W + bh)
            gibbsHalfStep(v, vp, h, w, true, bv, rng);       // v ~ sigmoid(h W^T + bv)
        }
    }

    @Override
    public void freeEnergy(Tensor f, Tensor v, Tensor w, Tensor bv, Tensor bh) {
        Checks.RbmShape sh = Checks.freeEnergy(this, f, v, w, bv, bh);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh();
        boolean bvRow = sh.bvPerRow(), bhRow = sh.bhPerRow();
        Tensor x = zeros(rows, nh);
        gemm(x, v, false, w, false, 1f, 0f);
        for (int b = 0; b < rows; b++) {
            // F(v) = -v.bv - sum_j softplus((v W)_j + bh_j), accumulated in double
            double e = 0;
            for (int i = 0; i < nv; i++) e -= (double) d(v)[o(v) + b * nv + i] * d(bv)[o(bv) + (bvRow ? b * nv : 0) + i];
            for (int j = 0; j < nh; j++) {
                e -= softplus(d(x)[o(x) + b * nh + j] + d(bh)[o(bh) + (bhRow ? b * nh : 0) + j]);
            }
            d(f)[o(f) + b] = (float) e;
        }
    }

    @Override
    public void freeEnergyGrad(Tensor dW, Tensor dBv, Tensor dBh, Tensor v, Tensor w, Tensor bh, float alpha) {
        Checks.RbmShape sh = Checks.freeEnergyGrad(this, dW, dBv, dBh, v, w, bh);
        int rows = sh.rows(), nh = sh.nh();
        boolean dBvRow = sh.bvPerRow(), dBhRow = sh.bhPerRow();
        // s = sigmoid(v W + bh) = E[h | v]; dF/dW = -v^T s, dF/dbv = -v, dF/dbh = -s
        Tensor s = zeros(rows, nh);
        gemm(s, v, false, w, false, 1f, 0f);
        addBias(s, bh, rows, nh);
        sigmoid(s, s);
        if (dW != null) gemm(dW, v, true, s, false, -alpha, 1f);
        if (dBv != null) accumulate(dBv, dBvRow, v, -alpha);
        if (dBh != null) accumulate(dBh, dBhRow, s, -alpha);
    }

    /** g += alpha * x per row, or g += alpha * (column sums of x). */
    private void accumulate(Tensor g, boolean perRow, Tensor x, float alpha) {
        if (perRow) axpy(g, x, alpha);
        else columnSums(g, x, alpha, 1f);
    }

    // ---------------------------------------------------------------- NADE (the loops are ScalarNade's)

    @Override
    public void nadeForward(Tensor logp, Tensor p, Tensor v, Tensor w, Tensor vw, Tensor bv, Tensor bh) {
        ScalarNade.forward(this, logp, p, v, w, vw, bv, bh);
    }

    @Override
    public void nadeBackward(Tensor dW, Tensor dV, Tensor dBv, Tensor dBh, Tensor v, Tensor p, Tensor w, Tensor vw, Tensor bh,
                             float alpha) {
        ScalarNade.backward(this, dW, dV, dBv, dBh, v, p, w, vw, bh, alpha);
    }

    @Override
    public void nadeSample(Tensor v, Tensor p, Tensor w, Tensor vw, Tensor bv, Tensor bh, Rng rng) {
        ScalarNade.sample(this, v, p, w, vw, bv, bh, rng);
    }

    // ---------------------------------------------------------------- fused LSTM cell and layer

    @Override
    public void lstmCell(Tensor h, Tensor c, Tensor z, Tensor cPrev) {
        int[] bh = Checks.lstmCell(this, h, c, z, cPrev);
        int rows = bh[0], n = bh[1];
        float[] zd = d(z);
        for (int r = 0; r < rows; r++) {
            int zr = o(z) + r * 4 * n, cr = r * n;
            for (int j = 0; j < n; j++) {
                float i = sigmoid(zd[zr + j]), f = sigmoid(zd[zr + n + j]);
                float g = (float) Math.tanh(zd[zr + 2 * n + j]), og = sigmoid(zd[zr + 3 * n + j]);
                zd[zr + j] = i;
                zd[zr + n + j] = f;
                zd[zr + 2 * n + j] = g;
                zd[zr + 3 * n + j] = og;
                float cp = cPrev == null ? 0f : d(cPrev)[o(cPrev) + cr + j];
                float cj = f * cp + i * g;                        // c_t = f c_{t-1} + i g
                d(c)[o(c) + cr + j] = cj;
                d(h)[o(h) + cr + j] = og * (float) Math.tanh(cj);  // h_t = o tanh(c_t)
            }
        }
    }

    @Override
    public void lstmCellBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor cPrev) {
        int[] bh = Checks.lstmCellBackward(this, dz, dc, dh, z, c, cPrev);
        int rows = bh[0], n = bh[1];
        float[] zd = d(z), dzd = d(dz), dcd = d(dc);
        for (int r = 0; r < rows; r++) {
            int zr = o(z) + r * 4 * n, dzr = o(dz) + r * 4 * n, cr = r * n;
            for (int j = 0; j < n; j++) {
                float i = zd[zr + j], f = zd[zr + n + j], g = zd[zr + 2 * n + j], og = zd[zr + 3 * n + j];
                float tc = (float) Math.tanh(d(c)[o(c) + cr + j]);
                float cp = cPrev == null ? 0f : d(cPrev)[o(cPrev) + cr + j];
                float dhj = d(dh)[o(dh) + cr + j];
                float dC = dcd[o(dc) + cr + j] + dhj * og * (1f - tc * tc);
                dzd[dzr + j] = dC * g * i * (1f - i);
                dzd[dzr + n + j] = dC * cp * f * (1f - f);
                dzd[dzr + 2 * n + j] = dC * i * (1f - g * g);
                dzd[dzr + 3 * n + j] = dhj * tc * og * (1f - og);
                dcd[o(dc) + cr + j] = dC * f;
            }
        }
    }

    @Override
    public void lstmForward(Tensor h, Tensor c, Tensor z, Tensor wh, Tensor h0, Tensor c0, int batch) {
        Backend.super.lstmForward(h, c, z, wh, h0, c0, batch);        // the interface default is the reference
    }

    @Override
    public void lstmBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor c0, Tensor wh, int batch) {
        Backend.super.lstmBackward(dz, dc, dh, z, c, c0, wh, batch);  // the interface default is the reference
    }

    // ---------------------------------------------------------------- the tanh recurrence

    @Override
    public void tanhRecurrence(Tensor u, Tensor wuu, int batch) {
        Backend.super.tanhRecurrence(u, wuu, batch);                   // the interface default is the reference
    }

    @Override
    public void tanhRecurrenceBackward(Tensor da, Tensor du, Tensor u, Tensor wuu, int batch) {
        Backend.super.tanhRecurrenceBackward(da, du, u, wuu, batch);   // the interface default is the reference
    }

    // ---------------------------------------------------------------- AIS

    @Override
    public void aisHidden(Tensor w, Tensor h, Tensor x, Tensor bh, float betaPrev, float beta, Rng rng) {
        Backend.super.aisHidden(w, h, x, bh, betaPrev, beta, rng);     // the interface default is the reference
    }

    @Override
    public void aisVisible(Tensor w, Tensor v, Tensor x, Tensor bv, Tensor a, float betaPrev, float beta, Rng rng) {
        Backend.super.aisVisible(w, v, x, bv, a, betaPrev, beta, rng); // the interface default is the reference
    }

    // ---------------------------------------------------------------- optimizers

    @Override
    public void adam(Tensor p, Tensor g, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, int step) {
        Checks.optimizer(this, "adam", p, g, m, v);
        if (step < 1) throw new IllegalArgumentException("adam: step must be >= 1, got " + step);
        // bias corrections 1 - b^t, computed once in double
        float c1 = (float) (1 - Math.pow(beta1, step)), c2 = (float) (1 - Math.pow(beta2, step));
        for (int i = 0; i < p.size(); i++) {
            float gi = d(g)[o(g) + i];
            float mi = beta1 * d(m)[o(m) + i] + (1f - beta1) * gi;
            float vi = beta2 * d(v)[o(v) + i] + (1f - beta2) * gi * gi;
            d(m)[o(m) + i] = mi;
            d(v)[o(v) + i] = vi;
            d(p)[o(p) + i] -= lr * (mi / c1) / ((float) Math.sqrt(vi / c2) + eps);
        }
    }

    @Override
    public void momentum(Tensor p, Tensor g, Tensor v, float lr, float mu, boolean nesterov) {
        Backend.super.momentum(p, g, v, lr, mu, nesterov);             // the interface default is the reference
    }

    @Override
    public void rmsprop(Tensor p, Tensor g, Tensor r, float lr, float decay, float eps) {
        Checks.optimizer(this, "rmsprop", p, g, r);
        for (int i = 0; i < p.size(); i++) {
            float gi = d(g)[o(g) + i];
            float ri = decay * d(r)[o(r) + i] + (1f - decay) * gi * gi;
            d(r)[o(r) + i] = ri;
            d(p)[o(p) + i] -= lr * gi / ((float) Math.sqrt(ri) + eps);
        }
    }

    // ---------------------------------------------------------------- softmax outputs

    @Override
    public double softmaxCrossEntropy(Tensor dLogits, Tensor logits, Tensor targets) {
        Checks.softmaxCrossEntropy(this, dLogits, logits, targets);
        double loss = 0;
        for (int r = 0; r < logits.rows(); r++) {
            loss += softmaxRow(dLogits == null ? null : d(dLogits), dLogits == null ? 0 : o(dLogits) + r * logits.cols(),
                    d(logits), o(logits) + r * logits.cols(), d(targets), o(targets) + r * logits.cols(), logits.cols());
        }
        return loss;
    }

    /**
     * One row of {@link #softmaxCrossEntropy}, shared with the SIMD backend (a row is short: the melody model has 38
     * events): log q_j = x_j - m - log sum_k exp(x_k - m), m = max x, in float64.
     */
    public static double softmaxRow(float[] g, int gOff, float[] x, int xOff, float[] t, int tOff, int n) {
        double tsum = 0;
        for (int j = 0; j < n; j++) tsum += t[tOff + j];
        if (tsum == 0) {                               // padding row
            if (g != null) Arrays.fill(g, gOff, gOff + n, 0f);
            return 0;
        }
        double m = Double.NEGATIVE_INFINITY, z = 0, loss = 0;
        for (int j = 0; j < n; j++) m = Math.max(m, x[xOff + j]);
        for (int j = 0; j < n; j++) z += Math.exp(x[xOff + j] - m);
        double lse = m + Math.log(z);
        for (int j = 0; j < n; j++) {
            double tj = t[tOff + j], lq = x[xOff + j] - lse;
            if (tj != 0) loss -= tj * lq;
            if (g != null) g[gOff + j] = (float) (Math.exp(lq) - tj);
        }
        return loss;
    }

    @Override
    public void softmax(Tensor out, Tensor x) {
        Checks.elementwise(this, "softmax", out, x);
        Checks.shape("softmax", "out", out, x.rows(), x.cols());
        for (int r = 0; r < x.rows(); r++) softmaxRow(d(out), o(out) + r * x.cols(), d(x), o(x) + r * x.cols(), x.cols());
    }

    /** q = softmax(x) of one row, in float64; shared with the SIMD backend. */
    public static void softmaxRow(float[] q, int qOff, float[] x, int xOff, int n) {
        double m = Double.NEGATIVE_INFINITY, z = 0;
        for (int j = 0; j < n; j++) m = Math.max(m, x[xOff + j]);
        for (int j = 0; j < n; j++) z += Math.exp(x[xOff + j] - m);
        double lse = m + Math.log(z);
        for (int j = 0; j < n; j++) q[qOff + j] = (float) Math.exp(x[xOff + j] - lse);
    }
}
