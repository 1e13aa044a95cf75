package dev.tessitura.model.lstm;

import static dev.tessitura.model.Fixture.relErr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.engine.Tensor;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The engine LSTM against the float64 reference, on every CPU backend. */
class LstmTest {
    static Stream<String> backends() {
        return Stream.of("scalar", "simd-1", "simd-2");
    }

    static Backend create(String name) {
        return name.equals("scalar") ? Backends.create("scalar", BackendOptions.defaults())
                : Backends.create("simd", new BackendOptions(Integer.parseInt(name.substring(5)), 0));
    }

    static final int N_IN = 13, BATCH = 3, STEPS = 6;
    static final int[] HIDDEN = {7, 17};

    /** A reference with random parameters and the engine model holding the same values. */
    static LstmReference reference(SplittableRandom rnd) {
        return reference(rnd, false);
    }

    static LstmReference reference(SplittableRandom rnd, boolean skip) {
        LstmReference ref = new LstmReference(N_IN, HIDDEN, N_IN, skip);
        ref.randomize(rnd, 0.5);
        return ref;
    }

    static Lstm engine(Backend be, LstmReference ref) {
        Lstm m = new Lstm(be, N_IN, HIDDEN, N_IN, ref.skip);
        ref.copyInto(be, m);
        return m;
    }

