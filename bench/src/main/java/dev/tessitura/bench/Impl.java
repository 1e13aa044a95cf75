package dev.tessitura.bench;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;

/** The backend configurations every engine benchmark compares: the scalar reference, SIMD on 1 and 2 threads. */
final class Impl {
    private Impl() {}

    /** "scalar", "simd-1t" or "simd-2t" (SIMD at the CPU's preferred width, or -Dtessitura.vector). */
    static Backend create(String impl) {
        return switch (impl) {
            case "scalar" -> Backends.create("scalar", BackendOptions.defaults());
            case "simd-1t" -> Backends.create("simd", new BackendOptions(1, vectorBits()));
            case "simd-2t" -> Backends.create("simd", new BackendOptions(2, vectorBits()));
            default -> throw new IllegalArgumentException("unknown impl " + impl);
        };
    }

    private static int vectorBits() {
        String v = System.getProperty(BackendOptions.VECTOR, "0");
        return v.equalsIgnoreCase("scalar") ? 0 : Integer.parseInt(v);
    }

    /** Random floats in [-1, 1) from a fixed seed. */
    static float[] random(int n, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (2 * r.nextDouble() - 1);
        return a;
    }

    /** Fails the run when a fast result differs from the scalar reference: a benchmark checks its own answer. */
    static void check(String what, float[] got, float[] want, double tol) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (got[i] - want[i]) * (double) (got[i] - want[i]);
            den += want[i] * (double) want[i];
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-30));
        if (!(rel <= tol)) throw new IllegalStateException(what + ": relative error " + rel + " against scalar > " + tol);
    }
}
