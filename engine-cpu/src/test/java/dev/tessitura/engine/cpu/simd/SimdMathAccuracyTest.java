package dev.tessitura.engine.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SimdMath's transcendentals against float64 over the whole float range: 2^20 values spread evenly over every
 * sign, exponent and leading mantissa bits, 2^18 more in [-100, 100] where the functions are not flat, and the
 * special points. Where the true result is a normal float the error must be within the documented ulp; a true
 * result below the normal range may lose precision down to 0 (sigmoid flushes there); a finite true result must
 * never come out NaN or infinite; and the vector result must equal the scalar twin bit for bit at both widths.
 *
 * <p>Measured (JDK 25, AVX2): exp 0.97 ulp, sigmoid 2.19 (e^-x, 1 + e^-x and the division each round), tanh 1.22,
 * softplus 2.58, logSigmoid 2.26 (printed by each run). Bounds: exp 2, sigmoid 3, tanh, softplus and logSigmoid 4.
 */
class SimdMathAccuracyTest {

    @FunctionalInterface
    interface FloatFn {
        float apply(float x);
    }

    /** A function: vector and scalar forms, float64 reference, the allowed ulp error, the range it must stay in. */
    record Fn(String name, UnaryOperator<FloatVector> vector, FloatFn scalar, DoubleUnaryOperator ref, double maxUlp,
              float lo, float hi) {
        @Override
        public String toString() {
            return name;
        }
    }

    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    static Stream<Fn> functions() {
        float inf = Float.POSITIVE_INFINITY;
        return Stream.of(
                new Fn("exp", SimdMath::exp, SimdMath::exp, Math::exp, 2, 0, inf),
                new Fn("sigmoid", SimdMath::sigmoid, SimdMath::sigmoid, x -> 1 / (1 + Math.exp(-x)), 3, 0, 1),
                new Fn("tanh", SimdMath::tanh, SimdMath::tanh, Math::tanh, 4, -1, 1),
                new Fn("softplus", SimdMath::softplus, SimdMath::softplus, SimdMathAccuracyTest::softplus, 4, 0, inf),
                new Fn("logSigmoid", SimdMath::logSigmoid, SimdMath::logSigmoid, x -> -softplus(-x), 4, -inf, 0));
    }

    /** The sweep: every sign and exponent, the dense middle range, and the special points. */
    static float[] inputs() {
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, 1e-30f, -1e-30f,
            0.625f, -0.625f, Math.nextDown(0.625f), -Math.nextDown(0.625f), 1f, -1f, 88.7f, -88.7f, 88.72f, -88.72f,
            89f, -89f, 104f, -104f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.NaN,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        int spread = 1 << 20, dense = 1 << 18;
        float[] x = new float[spread + dense + special.length];
        SplittableRandom r = new SplittableRandom(5);
        int n = 0;
        for (int i = 0; i < spread; i++) {
            // the top 20 bits walk through sign, exponent and 11 mantissa bits; the low 12 are random
            float v = Float.intBitsToFloat((i << 12) | r.nextInt(1 << 12));
            if (Float.isFinite(v)) x[n++] = v;
        }
        for (int i = 0; i < dense; i++) x[n++] = (float) r.nextDouble(-100, 100);
        for (float s : special) x[n++] = s;
        return java.util.Arrays.copyOf(x, n);
    }

    private static final float[] X = inputs();

    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void accurateOverTheWholeFloatRangeAndTwinsAgree(Fn fn) {
        float[] vec256 = apply(fn, FloatVector.SPECIES_256, X.length), vec128 = apply(fn, FloatVector.SPECIES_128, 1 << 16);
        double maxUlp = 0;
        float worstX = Float.NaN;
        for (int i = 0; i < X.length; i++) {
            float x = X[i], got = fn.scalar.apply(x);
            // the twins do the same operations in the same order: identical bits (NaN compared as NaN)
            check(Float.floatToIntBits(got) == Float.floatToIntBits(vec256[i]), fn, x, got, "the 256-bit vector form gives " + vec256[i]);
            check(i >= vec128.length || Float.floatToIntBits(got) == Float.floatToIntBits(vec128[i]), fn, x, got, "the 128-bit vector form differs");
            double want = fn.ref.applyAsDouble(x);
            if (Double.isNaN(want)) {
                check(Float.isNaN(got), fn, x, got, "expected NaN");
                continue;
            }
            check(got >= fn.lo && got <= fn.hi, fn, x, got, "outside [" + fn.lo + ", " + fn.hi + "]");
            float rounded = (float) want;
            if (Float.isInfinite(rounded)) {
                check(got == rounded, fn, x, got, "expected to overflow to " + rounded);
                continue;
            }
            check(Float.isFinite(got), fn, x, got, "but the true value " + want + " is a finite float");
            if (Math.abs(want) < Float.MIN_NORMAL) {
                // below the normal range only the absolute error matters: at most the smallest normal float
                check(Math.abs(got - want) <= Float.MIN_NORMAL, fn, x, got, "expected " + want);
                continue;
            }
            double ulp = Math.scalb(1.0, Math.getExponent(want) - 23);   // the float ulp at |want|, not at a rounded-up power of 2
            double err = Math.abs(got - want) / ulp;
            if (err > maxUlp) {
                maxUlp = err;
                worstX = x;
            }
        }
        System.out.printf("SimdMath.%s: max error %.3f ulp at x = %s over %d inputs (normal results)%n", fn.name, maxUlp, worstX, X.length);
        assertTrue(maxUlp <= fn.maxUlp, fn.name + ": max error " + maxUlp + " ulp at x = " + worstX + " exceeds " + fn.maxUlp);
    }

