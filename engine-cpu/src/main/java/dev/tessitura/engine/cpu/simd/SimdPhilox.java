package dev.tessitura.engine.cpu.simd;

import dev.tessitura.engine.Philox;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Philox4x32-10 in vector lanes, bit for bit the same as {@link Philox}.
 *
 * <p>A block's four words (c0, c1, c2, c3) live in two longs of two vectors, one lane per block: A = c0:c1 (c0 in
 * the high half) and B = c2:c3. One round (c0, c1, c2, c3) -> (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2), hi(M0 c0) ^ c3 ^ k1,
 * lo(M0 c0)) is then, with P = hi:lo as one long,
 * <pre>
 *   A' = (B >>> 32) * M1  ^  A << 32  ^  k0 << 32
 *   B' = (A >>> 32) * M0  ^  B << 32  ^  k1 << 32
 * </pre>
 * shifts, one unsigned 32x32->64 multiply (vpmuludq) and XORs: no lane crosses another until the words are put in
 * element order at the end (element e is word e &amp; 3 of block first + e/4). The previous layout, four words of a
 * block in four int lanes, needed a lane permute in every round, whose latency made it 1.6x slower.
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

    /** Elements per iteration of {@link #iterations}: four groups of one block per long lane, four words each. */
    private int perIteration() {
        return 16 * lanes.longs().length();
    }

    /**
     * Uniforms (p == null) or Bernoulli samples: whole iterations straight into out; a head up to a block boundary
     * and a last partial iteration each from one iteration into a scratch row.
     */
    private void fill(long seed, long stream, long first, long e0, float[] out, int off, float[] p, int pOff, int n) {
        int per = perIteration(), skip = (int) (e0 & 3), i = 0;
        long block = first + (e0 >>> 2);            // the block of element e0
        float[] scratch = null;
        if (skip != 0 && n > 0) {
            scratch = new float[per];
            iterations(seed, stream, block++, scratch, 0, null, 0, 1);
            for (int head = Math.min(n, 4 - skip); i < head; i++) put(out, off + i, scratch[skip + i], p, pOff + i);
        }
        int whole = (n - i) / per;
        if (whole > 0) {
            iterations(seed, stream, block, out, off + i, p, pOff + i, whole);
            i += whole * per;
            block += whole * (per / 4);
        }
        if (i < n) {
            if (scratch == null) scratch = new float[per];
            iterations(seed, stream, block, scratch, 0, null, 0, 1);
            for (int t = 0; i < n; i++, t++) put(out, off + i, scratch[t], p, pOff + i);
        }
    }

    private static void put(float[] out, int at, float u, float[] p, int pAt) {
        out[at] = p == null ? u : (u < p[pAt] ? 1f : 0f);
    }

    /**
     * {@code count} iterations from {@code block}: the elements of blocks block .. block + count * per / 4, written
     * to dst[dOff ..] as uniforms, or as Bernoulli samples against p[pOff ..] when p is not null.
     */
    private void iterations(long seed, long stream, long block, float[] dst, int dOff, float[] p, int pOff, int count) {
        VectorSpecies<Long> ls = lanes.longs();
        VectorSpecies<Integer> is = lanes.ints();
        VectorSpecies<Float> fs = lanes.floats();
        int L = ls.length(), len = is.length();       // len = 2 L: an int vector holds the words of L / 2 blocks
        long[] lane = new long[L], mul = new long[2 * L], words = new long[8 * L];
        int[] pick0 = new int[len], pick1 = new int[len];
        boolean[] fromB = new boolean[len];
        for (int j = 0; j < L; j++) {
            lane[j] = j;
            mul[j] = Philox.M0 & LOW32;
            mul[L + j] = Philox.M1 & LOW32;
        }
        // element order: word w of block j is lane 2j + 1 (high half) of A for w = 0, 2j (low half) of A for w = 1,
        // and the same lanes of B for w = 2, 3; the second output vector holds blocks L/2 .. L-1
        for (int t = 0; t < len; t++) {
            int j = t / 4, w = t & 3;
            pick0[t] = 2 * j + ((w & 1) == 0 ? 1 : 0);
            pick1[t] = pick0[t] + L;
            fromB[t] = w >= 2;
        }
        LongVector laneBlock = LongVector.fromArray(ls, lane, 0);
        // the multipliers from an array and masked: C2 emits vpmuludq only for a product of operands it sees
        // zero-extended (AND 0xFFFFFFFF or >>> 32); a constant broadcast is multiplied as full longs (1.9 vs 0.9 ns)
        LongVector m0 = LongVector.fromArray(ls, mul, 0).and(LOW32), m1 = LongVector.fromArray(ls, mul, L).and(LOW32);
        LongVector b = LongVector.broadcast(ls, Long.rotateLeft(stream, 32));   // c2 = stream's low word, c3 its high
        VectorShuffle<Integer> s0 = VectorShuffle.fromArray(is, pick0, 0), s1 = VectorShuffle.fromArray(is, pick1, 0);
        VectorMask<Integer> wordsOfB = VectorMask.fromArray(is, fromB, 0);
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        for (int it = 0, at = dOff, pAt = pOff; it < count; it++, block += 4L * L, at += 16 * L, pAt += 16 * L) {
            // four independent groups: a round is a serial chain of ~6 cycles, one group would leave the core idle
            LongVector c = laneBlock.add(block);
            LongVector a0 = c.lanewise(VectorOperators.ROL, 32), a1 = c.add(L).lanewise(VectorOperators.ROL, 32);
            LongVector a2 = c.add(2L * L).lanewise(VectorOperators.ROL, 32), a3 = c.add(3L * L).lanewise(VectorOperators.ROL, 32);
            LongVector b0 = b, b1 = b, b2 = b, b3 = b;
            int ka = k0, kb = k1;
            for (int r = 0; r < Philox.ROUNDS; r++, ka += Philox.W0, kb += Philox.W1) {
                // written out for each group: a helper of this size is not always inlined, and a call boxes vectors
                long KA = (long) ka << 32, KB = (long) kb << 32;
                LongVector pa0 = a0.lanewise(VectorOperators.LSHR, 32).mul(m0), pb0 = b0.lanewise(VectorOperators.LSHR, 32).mul(m1);
                LongVector pa1 = a1.lanewise(VectorOperators.LSHR, 32).mul(m0), pb1 = b1.lanewise(VectorOperators.LSHR, 32).mul(m1);
                LongVector pa2 = a2.lanewise(VectorOperators.LSHR, 32).mul(m0), pb2 = b2.lanewise(VectorOperators.LSHR, 32).mul(m1);
                LongVector pa3 = a3.lanewise(VectorOperators.LSHR, 32).mul(m0), pb3 = b3.lanewise(VectorOperators.LSHR, 32).mul(m1);
                a0 = pb0.lanewise(VectorOperators.XOR, a0.lanewise(VectorOperators.LSHL, 32)).lanewise(VectorOperators.XOR, KA);
                b0 = pa0.lanewise(VectorOperators.XOR, b0.lanewise(VectorOperators.LSHL, 32)).lanewise(VectorOperators.XOR, KB);
                a1 = pb1.lanewise(VectorOperators.XOR, a1.lanewise(VectorOperators.LSHL, 32)).lanewise(VectorOperators.XOR, KA);
                b1 = pa1.lanewise(VectorOperators.XOR, b1.lanewise(VectorOperators.LSHL, 32)).lanewise(VectorOperators.XOR, KB);
                a2 = pb2.lanewise(VectorOperators.XOR, a2.lanewise(VectorOperators.LSHL, 32)).lanewise(VectorOperators.XOR, KA);
                b2 = pa2.lanewise(VectorOperators.XOR, b2.lanewise(VectorOperators.LSHL, 32)).lanewise(VectorOperators.XOR, KB);
                a3 = pb3.lanewise(VectorOperators.XOR, a3.lanewise(VectorOperators.LSHL, 32)).lanewise(VectorOperators.XOR, KA);
                b3 = pa3.lanewise(VectorOperators.XOR, b3.lanewise(VectorOperators.LSHL, 32)).lanewise(VectorOperators.XOR, KB);
            }
            // group g's blocks are elements at + 4 L g ..: its A and B lanes, put in element order as two int
            // vectors (through memory, so that one loop body serves the four groups)
            a0.intoArray(words, 0); b0.intoArray(words, L); a1.intoArray(words, 2 * L); b1.intoArray(words, 3 * L);
            a2.intoArray(words, 4 * L); b2.intoArray(words, 5 * L); a3.intoArray(words, 6 * L); b3.intoArray(words, 7 * L);
            for (int g = 0; g < 4; g++) {
                IntVector x = LongVector.fromArray(ls, words, 2 * g * L).reinterpretAsInts();
                IntVector y = LongVector.fromArray(ls, words, (2 * g + 1) * L).reinterpretAsInts();
                // uniform = top 24 bits times 2^-24 (exact in float32)
                FloatVector u0 = ((FloatVector) x.rearrange(s0).blend(y.rearrange(s0), wordsOfB)
                        .lanewise(VectorOperators.LSHR, 8).convert(VectorOperators.I2F, 0)).mul(Philox.UNIFORM_SCALE);
                FloatVector u1 = ((FloatVector) x.rearrange(s1).blend(y.rearrange(s1), wordsOfB)
                        .lanewise(VectorOperators.LSHR, 8).convert(VectorOperators.I2F, 0)).mul(Philox.UNIFORM_SCALE);
                int o = at + 2 * g * len, q = pAt + 2 * g * len;
                if (p == null) {
                    u0.intoArray(dst, o);
                    u1.intoArray(dst, o + len);
                } else {
                    FloatVector.zero(fs).blend(1f, u0.lt(FloatVector.fromArray(fs, p, q))).intoArray(dst, o);
                    FloatVector.zero(fs).blend(1f, u1.lt(FloatVector.fromArray(fs, p, q + len))).intoArray(dst, o + len);
                }
            }
        }
    }
}
