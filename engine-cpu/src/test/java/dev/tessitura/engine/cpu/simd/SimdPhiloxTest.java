package dev.tessitura.engine.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessitura.engine.Philox;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The vector Philox against the scalar generator, bit for bit, for draws that start anywhere: inside a block (the
 * Gibbs chain asks for row blocks from 750 j, 440 j, ...), on a block, and lengths from 0 past two of the vector
 * loop's iterations (64 elements at 256 bits), both uniforms and Bernoulli samples, written at an offset into a
 * larger array; with a block counter whose low word carries into the high one, and a key and a stream with both
 * words set.
 */
class SimdPhiloxTest {

    @ParameterizedTest
    @ValueSource(ints = {128, 256})
    void everyStartAndLengthGivesTheScalarGeneratorsWords(int bits) {
        SimdPhilox philox = new SimdPhilox(Lanes.of(bits));
        SplittableRandom r = new SplittableRandom(9);
        int[] w = new int[4];
        long[][] draws = {{0x1234_5678_9abcL, 7, 1_000_003}, {0x8765_4321_0fed_cba9L, 0x3_0000_0011L, 0xFFFF_FFF0L}};
        for (long[] draw : draws) {
            long seed = draw[0], stream = draw[1], first = draw[2];
            for (int e0 = 0; e0 < 20; e0++) {
                for (int n = 0; n <= 140; n++) {
                    float[] p = new float[n + 3], u = new float[n + 5], b = new float[n + 5];
                    for (int i = 0; i < p.length; i++) p[i] = (float) r.nextDouble();
                    philox.uniforms(seed, stream, first, e0, u, 2, n);
                    philox.bernoulli(seed, stream, first, e0, b, 3, p, 1, n);
                    for (int i = 0; i < n; i++) {
                        long e = e0 + i;
                        Philox.block(seed, stream, first + (e >>> 2), w);
                        float want = Philox.toUniform(w[(int) (e & 3)]);
                        String at = bits + " bits, first " + first + ", e0 " + e0 + ", n " + n + ", element " + i;
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(u[2 + i]), at);
                        assertEquals(want < p[1 + i] ? 1f : 0f, b[3 + i], at);
                    }
                    // nothing outside [off, off + n) is written
                    assertEquals(0f, u[0]); assertEquals(0f, u[1]); assertEquals(0f, u[n + 2]);
                    assertEquals(0f, b[2]); assertEquals(0f, b[n + 3]);
                }
            }
        }
    }
}
