package dev.tessitura.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.engine.Tensor;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The fused LSTM cell, the optimizer steps and the softmax outputs, on every CPU backend, against float64 references. */
class LstmAndOptimizerOpsTest {
    static Stream<String> backends() {
        return Stream.of("scalar", "simd-1", "simd-2");
    }

    static Backend create(String name) {
        return name.equals("scalar") ? Backends.create("scalar", BackendOptions.defaults())
                : Backends.create("simd", new BackendOptions(Integer.parseInt(name.substring(5)), 0));
    }

    static float[] random(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (scale * (2 * r.nextDouble() - 1));
        return a;
    }

    static double sig(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** |got - want| <= 1e-6 + 4e-6 |want|: a few float32 roundings of transcendental results. */
    static void close(double want, float got, String what) {
        assertTrue(Math.abs(got - want) <= 1e-6 + 4e-6 * Math.abs(want), what + ": " + got + " vs " + want);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void lstmCellForwardAndBackward(String backend) {
        SplittableRandom r = new SplittableRandom(3);
        // H = 1, lanes - 1, lanes + 1, 13, 120 (the model's width); B = 1, 3, 32
        for (int[] bh : new int[][] {{1, 1}, {3, 7}, {2, 9}, {3, 13}, {32, 120}, {1, 17}}) {
            int rows = bh[0], n = bh[1];
            float[] z = random(r, rows * 4 * n, 4), cp = random(r, rows * n, 2);
            float[] dh = random(r, rows * n, 1), dcIn = random(r, rows * n, 1);
            try (Backend be = create(backend)) {
                for (boolean withPrev : new boolean[] {true, false}) {
                    Tensor zt = be.of(z, rows, 4 * n), ct = be.zeros(rows, n), ht = be.zeros(rows, n);
                    Tensor cpt = withPrev ? be.of(cp, rows, n) : null;
                    be.lstmCell(ht, ct, zt, cpt);
                    float[] act = be.toArray(zt), c = be.toArray(ct), h = be.toArray(ht);
                    Tensor dz = be.zeros(rows, 4 * n), dc = be.of(dcIn, rows, n);
                    be.lstmCellBackward(dz, dc, be.of(dh, rows, n), zt, ct, cpt);
                    float[] dzs = be.toArray(dz), dcs = be.toArray(dc);
                    for (int b = 0; b < rows; b++) {
                        for (int j = 0; j < n; j++) {
                            int zr = b * 4 * n, k = b * n + j;
                            double i = sig(z[zr + j]), f = sig(z[zr + n + j]), g = Math.tanh(z[zr + 2 * n + j]), o = sig(z[zr + 3 * n + j]);
                            double cPrev = withPrev ? cp[k] : 0, cc = f * cPrev + i * g, tc = Math.tanh(cc);
                            String at = backend + " (" + rows + "," + n + ") row " + b + " unit " + j;
                            close(i, act[zr + j], "i " + at);
                            close(g, act[zr + 2 * n + j], "g " + at);
                            close(cc, c[k], "c " + at);
                            close(o * tc, h[k], "h " + at);
                            double dC = dcIn[k] + dh[k] * o * (1 - tc * tc);
                            close(dC * g * i * (1 - i), dzs[zr + j], "dz_i " + at);
                            close(dC * cPrev * f * (1 - f), dzs[zr + n + j], "dz_f " + at);
                            close(dC * i * (1 - g * g), dzs[zr + 2 * n + j], "dz_g " + at);
                            close(dh[k] * tc * o * (1 - o), dzs[zr + 3 * n + j], "dz_o " + at);
                            close(dC * f, dcs[k], "dc " + at);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void lstmCellRejectsBadShapesAndAliasing(String backend) {
        try (Backend be = create(backend)) {
            Tensor z = be.zeros(2, 12), h = be.zeros(2, 3), c = be.zeros(2, 3);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> be.lstmCell(h, c, be.zeros(2, 10), null))
                    .getMessage().contains("lstmCell"));
            assertThrows(IllegalArgumentException.class, () -> be.lstmCell(be.zeros(2, 4), c, z, null));
            assertThrows(IllegalArgumentException.class, () -> be.lstmCell(h, c, z, c));
            assertThrows(IllegalArgumentException.class, () -> be.lstmCellBackward(z, c, h, z, c, null));
        }
    }

    /** momentum: the equations in float64, and the bits of the op sequence it stands for (scale, then axpys). */
    @ParameterizedTest
    @MethodSource("backends")
    void momentumAndNesterovMatchTheirEquationsAndTheOpSequence(String backend) {
        SplittableRandom r = new SplittableRandom(5);
        for (int n : new int[] {1, 7, 9, 17, 207, 1000}) {
            float[] p = random(r, n, 1), g = random(r, n, 1), v = random(r, n, 0.1);
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
    @MethodSource("backends")
    void adamAndRmspropMatchTheirEquationsAndEachOther(String backend) {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : new int[] {1, 7, 9, 17, 207, 1000}) {
            float[] p = random(r, n, 1), g = random(r, n, 1), m = random(r, n, 0.1), v = new float[n], rr = new float[n];
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

    @ParameterizedTest
    @MethodSource("backends")
    void softmaxCrossEntropyWithPaddingRows(String backend) {
        SplittableRandom r = new SplittableRandom(8);
        for (int[] shape : new int[][] {{1, 1}, {3, 38}, {5, 9}, {64, 38}, {2, 300}}) {
            int rows = shape[0], n = shape[1];
            float[] x = random(r, rows * n, 30), t = new float[rows * n];
            x[0] = 1e4f;                                            // a huge logit must not overflow
            for (int b = 0; b < rows; b++) if (b % 3 != 2) t[b * n + r.nextInt(n)] = 1f;   // every third row is padding
            try (Backend be = create(backend)) {
                Tensor g = be.zeros(rows, n), q = be.zeros(rows, n), xt = be.of(x, rows, n);
                double loss = be.softmaxCrossEntropy(g, xt, be.of(t, rows, n));
                be.softmax(q, xt);
                float[] gs = be.toArray(g), qs = be.toArray(q);
                double want = 0;
                for (int b = 0; b < rows; b++) {
                    double m = Double.NEGATIVE_INFINITY, z = 0;
                    for (int j = 0; j < n; j++) m = Math.max(m, x[b * n + j]);
                    for (int j = 0; j < n; j++) z += Math.exp(x[b * n + j] - m);
                    boolean padding = b % 3 == 2;
                    for (int j = 0; j < n; j++) {
                        double qj = Math.exp(x[b * n + j] - m) / z;
                        close(qj, qs[b * n + j], "softmax");
                        close(padding ? 0 : qj - t[b * n + j], gs[b * n + j], "gradient");
                        if (!padding && t[b * n + j] == 1f) want -= x[b * n + j] - m - Math.log(z);   // log q_j without underflow
                    }
                }
                assertEquals(want, loss, 1e-9 * Math.max(1, Math.abs(want)));
                assertEquals(loss, be.softmaxCrossEntropy(null, xt, be.of(t, rows, n)));
            }
        }
    }
}