    /** Fails with the function, input and result when {@code ok} is false (messages are built only then). */
    private static void check(boolean ok, Fn fn, float x, float got, String why) {
        if (!ok) fail(fn.name + "(" + x + ") = " + got + ": " + why);
    }

    /** The vector form over x[0 .. n), with a species fixed here so it is a constant for the JIT. */
    private static float[] apply(Fn fn, VectorSpecies<Float> s, int n) {
        float[] out = new float[n];
        int i = 0;
        for (int bound = s.loopBound(n); i < bound; i += s.length()) fn.vector.apply(FloatVector.fromArray(s, X, i)).intoArray(out, i);
        // the last partial vector: pad with zeros, keep the lanes that are real
        float[] tail = new float[s.length()];
        System.arraycopy(X, i, tail, 0, n - i);
        float[] res = new float[s.length()];
        fn.vector.apply(FloatVector.fromArray(s, tail, 0)).intoArray(res, 0);
        System.arraycopy(res, 0, out, i, n - i);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("functions")
    void saturatedTailsAreExact(Fn fn) {
        switch (fn.name) {
            case "exp" -> {
                assertEquals(Float.POSITIVE_INFINITY, fn.scalar.apply(89f));
                assertEquals(0f, fn.scalar.apply(-104f));
                assertEquals(1f, fn.scalar.apply(0f));
            }
            case "sigmoid" -> {
                assertEquals(0.5f, fn.scalar.apply(0f));
                assertEquals(1f, fn.scalar.apply(Float.MAX_VALUE));
                assertEquals(0f, fn.scalar.apply(-Float.MAX_VALUE));
            }
            case "tanh" -> {
                assertEquals(1f, fn.scalar.apply(1e30f));
                assertEquals(-1f, fn.scalar.apply(-1e30f));
                assertEquals(Float.MIN_VALUE, fn.scalar.apply(Float.MIN_VALUE));
            }
            case "softplus" -> {
                // softplus(x) = x + log1p(e^-x): for huge x the correction is far below half an ulp of x
                for (float x : new float[] {1e30f, Float.MAX_VALUE, 1e10f, 20000f}) assertEquals(x, fn.scalar.apply(x), "softplus(" + x + ")");
                assertEquals(0f, fn.scalar.apply(-1e30f));
                assertEquals((float) Math.log(2), fn.scalar.apply(0f));
            }
            case "logSigmoid" -> {
                for (float x : new float[] {1e30f, Float.MAX_VALUE, 1e10f}) assertEquals(-x, fn.scalar.apply(-x), "logSigmoid(" + -x + ")");
                assertTrue(fn.scalar.apply(1e30f) == 0f, "logSigmoid(1e30)");
                assertEquals((float) -Math.log(2), fn.scalar.apply(0f));
            }
            default -> fail("no tails listed for " + fn.name);
        }
    }

    static Stream<VectorSpecies<Float>> species() {
        return Stream.of(FloatVector.SPECIES_128, FloatVector.SPECIES_256);
    }

    /**
     * The LSTM's fused gate activation: sigmoid in the lanes outside the mask and tanh inside, bit for bit what the
     * separate functions give (it promises the same operations per lane), with masks cut at every lane boundary.
     */
    @ParameterizedTest
    @MethodSource("species")
    void sigmoidOrTanhEqualsTheSeparateFunctionsBitForBit(VectorSpecies<Float> s) {
        SplittableRandom r = new SplittableRandom(17);
        int len = s.length();
        float[] special = {0f, -0f, 0.625f, -0.625f, Math.nextDown(0.625f), 9f, -9f, 43.6f, 43.7f, 44f, -44f, 60f, 89f, -104f, 1e-30f,
                Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        float[] x = new float[len], got = new float[len], sig = new float[len], tanh = new float[len];
        for (int trial = 0; trial < 20_000; trial++) {
            for (int i = 0; i < len; i++) {
                x[i] = trial < 200 ? special[(trial + i) % special.length] : (float) (r.nextDouble(-1, 1) * Math.pow(10, r.nextInt(-3, 3)));
            }
            int from = r.nextInt(-len, len + 1), count = r.nextInt(0, len + 1);   // tanh lanes [from, from + count)
            FloatVector v = FloatVector.fromArray(s, x, 0);
            VectorMask<Float> lanes = s.indexInRange(-from, count);
            SimdMath.sigmoidOrTanh(v, lanes, lanes.anyTrue()).intoArray(got, 0);
            SimdMath.sigmoid(v).intoArray(sig, 0);
            SimdMath.tanh(v).intoArray(tanh, 0);
            for (int i = 0; i < len; i++) {
                float want = i >= from && i < from + count ? tanh[i] : sig[i];
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]),
                        "x = " + x[i] + " lane " + i + " tanh lanes [" + from + ", " + (from + count) + ")");
            }
        }
    }
}
