package dev.tessitura.model;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Tensor;

/** Initial weights, drawn on the host from Philox so that every backend starts from the same numbers. */
public final class Init {
    private Init() {}

    /**
     * t = N(0, std^2) numbers: Box-Muller on consecutive uniform pairs of Philox stream (seed, 0), from block 0
     * (the first t.size() normals of that stream, whatever the tensor's shape).
     */
    public static void normal(Backend be, Tensor t, double std, long seed) {
        int n = Math.toIntExact(t.size());
        float[] u = new float[n + (n & 1)], p = new float[n];
        Philox.uniforms(seed, 0, 0, u, 0, u.length);
        for (int i = 0; i + 1 < u.length; i += 2) {
            double r = std * Math.sqrt(-2 * Math.log(1 - u[i])), a = 2 * Math.PI * u[i + 1];
            p[i] = (float) (r * Math.cos(a));
            if (i + 1 < n) p[i + 1] = (float) (r * Math.sin(a));
        }
        be.copyFromHost(t, p, 0);
    }
}
