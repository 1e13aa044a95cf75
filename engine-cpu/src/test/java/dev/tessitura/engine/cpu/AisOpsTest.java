package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.assertClose;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertSameBits;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static dev.tessitura.engine.cpu.ConformanceSupport.widen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * aisHidden and aisVisible, the two halves of an AIS temperature: SimdBackend keeps its scratch between calls and must
 * give the bits of the interface's op sequences with fresh scratch (the bits AIS had before the ops existed), for
 * growing and shrinking R, vector and per-row biases, with and without the draw (and the mixed base); the scalar
 * backend within tolerance.
 */
class AisOpsTest {
    /** {w, h, x} after one call on be; fresh = the op sequence with new scratch instead of the backend's op. */
    static float[][] run(Backend be, boolean fresh, int rows, int nh, boolean perRow, boolean draw, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor x = be.of(random(r, rows * nh, -3, 3), rows, nh), w = be.of(random(r, rows, -1, 1), rows);
        Tensor bh = perRow ? be.of(random(r, rows * nh, -1, 1), rows, nh) : be.of(random(r, nh, -1, 1), nh);
        Tensor h = draw ? be.zeros(rows, nh) : null;
        Rng rng = new Rng(seed, 7);
        if (fresh) {
            Backend.aisHiddenSteps(be, w, h, x, bh, perRow, 0.37f, 0.41f, rng, be.zeros(rows, nh), be.zeros(rows, nh), be.zeros(rows),
                    be.zeros(rows));
        } else {
            be.aisHidden(w, h, x, bh, 0.37f, 0.41f, rng);
        }
        assertEquals(draw ? (rows * (long) nh + 3) / 4 : 0, rng.position(), "one draw of R nh, or none");
        return new float[][] {be.toArray(w), draw ? be.toArray(h) : new float[0], be.toArray(x)};
    }

    @Test
    void simdGivesTheOpSequencesBitsAndScalarAgrees() {
        int[][] shapes = {{1, 1}, {7, 150}, {300, 150}, {5, 13}, {2000, 9}};   // scratch grows, then shrinks
        for (String name : new String[] {"simd-256x2", "simd-128x1"}) {
            try (Backend be = create(name); Backend ref = create("scalar")) {
                long seed = 1;
                for (int[] sh : shapes) {
                    for (boolean perRow : new boolean[] {false, true}) {
                        for (boolean draw : new boolean[] {true, false}) {
                            seed++;
                            String at = name + " " + sh[0] + "x" + sh[1] + " perRow=" + perRow + " draw=" + draw;
                            float[][] got = run(be, false, sh[0], sh[1], perRow, draw, seed);
                            assertSameBits(widen(run(be, true, sh[0], sh[1], perRow, draw, seed)), widen(got), at);
                            float[][] want = run(ref, false, sh[0], sh[1], perRow, draw, seed);
                            // w changes by a difference of two sums of nh softplus terms of up to ~3 each, each rounded to float
                            assertClose(widen(want[0]), widen(got[0]), null, 1e-6 * 4 * sh[1], 1e-5, at + " w");
                            assertSameBits(widen(want[2]), widen(got[2]), at + " y = x + bh");
                            int flips = 0;
                            for (int i = 0; i < want[1].length; i++) if (want[1][i] != got[1][i]) flips++;
                            assertTrue(flips <= want[1].length / 1000, at + ": " + flips + " sampled bits differ");
                        }
                    }
                }
            }
        }
    }

    /** {w, v} after one aisVisible on be; fresh = the op sequence with new scratch instead of the backend's op. */
    static float[][] runVisible(Backend be, boolean fresh, int rows, int nv, boolean perRow, boolean mix, boolean draw, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor x = draw ? be.of(random(r, rows * nv, -3, 3), rows, nv) : null, w = be.of(random(r, rows, -1, 1), rows);
        Tensor v = be.zeros(rows, nv);
        float[] bits = random(r, rows * nv, 0, 1);
        for (int i = 0; i < bits.length; i++) bits[i] = bits[i] < 0.3f ? 1 : 0;
        be.copyFromHost(v, bits, 0);
        int n = perRow ? rows * nv : nv;
        Tensor bv = perRow ? be.of(random(r, n, -2, 1), rows, nv) : be.of(random(r, n, -2, 1), nv);
        Tensor a = mix ? (perRow ? be.of(random(r, n, -2, 1), rows, nv) : be.of(random(r, n, -2, 1), nv)) : null;
        Rng rng = new Rng(seed, 7);
        if (fresh) {
            Backend.aisVisibleSteps(be, w, v, x, bv, perRow, a, 0.37f, 0.41f, rng, be.zeros(rows, nv), be.zeros(rows), be.zeros(rows),
                    be.zeros(n));
        } else {
            be.aisVisible(w, v, x, bv, a, 0.37f, 0.41f, rng);
        }
        assertEquals(draw ? (rows * (long) nv + 3) / 4 : 0, rng.position(), "one draw of R nv, or none");
        return new float[][] {be.toArray(w), be.toArray(v)};
    }