    static float[] floats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }


    static double[] binary(SplittableRandom rnd, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextInt(4) == 0 ? 1 : 0;
        return a;
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> backendsAndSkip() {
        return backends().flatMap(b -> java.util.stream.Stream.of(false, true).map(k -> org.junit.jupiter.params.provider.Arguments.of(b, k)));
    }

    @ParameterizedTest
    @MethodSource("backendsAndSkip")
    void lossAndGradientsMatchTheFloat64Reference(String backend, boolean skip) {
        SplittableRandom rnd = new SplittableRandom(5);
        LstmReference ref = reference(rnd, skip);
        double[] x = binary(rnd, BATCH * STEPS * N_IN), y = binary(rnd, BATCH * STEPS * N_IN);
        LstmReference.Result want = ref.lossAndGrads(x, y, BATCH, STEPS);
        try (Backend be = create(backend)) {
            Lstm m = engine(be, ref);
            Tensor xt = be.of(LstmReference.timeMajor(x, BATCH, STEPS, N_IN), STEPS * BATCH, N_IN);
            Tensor yt = be.of(LstmReference.timeMajor(y, BATCH, STEPS, N_IN), STEPS * BATCH, N_IN);
            Tensor logits = m.forward(xt, STEPS, BATCH, false);
            double[] wantLogits = ref.logits(x, BATCH, STEPS);
            // float32 through 2 layers and a few dozen steps: relative error ~1e-6, bound 1e-5
            assertTrue(relErr(be.toArray(logits), LstmReference.timeMajor(wantLogits, BATCH, STEPS, N_IN)) < 1e-5);
            double loss = m.loss(yt, null, BATCH * STEPS);
            assertEquals(want.loss(), loss, 1e-5 * want.loss());
            m.zeroGrads();
            m.backward(yt, null, BATCH * STEPS);
            LstmReference.Grads g = want.grads();
            // gradients go through more float32 products (BPTT over 6 steps): 1e-4 relative, as the fixtures' README says
            for (int l = 0; l < HIDDEN.length; l++) {
                assertTrue(relErr(be.toArray(m.grad("Wx" + l)), floats(g.wx[l])) < 1e-4, "Wx" + l);
                assertTrue(relErr(be.toArray(m.grad("Wh" + l)), floats(g.wh[l])) < 1e-4, "Wh" + l);
                assertTrue(relErr(be.toArray(m.grad("b" + l)), floats(g.b[l])) < 1e-4, "b" + l);
            }
            for (int l = 0; l < HIDDEN.length && skip; l++) {
                if (l > 0) assertTrue(relErr(be.toArray(m.grad("Wi" + l)), floats(g.wi[l])) < 1e-4, "Wi" + l);
                if (l < HIDDEN.length - 1) assertTrue(relErr(be.toArray(m.grad("Wy" + l)), floats(g.wyl[l])) < 1e-4, "Wy" + l);
            }
            assertEquals(skip ? java.util.List.of("Wx0", "Wh0", "b0", "Wx1", "Wi1", "Wh1", "b1", "Wy0", "Wy", "by")
                    : java.util.List.of("Wx0", "Wh0", "b0", "Wx1", "Wh1", "b1", "Wy", "by"), m.paramNames());
            assertTrue(relErr(be.toArray(m.grad("Wy")), floats(g.wy)) < 1e-4, "Wy");
            assertTrue(relErr(be.toArray(m.grad("by")), floats(g.by)) < 1e-4, "by");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void carriedStateContinuesTheSequence(String backend) {
        // two minibatches of 3 steps with the state carried = one of 6 steps, in the forward pass
        SplittableRandom rnd = new SplittableRandom(6);
        LstmReference ref = reference(rnd);
        double[] x = binary(rnd, BATCH * STEPS * N_IN);
        float[] want = LstmReference.timeMajor(ref.logits(x, BATCH, STEPS), BATCH, STEPS, N_IN);
        float[] xt = LstmReference.timeMajor(x, BATCH, STEPS, N_IN);
        int half = STEPS / 2, rows = half * BATCH * N_IN;
        try (Backend be = create(backend)) {
            Lstm m = engine(be, ref);
            float[] first = be.toArray(m.forward(be.of(java.util.Arrays.copyOfRange(xt, 0, rows), half * BATCH, N_IN), half, BATCH, true));
            float[] second = be.toArray(m.forward(be.of(java.util.Arrays.copyOfRange(xt, rows, 2 * rows), half * BATCH, N_IN), half, BATCH, true));
            assertTrue(relErr(first, java.util.Arrays.copyOfRange(want, 0, rows)) < 1e-5);
            assertTrue(relErr(second, java.util.Arrays.copyOfRange(want, rows, 2 * rows)) < 1e-5);
            m.resetState();
            float[] again = be.toArray(m.forward(be.of(java.util.Arrays.copyOfRange(xt, rows, 2 * rows), half * BATCH, N_IN), half, BATCH, true));
            assertTrue(relErr(again, java.util.Arrays.copyOfRange(want, rows, 2 * rows)) > 1e-3, "reset state must forget the first half");
        }
    }

    /**
     * A fresh row (a new tune starting in it, Minibatches.PACKED) restarts from h_0 = c_0 = 0 while the other rows
     * carry on: its logits are those of a forward without carried state, to the bit, and the others' are not; with
     * every row fresh the gradients are those of a forward without carry.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void freshRowsRestartFromZeroWhileTheOthersCarryOn(String backend) {
        SplittableRandom rnd = new SplittableRandom(8);
        LstmReference ref = reference(rnd);
        int half = STEPS / 2;
        float[] x1 = LstmReference.timeMajor(binary(rnd, BATCH * half * N_IN), BATCH, half, N_IN), x2 = LstmReference.timeMajor(binary(rnd, BATCH * half * N_IN), BATCH, half, N_IN);
        try (Backend be = create(backend)) {
            Lstm m = engine(be, ref);
            Tensor t1 = be.of(x1, half * BATCH, N_IN), t2 = be.of(x2, half * BATCH, N_IN), y = be.of(x1, half * BATCH, N_IN);
            m.forward(t1, half, BATCH, false);
            float[] carried = be.toArray(m.forward(t2, half, BATCH, true, new int[] {1}));
            float[] fromZero = be.toArray(m.forward(t2, half, BATCH, false));
            boolean othersDiffer = false;
            for (int t = 0; t < half; t++) {
                for (int b = 0; b < BATCH; b++) {
                    for (int j = 0; j < N_IN; j++) {
                        int i = (t * BATCH + b) * N_IN + j;
                        if (b == 1) assertEquals(fromZero[i], carried[i], 0f, "fresh row, step " + t + " unit " + j);
                        else othersDiffer |= fromZero[i] != carried[i];
                    }
                }
            }
            assertTrue(othersDiffer, "the rows that carry their state must differ from a fresh start");
            // gradients: every row fresh under carry = no carry
            m.forward(t1, half, BATCH, false);
            m.forward(t2, half, BATCH, true, new int[] {0, 1, 2});
            m.zeroGrads();
            m.backward(y, null, half * BATCH);
            float[] freshGrads = be.toArray(m.grads);
            m.forward(t2, half, BATCH, false);
            m.zeroGrads();
            m.backward(y, null, half * BATCH);
            float[] plainGrads = be.toArray(m.grads);
            for (int i = 0; i < plainGrads.length; i++) assertEquals(plainGrads[i], freshGrads[i], 0f, "gradient " + i);
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> m.forward(t2, half, BATCH, true, new int[] {BATCH}));
            assertTrue(e.getMessage().contains("fresh row 3 outside batch 3"), e.getMessage());
        }
    }
}
