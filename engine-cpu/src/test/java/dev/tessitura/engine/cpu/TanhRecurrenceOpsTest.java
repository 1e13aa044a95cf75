package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.assertClose;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertSameBits;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertViewsTouchOnlyTheirOutputs;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static dev.tessitura.engine.cpu.ConformanceSupport.s;
import static dev.tessitura.engine.cpu.ConformanceSupport.widen;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
 * tanhRecurrence / tanhRecurrenceBackward, the RNN-RBM's recurrence (3) and its backpropagation through time in one
 * op each. SimdBackend runs the one-row products against Wuu (or Wuu^T) packed into panels of eight vectors, the
 * last vector of a row shifted back over the one before; the result must be the per-step ops' bits (gemm and tanh,
 * tanhBackward and gemm against a transposed copy: the loop TanhRecurrence ran before) for every width around the
 * lane counts and the panel width. The scalar backend runs the interface's default; SIMD is compared with it within
 * the per-step ops' tolerance. Then views.
 */
class TanhRecurrenceOpsTest {

    /** 1, the lane counts' neighbours, one panel (64 at 256 bits), the model's 100 and three panels (129). */
    private static final int[] UNITS = {1, 3, 4, 5, 7, 8, 9, 17, 31, 33, 63, 64, 65, 100, 129};

    static Stream<String> simd() {
        return Stream.of("simd-128x1", "simd-256x1", "simd-256x2");
    }

    /** u after the forward, then da and du after the backward; B = batch sequences, time-major. */
    private static float[][] run(Backend be, boolean perStep, int steps, int n, int batch, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int rows = (steps + 1) * batch;
        Tensor u = be.of(random(r, rows * n, -2, 2), rows, n);   // u(0), then a(1..T)
        // |Wuu| < 1.5 / sqrt(n): u(t) stays off +-1, and the rounding differences between backends do not grow
        double w = 1.5 / Math.sqrt(n);
        Tensor wuu = be.of(random(r, n * n, -w, w), n, n);
        Tensor du = be.of(random(r, rows * n, -1, 1), rows, n), da = be.zeros(steps * batch, n);
        if (perStep) {
            for (int t = 1; t <= steps; t++) {
                Tensor ut = u.slice(t * batch, (t + 1) * batch);
                be.gemm(ut, u.slice((t - 1) * batch, t * batch), false, wuu, false, 1f, 1f);
                be.tanh(ut, ut);
            }
            Tensor wuuT = be.zeros(n, n);
            be.transpose(wuuT, wuu);
            for (int t = steps; t >= 1; t--) {
                Tensor dat = da.slice((t - 1) * batch, t * batch);
                be.tanhBackward(dat, du.slice(t * batch, (t + 1) * batch), u.slice(t * batch, (t + 1) * batch));
                be.gemm(du.slice((t - 1) * batch, t * batch), dat, false, wuuT, false, 1f, 1f);
            }
        } else {
            be.tanhRecurrence(u, wuu, batch);
            be.tanhRecurrenceBackward(da, du, u, wuu, batch);
        }
        return new float[][] {be.toArray(u), be.toArray(da), be.toArray(du)};
    }

