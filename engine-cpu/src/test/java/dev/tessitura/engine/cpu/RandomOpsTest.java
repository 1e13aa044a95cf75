package dev.tessitura.engine.cpu;

import static dev.tessitura.engine.cpu.ConformanceSupport.SIZES;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertRefused;
import static dev.tessitura.engine.cpu.ConformanceSupport.assertViewsTouchOnlyTheirOutputs;
import static dev.tessitura.engine.cpu.ConformanceSupport.blocks;
import static dev.tessitura.engine.cpu.ConformanceSupport.create;
import static dev.tessitura.engine.cpu.ConformanceSupport.random;
import static dev.tessitura.engine.cpu.ConformanceSupport.s;
import static dev.tessitura.engine.cpu.ConformanceSupport.uniforms;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.engine.cpu.ConformanceSupport.Bad;
import dev.tessitura.engine.cpu.ConformanceSupport.ViewCase;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The random ops on every CPU backend against the documented Philox layout (element e of a draw starting at block
 * b0 is word e &amp; 3 of block b0 + e/4; a draw of n takes ceil(n/4) blocks), recomputed here with
 * {@link dev.tessitura.engine.Philox#uniforms}: uniforms and Bernoulli draws match bit for bit. Then SIMD against the
 * scalar reference ({@link CrossChecks}), bad calls refused by name (drawing nothing), views.
 */
class RandomOpsTest extends CrossChecks {
    private static final long SEED = 0x5EEDL, STREAM = 7;

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void uniformIsPhiloxBitForBitAndAdvancesTheRng(String backend) {
        try (Backend be = create(backend)) {
            for (int n : new int[] {0, 1, 2, 3, 5, 7, 9, 15, 17, 13, 207, 88, 100, 150, 1001}) {
                Rng rng = new Rng(SEED, STREAM);
                rng.seek(5);
                Tensor out = be.zeros(n);
                be.uniform(out, rng);
                assertArrayEquals(uniforms(SEED, STREAM, 5, n), be.toArray(out), backend + " uniform n=" + n);
                assertEquals(5 + blocks(n), rng.position(), backend + " rng position after n=" + n);
                // the next draw starts on the next whole block, and a view at an odd offset draws the same numbers
                Tensor big = be.zeros(n + 10);
                be.fill(big, -1f);
                be.uniform(big.view(3, n), rng);
                float[] got = be.toArray(big), want = new float[n + 10];
                Arrays.fill(want, -1f);
                System.arraycopy(uniforms(SEED, STREAM, 5 + blocks(n), n), 0, want, 3, n);
                assertArrayEquals(want, got, backend + " uniform into a view, n=" + n);
                assertEquals(5 + 2 * blocks(n), rng.position());
            }
            Tensor u = be.zeros(4099);
            be.uniform(u, new Rng(1, 2));
            for (float x : be.toArray(u)) assertTrue(x >= 0f && x < 1f, "uniform out of [0, 1): " + x);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void bernoulliIsUBelowPBitForBit(String backend) {
        SplittableRandom r = new SplittableRandom(21);
        try (Backend be = create(backend)) {
            for (int n : SIZES) {
                float[] p = random(r, n, 0, 1);
                p[0] = 0f;
                p[n - 1] = 1f;
                Rng rng = new Rng(SEED, STREAM);
                rng.seek(11);
                Tensor out = be.zeros(n);
                be.bernoulli(out, be.of(p, n), rng);
                float[] u = uniforms(SEED, STREAM, 11, n), want = new float[n];
                for (int i = 0; i < n; i++) want[i] = u[i] < p[i] ? 1f : 0f;
                assertArrayEquals(want, be.toArray(out), backend + " bernoulli n=" + n);
                assertEquals(11 + blocks(n), rng.position());
                // in place: the probabilities are replaced by the samples
                Tensor inPlace = be.of(p, n);
                rng.seek(11);
                be.bernoulli(inPlace, inPlace, rng);
                assertArrayEquals(want, be.toArray(inPlace), backend + " bernoulli in place n=" + n);
            }
        }
    }

    /**
     * On the scalar reference only: every SIMD setting draws bit-identical samples (see
     * {@link #bernoulliIsUBelowPBitForBit} and ConformanceCrossTest), so these statistics are theirs too, and 6e6
     * draws through the Vector API cost seconds in a JVM that mixes two widths.
     */
    @Test
    void bernoulliMeansAndCertainties() {
        int n = 1_000_000;
        String backend = "scalar";
        try (Backend be = create(backend)) {
            Tensor p = be.zeros(n), out = be.zeros(n);
            Rng rng = new Rng(99, 1);
            for (float prob : new float[] {0.001f, 0.3f, 0.5f, 0.97f}) {
                be.fill(p, prob);
                be.bernoulli(out, p, rng);
                double mean = be.sum(out) / n, sigma = Math.sqrt(prob * (1.0 - prob) / n);
                assertTrue(Math.abs(mean - prob) <= 5 * sigma, backend + " p=" + prob + ": mean " + mean + ", 5 sigma " + 5 * sigma);
            }
            be.fill(p, 0f);
            be.bernoulli(out, p, rng);
            assertEquals(0.0, be.sum(out), backend + ": p = 0 gave a 1");
            be.fill(p, 1f);
            be.bernoulli(out, p, rng);
            assertEquals(n, be.sum(out), backend + ": p = 1 gave a 0");
            assertEquals(6 * blocks(n), rng.position());
        }
    }

    // ---------------------------------------------------------------- SIMD against the scalar reference

    @Override
    List<Op> crossOps() {
        return List.of(
            bits("uniform", Kind.ELEMENTWISE, (be, n, r) -> {
                Tensor o = be.zeros(n);
                Rng rng = new Rng(r.nextLong(), 3);
                be.uniform(o, rng);
                return out(be, o);
            }),
            bits("bernoulli", Kind.ELEMENTWISE, (be, n, r) -> {
                Tensor o = be.zeros(n);
                be.bernoulli(o, vec(be, r, n, 0, 1), new Rng(r.nextLong(), 4));
                return out(be, o);
            }));
    }

    // ---------------------------------------------------------------- bad calls and views

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void badArgumentsNameTheOp(String backend) {
        assertRefused(backend, (be, other, big, a, overlapping, rng) -> List.of(
                // shape mismatches
                new Bad("bernoulli", () -> be.bernoulli(be.zeros(3), be.zeros(4), rng)),
                // an output partly overlapping an input (views of one tensor); exactly in place is fine for elementwise ops
                new Bad("bernoulli", () -> be.bernoulli(a, overlapping, rng)),
                // tensors of another backend instance
                new Bad("uniform", () -> be.uniform(other.zeros(3), rng))));
    }

    @ParameterizedTest
    @MethodSource("dev.tessitura.engine.cpu.ConformanceSupport#backends")
    void opsOnViewsTouchOnlyTheirOutputs(String backend) {
        assertViewsTouchOnlyTheirOutputs(backend, List.of(
            new ViewCase("uniform, bernoulli", s(new int[] {37}, new int[] {37}), s(new int[] {37}),
                    (be, o, i) -> { Rng rng = new Rng(3, 4); be.uniform(o[0], rng); be.bernoulli(o[1], i[0], rng); })));
    }
}
