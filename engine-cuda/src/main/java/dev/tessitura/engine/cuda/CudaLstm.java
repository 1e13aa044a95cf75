package dev.tessitura.engine.cuda;

import static dev.tessitura.engine.cuda.CudaBackend.THREADS;
import static dev.tessitura.engine.cuda.CudaBackend.grid;
import static dev.tessitura.engine.cuda.CudaTanhRecurrence.recurrenceThreads;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;

/** CudaBackend's LSTM ops: the fused cell (k_lstm_cell) and the layer's T steps in one persistent launch. */
final class CudaLstm {
    private final CudaBackend be;

    CudaLstm(CudaBackend be) {
        this.be = be;
    }

    void lstmCell(Tensor h, Tensor c, Tensor z, Tensor cPrev) {
        be.enter();
        int[] bh = Checks.lstmCell(be, h, c, z, cPrev);
        long n = (long) bh[0] * bh[1];
        if (n > 0) be.launch(Kernel.LSTM_CELL, grid(n), THREADS, 0, h, c, z, cPrev, bh[0], bh[1]);
    }

    void lstmCellBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor cPrev) {
        be.enter();
        int[] bh = Checks.lstmCellBackward(be, dz, dc, dh, z, c, cPrev);
        long n = (long) bh[0] * bh[1];
        if (n > 0) be.launch(Kernel.LSTM_CELL_BACKWARD, grid(n), THREADS, 0, dz, dc, dh, z, c, cPrev, bh[0], bh[1]);
    }

    /** Bytes of dynamic shared memory k_lstm_forward / k_lstm_backward need: Wh and two rows, or Wh^T and dz_s. */
    static long lstmSharedBytes(int n, boolean backward) {
        return (4L * n * n + (backward ? 4L : 2L) * n) * Float.BYTES;
    }

    /**
     * All T steps in one launch (k_lstm_forward: a block per sequence, Wh in shared memory). False, with nothing
     * launched, when Wh does not fit (H > 120 on an H100): the caller runs the steps one by one (the interface's
     * default: a cuBLAS product and k_lstm_cell per step).
     */
    boolean lstmForward(Tensor h, Tensor c, Tensor z, Tensor wh, Tensor h0, Tensor c0, int batch) {
        be.enter();
        int steps = Checks.lstmForward(be, h, c, z, wh, h0, c0, batch), n = h.cols();
        long shared = lstmSharedBytes(n, false);
        if (shared > be.device.maxSharedBytes()) return false;
        if (steps > 0 && n > 0) be.launch(Kernel.LSTM_FORWARD, batch, recurrenceThreads(n), (int) shared, h, c, z, wh, h0, c0, steps, batch, n);
        return true;
    }

    /** All T steps back in one launch (k_lstm_backward, Wh^T in shared memory); false, as above, when Wh^T does not fit. */
    boolean lstmBackward(Tensor dz, Tensor dc, Tensor dh, Tensor z, Tensor c, Tensor c0, Tensor wh, int batch) {
        be.enter();
        int steps = Checks.lstmBackward(be, dz, dc, dh, z, c, c0, wh, batch), n = dh.cols();
        long shared = lstmSharedBytes(n, true);
        if (shared > be.device.maxSharedBytes()) return false;
        if (steps > 0 && n > 0) be.launch(Kernel.LSTM_BACKWARD, batch, recurrenceThreads(n), (int) shared, dz, dc, dh, z, c, c0, wh, steps, batch, n);
        return true;
    }
}
