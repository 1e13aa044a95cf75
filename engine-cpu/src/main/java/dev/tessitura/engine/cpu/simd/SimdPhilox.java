package dev.tessitura.engine.cpu.simd;

import dev.tessitura.engine.Philox;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Philox4x32-10 in vector lanes, bit for bit the same as {@link Philox}. Four consecutive int lanes hold the four
 * words of one block, so lanes are already in element order (element e is word e &amp; 3 of block first + e/4) and
 * a vector of words compares directly with a vector of probabilities.
 *
 * <p>One round on a block (c0, c1, c2, c3) with key (k0, k1):
 * (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2), hi(M0 c0) ^ c3 ^ k1, lo(M0 c0)). Seen as longs, a block is two lanes
 * (c1:c0, c3:c2), so one unsigned 32x32->64 multiply of the low halves by (M0, M1) gives (hi0:lo0, hi1:lo1);
 * reversing the four ints gives (hi1, lo1, hi0, lo0), and shifting the longs of the old block right by 32 gives
 * (c1, 0, c3, 0): the new block is their XOR with (k0, 0, k1, 0).
 */
final class SimdPhilox {
    private static final long LOW32 = 0xFFFFFFFFL;

    private final Lanes lanes;

    SimdPhilox(Lanes lanes) {
        this.lanes = lanes;
    }

    /** out[off + i] = uniform of element e0 + i of a draw that starts at block {@code first}, for i < n. */
    void uniforms(long seed, long stream, long first, long e0, float[] out, int off, int n) {
        fill(seed, stream, first, e0, out, off, null, 0, n);
    }

    /** out[off + i] = 1 when the uniform of element e0 + i is &lt; p[pOff + i], else 0. */
    void bernoulli(long seed, long stream, long first, long e0, float[] out, int off, float[] p, int pOff, int n) {
        fill(seed, stream, first, e0, out, off, p, pOff, n);
    }

    /**
     * Uniforms (p == null) or Bernoulli samples: a head up to a block boundary, whole vectors, a last partial vector.
     * The head and the tail each come from one vector of uniforms in a scratch row, cheaper than the scalar path's
     * ten rounds per block (the Gibbs chain asks for a row block at a time, e.g. 750 elements from 750 j, so most of
     * its calls start inside a block: the scalar head was ~4 % of an RNN-RBM step).
     */
    private void fill(long seed, long stream, long first, long e0, float[] out, int off, float[] p, int pOff, int n) {
        VectorSpecies<Integer> is = lanes.ints();
        int len = is.length();
        int skip = (int) (e0 & 3), head = (int) Math.min(n, (4 - skip) & 3);
        float[] scratch = head > 0 || (n - head) % len != 0 ? new float[len] : null;
        if (head > 0) {
            // scratch[t] = element e0 - skip + t: the block that holds e0 starts skip elements before it
            vectors(seed, stream, first + (e0 >>> 2), scratch, 0, null, 0, 0, len);
            for (int i = 0; i < head; i++) out[off + i] = p == null ? scratch[skip + i] : (scratch[skip + i] < p[pOff + i] ? 1f : 0f);
        }
        int i = head;
        long block = first + ((e0 + i) >>> 2);       // the block of element e0 + i, now a multiple of 4
        int bound = i + (n - i) / len * len;
        if (i < bound) {
            i = vectors(seed, stream, block, out, off, p, pOff, i, bound);
        }
        if (i < n) {
            vectors(seed, stream, first + ((e0 + i) >>> 2), scratch, -i, null, 0, i, i + len);
            for (int t = 0; i < n; i++, t++) out[off + i] = p == null ? scratch[t] : (scratch[t] < p[pOff + i] ? 1f : 0f);
        }
    }

