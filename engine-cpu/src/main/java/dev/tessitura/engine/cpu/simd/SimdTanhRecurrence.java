package dev.tessitura.engine.cpu.simd;

import static dev.tessitura.engine.cpu.simd.SimdBackend.GEMM_PARALLEL_FLOPS;
import static dev.tessitura.engine.cpu.simd.SimdBackend.data;
import static dev.tessitura.engine.cpu.simd.SimdBackend.off;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;

/** SimdBackend's tanh recurrence of the RNN-RBM and its backward pass, all T steps in one op against Wuu packed once. */
final class SimdTanhRecurrence {
    private final SimdBackend be;
    private final Lanes lanes;
    private final SimdGemm gemm;
    private final SimdGemmRows gemmRows;
    private final WorkerPool pool;

    SimdTanhRecurrence(SimdBackend be) {
        this.be = be;
        this.lanes = be.lanes;
        this.gemm = be.gemm;
        this.gemmRows = be.gemmRows;
        this.pool = be.pool;
    }

    /**
     * One sequence (B = 1, the paper's training): the T one-row products in one loop against Wuu packed once into
     * panels of eight vectors ({@link SimdGemmRows#rowAddPacked}), instead of T gemm and tanh calls, whose overhead
     * outweighed their FMAs at the model's n = 100. On the calling thread alone: split by columns between two
     * threads, which met once per step, it took the worker from drawing the next Gibbs chain's uniforms (SimdRbm's
     * DrawAhead), and RNN-RBM training was no faster. The same FMA chain per element as gemm's one-row path, then tanh
     * on the same lanes as {@link SimdBackend#tanh}: the per-step ops' bits.
     *
     * <p>B > 1 sequences: as {@link SimdLstm#lstmForward}, each thread takes its sequences for all T steps (a step
     * needs only the same sequences' previous rows), with the tiled kernel against Wuu packed once. Each row's
     * arithmetic does not depend on the split: the same bits whatever the thread count.
     */
    void tanhRecurrence(Tensor u, Tensor wuu, int batch) {
        int steps = Checks.tanhRecurrence(be, "tanhRecurrence", u, wuu, null, null, batch);
        int n = u.cols();
        float[] ud = data(u), wd = data(wuu);
        int uOff = off(u), wOff = off(wuu);
        if (batch == 1) {
            float[] bp = be.recurrentPacked(gemmRows.rowPanelsSize(n, n));
            gemmRows.packRowPanels(bp, wd, wOff, n, false, n, n);
            for (int t = 1; t <= steps; t++) {
                int row = uOff + t * n;
                gemmRows.rowAddPacked(ud, row, ud, row - n, bp, wd, wOff, n, false, n, n);      // a(t) + u(t-1) Wuu
                SimdMath.tanh(lanes.floats(), ud, row, ud, row, n);
            }
            return;
        }
        float[] bp = be.recurrentPacked(gemm.packedBSize(n, n));
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
    void tanhRecurrenceBackward(Tensor da, Tensor du, Tensor u, Tensor wuu, int batch) {
        int steps = Checks.tanhRecurrence(be, "tanhRecurrenceBackward", u, wuu, da, du, batch);
        int n = u.cols();
        float[] dad = data(da), dud = data(du), ud = data(u), wd = data(wuu);
        int daOff = off(da), duOff = off(du), uOff = off(u), wOff = off(wuu);
        if (batch == 1) {
            float[] bp = be.recurrentPacked(gemmRows.rowPanelsSize(n, n));
            gemmRows.packRowPanels(bp, wd, wOff, n, true, n, n);
            for (int t = steps; t >= 1; t--) {
                int a = daOff + (t - 1) * n, d = duOff + t * n;
                SimdElementwise.tanhBackward(lanes.floats(), dad, a, dud, d, ud, uOff + t * n, n);
                gemmRows.rowAddPacked(dud, d - n, dad, a, bp, wd, wOff, n, true, n, n);         // du(t-1) += da(t) Wuu^T
            }
            return;
        }
        float[] wt = be.recurrentTransposed(n * n);
        float[] bp = be.recurrentPacked(gemm.packedBSize(n, n));
        SimdBlas.transpose(wd, wOff, n, n, wt, 0);
        gemm.packB(bp, 0, wt, 0, n, false, n, n);
        pool.forRange(batch, 2L * steps * batch * n * n >= GEMM_PARALLEL_FLOPS, (r0, r1) -> {
            float[] ap = SimdGemmRows.rowsScratch(r1 - r0, n), tile = gemmRows.tileScratch();
            for (int t = steps; t >= 1; t--) {
                int a = daOff + (t - 1) * batch * n, d = duOff + t * batch * n;
                SimdElementwise.tanhBackward(lanes.floats(), dad, a + r0 * n, dud, d + r0 * n, ud, uOff + t * batch * n + r0 * n, (r1 - r0) * n);
                gemmRows.rowsPacked(dud, d - batch * n, n, dad, a, n, bp, wt, 0, n, r0, r1, n, n, 1f, 1f, ap, tile, pool);
            }
        });
    }
}
