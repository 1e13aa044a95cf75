package dev.tessitura.engine.cpu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused LSTM cell on vectors: within a row the four gate blocks (i, f, g, o) lie H apart, so lane j of each
 * block is loaded at j, H + j, 2H + j, 3H + j and every unit is independent. Equations in
 * {@link dev.tessitura.engine.Backend#lstmCell} and {@link dev.tessitura.engine.Backend#lstmCellBackward}; the
 * scalar tail does the same operations with SimdMath's scalar twins.
 */
final class SimdLstm {
    private SimdLstm() {}

    /*
     * The forward cell is two passes, run by SimdBackend.lstmCell as two tasks so that C2 compiles each on its own:
     * with the five transcendentals of a cell in one method, C2 ran out of its inlining budget (a fixed count of IR
     * nodes, and the Vector API's calls make many), left the math calls out of line and boxed every vector passed to
     * them on the heap: ~37 KB per training frame.
     */

    /** Rows [r0, r1) of z (rows, 4n) replaced by the gates: i, f, o = sigmoid(z), g = tanh(z), in place. */
    static void gates(Lanes lanes, float[] z, int zOff, int n, int r0, int r1) {
        VectorSpecies<Float> s = lanes.floats();   // a constant once inlined: see Lanes
        for (int r = r0; r < r1; r++) {
            int zr = zOff + r * 4 * n, k = 0;
            for (int bound = s.loopBound(4 * n); k < bound; k += s.length()) {
                // tanh for the lanes in [2n, 3n): a mask only for the vectors that reach them
                boolean any = k + s.length() > 2 * n && k < 3 * n;
                VectorMask<Float> g = any ? s.indexInRange(k - 2 * n, n) : s.maskAll(false);
                SimdMath.sigmoidOrTanh(FloatVector.fromArray(s, z, zr + k), g, any).intoArray(z, zr + k);
            }
            for (; k < 4 * n; k++) z[zr + k] = k >= 2 * n && k < 3 * n ? SimdMath.tanh(z[zr + k]) : SimdMath.sigmoid(z[zr + k]);
        }
    }

    /** Rows [r0, r1) of c = f c_{t-1} + i g and h = o tanh(c) (c and h (rows, n)) from the gates; cp null for c_0 = 0. */
    static void cell(Lanes lanes, float[] h, int hOff, float[] c, int cOff, float[] z, int zOff,
                     float[] cp, int cpOff, int n, int r0, int r1) {
        VectorSpecies<Float> s = lanes.floats();
        for (int r = r0; r < r1; r++) {
            int zr = zOff + r * 4 * n, hr = hOff + r * n, cr = cOff + r * n, pr = cpOff + r * n;
            int j = 0;
            for (int bound = s.loopBound(n); j < bound; j += s.length()) {
                FloatVector i = FloatVector.fromArray(s, z, zr + j), g = FloatVector.fromArray(s, z, zr + 2 * n + j);
                FloatVector ig = i.mul(g);
                FloatVector cj = cp == null ? ig : FloatVector.fromArray(s, z, zr + n + j).fma(FloatVector.fromArray(s, cp, pr + j), ig);
                cj.intoArray(c, cr + j);
                FloatVector.fromArray(s, z, zr + 3 * n + j).mul(SimdMath.tanh(cj)).intoArray(h, hr + j);
            }
            for (; j < n; j++) {
                float ig = z[zr + j] * z[zr + 2 * n + j];
                float cj = cp == null ? ig : Math.fma(z[zr + n + j], cp[pr + j], ig);
                c[cr + j] = cj;
                h[hr + j] = z[zr + 3 * n + j] * SimdMath.tanh(cj);
            }
        }
    }

    /** Rows [r0, r1) of the backward pass: dz (rows, 4n) written, dc (rows, n) replaced by the gradient of c_{t-1}. */
    static void backward(Lanes lanes, float[] dz, int dzOff, float[] dc, int dcOff, float[] dh, int dhOff,
                         float[] z, int zOff, float[] c, int cOff, float[] cp, int cpOff, int n, int r0, int r1) {
        VectorSpecies<Float> s = lanes.floats();
        for (int r = r0; r < r1; r++) {
            int zr = zOff + r * 4 * n, dzr = dzOff + r * 4 * n;
            int dcr = dcOff + r * n, dhr = dhOff + r * n, cr = cOff + r * n, pr = cpOff + r * n;
            int j = 0;
            for (int bound = s.loopBound(n); j < bound; j += s.length()) {
                FloatVector i = FloatVector.fromArray(s, z, zr + j), f = FloatVector.fromArray(s, z, zr + n + j);
                FloatVector g = FloatVector.fromArray(s, z, zr + 2 * n + j), o = FloatVector.fromArray(s, z, zr + 3 * n + j);
                FloatVector tc = SimdMath.tanh(FloatVector.fromArray(s, c, cr + j));
                FloatVector cpv = cp == null ? FloatVector.zero(s) : FloatVector.fromArray(s, cp, pr + j);
                FloatVector dhj = FloatVector.fromArray(s, dh, dhr + j);
                FloatVector one = FloatVector.broadcast(s, 1f);
                // dC = dc + dh o (1 - tanh^2 c)
                FloatVector dC = dhj.mul(o).mul(one.sub(tc.mul(tc))).add(FloatVector.fromArray(s, dc, dcr + j));
                dC.mul(g).mul(i).mul(one.sub(i)).intoArray(dz, dzr + j);
                dC.mul(cpv).mul(f).mul(one.sub(f)).intoArray(dz, dzr + n + j);
                dC.mul(i).mul(one.sub(g.mul(g))).intoArray(dz, dzr + 2 * n + j);
                dhj.mul(tc).mul(o).mul(one.sub(o)).intoArray(dz, dzr + 3 * n + j);
                dC.mul(f).intoArray(dc, dcr + j);
            }
            for (; j < n; j++) {
                float i = z[zr + j], f = z[zr + n + j], g = z[zr + 2 * n + j], o = z[zr + 3 * n + j];
                float tc = SimdMath.tanh(c[cr + j]);
                float cpj = cp == null ? 0f : cp[pr + j];
                float dhj = dh[dhr + j];
                float dC = dhj * o * (1f - tc * tc) + dc[dcr + j];
                dz[dzr + j] = dC * g * i * (1f - i);
                dz[dzr + n + j] = dC * cpj * f * (1f - f);
                dz[dzr + 2 * n + j] = dC * i * (1f - g * g);
                dz[dzr + 3 * n + j] = dhj * tc * o * (1f - o);
                dc[dcr + j] = dC * f;
            }
        }
    }
}
