package dev.tessitura.engine.cpu.simd;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.HeapStorage;
import dev.tessitura.engine.cpu.ScalarBackend;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API backend: the same tensors as the scalar reference (a {@link HeapStorage} float[] per allocation,
 * row-major) with vectorised, multi-threaded kernels. Created reflectively by
 * {@link dev.tessitura.engine.cpu.SimdProvider} so that no Vector API type is linked when the module is absent.
 *
 * <p>Determinism: work is split among threads only over independent outputs (rows of a GEMM, elements, fixed
 * chunks of a sum whose partial sums are then added in chunk order), so results are bit-identical for any thread
 * count. They may differ in the last bits between vector widths (the lane count sets the order of a row sum).
 *
 * <p>Each op of one instance must be called from one thread at a time (like a CUDA stream).
 */
public final class SimdBackend implements Backend {

    /** Below this many flops (2 m n k) a GEMM runs on the calling thread alone (measured: bench/RESULTS.md). */
    static final long GEMM_PARALLEL_FLOPS = 1_000_000;
    /** Elementwise transcendental ops and Philox draws go parallel from this many elements. */
    static final int HEAVY_PARALLEL_ELEMENTS = 1 << 15;
    /** Plain elementwise ops and sums (memory bound) go parallel from this many elements. */
    static final int LIGHT_PARALLEL_ELEMENTS = 1 << 18;
    /** Sums add float64 partial sums of fixed chunks of this many elements, in chunk order. */
    static final int SUM_CHUNK = 1 << 12;

    private final Lanes lanes;
    private final SimdGemm gemm;
    private final SimdGemmRows gemmRows;
    private final SimdPhilox philox;
    private final WorkerPool pool;

    public SimdBackend(BackendOptions options) {
        this.lanes = Lanes.of(options.vectorBits());
        this.gemm = new SimdGemm(lanes);
        this.gemmRows = new SimdGemmRows(gemm);
        this.philox = new SimdPhilox(lanes);
        this.pool = new WorkerPool(options.resolvedThreads());
    }

    @Override
    public String name() {
        return "simd";
    }

    @Override
    public String description() {
        return "simd: Vector API, " + lanes.bits() + "-bit (preferred " + Lanes.preferredBits() + "), "
                + pool.threads() + (pool.threads() == 1 ? " thread" : " threads");
    }

    /** Vector width in bits. */
    public int vectorBits() {
        return lanes.bits();
    }

    /** Worker threads, the calling one included. */
    public int threads() {
        return pool.threads();
    }

    @Override
    public void close() {
        pool.close();
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

    private static float[] data(Tensor t) {
        return HeapStorage.data(t);
    }

    private static int off(Tensor t) {
        return (int) t.offset();
    }

    // ---------------------------------------------------------------- BLAS-like

    @Override
    public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        int[] mnk = Checks.gemm(this, c, a, transA, b, transB);
        int m = mnk[0], n = mnk[1], k = mnk[2];
        gemm.gemm(data(c), off(c), n, data(a), off(a), a.cols(), transA, data(b), off(b), b.cols(), transB,
                m, n, k, alpha, beta, pool, parallelGemm(m, n, k), null);
    }

    private static boolean parallelGemm(int m, int n, int k) {
        return 2L * m * n * k >= GEMM_PARALLEL_FLOPS;
    }

    @Override
    public void transpose(Tensor out, Tensor a) {
        Checks.transpose(this, out, a);
        transpose(data(a), off(a), a.rows(), a.cols(), data(out), off(out));
    }

    /** dst[dOff ..] (cols, rows) = src[sOff ..] (rows, cols)^T, in tiles of 16 x 16 so strided writes stay in cache. */
    private static void transpose(float[] src, int sOff, int rows, int cols, float[] dst, int dOff) {
        for (int i0 = 0; i0 < rows; i0 += 16) {
            for (int j0 = 0; j0 < cols; j0 += 16) {
                for (int i = i0, iEnd = Math.min(rows, i0 + 16); i < iEnd; i++) {
                    for (int j = j0, jEnd = Math.min(cols, j0 + 16); j < jEnd; j++) dst[dOff + j * rows + i] = src[sOff + i * cols + j];
                }
            }
        }
    }

