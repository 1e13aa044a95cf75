package dev.tessitura.engine.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The one-row product (SimdGemm's gemv path, used by the recurrences at every time step) against the tiled kernel:
 * the same FMA chain per element and the same epilogue, so a row computed alone must equal, bit for bit, the same
 * row computed inside a product of several rows; and both against float64.
 */
class SimdGemmTest {
    private static final int[] NS = {1, 3, 7, 8, 9, 16, 31, 33, 64, 100, 150};
    private static final int[] KS = {1, 5, 13, 100};

    @ParameterizedTest(name = "{0}-bit")
    @ValueSource(ints = {128, 256})
    void oneRowIsBitForBitTheRowOfABiggerProduct(int bits) {
        SimdGemm gemm = new SimdGemm(Lanes.of(bits));
        SplittableRandom r = new SplittableRandom(11);
        int m = 7, row = 3;
        try (WorkerPool pool = new WorkerPool(1)) {
            for (int n : NS) {
                for (int k : KS) {
                    for (boolean transA : new boolean[] {false, true}) {
                        for (float[] ab : new float[][] {{1f, 0f}, {-0.3f, 0.5f}}) {
                            float alpha = ab[0], beta = ab[1];
                            float[] a = random(r, m * k), b = random(r, k * n), c0 = random(r, m * n);
                            int lda = transA ? m : k;
                            // op(A) (m, k): a[i * k + p], or a[p * m + i] when transposed
                            float[] big = c0.clone();
                            gemm.gemm(big, 0, n, a, 0, lda, transA, b, 0, n, false, m, n, k, alpha, beta, pool, false, null);
                            float[] one = java.util.Arrays.copyOfRange(c0, row * n, (row + 1) * n);
                            int aOff = transA ? row : row * k;
                            gemm.gemm(one, 0, n, a, aOff, lda, transA, b, 0, n, false, 1, n, k, alpha, beta, pool, false, null);
                            String at = "n=" + n + " k=" + k + " transA=" + transA + " beta=" + beta;
                            for (int j = 0; j < n; j++) {
                                assertEquals(Float.floatToIntBits(big[row * n + j]), Float.floatToIntBits(one[j]), at + " j=" + j);
                                double want = beta * (double) c0[row * n + j];
                                for (int p = 0; p < k; p++) {
                                    double ap = transA ? a[p * m + row] : a[row * k + p];
                                    want += alpha * ap * b[p * n + j];
                                }
                                // float32 FMA chain over k terms of magnitude <= 1: error ~1e-7 sqrt(k) of their sum
                                assertTrue(Math.abs(one[j] - want) <= 1e-6 * Math.sqrt(k) * (k + 1), at + " j=" + j);
                            }
                        }
                    }
                }
            }
        }
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble(-1, 1);
        return a;
    }
}
