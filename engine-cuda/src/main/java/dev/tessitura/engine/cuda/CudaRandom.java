package dev.tessitura.engine.cuda;

import static dev.tessitura.engine.cuda.CudaBackend.THREADS;
import static dev.tessitura.engine.cuda.CudaBackend.concat;
import static dev.tessitura.engine.cuda.CudaBackend.grid;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;

/** CudaBackend's random ops: Philox on the device, from the block each draw reserves on the host (philox.cuh). */
final class CudaRandom {
    private final CudaBackend be;

    CudaRandom(CudaBackend be) {
        this.be = be;
    }

    void uniform(Tensor out, Rng rng) {
        be.enter();
        Checks.owned(be, "uniform", out);
        long n = out.size();
        long first = rng.take(n);
        if (n > 0) be.launch(Kernel.UNIFORM, grid((n + 3) >>> 2), THREADS, 0, concat(new Object[] {out, n}, be.philox(rng, first)));
    }

    void bernoulli(Tensor out, Tensor p, Rng rng) {
        be.enter();
        Checks.elementwise(be, "bernoulli", out, p);
        long n = out.size();
        long first = rng.take(n);
        if (n > 0) be.launch(Kernel.BERNOULLI, grid((n + 3) >>> 2), THREADS, 0, concat(new Object[] {out, p, n}, be.philox(rng, first)));
    }
}
