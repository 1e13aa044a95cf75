package dev.tessitura.engine.cpu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 transcendentals on vectors, each with a scalar twin doing the same operations in the same order (the
 * tails of the kernels use it, so an element's value does not depend on whether it fell in a vector or the tail).
 * Polynomials are Cephes' single-precision minimax ones (S. Moshier). Errors measured against float64 over the
 * whole float range, where the result is a normal float, are in SimdMathAccuracyTest (exp 0.97 ulp, sigmoid 2.19,
 * tanh 1.22, softplus 2.58, logSigmoid 2.26).
 *
 * <p>Chosen over {@code VectorOperators.EXP}, which calls an SVML stub per vector and measured slower (the figure
 * of that comparison was not recorded).
 */
final class SimdMath {
    private SimdMath() {}

    // ---------------------------------------------------------------- exp

    private static final float LOG2E = 1.44269504088896341f;
    // Cody-Waite: ln 2 = LN2_HI + LN2_LO, LN2_HI with 9 significant bits so n * LN2_HI is exact for |n| <= 2^14
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    // beyond these the result is +inf (2^128 overflows) or 0 (below half the smallest subnormal)
    private static final float EXP_MAX = 89f, EXP_MIN = -104f;
    // adding 1.5 * 2^23 rounds to an integer and leaves it in the low mantissa bits
    private static final float SHIFTER = 0x1.8p23f;
    private static final int SHIFTER_BITS = Float.floatToRawIntBits(SHIFTER);
    private static final float E5 = 1.9875691500e-4f, E4 = 1.3981999507e-3f, E3 = 8.3334519073e-3f,
            E2 = 4.1665795894e-2f, E1 = 1.6666665459e-1f, E0 = 5.0000001201e-1f;

    /**
     * e^x = 2^n e^r with n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2]; e^r = 1 + r + r^2 P(r).
     * 2^n is applied as 2^(n/2) * 2^(n - n/2) so that n in [-150, 128] never leaves the exponent range:
     * huge x gives +inf, very negative x gives 0 (or a subnormal), NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        // compare-and-blend rather than min/max: false for NaN, so NaN passes through unchanged
        x = x.blend(EXP_MAX, x.compare(VectorOperators.GT, EXP_MAX));
        x = x.blend(EXP_MIN, x.compare(VectorOperators.LT, EXP_MIN));
        FloatVector t = x.fma(x.broadcast(LOG2E), x.broadcast(SHIFTER));
        FloatVector n = t.sub(SHIFTER);
        FloatVector r = n.fma(n.broadcast(-LN2_HI), x);
        r = n.fma(n.broadcast(-LN2_LO), r);
        FloatVector poly = r.broadcast(E5).fma(r, r.broadcast(E4));
        poly = poly.fma(r, r.broadcast(E3));
        poly = poly.fma(r, r.broadcast(E2));
        poly = poly.fma(r, r.broadcast(E1));
        poly = poly.fma(r, r.broadcast(E0));
        FloatVector er = poly.fma(r.mul(r), r).add(1f);
        IntVector ni = t.reinterpretAsInts().sub(SHIFTER_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return er.mul(s1).mul(s2);
    }

    static float exp(float x) {
        if (x > EXP_MAX) x = EXP_MAX;
        if (x < EXP_MIN) x = EXP_MIN;
        float t = Math.fma(x, LOG2E, SHIFTER);
        float n = t - SHIFTER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float poly = Math.fma(E5, r, E4);
        poly = Math.fma(poly, r, E3);
        poly = Math.fma(poly, r, E2);
        poly = Math.fma(poly, r, E1);
        poly = Math.fma(poly, r, E0);
        float er = Math.fma(poly, r * r, r) + 1f;
        int ni = Float.floatToRawIntBits(t) - SHIFTER_BITS;
        int n1 = ni >> 1, n2 = ni - n1;
        return er * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
    }

    // ---------------------------------------------------------------- sigmoid

    /** 1 / (1 + e^-x): e^-x overflows to +inf for x < -89 and gives exactly 0, never NaN. */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector one = x.broadcast(1f);
        return one.div(one.add(exp(x.neg())));
    }

    static float sigmoid(float x) {
        return 1f / (1f + exp(-x));
    }

    // ---------------------------------------------------------------- tanh

    // |x| < 0.625: tanh x = x + x^3 P(x^2); above: 1 - 2 / (e^{2|x|} + 1) with the sign of x
    private static final float TANH_SMALL = 0.625f;
    private static final float T4 = -5.70498872745e-3f, T3 = 2.06390887954e-2f, T2 = -5.37397155531e-2f,
            T1 = 1.33314422036e-1f, T0 = -3.33332819422e-1f;

    static FloatVector tanh(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector z = x.mul(x);
        FloatVector poly = z.broadcast(T4).fma(z, z.broadcast(T3));
        poly = poly.fma(z, z.broadcast(T2));
        poly = poly.fma(z, z.broadcast(T1));
        poly = poly.fma(z, z.broadcast(T0));
        FloatVector small = x.mul(z).fma(poly, x);
        FloatVector big = x.broadcast(1f).sub(x.broadcast(2f).div(exp(ax.add(ax)).add(1f)));
        big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
        return big.blend(small, ax.compare(VectorOperators.LT, TANH_SMALL));
    }

    /**
     * tanh(x) in the lanes set in {@code tanhLanes}, sigmoid(x) in the others, with one exp for both: per lane the
     * same operations as {@link #tanh} and {@link #sigmoid}, so the same results. The LSTM's gate row (i, f, g, o)
     * in one pass, with one exp per vector instead of the two call sites that a vector straddling blocks would need.
     * One division serves both: tanh's 2 / (e + 1) is 2 * (1 / (1 + e)) exactly (a power-of-two scaling), except
     * where 1 / (1 + e) is subnormal and 1 - 2 / (e + 1) is 1 either way. A vector without tanh lanes (three of
     * the four gate blocks) skips tanh's polynomial. {@code anyTanh} says whether tanhLanes has a lane set, as the
     * caller knows from the lane's index: building the mask and testing it for every vector took a fifth of the LSTM
     * gates' time (16 rows of 4 x 120: 8.8 -> 7.1 us).
     */
    static FloatVector sigmoidOrTanh(FloatVector x, VectorMask<Float> tanhLanes, boolean anyTanh) {
        // written out rather than calling a shared polynomial: every call that C2 must inline is a chance to run
        // out of its inlining budget (see the loops over arrays below)
        FloatVector one = x.broadcast(1f), ax = x.abs();
        FloatVector e = exp(x.neg().blend(ax.add(ax), tanhLanes));        // e^-x for sigmoid, e^2|x| for tanh
        FloatVector sig = one.div(one.add(e));
        if (!anyTanh) return sig;
        FloatVector z = x.mul(x);
        FloatVector poly = z.broadcast(T4).fma(z, z.broadcast(T3));
        poly = poly.fma(z, z.broadcast(T2));
        poly = poly.fma(z, z.broadcast(T1));
        poly = poly.fma(z, z.broadcast(T0));
        FloatVector small = x.mul(z).fma(poly, x);
        FloatVector big = one.sub(sig.add(sig));
        big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
        return sig.blend(big.blend(small, ax.compare(VectorOperators.LT, TANH_SMALL)), tanhLanes);
    }

    static float tanh(float x) {
        float ax = Math.abs(x);
        if (ax < TANH_SMALL) {
            float z = x * x;
            float poly = Math.fma(T4, z, T3);
            poly = Math.fma(poly, z, T2);
            poly = Math.fma(poly, z, T1);
            poly = Math.fma(poly, z, T0);
            return Math.fma(x * z, poly, x);
        }
        float big = 1f - 2f / (exp(ax + ax) + 1f);
        return x < 0f ? -big : big;
    }

    // ---------------------------------------------------------------- softplus, logSigmoid

    private static final float SQRT2 = 1.41421356237f;
    private static final float L8 = 7.0376836292e-2f, L7 = -1.1514610310e-1f, L6 = 1.1676998740e-1f,
            L5 = -1.2420140846e-1f, L4 = 1.4249322787e-1f, L3 = -1.6668057665e-1f, L2 = 2.0000714765e-1f,
            L1 = -2.4999993993e-1f, L0 = 3.3333331174e-1f;

    /**
     * log(1 + e^x) = max(x, 0) + log1p(e^-|x|): the exponential is at most 1, so nothing overflows, and for very
     * negative x the result is e^x to full relative precision.
     */
    static FloatVector softplus(FloatVector x) {
        FloatVector pos = x.blend(0f, x.compare(VectorOperators.LT, 0f));   // max(x, 0), NaN kept
        return pos.add(log1p01(exp(x.abs().neg())));
    }

    static float softplus(float x) {
        float pos = x < 0f ? 0f : x;
        return pos + log1p01(exp(-Math.abs(x)));
    }

    /** log(sigmoid(x)) = -softplus(-x). */
    static FloatVector logSigmoid(FloatVector x) {
        return softplus(x.neg()).neg();
    }

    static float logSigmoid(float x) {
        return -softplus(-x);
    }

    /**
     * log(1 + y) for y in [0, 1]. With u = 1 + y rounded, log1p(y) = log(u) * y / (u - 1) recovers what the rounding
     * of u lost (Goldberg, "What every computer scientist should know...", thm. 4); u - 1 is exact. For u = 1 the
     * answer is y itself. log(u), u in [1, 2]: u = 2^e (1 + f) with f in [sqrt(1/2) - 1, sqrt(2) - 1], then
     * log(1 + f) = f - f^2/2 + f^3 P(f).
     */
    private static FloatVector log1p01(FloatVector y) {
        FloatVector u = y.add(1f);
        FloatVector um1 = u.sub(1f);
        VectorMask<Float> big = u.compare(VectorOperators.GE, SQRT2);
        FloatVector f = um1.blend(u.mul(0.5f).sub(1f), big);
        FloatVector e = u.broadcast(0f).blend(1f, big);
        FloatVector z = f.mul(f);
        FloatVector poly = f.broadcast(L8).fma(f, f.broadcast(L7));
        poly = poly.fma(f, f.broadcast(L6));
        poly = poly.fma(f, f.broadcast(L5));
        poly = poly.fma(f, f.broadcast(L4));
        poly = poly.fma(f, f.broadcast(L3));
        poly = poly.fma(f, f.broadcast(L2));
        poly = poly.fma(f, f.broadcast(L1));
        poly = poly.fma(f, f.broadcast(L0));
        FloatVector lg = poly.mul(f).mul(z);
        lg = e.fma(e.broadcast(LN2_LO), lg);
        lg = z.fma(z.broadcast(-0.5f), lg);
        lg = f.add(lg);
        lg = e.fma(e.broadcast(LN2_HI), lg);
        FloatVector corrected = lg.mul(y.div(um1));
        return corrected.blend(y, u.compare(VectorOperators.EQ, 1f));
    }

    private static float log1p01(float y) {
        float u = y + 1f;
        float um1 = u - 1f;
        if (u == 1f) return y;
        boolean big = u >= SQRT2;
        float f = big ? u * 0.5f - 1f : um1;
        float e = big ? 1f : 0f;
        float z = f * f;
        float poly = Math.fma(L8, f, L7);
        poly = Math.fma(poly, f, L6);
        poly = Math.fma(poly, f, L5);
        poly = Math.fma(poly, f, L4);
        poly = Math.fma(poly, f, L3);
        poly = Math.fma(poly, f, L2);
        poly = Math.fma(poly, f, L1);
        poly = Math.fma(poly, f, L0);
        float lg = poly * f * z;
        lg = Math.fma(e, LN2_LO, lg);
        lg = Math.fma(z, -0.5f, lg);
        lg = f + lg;
        lg = Math.fma(e, LN2_HI, lg);
        return lg * (y / um1);
    }

    // ---------------------------------------------------------------- loops over arrays

    // out[oOff + i] = f(x[xOff + i]) for i < n, vectors then the scalar twin for the tail; in place when out == x.
    // The elementwise ops run these, one method per function, each a task of its own: C2 stops inlining a method's
    // calls once it grows past its node budget, and a vector passed to a call that was not inlined is boxed on the
    // heap (the LSTM cell's five transcendentals in one loop allocated ~37 KB per training frame). They are five
    // copies of one loop on purpose: one loop taking the function as an object would call it through an interface
    // that sees five implementations, which C2 does not inline either.

    static void sigmoid(VectorSpecies<Float> s, float[] x, int xOff, float[] out, int oOff, int n) {
        int i = 0;
        for (int bound = s.loopBound(n); i < bound; i += s.length()) sigmoid(FloatVector.fromArray(s, x, xOff + i)).intoArray(out, oOff + i);
        for (; i < n; i++) out[oOff + i] = sigmoid(x[xOff + i]);
    }

    static void tanh(VectorSpecies<Float> s, float[] x, int xOff, float[] out, int oOff, int n) {
        int i = 0;
        for (int bound = s.loopBound(n); i < bound; i += s.length()) tanh(FloatVector.fromArray(s, x, xOff + i)).intoArray(out, oOff + i);
        for (; i < n; i++) out[oOff + i] = tanh(x[xOff + i]);
    }

    static void softplus(VectorSpecies<Float> s, float[] x, int xOff, float[] out, int oOff, int n) {
        int i = 0;
        for (int bound = s.loopBound(n); i < bound; i += s.length()) softplus(FloatVector.fromArray(s, x, xOff + i)).intoArray(out, oOff + i);
        for (; i < n; i++) out[oOff + i] = softplus(x[xOff + i]);
    }

    static void logSigmoid(VectorSpecies<Float> s, float[] x, int xOff, float[] out, int oOff, int n) {
        int i = 0;
        for (int bound = s.loopBound(n); i < bound; i += s.length()) logSigmoid(FloatVector.fromArray(s, x, xOff + i)).intoArray(out, oOff + i);
        for (; i < n; i++) out[oOff + i] = logSigmoid(x[xOff + i]);
    }

    static void exp(VectorSpecies<Float> s, float[] x, int xOff, float[] out, int oOff, int n) {
        int i = 0;
        for (int bound = s.loopBound(n); i < bound; i += s.length()) exp(FloatVector.fromArray(s, x, xOff + i)).intoArray(out, oOff + i);
        for (; i < n; i++) out[oOff + i] = exp(x[xOff + i]);
    }

    // ---------------------------------------------------------------- reductions

    /**
     * The sum of the lanes in lane order. {@code reduceLanes(ADD)} leaves the order of float additions unspecified,
     * and the interpreter and C2 do differ: results would then depend on whether the code was compiled yet, and the
     * same seed would not give the same model twice.
     */
    static float sumLanes(FloatVector v) {
        float[] lanes = new float[v.length()];
        v.intoArray(lanes, 0);
        float sum = 0f;
        for (float x : lanes) sum += x;
        return sum;
    }

    static double sumLanes(jdk.incubator.vector.DoubleVector v) {
        double[] lanes = new double[v.length()];
        v.intoArray(lanes, 0);
        double sum = 0;
        for (double x : lanes) sum += x;
        return sum;
    }
}
