package dev.tessitura.engine.cuda;

import static dev.tessitura.engine.cuda.CudaBackend.THREADS;
import static dev.tessitura.engine.cuda.CudaBackend.grid;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;

/** CudaBackend's optimizer steps: one grid-stride kernel each. */
final class CudaOptimizers {
    private final CudaBackend be;

    CudaOptimizers(CudaBackend be) {
        this.be = be;
    }

    void adam(Tensor p, Tensor g, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, int step) {
        be.enter();
        Checks.optimizer(be, "adam", p, g, m, v);
        if (step < 1) throw new IllegalArgumentException("adam: step must be >= 1, got " + step);
        // bias corrections 1 - b^t, computed once in double, as the scalar backend does
        float c1 = (float) (1 - Math.pow(beta1, step)), c2 = (float) (1 - Math.pow(beta2, step));
        long n = p.size();
        if (n > 0) be.launch(Kernel.ADAM, grid(n), THREADS, 0, p, g, m, v, n, lr, beta1, beta2, eps, c1, c2);
    }

    void momentum(Tensor p, Tensor g, Tensor v, float lr, float mu, boolean nesterov) {
        be.enter();
        Checks.optimizer(be, "momentum", p, g, v);
        long n = p.size();
        if (n > 0) be.launch(Kernel.MOMENTUM, grid(n), THREADS, 0, p, g, v, n, lr, mu, nesterov ? 1 : 0);
    }

    void rmsprop(Tensor p, Tensor g, Tensor r, float lr, float decay, float eps) {
        be.enter();
        Checks.optimizer(be, "rmsprop", p, g, r);
        long n = p.size();
        if (n > 0) be.launch(Kernel.RMSPROP, grid(n), THREADS, 0, p, g, r, n, lr, decay, eps);
    }
}
