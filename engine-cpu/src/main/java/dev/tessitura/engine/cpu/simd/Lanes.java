package dev.tessitura.engine.cpu.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width of one backend, chosen once. C2 compiles Vector API calls to SIMD instructions only when the
 * species is a JIT-time constant: a species held in an instance field runs about 40x slower (measured: 1.2 vs
 * 43 GFLOP/s for the GEMM tile). Each width is therefore its own subclass returning {@code static final}
 * species; the kernels call {@link #floats()} etc. on a {@code final Lanes} field, and since a JVM normally loads
 * one subclass only, the call is inlined and the species is a constant again.
 *
 * <p>Using two widths in one JVM (only the tests do) makes those calls polymorphic: results stay correct, but the
 * kernels fall back to the slow path. Benchmarks therefore fork one JVM per width.
 */
abstract sealed class Lanes permits Lanes.W128, Lanes.W256, Lanes.W512 {

    /** Float lanes. */
    abstract VectorSpecies<Float> floats();

    /** Float lanes of half the width: converted to {@link #doubles()} for float64 sums. */
    abstract VectorSpecies<Float> halfFloats();

    /** Int lanes of the same width (Philox words). */
    abstract VectorSpecies<Integer> ints();

    /** Long lanes of the same width (Philox 32x32->64 products). */
    abstract VectorSpecies<Long> longs();

    /** Double lanes of the same width (float64 sums). */
    abstract VectorSpecies<Double> doubles();

    abstract int bits();

    /** The width for {@code bits} (0 = the CPU's preferred one); refuses widths the CPU does not have. */
    static Lanes of(int bits) {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        int want = bits == 0 ? preferred : bits;
        if (want > preferred) {
            throw new IllegalArgumentException("simd: a " + want + "-bit vector width was asked for, but this CPU's "
                    + "preferred width is " + preferred + " bits; use 0 (preferred) or a width <= " + preferred);
        }
        return switch (want) {
            case 128 -> new W128();
            case 256 -> new W256();
            case 512 -> new W512();
            default -> throw new IllegalArgumentException("simd: unsupported vector width " + want
                    + " bits (128, 256 or 512)");
        };
    }

    /** The CPU's preferred width in bits (e.g. 256 on AVX2, 512 on AVX-512). */
    static int preferredBits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    static final class W128 extends Lanes {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_128;
        private static final VectorSpecies<Float> H = FloatVector.SPECIES_64;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_128;
        private static final VectorSpecies<Long> L = LongVector.SPECIES_128;
        private static final VectorSpecies<Double> D = DoubleVector.SPECIES_128;
        @Override VectorSpecies<Float> floats() { return F; }
        @Override VectorSpecies<Integer> ints() { return I; }
        @Override VectorSpecies<Long> longs() { return L; }
        @Override VectorSpecies<Double> doubles() { return D; }
        @Override VectorSpecies<Float> halfFloats() { return H; }
        @Override int bits() { return 128; }
    }

    static final class W256 extends Lanes {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
        private static final VectorSpecies<Float> H = FloatVector.SPECIES_128;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
        private static final VectorSpecies<Long> L = LongVector.SPECIES_256;
        private static final VectorSpecies<Double> D = DoubleVector.SPECIES_256;
        @Override VectorSpecies<Float> floats() { return F; }
        @Override VectorSpecies<Integer> ints() { return I; }
        @Override VectorSpecies<Long> longs() { return L; }
        @Override VectorSpecies<Double> doubles() { return D; }
        @Override VectorSpecies<Float> halfFloats() { return H; }
        @Override int bits() { return 256; }
    }

    static final class W512 extends Lanes {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
        private static final VectorSpecies<Float> H = FloatVector.SPECIES_256;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
        private static final VectorSpecies<Long> L = LongVector.SPECIES_512;
        private static final VectorSpecies<Double> D = DoubleVector.SPECIES_512;
        @Override VectorSpecies<Float> floats() { return F; }
        @Override VectorSpecies<Integer> ints() { return I; }
        @Override VectorSpecies<Long> longs() { return L; }
        @Override VectorSpecies<Double> doubles() { return D; }
        @Override VectorSpecies<Float> halfFloats() { return H; }
        @Override int bits() { return 512; }
    }
}