    @Test
    void visibleHalfSimdGivesTheOpSequencesBitsAndScalarAgrees() {
        int[][] shapes = {{1, 1}, {7, 88}, {300, 88}, {5, 13}, {2000, 9}};    // scratch grows, then shrinks
        for (String name : new String[] {"simd-256x2", "simd-128x1"}) {
            try (Backend be = create(name); Backend ref = create("scalar")) {
                long seed = 100;
                for (int[] sh : shapes) {
                    for (boolean perRow : new boolean[] {false, true}) {
                        for (boolean mix : new boolean[] {false, true}) {
                            for (boolean draw : new boolean[] {true, false}) {
                                seed++;
                                String at = name + " " + sh[0] + "x" + sh[1] + " perRow=" + perRow + " mix=" + mix + " draw=" + draw;
                                float[][] got = runVisible(be, false, sh[0], sh[1], perRow, mix, draw, seed);
                                assertSameBits(widen(runVisible(be, true, sh[0], sh[1], perRow, mix, draw, seed)), widen(got), at);
                                float[][] want = runVisible(ref, false, sh[0], sh[1], perRow, mix, draw, seed);
                                // w changes by (beta - betaPrev) times two dot products of nv terms of up to ~2
                                assertClose(widen(want[0]), widen(got[0]), null, 1e-6 * sh[1], 1e-5, at + " w");
                                int flips = 0;
                                for (int i = 0; i < want[1].length; i++) if (want[1][i] != got[1][i]) flips++;
                                assertTrue(flips <= want[1].length / 1000, at + ": " + flips + " sampled bits differ");
                            }
                        }
                    }
                }
            }
        }
    }

    /** The visible half against float64 arithmetic written out here: the weight terms, the mixed bias, the draw. */
    @Test
    void visibleHalfMatchesItsDefinition() {
        try (Backend be = create("scalar")) {
            int rows = 37, nv = 11;
            float bp = 0.25f, bc = 0.5f;
            SplittableRandom r = new SplittableRandom(5);
            float[] v = random(r, rows * nv, 0, 1), w = random(r, rows, -1, 1), x = random(r, rows * nv, -3, 3);
            for (int i = 0; i < v.length; i++) v[i] = v[i] < 0.5f ? 1 : 0;
            float[] bv = random(r, rows * nv, -2, 1), a = random(r, rows * nv, -2, 1);
            Tensor vt = be.of(v, rows, nv), wt = be.of(w, rows);
            Rng rng = new Rng(9, 2);
            be.aisVisible(wt, vt, be.of(x, rows, nv), be.of(bv, rows, nv), be.of(a, rows, nv), bp, bc, rng);
            float[] u = be.toArray(uniforms(be, rows * nv));
            float[] gotW = be.toArray(wt), gotV = be.toArray(vt);
            for (int row = 0; row < rows; row++) {
                double dw = 0;
                for (int i = 0; i < nv; i++) dw += (bc - bp) * (double) v[row * nv + i] * (bv[row * nv + i] - a[row * nv + i]);
                assertEquals(w[row] + dw, gotW[row], 1e-6 * (1 + Math.abs(dw)), "w row " + row);
                for (int i = 0; i < nv; i++) {
                    int e = row * nv + i;
                    double p = 1 / (1 + Math.exp(-(x[e] + bc * (double) bv[e] + (1 - bc) * (double) a[e])));
                    if (Math.abs(u[e] - p) > 1e-5) assertEquals(u[e] < p ? 1f : 0f, gotV[e], "v " + row + ", " + i);
                }
            }
        }
    }

    /** The uniforms of Rng (9, 2)'s first draw of n elements. */
    private static Tensor uniforms(Backend be, int n) {
        Tensor u = be.zeros(n);
        be.uniform(u, new Rng(9, 2));
        return u;
    }

    @Test
    void badShapesAreRefused() {
        try (Backend be = create("simd-256x2")) {
            Tensor x = be.zeros(4, 3), w = be.zeros(4), bh = be.zeros(3);
            Rng r = new Rng(1, 1);
            assertThrows(IllegalArgumentException.class, () -> be.aisHidden(be.zeros(3), null, x, bh, 0f, 1f, r));
            assertThrows(IllegalArgumentException.class, () -> be.aisHidden(w, be.zeros(4, 2), x, bh, 0f, 1f, r));
            assertThrows(IllegalArgumentException.class, () -> be.aisHidden(w, null, x, be.zeros(2), 0f, 1f, r));
            assertThrows(IllegalArgumentException.class, () -> be.aisHidden(w, x, x, bh, 0f, 1f, r));   // h is x
            assertThrows(IllegalArgumentException.class, () -> be.aisVisible(w, x, be.zeros(4, 2), bh, null, 0f, 1f, r));
            assertThrows(IllegalArgumentException.class, () -> be.aisVisible(w, x, null, bh, be.zeros(4, 3), 0f, 1f, r));
            assertThrows(IllegalArgumentException.class, () -> be.aisVisible(w, x, x, bh, null, 0f, 1f, r));  // x is v
        }
    }
}
