package dev.tessitura.engine;

/**
 * Philox4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"
 * (SC'11). A block of four 32-bit words is a pure function of a 128-bit counter and a 64-bit key, so any backend,
 * thread count or chunking draws the same numbers for the same (seed, stream, index).
 *
 * <p>Tessitura's addressing (every backend must follow it bit for bit):
 * <ul>
 *   <li>key = (low 32 bits of seed, high 32 bits of seed);</li>
 *   <li>counter = (low, high 32 bits of the block index; low, high 32 bits of the stream id);</li>
 *   <li>element e of a draw that starts at block b0 is word (e &amp; 3) of block b0 + (e &gt;&gt;&gt; 2);</li>
 *   <li>a uniform float is the top 24 bits of that word times 2^-24, so it lies in [0, 1) on a grid of 2^-24;</li>
 *   <li>a Bernoulli draw with probability p is 1 when that uniform is &lt; p, else 0.</li>
 * </ul>
 * This scalar class is the reference; vectorised and CUDA versions are tested against it.
 */
public final class Philox {
    public static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    public static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;
    public static final int ROUNDS = 10;
    /** 2^-24: the spacing of the uniform floats. */
    public static final float UNIFORM_SCALE = 0x1.0p-24f;

    private Philox() {}

    /** One Philox4x32-10 block: {@code out[0..3]} = philox(counter c0..c3, key k0 k1). */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int r = 0; r < ROUNDS; r++) {
            if (r > 0) { k0 += W0; k1 += W1; }
            long p0 = (c0 & 0xFFFFFFFFL) * (M0 & 0xFFFFFFFFL);   // mulhilo(M0, c0)
            long p1 = (c2 & 0xFFFFFFFFL) * (M1 & 0xFFFFFFFFL);   // mulhilo(M1, c2)
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }
        out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
    }

    /** The four words of block {@code blockIndex} of {@code stream} under {@code seed}. */
    public static void block(long seed, long stream, long blockIndex, int[] out) {
        block((int) blockIndex, (int) (blockIndex >>> 32), (int) stream, (int) (stream >>> 32),
                (int) seed, (int) (seed >>> 32), out);
    }

    /** A 32-bit word to a uniform float in [0, 1): its top 24 bits times 2^-24 (exact in float32). */
    public static float toUniform(int word) {
        return (word >>> 8) * UNIFORM_SCALE;
    }

    /**
     * Fills {@code out[off .. off+n)} with the uniforms of a draw starting at block {@code firstBlock}:
     * the plain reference loop, one block per four elements.
     */
    public static void uniforms(long seed, long stream, long firstBlock, float[] out, int off, int n) {
        int[] w = new int[4];
        for (int e = 0; e < n; e += 4) {
            block(seed, stream, firstBlock + (e >>> 2), w);
            for (int j = 0; j < 4 && e + j < n; j++) out[off + e + j] = toUniform(w[j]);
        }
    }
}
