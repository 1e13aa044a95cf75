package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.assertClose;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertNearly;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertSameBits;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertViewsTouchOnlyTheirOutputs;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static dev.tessitura.engine.cpu.ConformanceSupport.s;
import static dev.tessitura.engine.cpu.ConformanceSupport.sigmoid;
import static dev.tessitura.engine.cpu.ConformanceSupport.symmetric;
import static dev.tessitura.engine.cpu.ConformanceSupport.widen;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ConformanceSupport.ViewCase;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The LSTM ops on every CPU backend. The fused cell and its backward pass against float64. lstmForward /
 * lstmBackward, the whole recurrence of a layer in one op: SimdBackend gives each thread its rows for all steps and
 * packs Wh once; the result must be the per-step ops' bits (lstmCell, gemm, lstmCellBackward, the loop of the
 * interface's default, written out here as the reference) for every batch size's split into blocks of five rows, a
 * one- or two-row rest, and rows per thread, with and without carried state. The scalar backend runs the default;
 * SIMD is compared with it within the tolerance of the per-step ops. Then SIMD against the scalar reference
 * ({@link CrossChecks}) and views.
 */
class LstmOpsTest extends CrossChecks {
    private static final int LSTM_H = 40;

    // ---------------------------------------------------------------- the fused cell

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#preferredWidth")
    void lstmCellForwardAndBackward(String backend) {
        SplittableRandom r = new SplittableRandom(3);
        // H = 1, lanes - 1, lanes + 1, 13, 120 (the model's width); B = 1, 3, 32
        for (int[] bh : new int[][] {{1, 1}, {3, 7}, {2, 9}, {3, 13}, {32, 120}, {1, 17}}) {
            int rows = bh[0], n = bh[1];
            float[] z = symmetric(r, rows * 4 * n, 4), cp = symmetric(r, rows * n, 2);
            float[] dh = symmetric(r, rows * n, 1), dcIn = symmetric(r, rows * n, 1);
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
                            double i = sigmoid(z[zr + j]), f = sigmoid(z[zr + n + j]), g = Math.tanh(z[zr + 2 * n + j]), o = sigmoid(z[zr + 3 * n + j]);
                            double cPrev = withPrev ? cp[k] : 0, cc = f * cPrev + i * g, tc = Math.tanh(cc);
                            String at = backend + " (" + rows + "," + n + ") row " + b + " unit " + j;
                            assertNearly(i, act[zr + j], "i " + at);
                            assertNearly(g, act[zr + 2 * n + j], "g " + at);
                            assertNearly(cc, c[k], "c " + at);
                            assertNearly(o * tc, h[k], "h " + at);
                            double dC = dcIn[k] + dh[k] * o * (1 - tc * tc);
                            assertNearly(dC * g * i * (1 - i), dzs[zr + j], "dz_i " + at);
                            assertNearly(dC * cPrev * f * (1 - f), dzs[zr + n + j], "dz_f " + at);
                            assertNearly(dC * i * (1 - g * g), dzs[zr + 2 * n + j], "dz_g " + at);
                            assertNearly(dh[k] * tc * o * (1 - o), dzs[zr + 3 * n + j], "dz_o " + at);
                            assertNearly(dC * f, dcs[k], "dc " + at);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#preferredWidth")
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

    // ---------------------------------------------------------------- the layer ops

    /** Batches whose rows per thread (1, 2 or 3 threads) leave every remainder mod 5: the rest goes another path. */
    private static final int[] BATCHES = {1, 2, 3, 4, 7, 11, 14, 16, 32};
    /** Units: 1, a lane count's neighbours, and one that leaves a last panel of one vector (n = 4H = 36). */
    private static final int[] UNITS = {1, 9, 17, 40};

    static Stream<String> simd() {
        return Stream.of("simd-128x1", "simd-128x2", "simd-256x1", "simd-256x2", "simd-256x3");
    }

    /** What both passes leave: h, c, z (activations) after the forward; dz, dh, dc after the backward. */
    private static float[][] run(Backend be, boolean perStep, int t, int b, int n, boolean state, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor z = be.of(random(r, t * b * 4 * n, -2, 2), t * b, 4 * n);
        Tensor wh = be.of(random(r, n * 4 * n, -0.5, 0.5), n, 4 * n);
        Tensor h0 = be.of(random(r, b * n, -1, 1), b, n), c0 = be.of(random(r, b * n, -2, 2), b, n);
        Tensor dh = be.of(random(r, t * b * n, -1, 1), t * b, n), dc = be.of(random(r, b * n, -1, 1), b, n);
        Tensor h = be.zeros(t * b, n), c = be.zeros(t * b, n), dz = be.zeros(t * b, 4 * n);
        if (!state) h0 = c0 = null;
        if (perStep) {
            for (int s = 0; s < t; s++) {
                Tensor zs = rows(z, s, b), hPrev = s > 0 ? rows(h, s - 1, b) : h0, cPrev = s > 0 ? rows(c, s - 1, b) : c0;
                if (hPrev != null) be.gemm(zs, hPrev, false, wh, false, 1f, 1f);
                be.lstmCell(rows(h, s, b), rows(c, s, b), zs, cPrev);
            }
            for (int s = t - 1; s >= 0; s--) {
                be.lstmCellBackward(rows(dz, s, b), dc, rows(dh, s, b), rows(z, s, b), rows(c, s, b), s > 0 ? rows(c, s - 1, b) : c0);
                if (s > 0) be.gemm(rows(dh, s - 1, b), rows(dz, s, b), false, wh, true, 1f, 1f);
            }
        } else {
            be.lstmForward(h, c, z, wh, h0, c0, b);
            be.lstmBackward(dz, dc, dh, z, c, c0, wh, b);
        }
        return new float[][] {be.toArray(h), be.toArray(c), be.toArray(z), be.toArray(dz), be.toArray(dh), be.toArray(dc)};
    }

    private static Tensor rows(Tensor x, int s, int b) {
        return x.slice(s * b, (s + 1) * b);
    }

    @ParameterizedTest
    @MethodSource("simd")
    void simdLayerOpsGiveThePerStepOpsBits(String backend) {
        try (Backend be = create(backend)) {
            for (int b : BATCHES) {
                for (int n : UNITS) {
                    for (int t : new int[] {1, 4}) {
                        for (boolean state : new boolean[] {false, true}) {
                            long seed = 1000L * b + 10L * n + t + (state ? 7 : 0);
                            String what = backend + " T=" + t + " B=" + b + " H=" + n + (state ? " with state" : "");
                            assertSameBits(widen(run(be, true, t, b, n, state, seed)), widen(run(be, false, t, b, n, state, seed)), what);
                        }
                    }
                }
            }
        }
    }

    /** The model's shape (32 rows of 120 units, both threads busy) against the scalar backend's default loop. */
    @ParameterizedTest
    @MethodSource("simd")
    void simdLayerOpsMatchTheScalarBackend(String backend) {
        try (Backend be = create(backend); Backend ref = create("scalar")) {
            for (int[] tbn : new int[][] {{6, 32, 120}, {5, 11, 17}, {3, 1, 40}}) {
                double[] want = widen(run(ref, false, tbn[0], tbn[1], tbn[2], true, 5));
                double[] got = widen(run(be, false, tbn[0], tbn[1], tbn[2], true, 5));
                // the per-step ops' tolerance (ConformanceCrossTest: lstmCell+Backward, gemm), compounded over a few steps
                assertClose(want, got, null, 1e-5, 1e-4, backend + " T, B, H = " + java.util.Arrays.toString(tbn));
            }
        }
    }

    @Test
    void badShapesAreRefusedWithTheirNames() {
        for (String backend : new String[] {"scalar", "simd-256x2"}) {
            try (Backend be = create(backend)) {
                Tensor z = be.zeros(6, 8), h = be.zeros(6, 2), c = be.zeros(6, 2), wh = be.zeros(2, 8), dz = be.zeros(6, 8);
                assertThrows(IllegalArgumentException.class, () -> be.lstmForward(h, c, z, wh, null, null, 4));   // 6 rows, batch 4
                assertThrows(IllegalArgumentException.class, () -> be.lstmForward(h, c, z, be.zeros(8, 2), null, null, 3));
                assertThrows(IllegalArgumentException.class, () -> be.lstmForward(h, c, z, wh, be.zeros(2, 2), null, 3));
                assertThrows(IllegalArgumentException.class, () -> be.lstmBackward(dz, be.zeros(3, 3), h, z, c, null, wh, 3));
                assertThrows(IllegalArgumentException.class, () -> be.lstmBackward(dz, be.zeros(3, 2), h, z, c, null, wh, 0));
            }
        }
    }

    // ---------------------------------------------------------------- SIMD against the scalar reference

    @Override
    List<Op> crossOps() {
        return List.of(
            // 1 - tanh(c)^2 amplifies a one-ulp difference in tanh(c) by up to 1 / (1 - tanh^2): absolute 1e-6 covers it
            close("lstmCell+Backward", Kind.MATRIX, 1e-6, 1e-5, (be, n, r) -> {
                Tensor h = be.zeros(n, LSTM_H), c = be.zeros(n, LSTM_H), z = mat(be, r, n, 4 * LSTM_H, -4, 4), cPrev = mat(be, r, n, LSTM_H, -2, 2);
                be.lstmCell(h, c, z, cPrev);
                Tensor dz = be.zeros(n, 4 * LSTM_H), dc = mat(be, r, n, LSTM_H, -1, 1);
                be.lstmCellBackward(dz, dc, mat(be, r, n, LSTM_H, -1, 1), z, c, cPrev);
                return out(be, h, c, z, dz, dc);
            }));
    }

    // ---------------------------------------------------------------- views

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void opsOnViewsTouchOnlyTheirOutputs(String backend) {
        assertViewsTouchOnlyTheirOutputs(backend, List.of(
            new ViewCase("lstmCell, lstmCellBackward", s(new int[] {3, 5}, new int[] {3, 5}, new int[] {3, 20}, new int[] {3, 20}, new int[] {3, 5}),
                    s(new int[] {3, 5}, new int[] {3, 5}),
                    (be, o, i) -> { be.lstmCell(o[0], o[1], o[2], i[0]); be.lstmCellBackward(o[3], o[4], i[1], o[2], o[1], i[0]); }),
            // T = 2 steps of B = 6 rows (three per thread: a padded block) of H = 5, with carried state
            new ViewCase("lstmForward, lstmBackward", s(new int[] {12, 5}, new int[] {12, 5}, new int[] {12, 20}, new int[] {12, 20}, new int[] {6, 5}, new int[] {12, 5}),
                    s(new int[] {5, 20}, new int[] {6, 5}, new int[] {6, 5}),
                    (be, o, i) -> { be.lstmForward(o[0], o[1], o[2], i[0], i[1], i[2], 6); be.lstmBackward(o[3], o[4], o[5], o[2], o[1], i[2], i[0], 6); })));
    }
}
