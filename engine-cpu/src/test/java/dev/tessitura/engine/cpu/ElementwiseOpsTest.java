package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.RTOL;
import static dev.tessitura.engine.cpu.ConformanceSupport.SIZES;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertClose;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertRefused;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertViewsTouchOnlyTheirOutputs;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static dev.tessitura.engine.cpu.ConformanceSupport.s;
import static dev.tessitura.engine.cpu.ConformanceSupport.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ConformanceSupport.Bad;
import dev.tessitura.engine.cpu.ConformanceSupport.ViewCase;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The elementwise ops (add, sub, mul, addMul, clip, the transcendentals and the backward passes of sigmoid and tanh)
 * on every CPU backend: against float64 on fresh random inputs of awkward sizes, in place, and by hand; SIMD against
 * the scalar reference ({@link CrossChecks}); bad calls refused by name; views.
 */
class ElementwiseOpsTest extends CrossChecks {
    /** A two-input elementwise op and its float64 value and error scale. */
    private record Binary(String name, BinaryCall call, DoubleBinaryOperator want, DoubleBinaryOperator scale) {}

    @FunctionalInterface
    private interface BinaryCall {
        void run(Backend be, Tensor out, Tensor a, Tensor b);
    }

    private static final Binary[] BINARY = {
        new Binary("add", Backend::add, Double::sum, (a, b) -> Math.abs(a) + Math.abs(b)),
        new Binary("sub", Backend::sub, (a, b) -> a - b, (a, b) -> Math.abs(a) + Math.abs(b)),
        new Binary("mul", Backend::mul, (a, b) -> a * b, (a, b) -> Math.abs(a * b)),
        // out = 0.5 + a b: the test fills out with 0.5 first
        new Binary("addMul", Backend::addMul, (a, b) -> 0.5 + a * b, (a, b) -> 0.5 + Math.abs(a * b)),
        new Binary("sigmoidBackward", Backend::sigmoidBackward, (dy, y) -> dy * y * (1 - y), (dy, y) -> Math.abs(dy * y) * (1 + Math.abs(y))),
        new Binary("tanhBackward", Backend::tanhBackward, (dy, y) -> dy * (1 - y * y), (dy, y) -> Math.abs(dy) * (1 + y * y)),
    };

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void binaryElementwiseOps(String backend) {
        SplittableRandom r = new SplittableRandom(14);
        try (Backend be = create(backend)) {
            for (Binary op : BINARY) {
                for (int n : SIZES) {
                    float[] a = random(r, n, -3, 3), b = random(r, n, -1, 1);
                    Tensor out = be.zeros(n);
                    be.fill(out, 0.5f);
                    op.call.run(be, out, be.of(a, n), be.of(b, n));
                    double[] want = new double[n], scale = new double[n];
                    for (int i = 0; i < n; i++) {
                        want[i] = op.want.applyAsDouble(a[i], b[i]);
                        scale[i] = op.scale.applyAsDouble(a[i], b[i]);
                    }
                    assertClose(want, widen(be.toArray(out)), scale, 0, RTOL, op.name + " " + backend + " n=" + n);
                    if (op.name.equals("addMul")) continue;   // out += out * b would be another formula
                    // in place (output = first input) gives the same values
                    Tensor inPlace = be.of(a, n);
                    op.call.run(be, inPlace, inPlace, be.of(b, n));
                    assertArrayEquals(be.toArray(out), be.toArray(inPlace), op.name + " in place " + backend + " n=" + n);
                }
            }
        }
    }

    /** A one-input elementwise op and its float64 value. */
    private record Unary(String name, UnaryCall call, DoubleUnaryOperator want) {}

    @FunctionalInterface
    private interface UnaryCall {
        void run(Backend be, Tensor out, Tensor x);
    }

