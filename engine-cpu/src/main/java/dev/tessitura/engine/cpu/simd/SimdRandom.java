package dev.tessitura.engine.cpu.simd;

import static dev.tessitura.engine.cpu.simd.SimdBackend.HEAVY_PARALLEL_ELEMENTS;
import static dev.tessitura.engine.cpu.simd.SimdBackend.data;
import static dev.tessitura.engine.cpu.simd.SimdBackend.off;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;

/** SimdBackend's random ops: Philox in vector lanes (SimdPhilox), each chunk of a draw addressed by its counter. */
final class SimdRandom {
    private final SimdBackend be;
    private final SimdPhilox philox;

    SimdRandom(SimdBackend be) {
        this.be = be;
        this.philox = be.philox;
    }

    void uniform(Tensor out, Rng rng) {
        Checks.owned(be, "uniform", out);
        int n = (int) out.size();
        draw(rng, rng.take(n), data(out), off(out), n);
    }

    /** o[oOff ..] = the n uniforms of the draw at block {@code first}, in parallel chunks when there are many. */
    void draw(Rng rng, long first, float[] o, int oOff, int n) {
        be.split(n, HEAVY_PARALLEL_ELEMENTS, (from, to) ->
                philox.uniforms(rng.seed(), rng.stream(), first, from, o, oOff + from, to - from));
    }

    void bernoulli(Tensor out, Tensor p, Rng rng) {
        Checks.elementwise(be, "bernoulli", out, p);
        int n = (int) out.size();
        long first = rng.take(n);
        float[] o = data(out), pd = data(p);
        int oOff = off(out), pOff = off(p);
        be.split(n, HEAVY_PARALLEL_ELEMENTS, (from, to) ->
                philox.bernoulli(rng.seed(), rng.stream(), first, from, o, oOff + from, pd, pOff + from, to - from));
    }
}