    /** Elements [from, bound), element from being word 0 of {@code block}; bound - from a multiple of the lanes. */
    private int vectors(long seed, long stream, long block, float[] out, int off, float[] p, int pOff, int from, int bound) {
        VectorSpecies<Integer> is = lanes.ints();
        VectorSpecies<Long> ls = lanes.longs();
        VectorSpecies<Float> fs = lanes.floats();
        int len = is.length(), blocksPerVector = len / 4;

        // counters as longs: (block + j, stream) for the j-th block of the vector
        long[] ctr = new long[len / 2], step = new long[len / 2], mul = new long[len / 2];
        int[] key = new int[len], keyStep = new int[len], reverse = new int[len];
        for (int j = 0; j < blocksPerVector; j++) {
            ctr[2 * j] = block + j;
            ctr[2 * j + 1] = stream;
            step[2 * j] = blocksPerVector;
            mul[2 * j] = Philox.M0 & LOW32;
            mul[2 * j + 1] = Philox.M1 & LOW32;
            key[4 * j] = (int) seed;
            key[4 * j + 2] = (int) (seed >>> 32);
            keyStep[4 * j] = Philox.W0;
            keyStep[4 * j + 2] = Philox.W1;
        }
        for (int l = 0; l < len; l++) reverse[l] = (l & ~3) | (3 - (l & 3));
        LongVector counter = LongVector.fromArray(ls, ctr, 0);
        LongVector counterStep = LongVector.fromArray(ls, step, 0);
        LongVector multiplier = LongVector.fromArray(ls, mul, 0);
        IntVector key0 = IntVector.fromArray(is, key, 0);
        IntVector keyInc = IntVector.fromArray(is, keyStep, 0);
        VectorShuffle<Integer> rev = VectorShuffle.fromArray(is, reverse, 0);

        LongVector masked = multiplier.and(LOW32);
        int i = from;
        // Four independent vectors per iteration: one round is a serial chain (mask, multiply, permute, two XORs:
        // about 10 cycles of latency), so a single vector leaves the core idle most of the time; four keep it busy.
        for (LongVector step2 = counterStep.add(counterStep), step4 = step2.add(step2); i + 4 * len <= bound; i += 4 * len) {
            IntVector x0 = counter.reinterpretAsInts(), x1 = counter.add(counterStep).reinterpretAsInts();
            IntVector x2 = counter.add(step2).reinterpretAsInts();
            IntVector x3 = counter.add(step2).add(counterStep).reinterpretAsInts();
            IntVector k = key0;
            for (int r = 0; r < Philox.ROUNDS; r++) {
                // the round below, written out for each vector: a helper of this size is not always inlined,
                // and a call boxes every vector
                LongVector l0 = x0.reinterpretAsLongs(), l1 = x1.reinterpretAsLongs();
                LongVector l2 = x2.reinterpretAsLongs(), l3 = x3.reinterpretAsLongs();
                IntVector p0 = l0.and(LOW32).mul(masked).reinterpretAsInts(), p1 = l1.and(LOW32).mul(masked).reinterpretAsInts();
                IntVector p2 = l2.and(LOW32).mul(masked).reinterpretAsInts(), p3 = l3.and(LOW32).mul(masked).reinterpretAsInts();
                x0 = p0.rearrange(rev).lanewise(VectorOperators.XOR, l0.lanewise(VectorOperators.LSHR, 32).reinterpretAsInts()).lanewise(VectorOperators.XOR, k);
                x1 = p1.rearrange(rev).lanewise(VectorOperators.XOR, l1.lanewise(VectorOperators.LSHR, 32).reinterpretAsInts()).lanewise(VectorOperators.XOR, k);
                x2 = p2.rearrange(rev).lanewise(VectorOperators.XOR, l2.lanewise(VectorOperators.LSHR, 32).reinterpretAsInts()).lanewise(VectorOperators.XOR, k);
                x3 = p3.rearrange(rev).lanewise(VectorOperators.XOR, l3.lanewise(VectorOperators.LSHR, 32).reinterpretAsInts()).lanewise(VectorOperators.XOR, k);
                k = k.add(keyInc);
            }
            FloatVector u0 = ((FloatVector) x0.lanewise(VectorOperators.LSHR, 8).convert(VectorOperators.I2F, 0)).mul(Philox.UNIFORM_SCALE);
            FloatVector u1 = ((FloatVector) x1.lanewise(VectorOperators.LSHR, 8).convert(VectorOperators.I2F, 0)).mul(Philox.UNIFORM_SCALE);
            FloatVector u2 = ((FloatVector) x2.lanewise(VectorOperators.LSHR, 8).convert(VectorOperators.I2F, 0)).mul(Philox.UNIFORM_SCALE);
            FloatVector u3 = ((FloatVector) x3.lanewise(VectorOperators.LSHR, 8).convert(VectorOperators.I2F, 0)).mul(Philox.UNIFORM_SCALE);
            if (p == null) {
                u0.intoArray(out, off + i);
                u1.intoArray(out, off + i + len);
                u2.intoArray(out, off + i + 2 * len);
                u3.intoArray(out, off + i + 3 * len);
            } else {
                FloatVector zero = FloatVector.zero(fs);
                zero.blend(1f, u0.lt(FloatVector.fromArray(fs, p, pOff + i))).intoArray(out, off + i);
                zero.blend(1f, u1.lt(FloatVector.fromArray(fs, p, pOff + i + len))).intoArray(out, off + i + len);
                zero.blend(1f, u2.lt(FloatVector.fromArray(fs, p, pOff + i + 2 * len))).intoArray(out, off + i + 2 * len);
                zero.blend(1f, u3.lt(FloatVector.fromArray(fs, p, pOff + i + 3 * len))).intoArray(out, off + i + 3 * len);
            }
            counter = counter.add(step4);
        }
        for (; i < bound; i += len) {
            IntVector x = counter.reinterpretAsInts();
            IntVector k = key0;
            for (int r = 0; r < Philox.ROUNDS; r++) {
                LongVector xl = x.reinterpretAsLongs();
                IntVector prod = xl.and(LOW32).mul(masked).reinterpretAsInts();           // (lo0, hi0, lo1, hi1)
                IntVector carry = xl.lanewise(VectorOperators.LSHR, 32).reinterpretAsInts(); // (c1, 0, c3, 0)
                x = prod.rearrange(rev).lanewise(VectorOperators.XOR, carry).lanewise(VectorOperators.XOR, k);
                k = k.add(keyInc);
            }
            // top 24 bits times 2^-24: exact in float32
            FloatVector u = ((FloatVector) x.lanewise(VectorOperators.LSHR, 8).convert(VectorOperators.I2F, 0))
                    .mul(Philox.UNIFORM_SCALE);
            if (p == null) {
                u.intoArray(out, off + i);
            } else {
                FloatVector.zero(fs).blend(1f, u.lt(FloatVector.fromArray(fs, p, pOff + i))).intoArray(out, off + i);
            }
            counter = counter.add(counterStep);
        }
        return bound;
    }
}