    private static final Unary[] UNARY = {
        new Unary("sigmoid", Backend::sigmoid, ConformanceSupport::sigmoid),
        new Unary("tanh", Backend::tanh, Math::tanh),
        new Unary("softplus", Backend::softplus, ConformanceSupport::softplus),
        new Unary("logSigmoid", Backend::logSigmoid, x -> -ConformanceSupport.softplus(-x)),
        new Unary("exp", Backend::exp, Math::exp),
        new Unary("clip", (be, out, x) -> be.clip(out, x, -1.5f, 2f), x -> Math.min(Math.max(x, -1.5), 2)),
    };

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void unaryElementwiseOps(String backend) {
        SplittableRandom r = new SplittableRandom(15);
        try (Backend be = create(backend)) {
            for (Unary op : UNARY) {
                for (int n : SIZES) {
                    // [-30, 30] covers both saturated tails of sigmoid and tanh; exp stays far from overflow
                    float[] x = random(r, n, -30, 30);
                    Tensor out = be.zeros(n), xt = be.of(x, n);
                    op.call.run(be, out, xt);
                    double[] want = new double[n];
                    for (int i = 0; i < n; i++) want[i] = op.want.applyAsDouble(x[i]);
                    assertClose(want, be.toArray(out), 1e-38, RTOL, op.name + " " + backend + " n=" + n);
                    op.call.run(be, xt, xt);
                    assertArrayEquals(be.toArray(out), be.toArray(xt), op.name + " in place " + backend + " n=" + n);
                }
                Tensor empty = be.zeros(0);
                op.call.run(be, empty, be.zeros(0));   // 0 elements: legal, nothing to do
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void transcendentalsByHand(String backend) {
        float ln2 = (float) Math.log(2);
        try (Backend be = create(backend)) {
            // x:                   0    1     -100   100   -inf  inf   NaN
            float[] x = {0f, 1f, -100f, 100f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN};
            Tensor xt = be.of(x, x.length), out = be.zeros(x.length);
            float e = (float) Math.E, tiny = (float) Math.exp(-100);   // 3.7e-44, a subnormal float
            be.sigmoid(out, xt);
            assertNear(new float[] {0.5f, (float) ConformanceSupport.sigmoid(1), tiny, 1, 0, 1, Float.NaN}, be.toArray(out), "sigmoid");
            be.tanh(out, xt);
            assertNear(new float[] {0, (float) Math.tanh(1), -1, 1, -1, 1, Float.NaN}, be.toArray(out), "tanh");
            be.softplus(out, xt);
            assertNear(new float[] {ln2, (float) Math.log1p(Math.E), tiny, 100, 0, Float.POSITIVE_INFINITY, Float.NaN}, be.toArray(out), "softplus");
            be.logSigmoid(out, xt);
            assertNear(new float[] {-ln2, (float) -Math.log1p(1 / Math.E), -100, -tiny, Float.NEGATIVE_INFINITY, 0, Float.NaN}, be.toArray(out), "logSigmoid");
            be.exp(out, xt);
            assertNear(new float[] {1, e, tiny, Float.POSITIVE_INFINITY, 0, Float.POSITIVE_INFINITY, Float.NaN}, be.toArray(out), "exp");
            be.clip(out, be.of(new float[] {-3, -1, 0, 0.5f, 1, 3, 7}, 7), -1, 1);
            assertArrayEquals(new float[] {-1, -1, 0, 0.5f, 1, 1, 1}, be.toArray(out), "clip");
        }
    }

    /**
     * Within 4 ulp of the expected float; NaN and infinities exactly. A result below the normal range (e^-100) may
     * be flushed to 0: the SIMD sigmoid is 1 / (1 + e^-x) with e^-x = inf for x < -88.7.
     */
    private static void assertNear(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            boolean ok = Float.isNaN(want[i]) ? Float.isNaN(got[i])
                    : Float.isInfinite(want[i]) ? want[i] == got[i]
                    : Math.abs(got[i] - want[i]) <= 4 * Math.ulp(want[i]) + Float.MIN_NORMAL;
            if (!ok) throw new AssertionError(what + "[" + i + "] = " + got[i] + ", expected " + want[i]);
        }
    }

    // ---------------------------------------------------------------- SIMD against the scalar reference

    @Override
    List<Op> crossOps() {
        return List.of(
            bits("add", Kind.ELEMENTWISE, (be, n, r) -> { Tensor o = be.zeros(n); be.add(o, vec(be, r, n, -3, 3), vec(be, r, n, -3, 3)); return out(be, o); }),
            bits("sub", Kind.ELEMENTWISE, (be, n, r) -> { Tensor o = be.zeros(n); be.sub(o, vec(be, r, n, -3, 3), vec(be, r, n, -3, 3)); return out(be, o); }),
            bits("mul", Kind.ELEMENTWISE, (be, n, r) -> { Tensor o = be.zeros(n); be.mul(o, vec(be, r, n, -3, 3), vec(be, r, n, -3, 3)); return out(be, o); }),
            close("addMul", Kind.ELEMENTWISE, 0, RTOL, (be, n, r) -> { Tensor o = vec(be, r, n, 0, 1); be.addMul(o, vec(be, r, n, 0, 3), vec(be, r, n, 0, 3)); return out(be, o); }),
            bits("clip", Kind.ELEMENTWISE, (be, n, r) -> { Tensor o = be.zeros(n); be.clip(o, vec(be, r, n, -3, 3), -1f, 2f); return out(be, o); }),
            bits("sigmoidBackward", Kind.ELEMENTWISE, (be, n, r) -> { Tensor o = be.zeros(n); be.sigmoidBackward(o, vec(be, r, n, -3, 3), vec(be, r, n, 0, 1)); return out(be, o); }),
            bits("tanhBackward", Kind.ELEMENTWISE, (be, n, r) -> { Tensor o = be.zeros(n); be.tanhBackward(o, vec(be, r, n, -3, 3), vec(be, r, n, -1, 1)); return out(be, o); }),
            // the transcendentals: a few ulp apart (SimdMathAccuracyTest measures how many); results below the normal range may flush
            close("sigmoid", Kind.ELEMENTWISE, Float.MIN_NORMAL, RTOL, (be, n, r) -> { Tensor o = be.zeros(n); be.sigmoid(o, vec(be, r, n, -90, 90)); return out(be, o); }),
            close("tanh", Kind.ELEMENTWISE, Float.MIN_NORMAL, RTOL, (be, n, r) -> { Tensor o = be.zeros(n); be.tanh(o, vec(be, r, n, -12, 12)); return out(be, o); }),
            close("softplus", Kind.ELEMENTWISE, Float.MIN_NORMAL, RTOL, (be, n, r) -> { Tensor o = be.zeros(n); be.softplus(o, vec(be, r, n, -90, 90)); return out(be, o); }),
            close("logSigmoid", Kind.ELEMENTWISE, Float.MIN_NORMAL, RTOL, (be, n, r) -> { Tensor o = be.zeros(n); be.logSigmoid(o, vec(be, r, n, -90, 90)); return out(be, o); }),
            close("exp", Kind.ELEMENTWISE, Float.MIN_NORMAL, RTOL, (be, n, r) -> { Tensor o = be.zeros(n); be.exp(o, vec(be, r, n, -87, 88)); return out(be, o); }));
    }

    // ---------------------------------------------------------------- bad calls and views

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void badArgumentsNameTheOp(String backend) {
        assertRefused(backend, (be, other, big, a, overlapping, rng) -> List.of(
                // shape mismatches
                new Bad("add", () -> be.add(be.zeros(5), be.zeros(5), be.zeros(6))),
                new Bad("sigmoid", () -> be.sigmoid(be.zeros(3), be.zeros(4))),
                new Bad("clip", () -> be.clip(be.zeros(3), be.zeros(3), 2, 1)),
                // an output partly overlapping an input (views of one tensor); exactly in place is fine for elementwise ops
                new Bad("add", () -> be.add(a, overlapping, be.zeros(4, 4))),
                new Bad("sigmoidBackward", () -> be.sigmoidBackward(a, be.zeros(4, 4), overlapping)),
                // tensors of another backend instance
                new Bad("add", () -> be.add(be.zeros(3), other.zeros(3), be.zeros(3)))));
    }

    /** Legal edge cases: in place on a view, and empty tensors. */
    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void inPlaceAndEmptyCallsAreLegal(String backend) {
        try (Backend be = create(backend)) {
            Tensor a = be.zeros(64).view(0, 4, 4);
            be.add(a, a, be.zeros(4, 4));
            be.sigmoid(be.zeros(0), be.zeros(0));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void opsOnViewsTouchOnlyTheirOutputs(String backend) {
        assertViewsTouchOnlyTheirOutputs(backend, List.of(
            new ViewCase("add, sub, mul, addMul", s(new int[] {37}, new int[] {37}, new int[] {37}, new int[] {37}), s(new int[] {37}, new int[] {37}),
                    (be, o, i) -> { be.add(o[0], i[0], i[1]); be.sub(o[1], i[0], i[1]); be.mul(o[2], i[0], i[1]); be.addMul(o[3], i[0], i[1]); }),
            new ViewCase("clip, transcendentals", s(new int[] {37}, new int[] {37}, new int[] {37}, new int[] {37}, new int[] {37}, new int[] {37}), s(new int[] {37}),
                    (be, o, i) -> {
                        be.clip(o[0], i[0], 0.2f, 0.7f); be.sigmoid(o[1], i[0]); be.tanh(o[2], i[0]);
                        be.softplus(o[3], i[0]); be.logSigmoid(o[4], i[0]); be.exp(o[5], i[0]);
                    }),
            new ViewCase("sigmoidBackward, tanhBackward", s(new int[] {37}, new int[] {37}), s(new int[] {37}, new int[] {37}),
                    (be, o, i) -> { be.sigmoidBackward(o[0], i[0], i[1]); be.tanhBackward(o[1], i[0], i[1]); })));
    }
}