    @ParameterizedTest
    @MethodSource("simd")
    void simdRecurrenceOpsGiveThePerStepOpsBits(String backend) {
        try (Backend be = create(backend)) {
            for (int n : UNITS) {
                for (int steps : new int[] {0, 1, 6}) {
                    long seed = 100L * n + steps;
                    assertSameBits(widen(run(be, true, steps, n, 1, seed)), widen(run(be, false, steps, n, 1, seed)),
                            backend + " T=" + steps + " n=" + n);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("simd")
    void simdRecurrenceOpsMatchTheScalarBackend(String backend) {
        try (Backend be = create(backend); Backend ref = create("scalar")) {
            for (int[] tn : new int[][] {{20, 100}, {5, 17}, {3, 1}}) {
                double[] want = widen(run(ref, false, tn[0], tn[1], 1, 9)), got = widen(run(be, false, tn[0], tn[1], 1, 9));
                // the per-step ops' tolerance (ConformanceCrossTest: gemm, tanh), compounded over the steps
                assertClose(want, got, null, 1e-5, 1e-4, backend + " T, n = " + java.util.Arrays.toString(tn));
            }
        }
    }

    /**
     * B sequences at once (the RNN-RBM's batched training): the tiled products over each thread's sequences give
     * the per-step ops' bits (B rows per step through gemm), on one thread or two, for B around the tile height and a
     * last single row; and the scalar backend's B-row default within tolerance.
     */
    @ParameterizedTest
    @MethodSource("simd")
    void batchedSequencesGiveThePerStepOpsBits(String backend) {
        try (Backend be = create(backend); Backend ref = create("scalar")) {
            for (int n : new int[] {1, 9, 33, 100}) {
                for (int batch : new int[] {2, 3, 5, 32}) {
                    for (int steps : new int[] {0, 1, 7}) {
                        long seed = 1000L * n + 10L * batch + steps;
                        String at = backend + " T=" + steps + " B=" + batch + " n=" + n;
                        double[] got = widen(run(be, false, steps, n, batch, seed));
                        assertSameBits(widen(run(be, true, steps, n, batch, seed)), got, at);
                        assertClose(widen(run(ref, false, steps, n, batch, seed)), got, null, 1e-5, 1e-4, at);
                    }
                }
            }
        }
    }

    /** A batch of sequences is B independent recurrences: sequence b alone (B = 1) gives its rows' bits. */
    @Test
    void eachSequenceOfABatchIsItsOwnRecurrence() {
        int steps = 5, n = 7, batch = 3;
        try (Backend be = create("scalar")) {
            float[][] all = run(be, false, steps, n, batch, 77);
            SplittableRandom r = new SplittableRandom(77);
            float[] u = random(r, (steps + 1) * batch * n, -2, 2), w = random(r, n * n, -1.5 / Math.sqrt(n), 1.5 / Math.sqrt(n));
            float[] du = random(r, (steps + 1) * batch * n, -1, 1);
            for (int b = 0; b < batch; b++) {
                float[] ub = new float[(steps + 1) * n], dub = new float[(steps + 1) * n];
                for (int t = 0; t <= steps; t++) {
                    System.arraycopy(u, (t * batch + b) * n, ub, t * n, n);
                    System.arraycopy(du, (t * batch + b) * n, dub, t * n, n);
                }
                Tensor ut = be.of(ub, steps + 1, n), wt = be.of(w, n, n), dut = be.of(dub, steps + 1, n), da = be.zeros(steps, n);
                be.tanhRecurrence(ut, wt, 1);
                be.tanhRecurrenceBackward(da, dut, ut, wt, 1);
                float[] uo = be.toArray(ut), dao = be.toArray(da), duo = be.toArray(dut);
                for (int t = 0; t <= steps; t++) {
                    for (int j = 0; j < n; j++) {
                        org.junit.jupiter.api.Assertions.assertEquals(uo[t * n + j], all[0][(t * batch + b) * n + j], "u b=" + b + " t=" + t);
                        org.junit.jupiter.api.Assertions.assertEquals(duo[t * n + j], all[2][(t * batch + b) * n + j], "du b=" + b + " t=" + t);
                        if (t > 0) org.junit.jupiter.api.Assertions.assertEquals(dao[(t - 1) * n + j], all[1][((t - 1) * batch + b) * n + j], "da");
                    }
                }
            }
        }
    }

    @Test
    void badShapesAreRefusedWithTheirNames() {
        for (String backend : new String[] {"scalar", "simd-256x2"}) {
            try (Backend be = create(backend)) {
                Tensor u = be.zeros(4, 3), wuu = be.zeros(3, 3), da = be.zeros(3, 3), du = be.zeros(4, 3);
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrence(u, be.zeros(3, 4), 1));
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrence(be.zeros(0, 3), wuu, 1));
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrence(u.slice(0, 2), u.slice(1, 4), 1));   // overlap
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrence(u, wuu, 3));         // 4 rows: not (T+1) 3
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrence(u, wuu, 0));
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrenceBackward(be.zeros(4, 3), du, u, wuu, 1));
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrenceBackward(da, be.zeros(3, 3), u, wuu, 1));
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrenceBackward(da, u, u, wuu, 1));          // du is u
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrenceBackward(da, du, u, wuu, 2));   // B = 2: T = 1, da must be (2, 3)
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void opsOnViewsTouchOnlyTheirOutputs(String backend) {
        assertViewsTouchOnlyTheirOutputs(backend, List.of(
            // T = 3 steps of n = 9 units (a vector and a last one shifted back over it at 256 bits)
            new ViewCase("tanhRecurrence, tanhRecurrenceBackward", s(new int[] {4, 9}, new int[] {3, 9}, new int[] {4, 9}),
                    s(new int[] {9, 9}),
                    (be, o, i) -> { be.tanhRecurrence(o[0], i[0], 1); be.tanhRecurrenceBackward(o[1], o[2], o[0], i[0], 1); }),
            // T = 2 steps of B = 3 sequences (tiles of the batched path) of n = 9
            new ViewCase("tanhRecurrence, tanhRecurrenceBackward, B = 3", s(new int[] {9, 9}, new int[] {6, 9}, new int[] {9, 9}),
                    s(new int[] {9, 9}),
                    (be, o, i) -> { be.tanhRecurrence(o[0], i[0], 3); be.tanhRecurrenceBackward(o[1], o[2], o[0], i[0], 3); })));
    }
}
