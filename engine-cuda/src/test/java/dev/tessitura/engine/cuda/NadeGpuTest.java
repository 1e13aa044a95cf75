package dev.tessitura.engine.cuda;

import static dev.tessitura.engine.cuda.CudaBackendGpuTest.cpu;
import static dev.tessitura.engine.cuda.CudaBackendGpuTest.near;
import static dev.tessitura.engine.cuda.CudaBackendGpuTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * CudaBackend's NADE ops against the scalar reference, on sizes that cover nv 1, 7, 13, 88, nh 1, 5, 150 and T 1 to
 * 33 with shared and per-row biases (a list rather than every combination: the emulated twin runs them too).
 *
 * <p>Tolerances: p and logp add in the scalar backend's order, so they differ only through exp's last bit (none on
 * the emulator: {@link #same}); the backward pass's dW, dV and summed biases add the frames in a tree in double
 * instead of in float in order: within 1e-5 + 1e-5 of the sum of magnitudes. Samples are equal up to the first draw
 * in a row whose u is within 2e-5 of p, where the last bit of p may decide it.
 */
class NadeGpuTest extends GpuTestBase {
    /** {T, nv, nh}. */
    static final int[][] CASES = {{1, 1, 1}, {7, 7, 5}, {33, 13, 150}, {5, 88, 150}, {33, 88, 1}, {2, 88, 5}};

    /** The case's inputs: frames (music-like, about 1 unit in 8 on), weights, biases shared or per row. */
    private record Inputs(int rows, int nv, int nh, boolean perRow, float[] v, float[] w, float[] vw, float[] bv, float[] bh) {
        static Inputs of(SplittableRandom r, int[] c, boolean perRow) {
            int rows = c[0], nv = c[1], nh = c[2];
            float[] v = new float[rows * nv];
            for (int i = 0; i < v.length; i++) v[i] = r.nextInt(8) == 0 ? 1 : 0;
            return new Inputs(rows, nv, nh, perRow, v, random(r, nv * nh, 0.5), random(r, nh * nv, 0.5),
                    random(r, perRow ? rows * nv : nv, 1), random(r, perRow ? rows * nh : nh, 1));
        }

        Tensor[] on(Backend be) {
            return new Tensor[] {be.of(v, rows, nv), be.of(w, nv, nh), be.of(vw, nh, nv), perRow ? be.of(bv, rows, nv) : be.of(bv, nv),
                    perRow ? be.of(bh, rows, nh) : be.of(bh, nh)};
        }

        String what(String op) {
            return op + " T=" + rows + " nv=" + nv + " nh=" + nh + " perRow=" + perRow;
        }
    }

    /** Equal but for exp's last bit on a GPU; the emulated twin asks for every bit. */
    void same(float[] want, float[] got, String what) {
        near(want, got, 1e-6, 1e-5, what);
    }

    @Test
    void forwardMatchesTheScalarBackend() {
        SplittableRandom r = new SplittableRandom(41);
        for (int[] c : CASES) for (boolean perRow : new boolean[] {false, true}) {
            Inputs in = Inputs.of(r, c, perRow);
            float[][] lp = new float[2][], p = new float[2][];
            Backend[] bes = {cpu, gpu};
            for (int q = 0; q < 2; q++) {
                Tensor[] t = in.on(bes[q]);
                Tensor logp = bes[q].zeros(in.rows), pt = bes[q].zeros(in.rows, in.nv);
                bes[q].nadeForward(logp, pt, t[0], t[1], t[2], t[3], t[4]);
                lp[q] = bes[q].toArray(logp);
                p[q] = bes[q].toArray(pt);
            }
            same(p[0], p[1], in.what("nadeForward p"));
            same(lp[0], lp[1], in.what("nadeForward logp"));
        }
    }

    @Test
    void backwardMatchesTheScalarBackend() {
        SplittableRandom r = new SplittableRandom(42);
        for (int[] c : CASES) for (boolean perRow : new boolean[] {false, true}) {
            Inputs in = Inputs.of(r, c, perRow);
            float[] p = random(r, in.rows * in.nv, 0.5);
            for (int i = 0; i < p.length; i++) p[i] += 0.5f;
            float[][] start = {random(r, in.nv * in.nh, 1), random(r, in.nh * in.nv, 1), random(r, in.bv.length, 1), random(r, in.bh.length, 1)};
            float[][][] got = new float[2][][];
            Backend[] bes = {cpu, gpu};
            for (int q = 0; q < 2; q++) {
                Backend be = bes[q];
                Tensor[] t = in.on(be);
                Tensor dW = be.of(start[0], in.nv, in.nh), dV = be.of(start[1], in.nh, in.nv);
                Tensor dBv = perRow ? be.of(start[2], in.rows, in.nv) : be.of(start[2], in.nv);
                Tensor dBh = perRow ? be.of(start[3], in.rows, in.nh) : be.of(start[3], in.nh);
                be.nadeBackward(dW, dV, dBv, dBh, t[0], be.of(p, in.rows, in.nv), t[1], t[2], t[4], -0.25f);
                got[q] = new float[][] {be.toArray(dW), be.toArray(dV), be.toArray(dBv), be.toArray(dBh)};
            }
            String[] names = {"dW", "dV", "dBv", "dBh"};
            // a gradient sums T nv terms of at most |V| |ds| <= 0.5 * 0.25 each, onto a start of at most 1
            double atol = 1e-5 * (1 + 0.125 * in.rows * in.nv);
            for (int k = 0; k < 4; k++) near(got[0][k], got[1][k], atol, 1e-5, in.what("nadeBackward " + names[k]));
        }
    }

    @Test
    void sampleMatchesTheScalarBackendOnTheSameDraws() {
        SplittableRandom r = new SplittableRandom(43);
        for (int[] c : CASES) for (boolean perRow : new boolean[] {false, true}) {
            Inputs in = Inputs.of(r, c, perRow);
            float[][] v = new float[2][], p = new float[2][];
            Backend[] bes = {cpu, gpu};
            for (int q = 0; q < 2; q++) {
                Tensor[] t = in.on(bes[q]);
                Tensor vt = bes[q].zeros(in.rows, in.nv), pt = bes[q].zeros(in.rows, in.nv);
                Rng rng = new Rng(99, 4);
                rng.seek(7);
                bes[q].nadeSample(vt, pt, t[1], t[2], t[3], t[4], rng);
                assertEquals(7 + ((long) in.rows * in.nv + 3) / 4, rng.position(), in.what("nadeSample: rng position"));
                v[q] = bes[q].toArray(vt);
                p[q] = bes[q].toArray(pt);
            }
            float[] u = new float[in.rows * in.nv];
            Philox.uniforms(99, 4, 7, u, 0, u.length);
            for (int t = 0; t < in.rows; t++) {
                for (int i = 0; i < in.nv; i++) {
                    int e = t * in.nv + i;
                    near(new float[] {p[0][e]}, new float[] {p[1][e]}, 1e-6, 1e-5, in.what("nadeSample p") + " [" + e + "]");
                    if (v[0][e] != v[1][e]) {
                        assertTrue(Math.abs(u[e] - p[0][e]) < 2e-5, in.what("nadeSample") + " [" + e + "]: " + v[1][e] + " vs " + v[0][e]);
                        break;                       // the rest of the row follows another draw legitimately
                    }
                }
            }
            // the forward pass of the drawn frames gives the sampler's conditionals
            Tensor lp = gpu.zeros(in.rows), pf = gpu.zeros(in.rows, in.nv);
            Tensor[] t = in.on(gpu);
            gpu.nadeForward(lp, pf, gpu.of(v[1], in.rows, in.nv), t[1], t[2], t[3], t[4]);
            assertArrayEquals(p[1], gpu.toArray(pf), in.what("nadeForward of nadeSample's frames"));
        }
    }
}
