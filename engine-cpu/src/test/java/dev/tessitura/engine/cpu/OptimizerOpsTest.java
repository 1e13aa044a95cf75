package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.assertViewsTouchOnlyTheirOutputs;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.s;
import static dev.tessitura.engine.cpu.ConformanceSupport.symmetric;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ConformanceSupport.ViewCase;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The optimizer steps (momentum and Nesterov, Adam, RMSprop) on every CPU backend against their equations in
 * float64 and against each other's bits; SIMD against the scalar reference ({@link CrossChecks}); views.
 */
class OptimizerOpsTest extends CrossChecks {
    /** momentum: the equations in float64, and the bits of the op sequence it stands for (scale, then axpys). */
    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#preferredWidth")
    void momentumAndNesterovMatchTheirEquationsAndTheOpSequence(String backend) {
        SplittableRandom r = new SplittableRandom(5);
        for (int n : new int[] {1, 7, 9, 17, 207, 1000}) {
            float[] p = symmetric(r, n, 1), g = symmetric(r, n, 1), v = symmetric(r, n, 0.1);
            for (boolean nesterov : new boolean[] {false, true}) {
                try (Backend be = create(backend)) {
                    Tensor pt = be.of(p, n), gt = be.of(g, n), vt = be.of(v, n);
                    be.momentum(pt, gt, vt, 0.01f, 0.9f, nesterov);
                    float[] pm = be.toArray(pt), vm = be.toArray(vt);
                    for (int i = 0; i < n; i++) {
                        double vi = 0.9 * v[i] - 0.01 * g[i], want = p[i] + (nesterov ? 0.9 * vi - 0.01 * g[i] : vi);
                        assertEquals(vi, vm[i], 1e-7 + 1e-6 * Math.abs(vi), "v n=" + n + " i=" + i);
                        assertEquals(want, pm[i], 1e-7 + 1e-6 * Math.abs(want), "p n=" + n + " i=" + i + " nesterov=" + nesterov);
                    }
                    Tensor qp = be.of(p, n), qv = be.of(v, n);
                    be.scale(qv, 0.9f);
                    be.axpy(qv, gt, -0.01f);
                    if (nesterov) {
                        be.axpy(qp, qv, 0.9f);
                        be.axpy(qp, gt, -0.01f);
                    } else {
                        be.axpy(qp, qv, 1f);
                    }
                    assertArrayEquals(be.toArray(qp), pm, "p bits n=" + n);
                    assertArrayEquals(be.toArray(qv), vm, "v bits n=" + n);
                    assertThrows(IllegalArgumentException.class, () -> be.momentum(pt, gt, pt, 0.01f, 0.9f, nesterov));
                    assertThrows(IllegalArgumentException.class, () -> be.momentum(pt, gt, be.zeros(n + 1), 0.01f, 0.9f, nesterov));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#preferredWidth")
    void adamAndRmspropMatchTheirEquationsAndEachOther(String backend) {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : new int[] {1, 7, 9, 17, 207, 1000}) {
            float[] p = symmetric(r, n, 1), g = symmetric(r, n, 1), m = symmetric(r, n, 0.1), v = new float[n], rr = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) r.nextDouble(0, 0.01);
                rr[i] = (float) r.nextDouble(0, 0.01);
            }
            try (Backend be = create(backend); Backend ref = create("scalar")) {
                Tensor pt = be.of(p, n), mt = be.of(m, n), vt = be.of(v, n), rt = be.of(rr, n), gt = be.of(g, n);
                be.adam(pt, gt, mt, vt, 0.01f, 0.9f, 0.999f, 1e-8f, 3);
                float[] pa = be.toArray(pt);
                for (int i = 0; i < n; i++) {
                    double mi = 0.9 * m[i] + 0.1 * g[i], vi = 0.999 * v[i] + 0.001 * g[i] * (double) g[i];
                    double want = p[i] - 0.01 * (mi / (1 - Math.pow(0.9, 3))) / (Math.sqrt(vi / (1 - Math.pow(0.999, 3))) + 1e-8);
                    assertEquals(want, pa[i], 1e-6 + 1e-5 * Math.abs(want), "adam n=" + n + " i=" + i);
                }
                Tensor p2 = be.of(p, n);
                be.rmsprop(p2, gt, rt, 0.01f, 0.9f, 1e-6f);
                float[] pr = be.toArray(p2);
                for (int i = 0; i < n; i++) {
                    double ri = 0.9 * rr[i] + 0.1 * g[i] * (double) g[i];
                    double want = p[i] - 0.01 * g[i] / (Math.sqrt(ri) + 1e-6);
                    assertEquals(want, pr[i], 1e-6 + 1e-5 * Math.abs(want), "rmsprop n=" + n + " i=" + i);
                }
                // the SIMD kernels do the scalar reference's float operations in the same order: identical bits
                Tensor qa = ref.of(p, n), qm = ref.of(m, n), qv = ref.of(v, n), qr = ref.of(rr, n), qg = ref.of(g, n);
                ref.adam(qa, qg, qm, qv, 0.01f, 0.9f, 0.999f, 1e-8f, 3);
                assertArrayEquals(ref.toArray(qa), pa, "adam bits n=" + n);
                Tensor q2 = ref.of(p, n);
                ref.rmsprop(q2, qg, qr, 0.01f, 0.9f, 1e-6f);
                assertArrayEquals(ref.toArray(q2), pr, "rmsprop bits n=" + n);
                assertThrows(IllegalArgumentException.class, () -> be.adam(pt, gt, mt, mt, 0.01f, 0.9f, 0.999f, 1e-8f, 1));
                assertThrows(IllegalArgumentException.class, () -> be.adam(pt, gt, mt, vt, 0.01f, 0.9f, 0.999f, 1e-8f, 0));
            }
        }
    }

    // ---------------------------------------------------------------- SIMD against the scalar reference

    @Override
    List<Op> crossOps() {
        return List.of(
            bits("adam", Kind.ELEMENTWISE, (be, n, r) -> {
                Tensor p = vec(be, r, n, -1, 1), g = vec(be, r, n, -1, 1), m = vec(be, r, n, -0.1, 0.1), v = vec(be, r, n, 0, 0.01);
                be.adam(p, g, m, v, 0.01f, 0.9f, 0.999f, 1e-8f, 3);
                return out(be, p, m, v);
            }),
            bits("rmsprop", Kind.ELEMENTWISE, (be, n, r) -> {
                Tensor p = vec(be, r, n, -1, 1), g = vec(be, r, n, -1, 1), s = vec(be, r, n, 0, 0.01);
                be.rmsprop(p, g, s, 0.01f, 0.9f, 1e-6f);
                return out(be, p, s);
            }));
    }

    // ---------------------------------------------------------------- views

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void opsOnViewsTouchOnlyTheirOutputs(String backend) {
        assertViewsTouchOnlyTheirOutputs(backend, List.of(
            new ViewCase("adam, rmsprop", s(new int[] {37}, new int[] {37}, new int[] {37}, new int[] {37}, new int[] {37}), s(new int[] {37}),
                    (be, o, i) -> { be.adam(o[0], i[0], o[1], o[2], 0.01f, 0.9f, 0.999f, 1e-8f, 2); be.rmsprop(o[3], i[0], o[4], 0.01f, 0.9f, 1e-6f); })));
    }
}
