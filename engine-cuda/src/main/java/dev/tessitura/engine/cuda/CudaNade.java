package dev.tessitura.engine.cuda;

import static dev.tessitura.engine.cuda.CudaBackend.concat;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;

/**
 * CudaBackend's NADE ops (nade.cuh): the forward pass and sampling a block per frame, the backward pass a block per
 * hidden unit with a thread per frame; dBv = alpha (p - v) through the elementwise ops.
 */
final class CudaNade {
    private final CudaBackend be;

    CudaNade(CudaBackend be) {
        this.be = be;
    }

    /** Threads of a block per frame: the wider of the layers, in warps, at most 256. */
    static int frameThreads(int nv, int nh) {
        return Math.min(256, Math.max(32, (Math.max(nv, nh) + 31) / 32 * 32));
    }

    /** Threads of k_nade_backward: one per frame, a power of two from 32 to 128 (block_sum). */
    static int backwardThreads(int rows) {
        return Math.min(128, Math.max(32, Integer.highestOneBit(Math.max(rows - 1, 1)) << 1));
    }

    /** The shared memory a kernel asks for, after checking that the device has it. */
    private int shared(String op, long bytes, int nv, int nh) {
        if (bytes > be.device.maxSharedBytes()) {
            throw new IllegalArgumentException(op + ": nv = " + nv + ", nh = " + nh + " need " + bytes + " bytes of shared memory "
                    + "per block; this device has " + be.device.maxSharedBytes());
        }
        return (int) bytes;
    }

    void forward(Tensor logp, Tensor p, Tensor v, Tensor w, Tensor vw, Tensor bv, Tensor bh) {
        be.enter();
        Checks.NadeShape sh = Checks.nadeForward(be, logp, p, v, w, vw, bv, bh);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh();
        int bytes = shared("nadeForward", (long) nv * Double.BYTES + 2L * nh * Float.BYTES, nv, nh);
        if (rows == 0) return;
        be.launch(Kernel.NADE_FORWARD, rows, frameThreads(nv, nh), bytes, logp, p, v, w, vw, bv, sh.bvPerRow() ? nv : 0,
                bh, sh.bhPerRow() ? nh : 0, nv, nh);
    }

    void backward(Tensor dW, Tensor dV, Tensor dBv, Tensor dBh, Tensor v, Tensor p, Tensor w, Tensor vw, Tensor bh, float alpha) {
        be.enter();
        Checks.NadeShape sh = Checks.nadeBackward(be, dW, dV, dBv, dBh, v, p, w, vw, bh);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh();
        int bhStride = Checks.bias("nadeBackward", bh, rows, nh) ? nh : 0;
        if (rows == 0) return;
        int threads = backwardThreads(rows);
        if (nh > 0) {
            be.launch(Kernel.NADE_BACKWARD, nh, threads, threads * Double.BYTES, dW, dV, dBh, sh.bhPerRow() ? nh : 0, v, p, w, vw,
                    bh, bhStride, rows, nv, nh, alpha);
        }
        Tensor ds = be.scratch(rows, nv);                                // (T, nv) = p - v
        be.sub(ds, p, v);
        if (sh.bvPerRow()) be.axpy(dBv, ds, alpha);
        else be.columnSums(dBv, ds, alpha, 1f);
        be.release(ds);
    }

    void sample(Tensor v, Tensor p, Tensor w, Tensor vw, Tensor bv, Tensor bh, Rng rng) {
        be.enter();
        Checks.NadeShape sh = Checks.nadeSample(be, v, p, w, vw, bv, bh);
        int rows = sh.rows(), nv = sh.nv(), nh = sh.nh(), threads = frameThreads(nv, nh);
        int bytes = shared("nadeSample", (threads + 1L + 2L * nh) * Float.BYTES, nv, nh);
        long first = rng.take((long) rows * nv);
        if (rows == 0 || nv == 0) return;
        be.launch(Kernel.NADE_SAMPLE, rows, threads, bytes, concat(new Object[] {v, p, w, vw, bv, sh.bvPerRow() ? nv : 0,
                bh, sh.bhPerRow() ? nh : 0, nv, nh}, be.philox(rng, first)));
    }
}
