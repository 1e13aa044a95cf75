package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.assertNearly;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertViewsTouchOnlyTheirOutputs;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.s;
import static dev.tessitura.engine.cpu.ConformanceSupport.symmetric;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ConformanceSupport.ViewCase;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The softmax outputs on every CPU backend against float64, with padding rows and a huge logit; SIMD against the
 * scalar reference ({@link CrossChecks}); views.
 */
class SoftmaxOpsTest extends CrossChecks {
    private static final int SOFTMAX_N = 150;

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#preferredWidth")
    void softmaxCrossEntropyWithPaddingRows(String backend) {
        SplittableRandom r = new SplittableRandom(8);
        for (int[] shape : new int[][] {{1, 1}, {3, 38}, {5, 9}, {64, 38}, {2, 300}}) {
            int rows = shape[0], n = shape[1];
            float[] x = symmetric(r, rows * n, 30), t = new float[rows * n];
            x[0] = 1e4f;                                            // a huge logit must not overflow
            for (int b = 0; b < rows; b++) if (b % 3 != 2) t[b * n + r.nextInt(n)] = 1f;   // every third row is padding
            try (Backend be = create(backend)) {
                Tensor g = be.zeros(rows, n), q = be.zeros(rows, n), xt = be.of(x, rows, n);
                double loss = be.softmaxCrossEntropy(g, xt, be.of(t, rows, n));
                be.softmax(q, xt);
                float[] gs = be.toArray(g), qs = be.toArray(q);
                double want = 0;
                for (int b = 0; b < rows; b++) {
                    double m = Double.NEGATIVE_INFINITY, z = 0;
                    for (int j = 0; j < n; j++) m = Math.max(m, x[b * n + j]);
                    for (int j = 0; j < n; j++) z += Math.exp(x[b * n + j] - m);
                    boolean padding = b % 3 == 2;
                    for (int j = 0; j < n; j++) {
                        double qj = Math.exp(x[b * n + j] - m) / z;
                        assertNearly(qj, qs[b * n + j], "softmax");
                        assertNearly(padding ? 0 : qj - t[b * n + j], gs[b * n + j], "gradient");
                        if (!padding && t[b * n + j] == 1f) want -= x[b * n + j] - m - Math.log(z);   // log q_j without underflow
                    }
                }
                assertEquals(want, loss, 1e-9 * Math.max(1, Math.abs(want)));
                assertEquals(loss, be.softmaxCrossEntropy(null, xt, be.of(t, rows, n)));
            }
        }
    }

    // ---------------------------------------------------------------- SIMD against the scalar reference

    @Override
    List<Op> crossOps() {
        return List.of(
            bits("softmax, softmaxCrossEntropy", Kind.MATRIX, (be, n, r) -> {
                Tensor q = be.zeros(n, SOFTMAX_N), g = be.zeros(n, SOFTMAX_N), x = mat(be, r, n, SOFTMAX_N, -10, 10);
                be.softmax(q, x);
                double loss = be.softmaxCrossEntropy(g, x, mat(be, r, n, SOFTMAX_N, 0, 1));
                double[] o = out(be, q, g), all = java.util.Arrays.copyOf(o, o.length + 1);
                all[o.length] = loss;
                return all;
            }));
    }

    // ---------------------------------------------------------------- views

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void opsOnViewsTouchOnlyTheirOutputs(String backend) {
        assertViewsTouchOnlyTheirOutputs(backend, List.of(
            new ViewCase("softmax", s(new int[] {3, 17}), s(new int[] {3, 17}), (be, o, i) -> be.softmax(o[0], i[0]))));
    }
}
