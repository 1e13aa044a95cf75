package dev.tessitura.engine;

/**
 * A position in one Philox stream: (seed, stream id, next unused block). Every random op takes an {@code Rng},
 * consumes {@code ceil(n / 4)} blocks for n elements through {@link #take}, and so leaves the same position behind
 * on every backend. Saving {@link #position()} in a checkpoint and restoring it with {@link #seek} resumes the
 * exact sequence of draws.
 */
public final class Rng {
    private final long seed;
    private final long stream;
    private long nextBlock;

    public Rng(long seed, long stream) {
        this.seed = seed;
        this.stream = stream;
    }

    public long seed() { return seed; }
    public long stream() { return stream; }
    /** The next unused block index. */
    public long position() { return nextBlock; }
    public void seek(long block) {
        if (block < 0) throw new IllegalArgumentException("negative Philox block index " + block);
        nextBlock = block;
    }

    /** Reserves the blocks for a draw of {@code n} elements and returns the first; each draw starts on a new block. */
    public long take(long n) {
        if (n < 0) throw new IllegalArgumentException("negative draw size " + n);
        long first = nextBlock;
        nextBlock += (n + 3) >>> 2;
        return first;
    }

    @Override
    public String toString() {
        return "Rng(seed=" + seed + ", stream=" + stream + ", block=" + nextBlock + ")";
    }
}
