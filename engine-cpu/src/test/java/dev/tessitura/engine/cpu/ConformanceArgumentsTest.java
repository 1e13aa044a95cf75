package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.simd.SimdBackend;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad calls raise IllegalArgumentException naming the op, the same on every backend; and ops on views at non-zero
 * offsets of one shared tensor give the results of fresh tensors and touch nothing outside their outputs.
 */
class ConformanceArgumentsTest {

    private record Bad(String op, Executable call) {}

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void badArgumentsNameTheOp(String backend) {
        try (Backend be = create(backend); Backend other = create(backend)) {
            Tensor big = be.zeros(64);
            Tensor a = big.view(0, 4, 4), overlapping = big.view(8, 4, 4), w = be.zeros(3, 5), v = be.zeros(2, 3);
            Rng rng = new Rng(1, 1);
            List<Bad> bad = List.of(
                    // shape mismatches
                    new Bad("gemm", () -> be.gemm(be.zeros(2, 3), be.zeros(2, 4), false, be.zeros(5, 3), false, 1, 0)),
                    new Bad("gemm", () -> be.gemm(be.zeros(2, 3), be.zeros(4, 2), false, be.zeros(4, 3), false, 1, 0)),
                    new Bad("add", () -> be.add(be.zeros(5), be.zeros(5), be.zeros(6))),
                    new Bad("sigmoid", () -> be.sigmoid(be.zeros(3), be.zeros(4))),
                    new Bad("axpy", () -> be.axpy(be.zeros(3), be.zeros(4), 1)),
                    new Bad("copy", () -> be.copy(be.zeros(3), be.zeros(4))),
                    new Bad("transpose", () -> be.transpose(be.zeros(3, 4), be.zeros(3, 4))),
                    new Bad("transpose", () -> be.transpose(big.view(0, 4, 4), big.view(10, 4, 4))),
                    new Bad("bernoulli", () -> be.bernoulli(be.zeros(3), be.zeros(4), rng)),
                    new Bad("addRowVector", () -> be.addRowVector(be.zeros(2, 3), be.zeros(2, 3), be.zeros(4))),
                    new Bad("columnSums", () -> be.columnSums(be.zeros(2), be.zeros(2, 3), 1, 0)),
                    new Bad("rowSums", () -> be.rowSums(be.zeros(3), be.zeros(2, 3), 1, 0)),
                    new Bad("gibbsHalfStep", () -> be.gibbsHalfStep(be.zeros(2, 5), null, be.zeros(2, 4), w, false, be.zeros(5), rng)),
                    new Bad("gibbsHalfStep", () -> be.gibbsHalfStep(be.zeros(2, 5), null, v, w, false, be.zeros(4), rng)),
                    new Bad("gibbsChain", () -> be.gibbsChain(v, null, w, be.zeros(4), be.zeros(5), 1, rng)),
                    new Bad("freeEnergy", () -> be.freeEnergy(be.zeros(3), v, w, be.zeros(3), be.zeros(5))),
                    new Bad("freeEnergyGrad", () -> be.freeEnergyGrad(be.zeros(5, 3), null, null, v, w, be.zeros(5), 1)),
                    new Bad("clip", () -> be.clip(be.zeros(3), be.zeros(3), 2, 1)),
                    new Bad("sumOfSquares", () -> be.sumOfSquares(be.zeros(3), be.zeros(2))),
                    new Bad("sumOfSquares", () -> be.sumOfSquares(big.view(0, 4), big.view(3, 1))),
                    new Bad("gatherRows", () -> be.gatherRows(be.zeros(2, 3), be.zeros(4, 4), be.zeros(2))),
                    new Bad("gatherRows", () -> be.gatherRows(be.zeros(2, 3), be.zeros(4, 3), be.zeros(3))),
                    new Bad("gatherRows", () -> be.gatherRows(be.zeros(1, 3), be.zeros(4, 3), be.of(new float[] {4}, 1))),
                    new Bad("gatherRows", () -> be.gatherRows(be.zeros(1, 3), be.zeros(4, 3), be.of(new float[] {1.5f}, 1))),
                    new Bad("gatherRows", () -> be.gatherRows(be.zeros(1, 3), be.zeros(4, 3), be.of(new float[] {-1}, 1))),
                    // an output partly overlapping an input (views of one tensor); exactly in place is fine for elementwise ops
                    new Bad("add", () -> be.add(a, overlapping, be.zeros(4, 4))),
                    new Bad("copy", () -> be.copy(a, overlapping)),
                    new Bad("sigmoidBackward", () -> be.sigmoidBackward(a, be.zeros(4, 4), overlapping)),
                    new Bad("bernoulli", () -> be.bernoulli(a, overlapping, rng)),
                    // GEMM and fused ops: no overlap at all, in place included
                    new Bad("gemm", () -> be.gemm(a, a, false, be.zeros(4, 4), false, 1, 0)),
                    new Bad("gemm", () -> be.gemm(a, be.zeros(4, 4), false, overlapping, true, 1, 0)),
                    new Bad("gibbsHalfStep", () -> be.gibbsHalfStep(v, null, v, be.zeros(3, 3), false, be.zeros(3), rng)),
                    new Bad("freeEnergy", () -> be.freeEnergy(big.view(0, 2), big.view(1, 2, 3), w, be.zeros(3), be.zeros(5))),
                    new Bad("gatherRows", () -> be.gatherRows(big.view(0, 2, 4), big.view(4, 4, 4), be.zeros(2))),
                    // tensors of another backend instance
                    new Bad("add", () -> be.add(be.zeros(3), other.zeros(3), be.zeros(3))),
                    new Bad("gemm", () -> be.gemm(be.zeros(2, 2), be.zeros(2, 2), false, other.zeros(2, 2), false, 1, 0)),
                    new Bad("uniform", () -> be.uniform(other.zeros(3), rng)),
                    // negative sizes
                    new Bad("gibbsChain", () -> be.gibbsChain(v, null, w, be.zeros(3), be.zeros(5), -1, rng)),
                    new Bad("zeros", () -> be.zeros(2, -1)));
            for (Bad b : bad) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b.call, backend + ": " + b.op + " accepted a bad call");
                assertTrue(e.getMessage().contains(b.op), backend + ": message does not name " + b.op + ": " + e.getMessage());
            }
            assertEquals(0, rng.position(), "a rejected call must not consume random numbers");
            // legal edge cases: in place, and empty tensors
            be.add(a, a, be.zeros(4, 4));
            be.copy(a, a);
            be.sigmoid(be.zeros(0), be.zeros(0));
        }
    }

    @Test
    void aVectorWidthTheCpuLacksIsRefusedClearly() {
        int preferred;
        try (Backend be = Backends.create("simd", new BackendOptions(1, 0))) {
            preferred = ((SimdBackend) be).vectorBits();
        }
        Assumptions.assumeTrue(preferred < 512, "this CPU has 512-bit vectors; nothing to refuse");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backends.create("simd", new BackendOptions(1, 512)));
        assertTrue(e.getMessage().contains("512") && e.getMessage().contains(String.valueOf(preferred)), e.getMessage());
        for (int bits : new int[] {128, preferred}) {
            try (Backend be = Backends.create("simd", new BackendOptions(1, bits))) {
                assertEquals(bits, ((SimdBackend) be).vectorBits());
            }
        }
    }

    // ---------------------------------------------------------------- views

    @FunctionalInterface
    private interface ViewCall {
        void run(Backend be, Tensor[] out, Tensor[] in);
    }

    /** An op with the shapes of its outputs (read and written) and inputs (only read). */
    private record ViewCase(String name, int[][] outs, int[][] ins, ViewCall call) {}

    private static int[][] s(int[]... shapes) {
        return shapes;
    }

    private static final List<ViewCase> VIEW_CASES = List.of(
            new ViewCase("gemm", s(new int[] {5, 7}), s(new int[] {5, 9}, new int[] {9, 7}), (be, o, i) -> be.gemm(o[0], i[0], false, i[1], false, 1f, 0.5f)),
            new ViewCase("gemm A B^T k=300", s(new int[] {4, 6}), s(new int[] {4, 300}, new int[] {6, 300}), (be, o, i) -> be.gemm(o[0], i[0], false, i[1], true, 1f, 0f)),
            new ViewCase("gemm A^T B k=520", s(new int[] {3, 17}), s(new int[] {520, 3}, new int[] {520, 17}), (be, o, i) -> be.gemm(o[0], i[0], true, i[1], false, 1f, 1f)),
            new ViewCase("addRowVector", s(new int[] {3, 17}), s(new int[] {3, 17}, new int[] {17}), (be, o, i) -> be.addRowVector(o[0], i[0], i[1])),
            new ViewCase("columnSums", s(new int[] {17}), s(new int[] {3, 17}), (be, o, i) -> be.columnSums(o[0], i[0], 0.5f, 1f)),
            new ViewCase("rowSums", s(new int[] {3}), s(new int[] {3, 17}), (be, o, i) -> be.rowSums(o[0], i[0], 0.5f, 1f)),
            new ViewCase("axpy", s(new int[] {37}), s(new int[] {37}), (be, o, i) -> be.axpy(o[0], i[0], 0.5f)),
            new ViewCase("scale, fill", s(new int[] {37}, new int[] {9}), s(), (be, o, i) -> { be.scale(o[0], 3f); be.fill(o[1], 2f); }),
            new ViewCase("copy", s(new int[] {37}), s(new int[] {37}), (be, o, i) -> be.copy(o[0], i[0])),
            new ViewCase("add, sub, mul, addMul", s(new int[] {37}, new int[] {37}, new int[] {37}, new int[] {37}), s(new int[] {37}, new int[] {37}),
                    (be, o, i) -> { be.add(o[0], i[0], i[1]); be.sub(o[1], i[0], i[1]); be.mul(o[2], i[0], i[1]); be.addMul(o[3], i[0], i[1]); }),
            new ViewCase("clip, transcendentals", s(new int[] {37}, new int[] {37}, new int[] {37}, new int[] {37}, new int[] {37}, new int[] {37}), s(new int[] {37}),
                    (be, o, i) -> {
                        be.clip(o[0], i[0], 0.2f, 0.7f); be.sigmoid(o[1], i[0]); be.tanh(o[2], i[0]);
                        be.softplus(o[3], i[0]); be.logSigmoid(o[4], i[0]); be.exp(o[5], i[0]);
                    }),
            new ViewCase("sigmoidBackward, tanhBackward", s(new int[] {37}, new int[] {37}), s(new int[] {37}, new int[] {37}),
                    (be, o, i) -> { be.sigmoidBackward(o[0], i[0], i[1]); be.tanhBackward(o[1], i[0], i[1]); }),
            new ViewCase("uniform, bernoulli", s(new int[] {37}, new int[] {37}), s(new int[] {37}),
                    (be, o, i) -> { Rng rng = new Rng(3, 4); be.uniform(o[0], rng); be.bernoulli(o[1], i[0], rng); }),
            new ViewCase("gibbsHalfStep", s(new int[] {3, 17}, new int[] {3, 17}), s(new int[] {3, 9}, new int[] {9, 17}, new int[] {17}),
                    (be, o, i) -> be.gibbsHalfStep(o[0], o[1], i[0], i[1], false, i[2], new Rng(5, 6))),
            new ViewCase("gibbsChain", s(new int[] {3, 9}, new int[] {3, 9}), s(new int[] {9, 17}, new int[] {3, 9}, new int[] {17}),
                    (be, o, i) -> be.gibbsChain(o[0], o[1], i[0], i[1], i[2], 2, new Rng(7, 8))),
            new ViewCase("freeEnergy", s(new int[] {3}), s(new int[] {3, 9}, new int[] {9, 17}, new int[] {9}, new int[] {3, 17}),
                    (be, o, i) -> be.freeEnergy(o[0], i[0], i[1], i[2], i[3])),
            new ViewCase("freeEnergyGrad", s(new int[] {9, 17}, new int[] {3, 9}, new int[] {17}), s(new int[] {3, 9}, new int[] {9, 17}, new int[] {17}),
                    (be, o, i) -> be.freeEnergyGrad(o[0], o[1], o[2], i[0], i[1], i[2], 0.5f)),
            new ViewCase("lstmCell, lstmCellBackward", s(new int[] {3, 5}, new int[] {3, 5}, new int[] {3, 20}, new int[] {3, 20}, new int[] {3, 5}),
                    s(new int[] {3, 5}, new int[] {3, 5}),
                    (be, o, i) -> { be.lstmCell(o[0], o[1], o[2], i[0]); be.lstmCellBackward(o[3], o[4], i[1], o[2], o[1], i[0]); }),
            // T = 2 steps of B = 6 rows (three per thread: a padded block) of H = 5, with carried state
            new ViewCase("lstmForward, lstmBackward", s(new int[] {12, 5}, new int[] {12, 5}, new int[] {12, 20}, new int[] {12, 20}, new int[] {6, 5}, new int[] {12, 5}),
                    s(new int[] {5, 20}, new int[] {6, 5}, new int[] {6, 5}),
                    (be, o, i) -> { be.lstmForward(o[0], o[1], o[2], i[0], i[1], i[2], 6); be.lstmBackward(o[3], o[4], o[5], o[2], o[1], i[2], i[0], 6); }),
            // T = 3 steps of n = 9 units (a vector and a last one shifted back over it at 256 bits)
            new ViewCase("tanhRecurrence, tanhRecurrenceBackward", s(new int[] {4, 9}, new int[] {3, 9}, new int[] {4, 9}),
                    s(new int[] {9, 9}),
                    (be, o, i) -> { be.tanhRecurrence(o[0], i[0], 1); be.tanhRecurrenceBackward(o[1], o[2], o[0], i[0], 1); }),
            // T = 2 steps of B = 3 sequences (tiles of the batched path) of n = 9
            new ViewCase("tanhRecurrence, tanhRecurrenceBackward, B = 3", s(new int[] {9, 9}, new int[] {6, 9}, new int[] {9, 9}),
                    s(new int[] {9, 9}),
                    (be, o, i) -> { be.tanhRecurrence(o[0], i[0], 3); be.tanhRecurrenceBackward(o[1], o[2], o[0], i[0], 3); }),
            new ViewCase("adam, rmsprop", s(new int[] {37}, new int[] {37}, new int[] {37}, new int[] {37}, new int[] {37}), s(new int[] {37}),
                    (be, o, i) -> { be.adam(o[0], i[0], o[1], o[2], 0.01f, 0.9f, 0.999f, 1e-8f, 2); be.rmsprop(o[3], i[0], o[4], 0.01f, 0.9f, 1e-6f); }),
            new ViewCase("softmax", s(new int[] {3, 17}), s(new int[] {3, 17}), (be, o, i) -> be.softmax(o[0], i[0])));

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void opsOnViewsTouchOnlyTheirOutputs(String backend) {
        float sentinel = -12345f;
        try (Backend be = create(backend)) {
            for (ViewCase c : VIEW_CASES) {
                SplittableRandom r = new SplittableRandom(c.name.hashCode());
                int[][] shapes = concat(c.outs, c.ins);
                float[][] data = new float[shapes.length][];
                int total = 3;
                for (int t = 0; t < shapes.length; t++) {
                    data[t] = random(r, size(shapes[t]), 0, 1);   // in [0, 1): valid probabilities and moments
                    total += data[t].length + 5;
                }
                // fresh tensors
                Tensor[] fresh = new Tensor[shapes.length];
                for (int t = 0; t < shapes.length; t++) fresh[t] = be.of(data[t], shapes[t]);
                c.call.run(be, java.util.Arrays.copyOfRange(fresh, 0, c.outs.length), java.util.Arrays.copyOfRange(fresh, c.outs.length, shapes.length));
                // the same tensors as views at odd offsets of one storage, 5 sentinels apart
                float[] pool = new float[total];
                java.util.Arrays.fill(pool, sentinel);
                Tensor all = be.of(pool, total);
                Tensor[] views = new Tensor[shapes.length];
                int[] at = new int[shapes.length];
                int offset = 3;
                for (int t = 0; t < shapes.length; t++) {
                    at[t] = offset;
                    views[t] = all.view(offset, shapes[t]);
                    be.copyFromHost(views[t], data[t], 0);
                    offset += data[t].length + 5;
                }
                float[] before = be.toArray(all);
                c.call.run(be, java.util.Arrays.copyOfRange(views, 0, c.outs.length), java.util.Arrays.copyOfRange(views, c.outs.length, shapes.length));
                float[] after = be.toArray(all), want = before.clone();
                for (int t = 0; t < c.outs.length; t++) {
                    float[] res = be.toArray(fresh[t]);
                    System.arraycopy(res, 0, want, at[t], res.length);
                }
                assertArrayEquals(want, after, backend + " " + c.name + ": views differ from fresh tensors or wrote outside their outputs");
            }
        }
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    private static int[][] concat(int[][] a, int[][] b) {
        int[][] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
