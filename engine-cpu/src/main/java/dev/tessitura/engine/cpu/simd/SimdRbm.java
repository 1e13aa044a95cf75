package dev.tessitura.engine.cpu.simd;

import static dev.tessitura.engine.cpu.simd.SimdBackend.GEMM_PARALLEL_FLOPS;
import static dev.tessitura.engine.cpu.simd.SimdBackend.data;
import static dev.tessitura.engine.cpu.simd.SimdBackend.off;
import static dev.tessitura.engine.cpu.simd.SimdBackend.parallelGemm;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SimdBackend's fused RBM ops: each GEMM's rows get their bias, sigmoid and draw while still in L1 (SimdGemm's
 * RowsDone), and a Gibbs chain shares its rows among the threads once for all k steps. The uniforms of the chain
 * that most likely comes next are drawn ahead in the workers' idle time ({@link DrawAhead}).
 */
final class SimdRbm {
    private final SimdBackend be;
    private final Lanes lanes;
    private final SimdGemm gemm;
    private final SimdPhilox philox;
    private final WorkerPool pool;

    SimdRbm(SimdBackend be) {
        this.be = be;
        this.lanes = be.lanes;
        this.gemm = be.gemm;
        this.philox = be.philox;
        this.pool = be.pool;
    }

    void gibbsHalfStep(Tensor sample, Tensor prob, Tensor x, Tensor w, boolean transW, Tensor bias, Rng rng) {
        Checks.HalfStepShape hs = Checks.gibbsHalfStep(be, sample, prob, x, w, transW, bias);
        int batch = hs.rows(), nIn = hs.nIn(), nOut = hs.nOut();
        boolean perRow = hs.biasPerRow();
        float[] u = new float[batch * nOut];
        be.random.draw(rng, rng.take(u.length), u, 0, u.length);
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

    void gibbsChain(Tensor v, Tensor vProb, Tensor w, Tensor bv, Tensor bh, int k, Rng rng) {
        Checks.RbmShape sh = Checks.gibbsChain(be, v, vProb, w, bv, bh, k);
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
        SimdBlas.transpose(wd, wOff, nv, nh, wT, 0);
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

    void freeEnergy(Tensor f, Tensor v, Tensor w, Tensor bv, Tensor bh) {
        Checks.RbmShape sh = Checks.freeEnergy(be, f, v, w, bv, bh);
        int batch = sh.rows(), nv = sh.nv(), nh = sh.nh();
        boolean bvPerRow = sh.bvPerRow(), bhPerRow = sh.bhPerRow();
        float[] fd = data(f), vd = data(v), bvd = data(bv), bhd = data(bh);
        int fOff = off(f), vOff = off(v), bvOff = off(bv), bhOff = off(bh);
        float[] pre = new float[batch * nh];   // (B, nh) = v W
        gemm.gemm(pre, 0, nh, vd, vOff, nv, false, data(w), off(w), nh, false, batch, nh, nv, 1f, 0f,
                pool, parallelGemm(batch, nh, nv), (i0, i1) -> {
                    for (int i = i0; i < i1; i++) {
                        float vbv = gemm.dot(vd, vOff + i * nv, bvd, bvOff + (bvPerRow ? i * nv : 0), nv);
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

    void freeEnergyGrad(Tensor dW, Tensor dBv, Tensor dBh, Tensor v, Tensor w, Tensor bh, float alpha) {
        Checks.RbmShape sh = Checks.freeEnergyGrad(be, dW, dBv, dBh, v, w, bh);
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
}