    @Override
    public void addRowVector(Tensor out, Tensor x, Tensor bias) {
        Checks.elementwise(this, "addRowVector", out, x);
        Checks.owned(this, "addRowVector", bias);
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

    @Override
    public void columnSums(Tensor out, Tensor x, float alpha, float beta) {
        Checks.owned(this, "columnSums", out, x);
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

    @Override
    public void rowSums(Tensor out, Tensor x, float alpha, float beta) {
        Checks.owned(this, "rowSums", out, x);
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

    @Override
    public void axpy(Tensor y, Tensor x, float alpha) {
        Checks.elementwise(this, "axpy", y, x);
        float[] yd = data(y), xd = data(x);
        int yOff = off(y), xOff = off(x);
        split((int) y.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int i = from;
            for (int bound = from + s.loopBound(to - from); i < bound; i += s.length()) {
                FloatVector.fromArray(s, xd, xOff + i).fma(FloatVector.broadcast(s, alpha), FloatVector.fromArray(s, yd, yOff + i)).intoArray(yd, yOff + i);
            }
            for (; i < to; i++) yd[yOff + i] = Math.fma(xd[xOff + i], alpha, yd[yOff + i]);
        });
    }

    @Override
    public void scale(Tensor x, float alpha) {
        Checks.owned(this, "scale", x);
        float[] xd = data(x);
        int xOff = off(x);
        split((int) x.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int i = from;
            for (int bound = from + s.loopBound(to - from); i < bound; i += s.length()) {
                FloatVector.fromArray(s, xd, xOff + i).mul(alpha).intoArray(xd, xOff + i);
            }
            for (; i < to; i++) xd[xOff + i] *= alpha;
        });
    }

    @Override
    public void fill(Tensor x, float value) {
        Checks.owned(this, "fill", x);
        Arrays.fill(data(x), off(x), off(x) + (int) x.size(), value);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        Checks.elementwise(this, "copy", dst, src);
        System.arraycopy(data(src), off(src), data(dst), off(dst), (int) dst.size());
    }

    @Override
    public double sum(Tensor x) {
        Checks.owned(this, "sum", x);
        return chunkedSum(data(x), off(x), (int) x.size(), false);
    }

    @Override
    public double sumOfSquares(Tensor x) {
        Checks.owned(this, "sumOfSquares", x);
        return chunkedSum(data(x), off(x), (int) x.size(), true);
    }

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

    // ---------------------------------------------------------------- elementwise

    /** Runs {@code body} over [0, n), in parallel chunks from {@code minParallel} elements on. */
    private void split(int n, int minParallel, WorkerPool.RangeTask body) {
        // The body always runs on chunks of 4,096 elements, on one thread or several. Called once per op over a whole
        // tensor, a body would be entered a few times per training step: HotSpot compiles such a method with C2 only
        // after hundreds of calls, and until then each call runs thousands of iterations in C1's code, where the
        // Vector API is not intrinsified and every vector is a heap object (the loss's sigmoid and softplus took ~17 %
        // of an LSTM step that way).
        int chunk = 1 << 12;   // a multiple of every lane count, so chunk tails are only at the very end
        int chunks = (n + chunk - 1) / chunk;
        pool.forRange(chunks, n >= minParallel, (from, to) -> {
            for (int c = from; c < to; c++) body.run(c * chunk, Math.min(n, (c + 1) * chunk));
        });
    }

    /** The binary ops, one switch outside the loops so each loop is straight-line. */
    private enum Binary { ADD, SUB, MUL, ADD_MUL }

    private void binary(String op, Binary kind, Tensor out, Tensor a, Tensor b) {
        Checks.elementwise(this, op, out, a, b);
        float[] o = data(out), ad = data(a), bd = data(b);
        int oOff = off(out), aOff = off(a), bOff = off(b);
        split((int) out.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int bound = from + s.loopBound(to - from), i = from;
            switch (kind) {
                case ADD -> {
                    for (; i < bound; i += s.length()) FloatVector.fromArray(s, ad, aOff + i).add(FloatVector.fromArray(s, bd, bOff + i)).intoArray(o, oOff + i);
                    for (; i < to; i++) o[oOff + i] = ad[aOff + i] + bd[bOff + i];
                }
                case SUB -> {
                    for (; i < bound; i += s.length()) FloatVector.fromArray(s, ad, aOff + i).sub(FloatVector.fromArray(s, bd, bOff + i)).intoArray(o, oOff + i);
                    for (; i < to; i++) o[oOff + i] = ad[aOff + i] - bd[bOff + i];
                }
                case MUL -> {
                    for (; i < bound; i += s.length()) FloatVector.fromArray(s, ad, aOff + i).mul(FloatVector.fromArray(s, bd, bOff + i)).intoArray(o, oOff + i);
                    for (; i < to; i++) o[oOff + i] = ad[aOff + i] * bd[bOff + i];
                }
                case ADD_MUL -> {
                    for (; i < bound; i += s.length()) {
                        FloatVector.fromArray(s, ad, aOff + i).fma(FloatVector.fromArray(s, bd, bOff + i), FloatVector.fromArray(s, o, oOff + i)).intoArray(o, oOff + i);
                    }
                    for (; i < to; i++) o[oOff + i] = Math.fma(ad[aOff + i], bd[bOff + i], o[oOff + i]);
                }
            }
        });
    }

    @Override
    public void add(Tensor out, Tensor a, Tensor b) {
        binary("add", Binary.ADD, out, a, b);
    }

    @Override
    public void sub(Tensor out, Tensor a, Tensor b) {
        binary("sub", Binary.SUB, out, a, b);
    }

    @Override
    public void mul(Tensor out, Tensor a, Tensor b) {
        binary("mul", Binary.MUL, out, a, b);
    }

    @Override
    public void addMul(Tensor out, Tensor a, Tensor b) {
        binary("addMul", Binary.ADD_MUL, out, a, b);
    }

