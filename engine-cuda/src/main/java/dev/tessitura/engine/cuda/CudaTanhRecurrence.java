package dev.tessitura.engine.cuda;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;

/** CudaBackend's tanh recurrence of the RNN-RBM and its backward pass: all T steps in one persistent launch. */
final class CudaTanhRecurrence {
    private final CudaBackend be;

    CudaTanhRecurrence(CudaBackend be) {
        this.be = be;
    }

    /** Threads of the persistent recurrence kernels: one per unit, in warps, at most 1024 (more units loop). */
    static int recurrenceThreads(int n) {
        return Math.min(1024, Math.max(32, (n + 31) / 32 * 32));
    }

    /** Bytes of dynamic shared memory the recurrence kernels need: Wuu and two rows. */
    static long recurrenceSharedBytes(int n) {
        return ((long) n * n + 2L * n) * Float.BYTES;
    }

    /**
     * All T steps in one launch (k_tanh_recurrence: a block per sequence, Wuu in shared memory). False, with nothing
     * launched, when Wuu does not fit: the caller runs the steps one by one through cuBLAS (the interface's default).
     */
    boolean tanhRecurrence(Tensor u, Tensor wuu, int batch) {
        be.enter();
        int steps = Checks.tanhRecurrence(be, "tanhRecurrence", u, wuu, null, null, batch), n = u.cols();
        long shared = recurrenceSharedBytes(n);
        if (shared > be.device.maxSharedBytes()) return false;
        if (steps > 0 && n > 0) be.launch(Kernel.TANH_RECURRENCE, batch, recurrenceThreads(n), (int) shared, u, wuu, steps, batch, n);
        return true;
    }

    /** All T steps back in one launch (k_tanh_recurrence_backward, Wuu^T in shared memory); false, as above, when it does not fit. */
    boolean tanhRecurrenceBackward(Tensor da, Tensor du, Tensor u, Tensor wuu, int batch) {
        be.enter();
        int steps = Checks.tanhRecurrence(be, "tanhRecurrenceBackward", u, wuu, da, du, batch), n = u.cols();
        long shared = recurrenceSharedBytes(n);
        if (shared > be.device.maxSharedBytes()) return false;
        if (steps > 0 && n > 0) {
            be.launch(Kernel.TANH_RECURRENCE_BACKWARD, batch, recurrenceThreads(n), (int) shared, da, du, u, wuu, steps, batch, n);
        }
        return true;
    }
}
