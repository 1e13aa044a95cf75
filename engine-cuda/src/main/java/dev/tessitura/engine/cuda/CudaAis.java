package dev.tessitura.engine.cuda;

import static dev.tessitura.engine.cuda.CudaBackend.ROW_THREADS;
import static dev.tessitura.engine.cuda.CudaBackend.concat;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;

/** CudaBackend's AIS halves: each one pass over a chain's row, a block per chain. */
final class CudaAis {
    private final CudaBackend be;

    CudaAis(CudaBackend be) {
        this.be = be;
    }

    /** One pass over x for both softplus sums, the weight update and the hidden draw (k_ais_hidden, a block per chain). */
    void aisHidden(Tensor w, Tensor h, Tensor x, Tensor bh, float betaPrev, float beta, Rng rng) {
        be.enter();
        boolean bhRow = Checks.aisHidden(be, w, h, x, bh);
        int rows = x.rows(), nh = x.cols();
        long first = h != null ? rng.take((long) rows * nh) : rng.position();
        if (rows == 0) return;
        be.launch(Kernel.AIS_HIDDEN, rows, ROW_THREADS, ROW_THREADS * Double.BYTES,
                concat(new Object[] {w, h, x, bh, bhRow ? nh : 0, nh, betaPrev, beta}, be.philox(rng, first)));
    }

    /** The dot products, the weight update, the bias mix and the visible draw in one pass (k_ais_visible, a block per chain). */
    void aisVisible(Tensor w, Tensor v, Tensor x, Tensor bv, Tensor a, float betaPrev, float beta, Rng rng) {
        be.enter();
        boolean bvRow = Checks.aisVisible(be, w, v, x, bv, a);
        int rows = v.rows(), nv = v.cols();
        long first = x != null ? rng.take((long) rows * nv) : rng.position();
        if (rows == 0 || (x == null && a == null)) return;
        be.launch(Kernel.AIS_VISIBLE, rows, ROW_THREADS, ROW_THREADS * Double.BYTES,
                concat(new Object[] {w, v, x, bv, a, bvRow ? nv : 0, nv, betaPrev, beta}, be.philox(rng, first)));
    }
}
