package dev.tessitura.engine.cuda;

import static dev.tessitura.engine.cuda.CudaBackend.ROW_THREADS;
import static dev.tessitura.engine.cuda.CudaBackend.THREADS;
import static dev.tessitura.engine.cuda.CudaBackend.concat;
import static dev.tessitura.engine.cuda.CudaBackend.grid;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;

/**
 * CudaBackend's fused RBM ops: cuBLAS for the products and an epilogue kernel for bias, sigmoid and draw; a Gibbs
 * chain in one launch (k_gibbs_chain, a block per row, W in shared memory) where W fits on chip.
 */
final class CudaRbm {
    private final CudaBackend be;

    CudaRbm(CudaBackend be) {
        this.be = be;
    }

    void gibbsHalfStep(Tensor sample, Tensor prob, Tensor x, Tensor w, boolean transW, Tensor bias, Rng rng) {
        be.enter();
        Checks.HalfStepShape hs = Checks.gibbsHalfStep(be, sample, prob, x, w, transW, bias);
        halfStep(sample, prob, x, w, transW, bias, rng, hs.rows(), hs.nIn(), hs.nOut());
    }

    /** prob = sigmoid(x op(W) + bias) (cuBLAS, then the epilogue kernel), sample = bernoulli(prob). */
    private void halfStep(Tensor sample, Tensor prob, Tensor x, Tensor w, boolean transW, Tensor bias, Rng rng,
                          int rows, int nIn, int nOut) {
        long n = (long) rows * nOut;
        long first = rng.take(n);
        if (n == 0) return;
        Tensor p = prob != null ? prob : be.scratch(rows, nOut);
        be.blas.gemm(p, x, false, w, transW, rows, nOut, nIn, 1f, 0f);
        be.launch(Kernel.GIBBS_EPILOGUE, grid((n + 3) >>> 2), THREADS, 0,
                concat(new Object[] {sample, p, bias, biasStride("gibbsHalfStep", bias, rows, nOut), rows, nOut}, be.philox(rng, first)));
        if (prob == null) be.release(p);
    }

    /**
     * Reserves the 2k draws of a k-step chain exactly as k pairs of half-steps would (hidden draw of hElems, then
     * visible of vElems, k times) and returns {first, hBlocks, vBlocks}: step s's hidden draw starts at block
     * first + s (hBlocks + vBlocks), its visible draw hBlocks later. The kernel k_gibbs_chain relies on this layout.
     */
    static long[] chainDraws(Rng rng, long hElems, long vElems, int k) {
        long first = rng.position(), hBlocks = (hElems + 3) >>> 2, vBlocks = (vElems + 3) >>> 2;
        for (int s = 0; s < k; s++) {
            rng.take(hElems);
            rng.take(vElems);
        }
        return new long[] {first, hBlocks, vBlocks};
    }

    /** Threads per block of k_gibbs_chain: the wider layer, in warps, at most 256. */
    static int chainThreads(int nv, int nh) {
        return Math.min(256, Math.max(32, (Math.max(nv, nh) + 31) / 32 * 32));
    }

    /** Bytes of dynamic shared memory k_gibbs_chain needs: W, v and h. */
    static long chainSharedBytes(int nv, int nh) {
        return ((long) nv * nh + nv + nh) * Float.BYTES;
    }

    void gibbsChain(Tensor v, Tensor vProb, Tensor w, Tensor bv, Tensor bh, int k, Rng rng) {
        be.enter();
        Checks.RbmShape sh = Checks.gibbsChain(be, v, vProb, w, bv, bh, k);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh();
        int bvStride = sh.bvPerRow() ? nv : 0, bhStride = sh.bhPerRow() ? nh : 0;
        long shared = chainSharedBytes(nv, nh);
        if (shared > be.device.maxSharedBytes()) {   // W does not fit on chip: the same draws as 2k half-steps through cuBLAS
            Tensor h = be.scratch(rows, nh), hProb = be.scratch(rows, nh);
            Tensor vp = vProb != null ? vProb : be.scratch(rows, nv);
            for (int s = 0; s < k; s++) {
                halfStep(h, hProb, v, w, false, bh, rng, rows, nv, nh);
                halfStep(v, vp, h, w, true, bv, rng, rows, nh, nv);
            }
            be.release(h);
            be.release(hProb);
            if (vProb == null) be.release(vp);
            return;
        }
        long[] d = chainDraws(rng, (long) rows * nh, (long) rows * nv, k);
        if (rows == 0 || k == 0) return;
        be.launch(Kernel.GIBBS_CHAIN, rows, chainThreads(nv, nh), (int) shared,
                concat(new Object[] {v, vProb, w, bv, bvStride, bh, bhStride, nv, nh, k}, concat(be.philox(rng, d[0]), d[1], d[2])));
    }

    void freeEnergy(Tensor f, Tensor v, Tensor w, Tensor bv, Tensor bh) {
        be.enter();
        Checks.RbmShape sh = Checks.freeEnergy(be, f, v, w, bv, bh);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh();
        int bvStride = sh.bvPerRow() ? nv : 0, bhStride = sh.bhPerRow() ? nh : 0;
        if (rows == 0) return;
        Tensor x = be.scratch(rows, nh);   // (rows, nh) = v W
        be.blas.gemm(x, v, false, w, false, rows, nh, nv, 1f, 0f);
        be.launch(Kernel.FREE_ENERGY_EPILOGUE, rows, ROW_THREADS, ROW_THREADS * Double.BYTES, f, x, v, bv, bvStride, bh, bhStride, nv, nh);
        be.release(x);
    }

    void freeEnergyGrad(Tensor dW, Tensor dBv, Tensor dBh, Tensor v, Tensor w, Tensor bh, float alpha) {
        be.enter();
        Checks.RbmShape sh = Checks.freeEnergyGrad(be, dW, dBv, dBh, v, w, bh);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh();
        int bhStride = biasStride("freeEnergyGrad", bh, rows, nh);
        boolean dBvRow = sh.bvPerRow(), dBhRow = sh.bhPerRow();
        if (rows == 0) return;
        // s = sigmoid(v W + bh) = E[h | v]; dF/dW = -v^T s, dF/dbv = -v, dF/dbh = -s
        Tensor s = be.scratch(rows, nh);
        be.blas.gemm(s, v, false, w, false, rows, nh, nv, 1f, 0f);
        long n = (long) rows * nh;
        if (n > 0) be.launch(Kernel.BIAS_SIGMOID, grid(n), THREADS, 0, s, bh, bhStride, rows, nh);
        if (dW != null) be.blas.gemm(dW, v, true, s, false, nv, nh, rows, -alpha, 1f);
        if (dBv != null) accumulate(dBv, dBvRow, v, -alpha);
        if (dBh != null) accumulate(dBh, dBhRow, s, -alpha);
        be.release(s);
    }

    /** g += alpha * x per row, or g += alpha * (column sums of x). */
    private void accumulate(Tensor g, boolean perRow, Tensor x, float alpha) {
        if (perRow) be.axpy(g, x, alpha);
        else be.columnSums(g, x, alpha, 1f);
    }

    /** The bias row stride the kernels take: 0 for a vector, cols for one bias row per row. */
    private static int biasStride(String op, Tensor bias, int rows, int cols) {
        return Checks.bias(op, bias, rows, cols) ? cols : 0;
    }
}
