package dev.tessitura.engine.cpu.simd;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;

/** SimdBackend's AIS halves: the interface's op sequences (the same bits), with scratch kept between calls. */
final class SimdAis {
    private final SimdBackend be;
    private Tensor aisScratch;   // aisHidden's z, sp (R, nh), fPrev, fCur (R); aisVisible's t (R, nv), va, vb (R), bv_beta

    SimdAis(SimdBackend be) {
        this.be = be;
    }

    /** The interface's sequence of ops (the same bits), with scratch kept between the temperatures of a run. */
    void aisHidden(Tensor w, Tensor h, Tensor x, Tensor bh, float betaPrev, float beta, Rng rng) {
        boolean bhRow = Checks.aisHidden(be, w, h, x, bh);
        int rows = x.rows(), nh = x.cols();
        long n = (long) rows * nh;
        if (aisScratch == null || aisScratch.size() < 2 * n + 2L * rows) aisScratch = be.zeros(Math.toIntExact(2 * n + 2L * rows));
        Backend.aisHiddenSteps(be, w, h, x, bh, bhRow, betaPrev, beta, rng, aisScratch.view(0, rows, nh),
                aisScratch.view(n, rows, nh), aisScratch.view(2 * n, rows), aisScratch.view(2 * n + rows, rows));
    }

    /** The interface's sequence of ops (the same bits), with the same kept scratch as aisHidden. */
    void aisVisible(Tensor w, Tensor v, Tensor x, Tensor bv, Tensor a, float betaPrev, float beta, Rng rng) {
        boolean bvRow = Checks.aisVisible(be, w, v, x, bv, a);
        int rows = v.rows(), nv = v.cols();
        long n = (long) rows * nv;
        if (aisScratch == null || aisScratch.size() < n + 2L * rows + bv.size()) {
            aisScratch = be.zeros(Math.toIntExact(n + 2L * rows + bv.size()));
        }
        Backend.aisVisibleSteps(be, w, v, x, bv, bvRow, a, betaPrev, beta, rng, aisScratch.view(0, rows, nv),
                aisScratch.view(n, rows), aisScratch.view(n + rows, rows), aisScratch.view(n + 2L * rows, Math.toIntExact(bv.size())));
    }
}
