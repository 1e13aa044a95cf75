package dev.tessitura.engine.cpu.simd;

import static dev.tessitura.engine.cpu.simd.SimdBackend.LIGHT_PARALLEL_ELEMENTS;
import static dev.tessitura.engine.cpu.simd.SimdBackend.data;
import static dev.tessitura.engine.cpu.simd.SimdBackend.off;
import static dev.tessitura.engine.cpu.simd.SimdBackend.parallelGemm;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** SimdBackend's BLAS-like ops: the GEMM entry, transpose, row and column sums, axpy, scale, fill, copy and sums. */
final class SimdBlas {
    private final SimdBackend be;
    private final Lanes lanes;
    private final SimdGemm gemm;
    private final WorkerPool pool;

    SimdBlas(SimdBackend be) {
        this.be = be;
        this.lanes = be.lanes;
        this.gemm = be.gemm;
        this.pool = be.pool;
    }

    void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        int[] mnk = Checks.gemm(be, c, a, transA, b, transB);
        int m = mnk[0], n = mnk[1], k = mnk[2];
        gemm.gemm(data(c), off(c), n, data(a), off(a), a.cols(), transA, data(b), off(b), b.cols(), transB,
                m, n, k, alpha, beta, pool, parallelGemm(m, n, k), null);
    }

    void transpose(Tensor out, Tensor a) {
        Checks.transpose(be, out, a);
        transpose(data(a), off(a), a.rows(), a.cols(), data(out), off(out));
    }

    /** dst[dOff ..] (cols, rows) = src[sOff ..] (rows, cols)^T, in tiles of 16 x 16 so strided writes stay in cache. */
    static void transpose(float[] src, int sOff, int rows, int cols, float[] dst, int dOff) {
        for (int i0 = 0; i0 < rows; i0 += 16) {
            for (int j0 = 0; j0 < cols; j0 += 16) {
                for (int i = i0, iEnd = Math.min(rows, i0 + 16); i < iEnd; i++) {
                    for (int j = j0, jEnd = Math.min(cols, j0 + 16); j < jEnd; j++) dst[dOff + j * rows + i] = src[sOff + i * cols + j];
                }
            }
        }
    }

    void addRowVector(Tensor out, Tensor x, Tensor bias) {
        Checks.elementwise(be, "addRowVector", out, x);
        Checks.owned(be, "addRowVector", bias);
        Checks.length("addRowVector", "bias", bias, x.cols());
        Checks.inPlaceOrDisjoint("addRowVector", out, bias);
        float[] o = data(out), xd = data(x), bd = data(bias);
        int oOff = off(out), xOff = off(x), bOff = off(bias), rows = x.rows(), cols = x.cols();
        VectorSpecies<Float> s = lanes.floats();
        for (int i = 0; i < rows; i++) {
            int oi = oOff + i * cols, xi = xOff + i * cols;
            int j = 0;
            for (int bound = s.loopBound(cols); j < bound; j += s.length()) {
                FloatVector.fromArray(s, xd, xi + j).add(FloatVector.fromArray(s, bd, bOff + j)).intoArray(o, oi + j);
            }
            for (; j < cols; j++) o[oi + j] = xd[xi + j] + bd[bOff + j];
        }
    }

    void columnSums(Tensor out, Tensor x, float alpha, float beta) {
        Checks.owned(be, "columnSums", out, x);
        Checks.length("columnSums", "out", out, x.cols());
        Checks.disjoint("columnSums", out, x);
        float[] o = data(out), xd = data(x);
        int oOff = off(out), xOff = off(x), rows = x.rows(), cols = x.cols(), len = lanes.floats().length();
        // rows added in order into float lanes, one column per lane: the same order as the scalar loop. Four
        // vectors of columns per pass over the rows: whole cache lines of each row, and four chains of additions
        // instead of one latency-bound chain (the LSTM's db sums 3,200 rows of dz per layer). Columns are
        // independent, so threads take blocks of them.
        int blocks = (cols + 4 * len - 1) / (4 * len);
        pool.forRange(blocks, (long) rows * cols >= LIGHT_PARALLEL_ELEMENTS, (b0, b1) -> {
            for (int j0 = b0 * 4 * len, j1 = Math.min(cols, b1 * 4 * len); j0 < j1; j0 += 4 * len) {
                int j = j0;
                if (j0 + 4 * len <= j1) {
                    columnSums4(o, oOff + j, xd, xOff + j, rows, cols, alpha, beta);
                    continue;
                }
                for (; j + len <= j1; j += len) {
                    FloatVector acc = FloatVector.zero(lanes.floats());
                    for (int i = 0; i < rows; i++) acc = acc.add(FloatVector.fromArray(lanes.floats(), xd, xOff + i * cols + j));
                    columnSumsFinish(acc, o, oOff + j, alpha, beta);
                }
                for (; j < j1; j++) {
                    float acc = 0f;
                    for (int i = 0; i < rows; i++) acc += xd[xOff + i * cols + j];
                    o[oOff + j] = beta != 0f ? beta * o[oOff + j] + alpha * acc : alpha * acc;
                }
            }
        });
    }

    /** Four vectors of column sums at once (see columnSums), each finished as the one-vector loop finishes its own. */
    private void columnSums4(float[] o, int oj, float[] xd, int xj, int rows, int cols, float alpha, float beta) {
        VectorSpecies<Float> s = lanes.floats();
        int len = s.length();
        FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < rows; i++) {
            int at = xj + i * cols;
            a0 = a0.add(FloatVector.fromArray(s, xd, at));
            a1 = a1.add(FloatVector.fromArray(s, xd, at + len));
            a2 = a2.add(FloatVector.fromArray(s, xd, at + 2 * len));
            a3 = a3.add(FloatVector.fromArray(s, xd, at + 3 * len));
        }
        columnSumsFinish(a0, o, oj, alpha, beta);
        columnSumsFinish(a1, o, oj + len, alpha, beta);
        columnSumsFinish(a2, o, oj + 2 * len, alpha, beta);
        columnSumsFinish(a3, o, oj + 3 * len, alpha, beta);
    }

    /** o[at ..] = alpha * acc (+ beta * o[at ..]): the scalar loop's two roundings per element. */
    private static void columnSumsFinish(FloatVector acc, float[] o, int at, float alpha, float beta) {
        FloatVector r = acc.mul(alpha);
        if (beta != 0f) r = FloatVector.fromArray(acc.species(), o, at).mul(beta).add(r);
        r.intoArray(o, at);
    }

    void rowSums(Tensor out, Tensor x, float alpha, float beta) {
        Checks.owned(be, "rowSums", out, x);
        Checks.length("rowSums", "out", out, x.rows());
        Checks.disjoint("rowSums", out, x);
        float[] o = data(out), xd = data(x);
        int oOff = off(out), xOff = off(x), rows = x.rows(), cols = x.cols();
        for (int i = 0; i < rows; i++) {
            float acc = rowSum(xd, xOff + i * cols, cols);
            o[oOff + i] = beta != 0f ? beta * o[oOff + i] + alpha * acc : alpha * acc;
        }
    }

    /** Sum of x[from .. from+n) in float lanes, then across lanes, then the tail. */
    private float rowSum(float[] x, int from, int n) {
        VectorSpecies<Float> s = lanes.floats();
        FloatVector acc = FloatVector.zero(s);
        int j = 0;
        for (int bound = s.loopBound(n); j < bound; j += s.length()) acc = acc.add(FloatVector.fromArray(s, x, from + j));
        float sum = SimdMath.sumLanes(acc);
        for (; j < n; j++) sum += x[from + j];
        return sum;
    }

    void axpy(Tensor y, Tensor x, float alpha) {
        Checks.elementwise(be, "axpy", y, x);
        float[] yd = data(y), xd = data(x);
        int yOff = off(y), xOff = off(x);
        be.split((int) y.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int i = from;
            for (int bound = from + s.loopBound(to - from); i < bound; i += s.length()) {
                FloatVector.fromArray(s, xd, xOff + i).fma(FloatVector.broadcast(s, alpha), FloatVector.fromArray(s, yd, yOff + i)).intoArray(yd, yOff + i);
            }
            for (; i < to; i++) yd[yOff + i] = Math.fma(xd[xOff + i], alpha, yd[yOff + i]);
        });
    }

    void scale(Tensor x, float alpha) {
        Checks.owned(be, "scale", x);
        float[] xd = data(x);
        int xOff = off(x);
        be.split((int) x.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int i = from;
            for (int bound = from + s.loopBound(to - from); i < bound; i += s.length()) {
                FloatVector.fromArray(s, xd, xOff + i).mul(alpha).intoArray(xd, xOff + i);
            }
            for (; i < to; i++) xd[xOff + i] *= alpha;
        });
    }

    void fill(Tensor x, float value) {
        Checks.owned(be, "fill", x);
        Arrays.fill(data(x), off(x), off(x) + (int) x.size(), value);
    }

    void copy(Tensor dst, Tensor src) {
        Checks.elementwise(be, "copy", dst, src);
        System.arraycopy(data(src), off(src), data(dst), off(dst), (int) dst.size());
    }

    double sum(Tensor x) {
        Checks.owned(be, "sum", x);
        return chunkedSum(data(x), off(x), (int) x.size(), false);
    }

    double sumOfSquares(Tensor x) {
        Checks.owned(be, "sumOfSquares", x);
        return chunkedSum(data(x), off(x), (int) x.size(), true);
    }

    /** Sums add float64 partial sums of fixed chunks of this many elements, in chunk order. */
    static final int SUM_CHUNK = 1 << 12;

    /** Partial sums of fixed chunks (in parallel when large), added in chunk order: independent of threads. */
    private double chunkedSum(float[] x, int xOff, int n, boolean squares) {
        int chunks = (n + SUM_CHUNK - 1) / SUM_CHUNK;
        double[] partial = new double[chunks];
        pool.forRange(chunks, n >= LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            for (int c = from; c < to; c++) {
                int lo = c * SUM_CHUNK;
                partial[c] = chunkSum(x, xOff + lo, Math.min(SUM_CHUNK, n - lo), squares);
            }
        });
        double total = 0;
        for (double p : partial) total += p;
        return total;
    }

    /** float64 sum (of squares) of x[from .. from+n): half-width float vectors widened to doubles, two accumulators. */
    private double chunkSum(float[] x, int from, int n, boolean squares) {
        VectorSpecies<Float> hs = lanes.halfFloats();
        VectorSpecies<Double> ds = lanes.doubles();
        int len = hs.length();
        DoubleVector acc0 = DoubleVector.zero(ds), acc1 = acc0;
        int i = 0;
        for (int bound = n - 2 * len; i <= bound; i += 2 * len) {
            DoubleVector d0 = (DoubleVector) FloatVector.fromArray(hs, x, from + i).convertShape(VectorOperators.F2D, ds, 0);
            DoubleVector d1 = (DoubleVector) FloatVector.fromArray(hs, x, from + i + len).convertShape(VectorOperators.F2D, ds, 0);
            acc0 = squares ? d0.fma(d0, acc0) : acc0.add(d0);
            acc1 = squares ? d1.fma(d1, acc1) : acc1.add(d1);
        }
        double sum = SimdMath.sumLanes(acc0.add(acc1));
        for (; i < n; i++) {
            double v = x[from + i];
            sum = squares ? Math.fma(v, v, sum) : sum + v;
        }
        return sum;
    }
}
