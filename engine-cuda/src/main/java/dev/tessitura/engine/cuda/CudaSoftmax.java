package dev.tessitura.engine.cuda;

import static dev.tessitura.engine.cuda.CudaBackend.ROW_THREADS;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cuda.DeviceAllocator.Block;

/** CudaBackend's softmax outputs: a block per row; the cross-entropy's row losses are added on the host in row order. */
final class CudaSoftmax {
    private final CudaBackend be;

    CudaSoftmax(CudaBackend be) {
        this.be = be;
    }

    double softmaxCrossEntropy(Tensor dLogits, Tensor logits, Tensor targets) {
        be.enter();
        Checks.softmaxCrossEntropy(be, dLogits, logits, targets);
        int rows = logits.rows();
        if (rows == 0) return 0;
        Block rowLoss = be.alloc.allocate((long) rows * Double.BYTES);
        be.launch(Kernel.SOFTMAX_XENT, rows, ROW_THREADS, ROW_THREADS * Double.BYTES, rowLoss, dLogits, logits, targets, logits.cols());
        return be.hostSum(rowLoss, rows);
    }

    void softmax(Tensor out, Tensor x) {
        be.enter();
        Checks.elementwise(be, "softmax", out, x);
        Checks.shape("softmax", "out", out, x.rows(), x.cols());
        int rows = x.rows();
        if (rows > 0) be.launch(Kernel.SOFTMAX, rows, ROW_THREADS, ROW_THREADS * Double.BYTES, out, x, x.cols());
    }
}
