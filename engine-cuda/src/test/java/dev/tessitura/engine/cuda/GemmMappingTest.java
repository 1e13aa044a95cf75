package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ScalarBackend;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The row-major to column-major mapping CudaBackend hands to cuBLAS, checked on the CPU: a transcription of BLAS's
 * column-major SGEMM (with cuBLAS's argument checks) called with {@link CudaBlas#columnMajorSgemm}'s arguments on
 * the row-major arrays must give ScalarBackend.gemm's result.
 */
class GemmMappingTest {
    @Test
    void rowMajorGemmThroughColumnMajorBlas() {
        SplittableRandom r = new SplittableRandom(12);
        Backend cpu = new ScalarBackend();
        for (int[] mnk : new int[][] {{1, 1, 1}, {3, 5, 7}, {7, 5, 3}, {1, 9, 4}, {6, 1, 2}, {4, 3, 1}, {13, 17, 11}}) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
                    float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
                    for (float[] x : new float[][] {a, b, c}) for (int i = 0; i < x.length; i++) x[i] = r.nextInt(-4, 5);
                    Tensor ct = cpu.of(c, m, n);
                    cpu.gemm(ct, cpu.of(a, aRows, aCols), transA, cpu.of(b, bRows, bCols), transB, 2f, -1f);

                    int[] g = CudaBlas.columnMajorSgemm(m, n, k, transA, aCols, transB, bCols);
                    float[] got = c.clone();
                    sgemmColumnMajor(g[0] == 1, g[1] == 1, g[2], g[3], g[4], 2f, b, g[5], a, g[6], -1f, got, g[7]);
                    // small integers: every product and sum is exact, so the orders cannot differ
                    assertArrayEquals(cpu.toArray(ct), got, m + "x" + n + "x" + k + " tA=" + transA + " tB=" + transB);
                }
            }
        }
    }

    /** BLAS SGEMM: C = alpha op(A) op(B) + beta C, all column-major; X(i, j) = x[i + j * ldx]. */
    static void sgemmColumnMajor(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b,
                                 int ldb, float beta, float[] c, int ldc) {
        // cuBLAS returns CUBLAS_STATUS_INVALID_VALUE unless each leading dimension covers its stored rows
        assertTrue(lda >= Math.max(1, ta ? k : m), "lda " + lda);
        assertTrue(ldb >= Math.max(1, tb ? n : k), "ldb " + ldb);
        assertTrue(ldc >= Math.max(1, m), "ldc " + ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0;
                for (int p = 0; p < k; p++) {
                    float x = ta ? a[p + i * lda] : a[i + p * lda];
                    float y = tb ? b[j + p * ldb] : b[p + j * ldb];
                    acc += x * y;
                }
                c[i + j * ldc] = alpha * acc + beta * c[i + j * ldc];
            }
        }
    }
}
