package dev.tessitura.engine.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The one-row product (the recurrences' product at every time step, which SimdGemm runs over the row's nonzeros)
 * against the tiled kernel: the same FMA chain per element and the same epilogue, so a row computed alone must
 * equal, bit for bit, the same row computed inside a product of several rows; and both against float64. The path
 * over op(A)'s nonzeros against the tiled kernel, bit for bit. The tiled paths, a long k in stretches included,
 * against the FMA chain written out.
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

    /**
     * The path over op(A)'s nonzeros against the tiled kernel: skipping a = 0 terms leaves each FMA chain unchanged,
     * so the two must agree bit for bit, for 0/1 samples and for general values with zeros, rows of zeros, a NaN
     * (which must still spread), either transposition, beta 0 or not, B with a wider stride and an offset, and
     * widths around the blocks of 12 and 4 vectors (at 128 and 256 bits) and B rows that end the array.
     */
    @ParameterizedTest(name = "{0}-bit")
    @ValueSource(ints = {128, 256})
    void nonzerosPathIsBitForBitTheTiledKernel(int bits) {
        SimdGemm sparse = new SimdGemm(Lanes.of(bits)), dense = new SimdGemm(Lanes.of(bits));
        sparse.sparseMaxDensity = 1f;
        dense.sparseMaxDensity = 0f;
        SplittableRandom r = new SplittableRandom(12);
        int[] ns = {1, 7, 8, 9, 31, 32, 33, 47, 48, 49, 63, 64, 65, 88, 95, 96, 97, 100, 150, 193, 200};
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int n : ns) {
                for (int k : new int[] {1, 9, 88}) {
                    for (int m : new int[] {2, 6, 23}) {
                        for (boolean transA : new boolean[] {false, true}) {
                            for (double density : new double[] {0, 0.05, 0.4, 1}) {
                                boolean binary = r.nextBoolean();
                                float beta = r.nextBoolean() ? 0f : 0.5f, alpha = binary ? 1f : -0.7f;
                                float[] a = new float[m * k];
                                for (int i = 0; i < a.length; i++) {
                                    if (r.nextDouble() < density) a[i] = binary ? 1f : (float) r.nextDouble(-1, 1);
                                }
                                boolean nan = density > 0 && r.nextInt(4) == 0;
                                if (nan) a[r.nextInt(a.length)] = Float.NaN;
                                int ldb = n + 3, bOff = 5, lda = transA ? m : k;
                                float[] b = random(r, bOff + k * ldb), c0 = random(r, m * n);
                                float[] want = c0.clone(), got = c0.clone();
                                boolean[] done = new boolean[m];
                                dense.gemm(want, 0, n, a, 0, lda, transA, b, bOff, ldb, false, m, n, k, alpha, beta, pool, true, null);
                                sparse.gemm(got, 0, n, a, 0, lda, transA, b, bOff, ldb, false, m, n, k, alpha, beta, pool, true,
                                        reportedOnce(done));
                                String at = "m=" + m + " n=" + n + " k=" + k + " transA=" + transA + " density=" + density
                                        + " binary=" + binary + " beta=" + beta + " nan=" + nan;
                                for (int i = 0; i < m; i++) assertTrue(done[i], at + " row " + i + " not reported");
                                for (int e = 0; e < m * n; e++) {
                                    assertEquals(Float.floatToIntBits(want[e]), Float.floatToIntBits(got[e]), at + " element " + e);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Every path but the dot products' is one FMA chain per element over p = 0..k-1 from +0, then the epilogue
     * alpha acc (beta = 0) or fma(acc, alpha, beta C): checked bit for bit against that chain written out in scalar
     * Math.fma, across a long k that runs in stretches of KC (raw sums carried between them) and a short one that
     * does not; row counts around the block of five, widths around the panel (a last panel of at most one vector and
     * of more), op(A) and op(B) transposed (except A B^T, which is dot products), B at an offset with a wider stride,
     * and one to three threads, each row reported once.
     */
    @ParameterizedTest(name = "{0}-bit")
    @ValueSource(ints = {128, 256})
    void longKInStretchesIsOneFmaChainBitForBit(int bits) {
        SimdGemm gemm = new SimdGemm(Lanes.of(bits));
        gemm.sparseMaxDensity = 0f;
        SplittableRandom r = new SplittableRandom(13);
        for (int threads = 1; threads <= 3; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int k : new int[] {100, SimdGemm.LONG_K + 1, 3 * SimdGemm.KC + 37}) {
                    for (int m : new int[] {2, 5, 7, 13}) {
                        for (int n : new int[] {1, 4, 9, 16, 21, 33}) {
                            for (int t = 0; t < 3; t++) {
                                boolean transA = t >= 1, transB = t == 2;
                                float alpha = r.nextBoolean() ? 1f : -0.7f, beta = r.nextBoolean() ? 0f : 0.5f;
                                int lda = transA ? m : k, ldb = (transB ? k : n) + 3, bOff = 5;
                                float[] a = random(r, m * k), b = random(r, bOff + (transB ? n : k) * ldb), c0 = random(r, m * n);
                                float[] got = c0.clone();
                                boolean[] done = new boolean[m];
                                gemm.gemm(got, 0, n, a, 0, lda, transA, b, bOff, ldb, transB, m, n, k, alpha, beta, pool, true,
                                        reportedOnce(done));
                                String at = threads + " threads, m=" + m + " n=" + n + " k=" + k + " transA=" + transA
                                        + " transB=" + transB + " beta=" + beta;
                                for (int i = 0; i < m; i++) {
                                    assertTrue(done[i], at + " row " + i + " not reported");
                                    for (int j = 0; j < n; j++) {
                                        float acc = 0f;
                                        for (int p = 0; p < k; p++) {
                                            float ap = transA ? a[p * lda + i] : a[i * lda + p];
                                            float bp = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                                            acc = Math.fma(ap, bp, acc);
                                        }
                                        float want = beta == 0f ? alpha * acc : Math.fma(acc, alpha, beta * c0[i * n + j]);
                                        assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i * n + j]), at + " at " + i + "," + j);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** A rowsDone callback that marks each finished row in done and fails if a row is reported twice. */
    private static SimdGemm.RowsDone reportedOnce(boolean[] done) {
        return (i0, i1) -> {
            synchronized (done) {
                for (int i = i0; i < i1; i++) {
                    assertTrue(!done[i], "row " + i + " reported twice");
                    done[i] = true;
                }
            }
        };
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble(-1, 1);
        return a;
    }
}
