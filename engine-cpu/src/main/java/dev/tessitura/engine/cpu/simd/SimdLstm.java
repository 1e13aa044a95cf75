package dev.tessitura.engine.cpu.simd;

import static dev.tessitura.engine.cpu.simd.SimdBackend.GEMM_PARALLEL_FLOPS;
import static dev.tessitura.engine.cpu.simd.SimdBackend.HEAVY_PARALLEL_ELEMENTS;
import static dev.tessitura.engine.cpu.simd.SimdBackend.data;
import static dev.tessitura.engine.cpu.simd.SimdBackend.off;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * SimdBackend's LSTM ops: the fused cell and its backward pass, and the layer ops that run all T steps of a layer
 * with each thread on its own rows. The cell's kernels work on vectors: within a row the four gate blocks (i, f, g,
 * o) lie H apart, so lane j of each block is loaded at j, H + j, 2H + j, 3H + j and every unit is independent.
 * Equations in {@link dev.tessitura.engine.Backend#lstmCell} and {@link dev.tessitura.engine.Backend#lstmCellBackward};
 * the scalar tail does the same operations with SimdMath's scalar twins.
 */
final class SimdLstm {
    private final SimdBackend be;
    private final Lanes lanes;
    private final SimdGemm gemm;
    private final SimdGemmRows gemmRows;
    private final WorkerPool pool;

    SimdLstm(SimdBackend be) {
        this.be = be;
        this.lanes = be.lanes;
        this.gemm = be.gemm;
        this.gemmRows = be.gemmRows;
        this.pool = be.pool;
    }

    void lstmCell(Tensor h, Tensor c, Tensor z, Tensor cPrev) {
        int[] bh = Checks.lstmCell(be, h, c, z, cPrev);
        int n = bh[1];
        float[] cp = cPrev == null ? null : data(cPrev);
        int cpOff = cPrev == null ? 0 : off(cPrev);
        // rows are independent; a row is 5n transcendentals, so split rows once there is enough work. Two tasks,
        // not one: see the kernels below
        boolean parallel = (long) bh[0] * n >= HEAVY_PARALLEL_ELEMENTS / 4;
        pool.forRange(bh[0], parallel, (r0, r1) -> gates(lanes, data(z), off(z), n, r0, r1));
        pool.forRange(bh[0], parallel, (r0, r1) ->
                cell(lanes, data(h), off(h), data(c), off(c), data(z), off(z), cp, cpOff, n, r0, r1));
    }

    void lstmCellBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor cPrev) {
        int[] bh = Checks.lstmCellBackward(be, dz, dc, dh, z, c, cPrev);
        int n = bh[1];
        float[] cp = cPrev == null ? null : data(cPrev);
        int cpOff = cPrev == null ? 0 : off(cPrev);
        pool.forRange(bh[0], (long) bh[0] * n >= HEAVY_PARALLEL_ELEMENTS / 4, (r0, r1) ->
                backward(lanes, data(dz), off(dz), data(dc), off(dc), data(dh), off(dh),
                        data(z), off(z), data(c), off(c), cp, cpOff, n, r0, r1));
    }

    /**
     * Each thread takes its rows of the batch for all T steps: a step's product and cell need only the same rows of
     * the step before, so the threads meet once per layer instead of twice per step (an LSTM step of 32 rows takes
     * about as long as a hand-over), and the cell runs on both threads. Wh is packed once for the T products. Same
     * operations per element as the per-step ops: the same bits, whatever the thread count.
     */
    void lstmForward(Tensor h, Tensor c, Tensor z, Tensor wh, Tensor h0, Tensor c0, int batch) {
        int steps = Checks.lstmForward(be, h, c, z, wh, h0, c0, batch);
        int n = h.cols(), g4 = 4 * n;
        float[] zd = data(z), hd = data(h), cd = data(c), bp = be.recurrentPacked(gemm.packedBSize(n, g4));
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
                gates(lanes, zd, zs, n, r0, r1);
                cell(lanes, hd, hs, cd, cs, zd, zs, cp, cpOff, n, r0, r1);
            }
        });
    }

    /** As {@link #lstmForward}: each thread its rows for all T steps, against Wh^T transposed and packed once. */
    void lstmBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor c0, Tensor wh, int batch) {
        int steps = Checks.lstmBackward(be, dz, dc, dh, z, c, c0, wh, batch);
        int n = dh.cols(), g4 = 4 * n;
        float[] dzd = data(dz), dcd = data(dc), dhd = data(dh), zd = data(z), cd = data(c);
        int dzOff = off(dz), dcOff = off(dc), dhOff = off(dh), zOff = off(z), cOff = off(c);
        // Wh^T (4H, H) row-major, for the one-row path, and packed for the tiled one
        float[] wt = be.recurrentTransposed(g4 * n);
        float[] bp = be.recurrentPacked(gemm.packedBSize(g4, n));
        SimdBlas.transpose(data(wh), off(wh), n, g4, wt, 0);
        if (batch > 1) gemm.packB(bp, 0, wt, 0, n, false, g4, n);
        pool.forRange(batch, 2L * steps * batch * n * g4 >= GEMM_PARALLEL_FLOPS, (r0, r1) -> {
            float[] ap = SimdGemmRows.rowsScratch(r1 - r0, g4), tile = gemmRows.tileScratch();
            for (int s = steps - 1; s >= 0; s--) {
                int zs = zOff + s * batch * g4, dzs = dzOff + s * batch * g4, hs = dhOff + s * batch * n, cs = cOff + s * batch * n;
                float[] cp = s > 0 ? cd : c0 == null ? null : data(c0);
                int cpOff = s > 0 ? cs - batch * n : c0 == null ? 0 : off(c0);
                backward(lanes, dzd, dzs, dcd, dcOff, dhd, hs, zd, zs, cd, cs, cp, cpOff, n, r0, r1);
                if (s > 0) {                                                    // dh_{s-1} += dz_s Wh^T
                    gemmRows.rowsPacked(dhd, hs - batch * n, n, dzd, dzs, g4, bp, wt, 0, n, r0, r1, n, g4, 1f, 1f, ap, tile, pool);
                }
            }
        });
    }

    /*
     * The forward cell is two passes, run by lstmCell above as two tasks so that C2 compiles each on its own:
     * with the five transcendentals of a cell in one method, C2 ran out of its inlining budget (a fixed count of IR
     * nodes, and the Vector API's calls make many), left the math calls out of line and boxed every vector passed to
     * them on the heap: ~37 KB per training frame.
     */

    /** Rows [r0, r1) of z (rows, 4n) replaced by the gates: i, f, o = sigmoid(z), g = tanh(z), in place. */
    static void gates(Lanes lanes, float[] z, int zOff, int n, int r0, int r1) {
        VectorSpecies<Float> s = lanes.floats();   // a constant once inlined: see Lanes
        for (int r = r0; r < r1; r++) {
            int zr = zOff + r * 4 * n, k = 0;
            for (int bound = s.loopBound(4 * n); k < bound; k += s.length()) {
                // tanh for the lanes in [2n, 3n): a mask only for the vectors that reach them
                boolean any = k + s.length() > 2 * n && k < 3 * n;
                VectorMask<Float> g = any ? s.indexInRange(k - 2 * n, n) : s.maskAll(false);
                SimdMath.sigmoidOrTanh(FloatVector.fromArray(s, z, zr + k), g, any).intoArray(z, zr + k);
            }
            for (; k < 4 * n; k++) z[zr + k] = k >= 2 * n && k < 3 * n ? SimdMath.tanh(z[zr + k]) : SimdMath.sigmoid(z[zr + k]);
        }
    }

    /** Rows [r0, r1) of c = f c_{t-1} + i g and h = o tanh(c) (c and h (rows, n)) from the gates; cp null for c_0 = 0. */
    static void cell(Lanes lanes, float[] h, int hOff, float[] c, int cOff, float[] z, int zOff,
                     float[] cp, int cpOff, int n, int r0, int r1) {
        VectorSpecies<Float> s = lanes.floats();
        for (int r = r0; r < r1; r++) {
            int zr = zOff + r * 4 * n, hr = hOff + r * n, cr = cOff + r * n, pr = cpOff + r * n;
            int j = 0;
            for (int bound = s.loopBound(n); j < bound; j += s.length()) {
                FloatVector i = FloatVector.fromArray(s, z, zr + j), g = FloatVector.fromArray(s, z, zr + 2 * n + j);
                FloatVector ig = i.mul(g);
                FloatVector cj = cp == null ? ig : FloatVector.fromArray(s, z, zr + n + j).fma(FloatVector.fromArray(s, cp, pr + j), ig);
                cj.intoArray(c, cr + j);
                FloatVector.fromArray(s, z, zr + 3 * n + j).mul(SimdMath.tanh(cj)).intoArray(h, hr + j);
            }
            for (; j < n; j++) {
                float ig = z[zr + j] * z[zr + 2 * n + j];
                float cj = cp == null ? ig : Math.fma(z[zr + n + j], cp[pr + j], ig);
                c[cr + j] = cj;
                h[hr + j] = z[zr + 3 * n + j] * SimdMath.tanh(cj);
            }
        }
    }

    /** Rows [r0, r1) of the backward pass: dz (rows, 4n) written, dc (rows, n) replaced by the gradient of c_{t-1}. */
    static void backward(Lanes lanes, float[] dz, int dzOff, float[] dc, int dcOff, float[] dh, int dhOff,
                         float[] z, int zOff, float[] c, int cOff, float[] cp, int cpOff, int n, int r0, int r1) {
        VectorSpecies<Float> s = lanes.floats();
        for (int r = r0; r < r1; r++) {
            int zr = zOff + r * 4 * n, dzr = dzOff + r * 4 * n;
            int dcr = dcOff + r * n, dhr = dhOff + r * n, cr = cOff + r * n, pr = cpOff + r * n;
            int j = 0;
            for (int bound = s.loopBound(n); j < bound; j += s.length()) {
                FloatVector i = FloatVector.fromArray(s, z, zr + j), f = FloatVector.fromArray(s, z, zr + n + j);
                FloatVector g = FloatVector.fromArray(s, z, zr + 2 * n + j), o = FloatVector.fromArray(s, z, zr + 3 * n + j);
                FloatVector tc = SimdMath.tanh(FloatVector.fromArray(s, c, cr + j));
                FloatVector cpv = cp == null ? FloatVector.zero(s) : FloatVector.fromArray(s, cp, pr + j);
                FloatVector dhj = FloatVector.fromArray(s, dh, dhr + j);
                FloatVector one = FloatVector.broadcast(s, 1f);
                // dC = dc + dh o (1 - tanh^2 c)
                FloatVector dC = dhj.mul(o).mul(one.sub(tc.mul(tc))).add(FloatVector.fromArray(s, dc, dcr + j));
                dC.mul(g).mul(i).mul(one.sub(i)).intoArray(dz, dzr + j);
                dC.mul(cpv).mul(f).mul(one.sub(f)).intoArray(dz, dzr + n + j);
                dC.mul(i).mul(one.sub(g.mul(g))).intoArray(dz, dzr + 2 * n + j);
                dhj.mul(tc).mul(o).mul(one.sub(o)).intoArray(dz, dzr + 3 * n + j);
                dC.mul(f).intoArray(dc, dcr + j);
            }
            for (; j < n; j++) {
                float i = z[zr + j], f = z[zr + n + j], g = z[zr + 2 * n + j], o = z[zr + 3 * n + j];
                float tc = SimdMath.tanh(c[cr + j]);
                float cpj = cp == null ? 0f : cp[pr + j];
                float dhj = dh[dhr + j];
                float dC = dhj * o * (1f - tc * tc) + dc[dcr + j];
                dz[dzr + j] = dC * g * i * (1f - i);
                dz[dzr + n + j] = dC * cpj * f * (1f - f);
                dz[dzr + 2 * n + j] = dC * i * (1f - g * g);
                dz[dzr + 3 * n + j] = dhj * tc * o * (1f - o);
                dc[dcr + j] = dC * f;
            }
        }
    }
}
