package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ScalarBackend;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fused Gibbs chain's index arithmetic, checked on the CPU: {@link CudaRbm#chainDraws} reserves the draws
 * as 2k half-steps do, and a line-by-line Java transcription of k_gibbs_chain (rbm.cuh) using that layout agrees
 * bit for bit with ScalarBackend.gibbsChain. The CUDA kernel itself is checked on a GPU by CudaBackendGpuTest.
 */
class GibbsChainLayoutTest {
    @Test
    void chainDrawsReserveWhatTwoKHalfStepsTake() {
        for (int[] c : new int[][] {{1, 1, 1, 1}, {3, 13, 7, 2}, {100, 88, 150, 15}, {0, 5, 5, 3}, {2, 3, 3, 0}}) {
            int rows = c[0], nv = c[1], nh = c[2], k = c[3];
            Rng a = new Rng(42, 7), b = new Rng(42, 7);
            a.seek(5);
            b.seek(5);
            long[] d = CudaRbm.chainDraws(a, (long) rows * nh, (long) rows * nv, k);
            for (int s = 0; s < k; s++) {
                assertEquals(b.take((long) rows * nh), d[0] + s * (d[1] + d[2]), "hidden draw of step " + s);
                assertEquals(b.take((long) rows * nv), d[0] + s * (d[1] + d[2]) + d[1], "visible draw of step " + s);
            }
            assertEquals(b.position(), a.position());
        }
    }

    @Test
    void launchShapeOfTheModelsChain() {
        assertEquals(160, CudaRbm.chainThreads(88, 150));
        assertEquals(32, CudaRbm.chainThreads(1, 1));
        assertEquals(256, CudaRbm.chainThreads(88, 1000));
        // 88 x 150 W plus v and h: over the default 48 KB, under the H100's 227 KB opt-in
        assertEquals((88 * 150 + 88 + 150) * 4L, CudaRbm.chainSharedBytes(88, 150));
    }

    @Test
    void transcriptionOfTheKernelMatchesTheScalarChain() {
        SplittableRandom r = new SplittableRandom(11);
        for (int[] c : new int[][] {{1, 1, 1, 1}, {3, 13, 7, 2}, {4, 88, 150, 15}, {5, 9, 31, 3}}) {
            int rows = c[0], nv = c[1], nh = c[2], k = c[3];
            for (boolean perRow : new boolean[] {false, true}) {
                float[] v = new float[rows * nv], w = new float[nv * nh];
                float[] bv = new float[perRow ? rows * nv : nv], bh = new float[perRow ? rows * nh : nh];
                for (int i = 0; i < v.length; i++) v[i] = r.nextBoolean() ? 1f : 0f;
                for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
                for (int i = 0; i < bv.length; i++) bv[i] = (float) r.nextGaussian();
                for (int i = 0; i < bh.length; i++) bh[i] = (float) r.nextGaussian();
                long seed = 0x1234_5678_9ABCL << 8, stream = 3L << 33;

                Backend cpu = new ScalarBackend();
                Tensor vt = cpu.of(v, rows, nv), vpt = cpu.zeros(rows, nv);
                Tensor bvt = perRow ? cpu.of(bv, rows, nv) : cpu.of(bv, nv), bht = perRow ? cpu.of(bh, rows, nh) : cpu.of(bh, nh);
                Rng ra = new Rng(seed, stream);
                ra.seek(9);
                cpu.gibbsChain(vt, vpt, cpu.of(w, nv, nh), bvt, bht, k, ra);

                Rng rb = new Rng(seed, stream);
                rb.seek(9);
                long[] d = CudaRbm.chainDraws(rb, (long) rows * nh, (long) rows * nv, k);
                float[] vk = v.clone(), vp = new float[rows * nv];
                for (int b = 0; b < rows; b++) {
                    kernel(b, vk, vp, w, bv, perRow ? nv : 0, bh, perRow ? nh : 0, nv, nh, k, seed, stream, d[0], d[1], d[2]);
                }
                String what = rows + "x" + nv + "x" + nh + " k=" + k + (perRow ? " per-row biases" : "");
                assertArrayEquals(cpu.toArray(vt), vk, what);
                assertArrayEquals(cpu.toArray(vpt), vp, what);
                assertEquals(ra.position(), rb.position());
            }
        }
    }

    /** k_gibbs_chain for thread block b, serialised: the same loops, the same float operations in the same order. */
    static void kernel(int b, float[] v, float[] vProb, float[] w, float[] bv, int bvStride, float[] bh, int bhStride,
                       int nv, int nh, int k, long seed, long stream, long first, long hBlocks, long vBlocks) {
        float[] vs = new float[nv], hs = new float[nh];
        System.arraycopy(v, b * nv, vs, 0, nv);
        for (int s = 0; s < k; s++) {
            long hFirst = first + s * (hBlocks + vBlocks), vFirst = hFirst + hBlocks;
            for (int j = 0; j < nh; j++) {
                float acc = 0f;
                for (int i = 0; i < nv; i++) acc += vs[i] * w[i * nh + j];
                float p = sigmoid(acc + bh[b * bhStride + j]);
                hs[j] = uniformAt((long) b * nh + j, seed, stream, hFirst) < p ? 1f : 0f;
            }
            for (int i = 0; i < nv; i++) {
                float acc = 0f;
                for (int j = 0; j < nh; j++) acc += hs[j] * w[i * nh + j];
                float p = sigmoid(acc + bv[b * bvStride + i]);
                vs[i] = uniformAt((long) b * nv + i, seed, stream, vFirst) < p ? 1f : 0f;
                if (s == k - 1) vProb[b * nv + i] = p;
            }
        }
        System.arraycopy(vs, 0, v, b * nv, nv);
    }

    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-(double) x)));
    }

    /** philox_uniform_at: word e & 3 of block first + (e >> 2). */
    static float uniformAt(long e, long seed, long stream, long first) {
        int[] out = new int[4];
        Philox.block(seed, stream, first + (e >>> 2), out);
        return Philox.toUniform(out[(int) (e & 3)]);
    }
}
