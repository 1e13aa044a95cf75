package dev.tessitura.engine.cuda;

import static dev.tessitura.engine.cuda.CudaBackend.THREADS;
import static dev.tessitura.engine.cuda.CudaBackend.grid;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;

/** CudaBackend's elementwise ops: one grid-stride kernel each. */
final class CudaElementwise {
    private final CudaBackend be;

    CudaElementwise(CudaBackend be) {
        this.be = be;
    }

    void binary(Kernel k, String op, Tensor out, Tensor a, Tensor b) {
        be.enter();
        Checks.elementwise(be, op, out, a, b);
        long n = out.size();
        if (n > 0) be.launch(k, grid(n), THREADS, 0, out, a, b, n);
    }

    void unary(Kernel k, String op, Tensor out, Tensor x) {
        be.enter();
        Checks.elementwise(be, op, out, x);
        long n = out.size();
        if (n > 0) be.launch(k, grid(n), THREADS, 0, out, x, n);
    }

    void clip(Tensor out, Tensor x, float lo, float hi) {
        be.enter();
        Checks.elementwise(be, "clip", out, x);
        if (!(lo <= hi)) throw new IllegalArgumentException("clip: lo " + lo + " > hi " + hi);
        long n = out.size();
        if (n > 0) be.launch(Kernel.CLIP, grid(n), THREADS, 0, out, x, n, lo, hi);
    }
}