    @Override
    public void clip(Tensor out, Tensor x, float lo, float hi) {
        Checks.elementwise(this, "clip", out, x);
        if (!(lo <= hi)) throw new IllegalArgumentException("clip: lo " + lo + " > hi " + hi);   // as the scalar reference
        float[] o = data(out), xd = data(x);
        int oOff = off(out), xOff = off(x);
        split((int) out.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int i = from;
            for (int bound = from + s.loopBound(to - from); i < bound; i += s.length()) {
                FloatVector.fromArray(s, xd, xOff + i).max(lo).min(hi).intoArray(o, oOff + i);
            }
            for (; i < to; i++) o[oOff + i] = Math.min(Math.max(xd[xOff + i], lo), hi);
        });
    }

    /** The transcendental ops; like {@link Binary}, one switch outside the loops. */
    private enum Unary { SIGMOID, TANH, SOFTPLUS, LOG_SIGMOID, EXP }

    private void unary(String op, Unary kind, Tensor out, Tensor x) {
        Checks.elementwise(this, op, out, x);
        float[] o = data(out), xd = data(x);
        int oOff = off(out), xOff = off(x);
        VectorSpecies<Float> s = lanes.floats();
        // one task per function, not one task with a switch: each is then compiled on its own, within C2's
        // inlining budget (see SimdMath's loops over arrays)
        split((int) out.size(), HEAVY_PARALLEL_ELEMENTS, switch (kind) {
            case SIGMOID -> (from, to) -> SimdMath.sigmoid(s, xd, xOff + from, o, oOff + from, to - from);
            case TANH -> (from, to) -> SimdMath.tanh(s, xd, xOff + from, o, oOff + from, to - from);
            case SOFTPLUS -> (from, to) -> SimdMath.softplus(s, xd, xOff + from, o, oOff + from, to - from);
            case LOG_SIGMOID -> (from, to) -> SimdMath.logSigmoid(s, xd, xOff + from, o, oOff + from, to - from);
            case EXP -> (from, to) -> SimdMath.exp(s, xd, xOff + from, o, oOff + from, to - from);
        });
    }

    @Override
    public void sigmoid(Tensor out, Tensor x) {
        unary("sigmoid", Unary.SIGMOID, out, x);
    }

    @Override
    public void tanh(Tensor out, Tensor x) {
        unary("tanh", Unary.TANH, out, x);
    }

    @Override
    public void softplus(Tensor out, Tensor x) {
        unary("softplus", Unary.SOFTPLUS, out, x);
    }

    @Override
    public void logSigmoid(Tensor out, Tensor x) {
        unary("logSigmoid", Unary.LOG_SIGMOID, out, x);
    }

    @Override
    public void exp(Tensor out, Tensor x) {
        unary("exp", Unary.EXP, out, x);
    }

    @Override
    public void sigmoidBackward(Tensor dx, Tensor dy, Tensor y) {
        Checks.elementwise(this, "sigmoidBackward", dx, dy, y);
        float[] o = data(dx), dyd = data(dy), yd = data(y);
        int oOff = off(dx), dyOff = off(dy), yOff = off(y);
        split((int) dx.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int i = from;
            for (int bound = from + s.loopBound(to - from); i < bound; i += s.length()) {
                FloatVector yv = FloatVector.fromArray(s, yd, yOff + i);
                FloatVector.fromArray(s, dyd, dyOff + i).mul(yv).mul(yv.broadcast(1f).sub(yv)).intoArray(o, oOff + i);
            }
            for (; i < to; i++) o[oOff + i] = dyd[dyOff + i] * yd[yOff + i] * (1f - yd[yOff + i]);
        });
    }

    @Override
    public void tanhBackward(Tensor dx, Tensor dy, Tensor y) {
        Checks.elementwise(this, "tanhBackward", dx, dy, y);
        float[] o = data(dx), dyd = data(dy), yd = data(y);
        int oOff = off(dx), dyOff = off(dy), yOff = off(y);
        split((int) dx.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) ->
                tanhBackward(lanes.floats(), o, oOff + from, dyd, dyOff + from, yd, yOff + from, to - from));
    }

    /** dx = dy (1 - y^2) on n elements, vectors from the first. */
    private static void tanhBackward(VectorSpecies<Float> s, float[] dx, int dxOff, float[] dy, int dyOff, float[] y, int yOff, int n) {
        int i = 0;
        for (int bound = s.loopBound(n); i < bound; i += s.length()) {
            FloatVector yv = FloatVector.fromArray(s, y, yOff + i);
            FloatVector.fromArray(s, dy, dyOff + i).mul(yv.broadcast(1f).sub(yv.mul(yv))).intoArray(dx, dxOff + i);
        }
        for (; i < n; i++) dx[dxOff + i] = dy[dyOff + i] * (1f - y[yOff + i] * y[yOff + i]);
    }

    // ---------------------------------------------------------------- random

    @Override
    public void uniform(Tensor out, Rng rng) {
        Checks.owned(this, "uniform", out);
        int n = (int) out.size();
        draw(rng, rng.take(n), data(out), off(out), n);
    }

    /** o[oOff ..] = the n uniforms of the draw at block {@code first}, in parallel chunks when there are many. */
    private void draw(Rng rng, long first, float[] o, int oOff, int n) {
        split(n, HEAVY_PARALLEL_ELEMENTS, (from, to) ->
                philox.uniforms(rng.seed(), rng.stream(), first, from, o, oOff + from, to - from));
    }

    @Override
    public void bernoulli(Tensor out, Tensor p, Rng rng) {
        Checks.elementwise(this, "bernoulli", out, p);
        int n = (int) out.size();
        long first = rng.take(n);
        float[] o = data(out), pd = data(p);
        int oOff = off(out), pOff = off(p);
        split(n, HEAVY_PARALLEL_ELEMENTS, (from, to) ->
                philox.bernoulli(rng.seed(), rng.stream(), first, from, o, oOff + from, pd, pOff + from, to - from));
    }

    // ---------------------------------------------------------------- fused RBM ops

    @Override
    public void gibbsHalfStep(Tensor sample, Tensor prob, Tensor x, Tensor w, boolean transW, Tensor bias, Rng rng) {
        Checks.HalfStepShape hs = Checks.gibbsHalfStep(this, sample, prob, x, w, transW, bias);
        int batch = hs.rows(), nIn = hs.nIn(), nOut = hs.nOut();
        boolean perRow = hs.biasPerRow();
        float[] u = new float[batch * nOut];
        draw(rng, rng.take(u.length), u, 0, u.length);
        halfStep(data(sample), off(sample), prob == null ? null : data(prob), prob == null ? 0 : off(prob),
                data(x), off(x), data(w), off(w), transW, data(bias), off(bias), perRow,
                batch, nIn, nOut, u, parallelGemm(batch, nOut, nIn));
    }

    /**
     * sample = bernoulli(sigmoid(x op(W) + bias)) with the uniforms u (row i at i * nOut, drawn by the caller in one
     * long run): each block of rows of the GEMM gets its bias, sigmoid and Bernoulli draw right after it is computed,
     * while it is still in L1. The pre-activation is written into prob (or, without prob, into sample) and replaced
     * there.
     */
    private void halfStep(float[] sample, int sOff, float[] prob, int pOff, float[] x, int xOff,
                          float[] w, int wOff, boolean transW, float[] bias, int bOff, boolean perRow,
                          int batch, int nIn, int nOut, float[] u, boolean parallel) {
        float[] target = prob != null ? prob : sample;
        int tOff = prob != null ? pOff : sOff;
        gemm.gemm(target, tOff, nOut, x, xOff, nIn, false, w, wOff, transW ? nIn : nOut, transW,
                batch, nOut, nIn, 1f, 0f, pool, parallel, (i0, i1) -> {
                    for (int i = i0; i < i1; i++) {
                        sampleRow(sample, sOff + i * nOut, target, tOff + i * nOut, bias, bOff + (perRow ? i * nOut : 0),
                                u, i * nOut, nOut);
                    }
                });
    }

    /** One row: p = sigmoid(z + bias) written over z, sample = u &lt; p ? 1 : 0, u from u[uOff ..]. */
    private void sampleRow(float[] sample, int sOff, float[] z, int zOff, float[] bias, int bOff, float[] u, int uOff, int n) {
        VectorSpecies<Float> s = lanes.floats();
        int j = 0;
        for (int bound = s.loopBound(n); j < bound; j += s.length()) {
            FloatVector p = SimdMath.sigmoid(FloatVector.fromArray(s, z, zOff + j).add(FloatVector.fromArray(s, bias, bOff + j)));
            p.intoArray(z, zOff + j);
            FloatVector.zero(s).blend(1f, FloatVector.fromArray(s, u, uOff + j).lt(p)).intoArray(sample, sOff + j);
        }
        for (; j < n; j++) {
            float p = SimdMath.sigmoid(z[zOff + j] + bias[bOff + j]);
            z[zOff + j] = p;
            sample[sOff + j] = u[uOff + j] < p ? 1f : 0f;
        }
    }

    @Override
    public void gibbsChain(Tensor v, Tensor vProb, Tensor w, Tensor bv, Tensor bh, int k, Rng rng) {
        Checks.RbmShape sh = Checks.gibbsChain(this, v, vProb, w, bv, bh, k);
        int batch = sh.rows(), nv = sh.nv(), nh = sh.nh();
        boolean bvPerRow = sh.bvPerRow(), bhPerRow = sh.bhPerRow();
        // Reserve every draw first, in the documented order; then the rows, which are independent conditional RBMs,
        // are shared among the threads once for the whole chain (one hand-over instead of 2k), each thread drawing
        // its rows' uniforms by counter: the same bits as a serial chain.
        long[] hFirst = new long[k], vFirst = new long[k];
        long start = rng.position();
        for (int step = 0; step < k; step++) {
            hFirst[step] = rng.take((long) batch * nh);
            vFirst[step] = rng.take((long) batch * nv);
        }
        boolean parallel = 4L * k * batch * nv * nh >= GEMM_PARALLEL_FLOPS;
        float[] vd = data(v), wd = data(w), bvd = data(bv), bhd = data(bh);
        int vOff = off(v), wOff = off(w), bvOff = off(bv), bhOff = off(bh);
        // W^T (nh, nv) once per chain: the visible half-steps then read it in place instead of packing W transposed
        // on each of their k calls (the same values in the same order: the same bits)
        float[] wT = new float[nh * nv];
        transpose(wd, wOff, nv, nh, wT, 0);
        DrawAhead drawn = k > 0 ? drawnAhead(rng, start) : null;
        pool.forRange(batch, parallel, (r0, r1) -> {
            int rows = r1 - r0;
            float[] h = new float[rows * nh];   // (rows, nh) hidden sample
            // each half-step's uniforms for all these rows in one call: one long run of the vector generator
            // instead of a call per block of rows, each starting and ending inside a vector
            float[] uh = new float[rows * nh], uv = new float[rows * nv];
            for (int step = 0; step < k; step++) {
                uniforms(drawn, rng, hFirst[step], (long) r0 * nh, uh);
                halfStep(h, 0, null, 0, vd, vOff + r0 * nv, wd, wOff, false, bhd, bhOff + (bhPerRow ? r0 * nh : 0), bhPerRow,
                        rows, nv, nh, uh, false);
                boolean last = step == k - 1 && vProb != null;
                uniforms(drawn, rng, vFirst[step], (long) r0 * nv, uv);
                halfStep(vd, vOff + r0 * nv, last ? data(vProb) : null, last ? off(vProb) + r0 * nv : 0, h, 0, wT, 0, false,
                        bvd, bvOff + (bvPerRow ? r0 * nv : 0), bvPerRow, rows, nh, nv, uv, false);
            }
        });
        // the next chain most likely continues this stream where this one stopped (the RNN-RBM's next chunk): the
        // workers draw its uniforms in their idle time (the serial recurrence runs on one thread)
        if (pool.threads() > 1 && rng.position() > start) drawAhead(rng, (rng.position() - start) * 4);
    }

    // ---------------------------------------------------------------- uniforms drawn ahead

    /**
     * The uniforms of a stream from block {@code first} on, drawn by idle workers a slice at a time (WorkerPool.IdleWork)
     * into {@code u}: element e is the uniform of element e of a draw starting at block first, the value any later
     * draw that covers it gets (Philox is addressed by counter), so using them changes no bits.
     */
    private final class DrawAhead implements WorkerPool.IdleWork {
        static final int SLICE = 2048;                       // ~2.5 us of Philox: the longest a job waits for a worker
        final long seed, stream, first;
        final float[] u;
        final AtomicInteger next = new AtomicInteger(), running = new AtomicInteger();
        final AtomicIntegerArray done;
        volatile boolean stopped;

        DrawAhead(long seed, long stream, long first, float[] u) {
            this.seed = seed;
            this.stream = stream;
            this.first = first;
            this.u = u;
            done = new AtomicIntegerArray((u.length + SLICE - 1) / SLICE);
        }

        @Override
        public boolean slice() {
            running.incrementAndGet();
            try {
                if (stopped) return false;
                int q = next.getAndIncrement();
                if (q >= done.length()) return false;
                int from = q * SLICE;
                philox.uniforms(seed, stream, first, from, u, from, Math.min(SLICE, u.length - from));
                done.set(q, 1);                               // publishes the slice's values
                return true;
            } finally {
                running.decrementAndGet();
            }
        }

        /** Stops the workers drawing and waits for a slice in progress: from then on only the caller reads u. */
        void stop() {
            stopped = true;
            while (running.get() > 0) Thread.onSpinWait();
        }
    }

    private DrawAhead ahead;                                  // the draws in progress or done, or null
    /** Uniforms the chains took from the draws made ahead (tests check that the path is taken). */
    final AtomicLong drawnAheadUsed = new AtomicLong();

    /**
     * At most this many uniforms are drawn ahead (4 MB; the RNN-RBM's chunk needs 357,000): an evaluation's long
     * chains over whole tunes would otherwise ask for hundreds of MB. A longer chain draws the rest itself.
     */
    static final int DRAW_AHEAD_MAX = 1 << 20;

    /** Starts drawing {@code n} uniforms (at most DRAW_AHEAD_MAX) of rng's stream from its position on, for the next chain. */
    private void drawAhead(Rng rng, long n) {
        int size = (int) Math.min(n, DRAW_AHEAD_MAX);
        float[] buffer = ahead != null && ahead.u.length == size ? ahead.u : new float[size];
        ahead = new DrawAhead(rng.seed(), rng.stream(), rng.position(), buffer);
        pool.idle(ahead);
    }

    /** The draws made ahead for a chain whose first draw starts at block {@code first} of rng's stream, or null. */
    private DrawAhead drawnAhead(Rng rng, long first) {
        DrawAhead a = ahead;
        if (a == null) return null;
        pool.idle(null);
        a.stop();
        return a.seed == rng.seed() && a.stream == rng.stream() && a.first == first ? a : null;
    }

    /** out = the uniforms of elements e0 .. of the draw at block {@code first}: copied where drawn ahead, else drawn. */
    private void uniforms(DrawAhead a, Rng rng, long first, long e0, float[] out) {
        int n = out.length, i = 0;
        if (a != null) {
            long at = (first - a.first) * 4 + e0;               // the same element, counted from the draws' first block
            while (i < n && at + i < a.u.length && a.done.get((int) ((at + i) / DrawAhead.SLICE)) == 1) {
                int from = (int) (at + i);
                int len = Math.min(n - i, Math.min(a.u.length, (from / DrawAhead.SLICE + 1) * DrawAhead.SLICE) - from);
                System.arraycopy(a.u, from, out, i, len);
                i += len;
            }
            drawnAheadUsed.addAndGet(i);
        }
        if (i < n) philox.uniforms(rng.seed(), rng.stream(), first, e0 + i, out, i, n - i);
    }

    @Override
    public void freeEnergy(Tensor f, Tensor v, Tensor w, Tensor bv, Tensor bh) {
        Checks.RbmShape sh = Checks.freeEnergy(this, f, v, w, bv, bh);
        int batch = sh.rows(), nv = sh.nv(), nh = sh.nh();
        boolean bvPerRow = sh.bvPerRow(), bhPerRow = sh.bhPerRow();
        float[] fd = data(f), vd = data(v), bvd = data(bv), bhd = data(bh);
        int fOff = off(f), vOff = off(v), bvOff = off(bv), bhOff = off(bh);
        float[] pre = new float[batch * nh];   // (B, nh) = v W
        gemm.gemm(pre, 0, nh, vd, vOff, nv, false, data(w), off(w), nh, false, batch, nh, nv, 1f, 0f,
                pool, parallelGemm(batch, nh, nv), (i0, i1) -> {
                    for (int i = i0; i < i1; i++) {
                        float vbv = dot(vd, vOff + i * nv, bvd, bvOff + (bvPerRow ? i * nv : 0), nv);
                        float soft = softplusRowSum(pre, i * nh, bhd, bhOff + (bhPerRow ? i * nh : 0), nh);
                        fd[fOff + i] = -vbv - soft;
                    }
                });
    }

    /** sum_j softplus(z[j] + bias[j]). */
    private float softplusRowSum(float[] z, int zOff, float[] bias, int bOff, int n) {
        VectorSpecies<Float> s = lanes.floats();
        FloatVector acc = FloatVector.zero(s);
        int j = 0;
        for (int bound = s.loopBound(n); j < bound; j += s.length()) {
            acc = acc.add(SimdMath.softplus(FloatVector.fromArray(s, z, zOff + j).add(FloatVector.fromArray(s, bias, bOff + j))));
        }
        float sum = SimdMath.sumLanes(acc);
        for (; j < n; j++) sum += SimdMath.softplus(z[zOff + j] + bias[bOff + j]);
        return sum;
    }

    /** sum_j a[j] b[j] with one FMA chain per lane. */
    private float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        VectorSpecies<Float> s = lanes.floats();
        FloatVector acc = FloatVector.zero(s);
        int j = 0;
        for (int bound = s.loopBound(n); j < bound; j += s.length()) {
            acc = FloatVector.fromArray(s, a, aOff + j).fma(FloatVector.fromArray(s, b, bOff + j), acc);
        }
        float sum = SimdMath.sumLanes(acc);
        for (; j < n; j++) sum = Math.fma(a[aOff + j], b[bOff + j], sum);
        return sum;
    }

    @Override
    public void freeEnergyGrad(Tensor dW, Tensor dBv, Tensor dBh, Tensor v, Tensor w, Tensor bh, float alpha) {
        Checks.RbmShape sh = Checks.freeEnergyGrad(this, dW, dBv, dBh, v, w, bh);
        int batch = sh.rows(), nv = sh.nv(), nh = sh.nh();
        boolean bhPerRow = Checks.bias("freeEnergyGrad", bh, batch, nh);
        boolean dBvPerRow = sh.bvPerRow(), dBhPerRow = sh.bhPerRow();
        if (dW == null && dBh == null) {
            if (dBv != null) accumulateBiasGrad(dBv, dBvPerRow, data(v), off(v), batch, nv, -alpha);
            return;
        }
        // s = sigmoid(v W + bh): (B, nh)
        float[] sd = new float[batch * nh];
        float[] bhd = data(bh);
        int bhOff = off(bh);
        gemm.gemm(sd, 0, nh, data(v), off(v), nv, false, data(w), off(w), nh, false, batch, nh, nv, 1f, 0f,
                pool, parallelGemm(batch, nh, nv), (i0, i1) -> {
                    for (int i = i0; i < i1; i++) sigmoidBiasRow(sd, i * nh, bhd, bhOff + (bhPerRow ? i * nh : 0), nh);
                });
        if (dW != null) {
            // dW += -alpha v^T s: (nv, B) x (B, nh)
            gemm.gemm(data(dW), off(dW), nh, data(v), off(v), nv, true, sd, 0, nh, false, nv, nh, batch, -alpha, 1f,
                    pool, parallelGemm(nv, nh, batch), null);
        }
        if (dBv != null) accumulateBiasGrad(dBv, dBvPerRow, data(v), off(v), batch, nv, -alpha);
        if (dBh != null) accumulateBiasGrad(dBh, dBhPerRow, sd, 0, batch, nh, -alpha);
    }

    /** z = sigmoid(z + bias) over one row. */
    private void sigmoidBiasRow(float[] z, int zOff, float[] bias, int bOff, int n) {
        VectorSpecies<Float> s = lanes.floats();
        int j = 0;
        for (int bound = s.loopBound(n); j < bound; j += s.length()) {
            SimdMath.sigmoid(FloatVector.fromArray(s, z, zOff + j).add(FloatVector.fromArray(s, bias, bOff + j))).intoArray(z, zOff + j);
        }
        for (; j < n; j++) z[zOff + j] = SimdMath.sigmoid(z[zOff + j] + bias[bOff + j]);
    }

    /** grad += scale * x, per row (grad (rows, cols)) or summed over rows (grad (cols)). */
    private void accumulateBiasGrad(Tensor grad, boolean perRow, float[] x, int xOff, int rows, int cols, float scale) {
        float[] g = data(grad);
        int gOff = off(grad);
        VectorSpecies<Float> s = lanes.floats();
        if (perRow) {
            int n = rows * cols, i = 0;
            for (int bound = s.loopBound(n); i < bound; i += s.length()) {
                FloatVector.fromArray(s, x, xOff + i).fma(FloatVector.broadcast(s, scale), FloatVector.fromArray(s, g, gOff + i)).intoArray(g, gOff + i);
            }
            for (; i < n; i++) g[gOff + i] = Math.fma(x[xOff + i], scale, g[gOff + i]);
            return;
        }
        int j = 0;
        for (int bound = s.loopBound(cols); j < bound; j += s.length()) {
            FloatVector acc = FloatVector.zero(s);
            for (int i = 0; i < rows; i++) acc = acc.add(FloatVector.fromArray(s, x, xOff + i * cols + j));
            acc.fma(FloatVector.broadcast(s, scale), FloatVector.fromArray(s, g, gOff + j)).intoArray(g, gOff + j);
        }
        for (; j < cols; j++) {
            float acc = 0f;
            for (int i = 0; i < rows; i++) acc += x[xOff + i * cols + j];
            g[gOff + j] = Math.fma(acc, scale, g[gOff + j]);
        }
    }

    // ---------------------------------------------------------------- fused LSTM cell

    @Override
    public void lstmCell(Tensor h, Tensor c, Tensor z, Tensor cPrev) {
        int[] bh = Checks.lstmCell(this, h, c, z, cPrev);
        int n = bh[1];
        float[] cp = cPrev == null ? null : data(cPrev);
        int cpOff = cPrev == null ? 0 : off(cPrev);
        // rows are independent; a row is 5n transcendentals, so split rows once there is enough work. Two tasks,
        // not one: see SimdLstm
        boolean parallel = (long) bh[0] * n >= HEAVY_PARALLEL_ELEMENTS / 4;
        pool.forRange(bh[0], parallel, (r0, r1) -> SimdLstm.gates(lanes, data(z), off(z), n, r0, r1));
        pool.forRange(bh[0], parallel, (r0, r1) ->
                SimdLstm.cell(lanes, data(h), off(h), data(c), off(c), data(z), off(z), cp, cpOff, n, r0, r1));
    }

    @Override
    public void lstmCellBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor cPrev) {
        int[] bh = Checks.lstmCellBackward(this, dz, dc, dh, z, c, cPrev);
        int n = bh[1];
        float[] cp = cPrev == null ? null : data(cPrev);
        int cpOff = cPrev == null ? 0 : off(cPrev);
        pool.forRange(bh[0], (long) bh[0] * n >= HEAVY_PARALLEL_ELEMENTS / 4, (r0, r1) ->
                SimdLstm.backward(lanes, data(dz), off(dz), data(dc), off(dc), data(dh), off(dh),
                        data(z), off(z), data(c), off(c), cp, cpOff, n, r0, r1));
    }

    /**
     * Each thread takes its rows of the batch for all T steps: a step's product and cell need only the same rows of
     * the step before, so the threads meet once per layer instead of twice per step (an LSTM step of 32 rows is tens
     * of microseconds, as long as a hand-over), and the cell runs on both threads. Wh is packed once for the T
     * products. Same operations per element as the per-step ops: the same bits, whatever the thread count.
     */
    @Override
    public void lstmForward(Tensor h, Tensor c, Tensor z, Tensor wh, Tensor h0, Tensor c0, int batch) {
        int steps = Checks.lstmForward(this, h, c, z, wh, h0, c0, batch);
        int n = h.cols(), g4 = 4 * n;
        float[] zd = data(z), hd = data(h), cd = data(c), bp = recurrentPacked = atLeast(recurrentPacked, gemm.packedBSize(n, g4));
        int zOff = off(z), hOff = off(h), cOff = off(c);
        if (batch > 1) gemm.packB(bp, 0, data(wh), off(wh), g4, false, n, g4);   // one row (the LSTM-RBM) never reads it
        pool.forRange(batch, 2L * steps * batch * n * g4 >= GEMM_PARALLEL_FLOPS, (r0, r1) -> {
            float[] ap = SimdGemmRows.rowsScratch(r1 - r0, n), tile = gemmRows.tileScratch();
            for (int s = 0; s < steps; s++) {
                int zs = zOff + s * batch * g4, hs = hOff + s * batch * n, cs = cOff + s * batch * n;
                if (s > 0 || h0 != null) {                                     // z_s += h_{s-1} Wh
                    float[] hp = s > 0 ? hd : data(h0);
                    int hpOff = s > 0 ? hs - batch * n : off(h0);
                    gemmRows.rowsPacked(zd, zs, g4, hp, hpOff, n, bp, data(wh), off(wh), g4, r0, r1, g4, n, 1f, 1f, ap, tile, pool);
                }
                float[] cp = s > 0 ? cd : c0 == null ? null : data(c0);
                int cpOff = s > 0 ? cs - batch * n : c0 == null ? 0 : off(c0);
                SimdLstm.gates(lanes, zd, zs, n, r0, r1);
                SimdLstm.cell(lanes, hd, hs, cd, cs, zd, zs, cp, cpOff, n, r0, r1);
            }
        });
    }

    /** As {@link #lstmForward}: each thread its rows for all T steps, against Wh^T transposed and packed once. */
    @Override
    public void lstmBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor c0, Tensor wh, int batch) {
        int steps = Checks.lstmBackward(this, dz, dc, dh, z, c, c0, wh, batch);
        int n = dh.cols(), g4 = 4 * n;
        float[] dzd = data(dz), dcd = data(dc), dhd = data(dh), zd = data(z), cd = data(c);
        int dzOff = off(dz), dcOff = off(dc), dhOff = off(dh), zOff = off(z), cOff = off(c);
        // Wh^T (4H, H) row-major, for the one-row path, and packed for the tiled one
        float[] wt = recurrentTransposed = atLeast(recurrentTransposed, g4 * n);
        float[] bp = recurrentPacked = atLeast(recurrentPacked, gemm.packedBSize(g4, n));
        transpose(data(wh), off(wh), n, g4, wt, 0);
        if (batch > 1) gemm.packB(bp, 0, wt, 0, n, false, g4, n);
        pool.forRange(batch, 2L * steps * batch * n * g4 >= GEMM_PARALLEL_FLOPS, (r0, r1) -> {
            float[] ap = SimdGemmRows.rowsScratch(r1 - r0, g4), tile = gemmRows.tileScratch();
            for (int s = steps - 1; s >= 0; s--) {
                int zs = zOff + s * batch * g4, dzs = dzOff + s * batch * g4, hs = dhOff + s * batch * n, cs = cOff + s * batch * n;
                float[] cp = s > 0 ? cd : c0 == null ? null : data(c0);
                int cpOff = s > 0 ? cs - batch * n : c0 == null ? 0 : off(c0);
                SimdLstm.backward(lanes, dzd, dzs, dcd, dcOff, dhd, hs, zd, zs, cd, cs, cp, cpOff, n, r0, r1);
                if (s > 0) {                                                    // dh_{s-1} += dz_s Wh^T
                    gemmRows.rowsPacked(dhd, hs - batch * n, n, dzd, dzs, g4, bp, wt, 0, n, r0, r1, n, g4, 1f, 1f, ap, tile, pool);
                }
            }
        });
    }

    // ---------------------------------------------------------------- the tanh recurrence

    /**
     * One sequence (B = 1, the paper's training): the T one-row products in one loop against Wuu packed once into
     * panels of eight vectors ({@link SimdGemmRows#rowAddPacked}), instead of T gemm and tanh calls (~1.2 us per step at
     * n = 100, most of it not the 10,000 FMAs): 0.74 us. On the calling thread alone: split by columns between two
     * threads, which met once per step, it ran 0.5-0.6 us per step but took the worker from drawing the next Gibbs
     * chain's uniforms ({@link DrawAhead}), and RNN-RBM training was no faster. The same FMA chain per element as
     * gemm's one-row path, then tanh on the same lanes as {@link #tanh}: the per-step ops' bits.
     *
     * <p>B > 1 sequences: as {@link #lstmForward}, each thread takes its sequences for all T steps (a step needs only
     * the same sequences' previous rows), with the tiled kernel against Wuu packed once. Each row's arithmetic does
     * not depend on the split: the same bits whatever the thread count.
     */
    @Override
    public void tanhRecurrence(Tensor u, Tensor wuu, int batch) {
        int steps = Checks.tanhRecurrence(this, "tanhRecurrence", u, wuu, null, null, batch);
        int n = u.cols();
        float[] ud = data(u), wd = data(wuu);
        int uOff = off(u), wOff = off(wuu);
        if (batch == 1) {
            float[] bp = recurrentPacked = atLeast(recurrentPacked, gemmRows.rowPanelsSize(n, n));
            gemmRows.packRowPanels(bp, wd, wOff, n, false, n, n);
            for (int t = 1; t <= steps; t++) {
                int row = uOff + t * n;
                gemmRows.rowAddPacked(ud, row, ud, row - n, bp, wd, wOff, n, false, n, n);      // a(t) + u(t-1) Wuu
                SimdMath.tanh(lanes.floats(), ud, row, ud, row, n);
            }
            return;
        }
        float[] bp = recurrentPacked = atLeast(recurrentPacked, gemm.packedBSize(n, n));
        gemm.packB(bp, 0, wd, wOff, n, false, n, n);
        pool.forRange(batch, 2L * steps * batch * n * n >= GEMM_PARALLEL_FLOPS, (r0, r1) -> {
            float[] ap = SimdGemmRows.rowsScratch(r1 - r0, n), tile = gemmRows.tileScratch();
            for (int t = 1; t <= steps; t++) {
                int us = uOff + t * batch * n;
                gemmRows.rowsPacked(ud, us, n, ud, us - batch * n, n, bp, wd, wOff, n, r0, r1, n, n, 1f, 1f, ap, tile, pool);
                SimdMath.tanh(lanes.floats(), ud, us + r0 * n, ud, us + r0 * n, (r1 - r0) * n);
            }
        });
    }

    /** As {@link #tanhRecurrence}: da(t) = du(t) (1 - u(t)^2), du(t-1) += da(t) Wuu^T, against Wuu^T packed once. */
    @Override
    public void tanhRecurrenceBackward(Tensor da, Tensor du, Tensor u, Tensor wuu, int batch) {
        int steps = Checks.tanhRecurrence(this, "tanhRecurrenceBackward", u, wuu, da, du, batch);
        int n = u.cols();
        float[] dad = data(da), dud = data(du), ud = data(u), wd = data(wuu);
        int daOff = off(da), duOff = off(du), uOff = off(u), wOff = off(wuu);
        if (batch == 1) {
            float[] bp = recurrentPacked = atLeast(recurrentPacked, gemmRows.rowPanelsSize(n, n));
            gemmRows.packRowPanels(bp, wd, wOff, n, true, n, n);
            for (int t = steps; t >= 1; t--) {
                int a = daOff + (t - 1) * n, d = duOff + t * n;
                tanhBackward(lanes.floats(), dad, a, dud, d, ud, uOff + t * n, n);
                gemmRows.rowAddPacked(dud, d - n, dad, a, bp, wd, wOff, n, true, n, n);         // du(t-1) += da(t) Wuu^T
            }
            return;
        }
        float[] wt = recurrentTransposed = atLeast(recurrentTransposed, n * n);
        float[] bp = recurrentPacked = atLeast(recurrentPacked, gemm.packedBSize(n, n));
        transpose(wd, wOff, n, n, wt, 0);
        gemm.packB(bp, 0, wt, 0, n, false, n, n);
        pool.forRange(batch, 2L * steps * batch * n * n >= GEMM_PARALLEL_FLOPS, (r0, r1) -> {
            float[] ap = SimdGemmRows.rowsScratch(r1 - r0, n), tile = gemmRows.tileScratch();
            for (int t = steps; t >= 1; t--) {
                int a = daOff + (t - 1) * batch * n, d = duOff + t * batch * n;
                tanhBackward(lanes.floats(), dad, a + r0 * n, dud, d + r0 * n, ud, uOff + t * batch * n + r0 * n, (r1 - r0) * n);
                gemmRows.rowsPacked(dud, d - batch * n, n, dad, a, n, bp, wt, 0, n, r0, r1, n, n, 1f, 1f, ap, tile, pool);
            }
        });
    }

    // ---------------------------------------------------------------- AIS

    /** The interface's sequence of ops (the same bits), with scratch kept between the temperatures of a run. */
    @Override
    public void aisHidden(Tensor w, Tensor h, Tensor x, Tensor bh, float betaPrev, float beta, Rng rng) {
        boolean bhRow = Checks.aisHidden(this, w, h, x, bh);
        int rows = x.rows(), nh = x.cols();
        long n = (long) rows * nh;
        if (aisScratch == null || aisScratch.size() < 2 * n + 2L * rows) aisScratch = zeros(Math.toIntExact(2 * n + 2L * rows));
        Backend.aisHiddenSteps(this, w, h, x, bh, bhRow, betaPrev, beta, rng, aisScratch.view(0, rows, nh),
                aisScratch.view(n, rows, nh), aisScratch.view(2 * n, rows), aisScratch.view(2 * n + rows, rows));
    }

    /** The interface's sequence of ops (the same bits), with the same kept scratch as aisHidden. */
    @Override
    public void aisVisible(Tensor w, Tensor v, Tensor x, Tensor bv, Tensor a, float betaPrev, float beta, Rng rng) {
        boolean bvRow = Checks.aisVisible(this, w, v, x, bv, a);
        int rows = v.rows(), nv = v.cols();
        long n = (long) rows * nv;
        if (aisScratch == null || aisScratch.size() < n + 2L * rows + bv.size()) {
            aisScratch = zeros(Math.toIntExact(n + 2L * rows + bv.size()));
        }
        Backend.aisVisibleSteps(this, w, v, x, bv, bvRow, a, betaPrev, beta, rng, aisScratch.view(0, rows, nv),
                aisScratch.view(n, rows), aisScratch.view(n + rows, rows), aisScratch.view(n + 2L * rows, Math.toIntExact(bv.size())));
    }

    private Tensor aisScratch;   // aisHidden's z, sp (R, nh), fPrev, fCur (R); aisVisible's t (R, nv), va, vb (R), bv_beta

    // Wh packed (or Wh^T, transposed and packed) for lstmForward / lstmBackward, Wuu's panels for the tanh
    // recurrence: kept between calls
    private float[] recurrentPacked = new float[0], recurrentTransposed = new float[0];

    /** {@code a} if it holds n floats, else a new array that does. */
    private static float[] atLeast(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }

    // ---------------------------------------------------------------- optimizers

    @Override
    public void adam(Tensor p, Tensor g, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, int step) {
        Checks.optimizer(this, "adam", p, g, m, v);
        if (step < 1) throw new IllegalArgumentException("adam: step must be >= 1, got " + step);
        float c1 = (float) (1 - Math.pow(beta1, step)), c2 = (float) (1 - Math.pow(beta2, step));
        float[] pd = data(p), gd = data(g), md = data(m), vd = data(v);
        int pOff = off(p), gOff = off(g), mOff = off(m), vOff = off(v);
        split((int) p.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int i = from;
            for (int bound = from + s.loopBound(to - from); i < bound; i += s.length()) {
                FloatVector gi = FloatVector.fromArray(s, gd, gOff + i);
                // the same operations in the same order as the scalar reference, lane by lane
                FloatVector mi = FloatVector.fromArray(s, md, mOff + i).mul(beta1).add(gi.mul(1f - beta1));
                FloatVector vi = FloatVector.fromArray(s, vd, vOff + i).mul(beta2).add(gi.mul(1f - beta2).mul(gi));
                mi.intoArray(md, mOff + i);
                vi.intoArray(vd, vOff + i);
                FloatVector step1 = mi.div(c1).mul(lr).div(vi.div(c2).lanewise(VectorOperators.SQRT).add(eps));
                FloatVector.fromArray(s, pd, pOff + i).sub(step1).intoArray(pd, pOff + i);
            }
            for (; i < to; i++) {
                float gi = gd[gOff + i];
                float mi = md[mOff + i] * beta1 + gi * (1f - beta1);
                float vi = vd[vOff + i] * beta2 + gi * (1f - beta2) * gi;
                md[mOff + i] = mi;
                vd[vOff + i] = vi;
                pd[pOff + i] -= (mi / c1) * lr / ((float) Math.sqrt(vi / c2) + eps);
            }
        });
    }

    @Override
    public void rmsprop(Tensor p, Tensor g, Tensor r, float lr, float decay, float eps) {
        Checks.optimizer(this, "rmsprop", p, g, r);
        float[] pd = data(p), gd = data(g), rd = data(r);
        int pOff = off(p), gOff = off(g), rOff = off(r);
        split((int) p.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int i = from;
            for (int bound = from + s.loopBound(to - from); i < bound; i += s.length()) {
                FloatVector gi = FloatVector.fromArray(s, gd, gOff + i);
                FloatVector ri = FloatVector.fromArray(s, rd, rOff + i).mul(decay).add(gi.mul(1f - decay).mul(gi));
                ri.intoArray(rd, rOff + i);
                FloatVector.fromArray(s, pd, pOff + i).sub(gi.mul(lr).div(ri.lanewise(VectorOperators.SQRT).add(eps)))
                        .intoArray(pd, pOff + i);
            }
            for (; i < to; i++) {
                float gi = gd[gOff + i];
                float ri = rd[rOff + i] * decay + gi * (1f - decay) * gi;
                rd[rOff + i] = ri;
                pd[pOff + i] -= gi * lr / ((float) Math.sqrt(ri) + eps);
            }
        });
    }

    // ---------------------------------------------------------------- softmax outputs

    @Override
    public double softmaxCrossEntropy(Tensor dLogits, Tensor logits, Tensor targets) {
        Checks.softmaxCrossEntropy(this, dLogits, logits, targets);
        int rows = logits.rows(), n = logits.cols();
        // rows are short (38 melody events): the scalar row kernel, rows split among threads, losses summed in row order
        double[] perRow = new double[rows];
        float[] g = dLogits == null ? null : data(dLogits);
        int gOff = dLogits == null ? 0 : off(dLogits);
        pool.forRange(rows, (long) rows * n >= HEAVY_PARALLEL_ELEMENTS, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                perRow[r] = ScalarBackend.softmaxRow(g, gOff + r * n, data(logits), off(logits) + r * n,
                        data(targets), off(targets) + r * n, n);
            }
        });
        double loss = 0;
        for (double l : perRow) loss += l;
        return loss;
    }

    @Override
    public void softmax(Tensor out, Tensor x) {
        Checks.elementwise(this, "softmax", out, x);
        Checks.shape("softmax", "out", out, x.rows(), x.cols());
        int n = x.cols();
        pool.forRange(x.rows(), (long) x.size() >= HEAVY_PARALLEL_ELEMENTS, (r0, r1) -> {
            for (int r = r0; r < r1; r++) ScalarBackend.softmaxRow(data(out), off(out) + r * n, data(x), off(x) + r * n, n);
        });
    }
}
