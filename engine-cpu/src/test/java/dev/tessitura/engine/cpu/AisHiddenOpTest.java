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
 * aisHidden, the hidden half of an AIS temperature: SimdBackend keeps its scratch between calls and must give the
 * bits of the interface's op sequence with fresh scratch (the bits AIS had before the op existed), for growing and
 * shrinking R, a vector and a per-row bh, with and without the draw; the scalar backend within tolerance.
 */
class AisHiddenOpTest {
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

    @Test
    void badShapesAreRefused() {
        try (Backend be = create("simd-256x2")) {
            Tensor x = be.zeros(4, 3), w = be.zeros(4), bh = be.zeros(3);
            Rng r = new Rng(1, 1);
            assertThrows(IllegalArgumentException.class, () -> be.aisHidden(be.zeros(3), null, x, bh, 0f, 1f, r));
            assertThrows(IllegalArgumentException.class, () -> be.aisHidden(w, be.zeros(4, 2), x, bh, 0f, 1f, r));
            assertThrows(IllegalArgumentException.class, () -> be.aisHidden(w, null, x, be.zeros(2), 0f, 1f, r));
            assertThrows(IllegalArgumentException.class, () -> be.aisHidden(w, x, x, bh, 0f, 1f, r));   // h is x
        }
    }
}
