package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.assertClose;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertSameBits;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static dev.tessitura.engine.cpu.ConformanceSupport.widen;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
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
 * the per-step ops' tolerance.
 */
class TanhRecurrenceOpsTest {

    /** 1, the lane counts' neighbours, one panel (64 at 256 bits), the model's 100 and three panels (129). */
    private static final int[] UNITS = {1, 3, 4, 5, 7, 8, 9, 17, 31, 33, 63, 64, 65, 100, 129};

    static Stream<String> simd() {
        return Stream.of("simd-128x1", "simd-256x1", "simd-256x2");
    }

    /** u after the forward, then da and du after the backward. */
    private static float[][] run(Backend be, boolean perStep, int steps, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor u = be.of(random(r, (steps + 1) * n, -2, 2), steps + 1, n);   // u(0), then a(1..T)
        // |Wuu| < 1.5 / sqrt(n): u(t) stays off +-1, and the rounding differences between backends do not grow
        double w = 1.5 / Math.sqrt(n);
        Tensor wuu = be.of(random(r, n * n, -w, w), n, n);
        Tensor du = be.of(random(r, (steps + 1) * n, -1, 1), steps + 1, n), da = be.zeros(steps, n);
        if (perStep) {
            for (int t = 1; t <= steps; t++) {
                Tensor ut = u.slice(t, t + 1);
                be.gemm(ut, u.slice(t - 1, t), false, wuu, false, 1f, 1f);
                be.tanh(ut, ut);
            }
            Tensor wuuT = be.zeros(n, n);
            be.transpose(wuuT, wuu);
            for (int t = steps; t >= 1; t--) {
                Tensor dat = da.slice(t - 1, t);
                be.tanhBackward(dat, du.slice(t, t + 1), u.slice(t, t + 1));
                be.gemm(du.slice(t - 1, t), dat, false, wuuT, false, 1f, 1f);
            }
        } else {
            be.tanhRecurrence(u, wuu);
            be.tanhRecurrenceBackward(da, du, u, wuu);
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
                    assertSameBits(widen(run(be, true, steps, n, seed)), widen(run(be, false, steps, n, seed)),
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
                double[] want = widen(run(ref, false, tn[0], tn[1], 9)), got = widen(run(be, false, tn[0], tn[1], 9));
                // the per-step ops' tolerance (ConformanceCrossTest: gemm, tanh), compounded over the steps
                assertClose(want, got, null, 1e-5, 1e-4, backend + " T, n = " + java.util.Arrays.toString(tn));
            }
        }
    }

    @Test
    void badShapesAreRefusedWithTheirNames() {
        for (String backend : new String[] {"scalar", "simd-256x2"}) {
            try (Backend be = create(backend)) {
                Tensor u = be.zeros(4, 3), wuu = be.zeros(3, 3), da = be.zeros(3, 3), du = be.zeros(4, 3);
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrence(u, be.zeros(3, 4)));
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrence(be.zeros(0, 3), wuu));
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrence(u.slice(0, 2), u.slice(1, 4)));   // overlap
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrenceBackward(be.zeros(4, 3), du, u, wuu));
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrenceBackward(da, be.zeros(3, 3), u, wuu));
                assertThrows(IllegalArgumentException.class, () -> be.tanhRecurrenceBackward(da, u, u, wuu));          // du is u
            }
        }
    }
}
