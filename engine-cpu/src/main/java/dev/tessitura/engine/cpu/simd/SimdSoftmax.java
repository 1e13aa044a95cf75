package dev.tessitura.engine.cpu.simd;

import static dev.tessitura.engine.cpu.simd.SimdBackend.HEAVY_PARALLEL_ELEMENTS;
import static dev.tessitura.engine.cpu.simd.SimdBackend.data;
import static dev.tessitura.engine.cpu.simd.SimdBackend.off;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ScalarBackend;

/** SimdBackend's softmax outputs: the scalar reference's row kernels, rows shared among the threads. */
final class SimdSoftmax {
    private final SimdBackend be;
    private final WorkerPool pool;

    SimdSoftmax(SimdBackend be) {
        this.be = be;
        this.pool = be.pool;
    }

    double softmaxCrossEntropy(Tensor dLogits, Tensor logits, Tensor targets) {
        Checks.softmaxCrossEntropy(be, dLogits, logits, targets);
        int rows = logits.rows(), n = logits.cols();
        // rows are short (38 melody events): the scalar row kernel, rows split among threads, losses summed in row order
        double[] perRow = new double[rows];
        float[] g = dLogits == null ? null : data(dLogits);
        int gOff = dLogits == null ? 0 : off(dLogits);
        pool.forRange(rows, (long) rows * n >= HEAVY_PARALLEL_ELEMENTS, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                perRow[r] = ScalarBackend.softmaxRow(g, gOff + r * n, data(logits), off(logits) + r * n,
                        data(targets), off(targets) + r * n, n);
            }
        });
        double loss = 0;
        for (double l : perRow) loss += l;
        return loss;
    }

    void softmax(Tensor out, Tensor x) {
        Checks.elementwise(be, "softmax", out, x);
        Checks.shape("softmax", "out", out, x.rows(), x.cols());
        int n = x.cols();
        pool.forRange(x.rows(), x.size() >= HEAVY_PARALLEL_ELEMENTS, (r0, r1) -> {
            for (int r = r0; r < r1; r++) ScalarBackend.softmaxRow(data(out), off(out) + r * n, data(x), off(x) + r * n, n);
        });
    }
}
