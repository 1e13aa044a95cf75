package dev.tessitura.engine.cpu.simd;

import static dev.tessitura.engine.cpu.simd.SimdBackend.HEAVY_PARALLEL_ELEMENTS;
import static dev.tessitura.engine.cpu.simd.SimdBackend.LIGHT_PARALLEL_ELEMENTS;
import static dev.tessitura.engine.cpu.simd.SimdBackend.data;
import static dev.tessitura.engine.cpu.simd.SimdBackend.off;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SimdBackend's elementwise ops, in chunks that {@link SimdBackend#split} shares among the threads: the binary ops
 * and the transcendentals (SimdMath) each through one kernel, clip, and the backward passes of sigmoid and tanh.
 */
final class SimdElementwise {
    private final SimdBackend be;
    private final Lanes lanes;

    SimdElementwise(SimdBackend be) {
        this.be = be;
        this.lanes = be.lanes;
    }

    /** The binary ops, one switch outside the loops so each loop is straight-line. */
    enum Binary { ADD, SUB, MUL, ADD_MUL }

    void binary(String op, Binary kind, Tensor out, Tensor a, Tensor b) {
        Checks.elementwise(be, op, out, a, b);
        float[] o = data(out), ad = data(a), bd = data(b);
        int oOff = off(out), aOff = off(a), bOff = off(b);
        be.split((int) out.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int bound = from + s.loopBound(to - from), i = from;
            switch (kind) {
                case ADD -> {
                    for (; i < bound; i += s.length()) FloatVector.fromArray(s, ad, aOff + i).add(FloatVector.fromArray(s, bd, bOff + i)).intoArray(o, oOff + i);
                    for (; i < to; i++) o[oOff + i] = ad[aOff + i] + bd[bOff + i];
                }
                case SUB -> {
                    for (; i < bound; i += s.length()) FloatVector.fromArray(s, ad, aOff + i).sub(FloatVector.fromArray(s, bd, bOff + i)).intoArray(o, oOff + i);
                    for (; i < to; i++) o[oOff + i] = ad[aOff + i] - bd[bOff + i];
                }
                case MUL -> {
                    for (; i < bound; i += s.length()) FloatVector.fromArray(s, ad, aOff + i).mul(FloatVector.fromArray(s, bd, bOff + i)).intoArray(o, oOff + i);
                    for (; i < to; i++) o[oOff + i] = ad[aOff + i] * bd[bOff + i];
                }
                case ADD_MUL -> {
                    for (; i < bound; i += s.length()) {
                        FloatVector.fromArray(s, ad, aOff + i).fma(FloatVector.fromArray(s, bd, bOff + i), FloatVector.fromArray(s, o, oOff + i)).intoArray(o, oOff + i);
                    }
                    for (; i < to; i++) o[oOff + i] = Math.fma(ad[aOff + i], bd[bOff + i], o[oOff + i]);
                }
            }
        });
    }

    void clip(Tensor out, Tensor x, float lo, float hi) {
        Checks.elementwise(be, "clip", out, x);
        if (!(lo <= hi)) throw new IllegalArgumentException("clip: lo " + lo + " > hi " + hi);   // as the scalar reference
        float[] o = data(out), xd = data(x);
        int oOff = off(out), xOff = off(x);
        be.split((int) out.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int i = from;
            for (int bound = from + s.loopBound(to - from); i < bound; i += s.length()) {
                FloatVector.fromArray(s, xd, xOff + i).max(lo).min(hi).intoArray(o, oOff + i);
            }
            for (; i < to; i++) o[oOff + i] = Math.min(Math.max(xd[xOff + i], lo), hi);
        });
    }

    /** The transcendental ops; like {@link Binary}, one switch outside the loops. */
    enum Unary { SIGMOID, TANH, SOFTPLUS, LOG_SIGMOID, EXP }

    void unary(String op, Unary kind, Tensor out, Tensor x) {
        Checks.elementwise(be, op, out, x);
        float[] o = data(out), xd = data(x);
        int oOff = off(out), xOff = off(x);
        VectorSpecies<Float> s = lanes.floats();
        // one task per function, not one task with a switch: each is then compiled on its own, within C2's
        // inlining budget (see SimdMath's loops over arrays)
        be.split((int) out.size(), HEAVY_PARALLEL_ELEMENTS, switch (kind) {
            case SIGMOID -> (from, to) -> SimdMath.sigmoid(s, xd, xOff + from, o, oOff + from, to - from);
            case TANH -> (from, to) -> SimdMath.tanh(s, xd, xOff + from, o, oOff + from, to - from);
            case SOFTPLUS -> (from, to) -> SimdMath.softplus(s, xd, xOff + from, o, oOff + from, to - from);
            case LOG_SIGMOID -> (from, to) -> SimdMath.logSigmoid(s, xd, xOff + from, o, oOff + from, to - from);
            case EXP -> (from, to) -> SimdMath.exp(s, xd, xOff + from, o, oOff + from, to - from);
        });
    }

    void sigmoidBackward(Tensor dx, Tensor dy, Tensor y) {
        Checks.elementwise(be, "sigmoidBackward", dx, dy, y);
        float[] o = data(dx), dyd = data(dy), yd = data(y);
        int oOff = off(dx), dyOff = off(dy), yOff = off(y);
        be.split((int) dx.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int i = from;
            for (int bound = from + s.loopBound(to - from); i < bound; i += s.length()) {
                FloatVector yv = FloatVector.fromArray(s, yd, yOff + i);
                FloatVector.fromArray(s, dyd, dyOff + i).mul(yv).mul(yv.broadcast(1f).sub(yv)).intoArray(o, oOff + i);
            }
            for (; i < to; i++) o[oOff + i] = dyd[dyOff + i] * yd[yOff + i] * (1f - yd[yOff + i]);
        });
    }

    void tanhBackward(Tensor dx, Tensor dy, Tensor y) {
        Checks.elementwise(be, "tanhBackward", dx, dy, y);
        float[] o = data(dx), dyd = data(dy), yd = data(y);
        int oOff = off(dx), dyOff = off(dy), yOff = off(y);
        be.split((int) dx.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) ->
                tanhBackward(lanes.floats(), o, oOff + from, dyd, dyOff + from, yd, yOff + from, to - from));
    }

    /** dx = dy (1 - y^2) on n elements, vectors from the first. */
    static void tanhBackward(VectorSpecies<Float> s, float[] dx, int dxOff, float[] dy, int dyOff, float[] y, int yOff, int n) {
        int i = 0;
        for (int bound = s.loopBound(n); i < bound; i += s.length()) {
            FloatVector yv = FloatVector.fromArray(s, y, yOff + i);
            FloatVector.fromArray(s, dy, dyOff + i).mul(yv.broadcast(1f).sub(yv.mul(yv))).intoArray(dx, dxOff + i);
        }
        for (; i < n; i++) dx[dxOff + i] = dy[dyOff + i] * (1f - y[yOff + i] * y[yOff + i]);
    }
}
