package dev.tessitura.engine;

import java.util.Arrays;

/**
 * A dense, row-major float32 tensor of rank 1 to 3: a contiguous view (offset, shape) into a {@link Storage}
 * owned by one {@link Backend}. Views share memory, so a model keeps all its parameters in one allocation and
 * hands out views of it (see {@link #view}).
 *
 * <p>Element access from the host is deliberately absent: data moves only through
 * {@link Backend#copyFromHost} and {@link Backend#copyToHost}, and everything else is a backend op.
 *
 * <p>Ops treat a tensor as a matrix of {@link #rows()} x {@link #cols()}: the last dimension is the row length and
 * all leading dimensions are folded into rows; a rank-1 tensor of n elements is 1 x n.
 */
public final class Tensor {
    private final Backend backend;
    private final Storage storage;
    private final long offset;
    private final int[] shape;
    private final long size;

    /** For backends: wraps a storage region. Model code gets tensors from {@link Backend#zeros} and views. */
    public Tensor(Backend backend, Storage storage, long offset, int... shape) {
        if (shape.length < 1 || shape.length > 3) {
            throw new IllegalArgumentException("tensor rank must be 1..3, got " + shape.length + " " + Arrays.toString(shape));
        }
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
        }
        if (offset < 0 || offset + n > storage.capacity()) {
            throw new IllegalArgumentException("view [" + offset + ", " + (offset + n) + ") of shape " + Arrays.toString(shape)
                    + " does not fit in a storage of " + storage.capacity() + " elements");
        }
        this.backend = backend;
        this.storage = storage;
        this.offset = offset;
        this.shape = shape.clone();
        this.size = n;
    }

    public Backend backend() { return backend; }
    public Storage storage() { return storage; }
    /** Offset of element 0 in the storage, in elements. */
    public long offset() { return offset; }
    public int rank() { return shape.length; }
    public int dim(int i) { return shape[i]; }
    public int[] shape() { return shape.clone(); }
    /** Number of elements. */
    public long size() { return size; }

    /** Row count when seen as a matrix: the product of all dimensions but the last (1 for rank 1). */
    public int rows() {
        long r = 1;
        for (int i = 0; i < shape.length - 1; i++) r *= shape[i];
        return Math.toIntExact(r);
    }

    /** Row length when seen as a matrix: the last dimension. */
    public int cols() { return shape[shape.length - 1]; }

    /** A view of {@code shape} starting {@code offset} elements into this tensor; it must lie inside this tensor. */
    public Tensor view(long offset, int... shape) {
        long n = 1;
        for (int d : shape) n *= Math.max(d, 0);
        if (offset < 0 || offset + n > size) {
            throw new IllegalArgumentException("view [" + offset + ", " + (offset + n) + ") " + Arrays.toString(shape)
                    + " lies outside tensor " + this);
        }
        return new Tensor(backend, storage, this.offset + offset, shape);
    }

    /** The same elements with another shape of the same size. */
    public Tensor reshape(int... newShape) {
        long n = 1;
        for (int d : newShape) n *= Math.max(d, 0);
        if (n != size) throw new IllegalArgumentException("cannot reshape " + this + " to " + Arrays.toString(newShape));
        return new Tensor(backend, storage, offset, newShape);
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive) along dimension 0. */
    public Tensor slice(int from, int to) {
        if (from < 0 || to < from || to > shape[0]) {
            throw new IllegalArgumentException("slice [" + from + ", " + to + ") out of range for " + this);
        }
        int[] s = shape.clone();
        s[0] = to - from;
        return new Tensor(backend, storage, offset + (long) from * (size == 0 ? 0 : size / Math.max(shape[0], 1)), s);
    }

    /** Index {@code i} along dimension 0, one rank lower (a rank-1 tensor gives a 1-element rank-1 view). */
    public Tensor at(int i) {
        if (i < 0 || i >= shape[0]) throw new IndexOutOfBoundsException("index " + i + " out of range for " + this);
        if (shape.length == 1) return new Tensor(backend, storage, offset + i, 1);
        int[] s = Arrays.copyOfRange(shape, 1, shape.length);
        return new Tensor(backend, storage, offset + (long) i * (size / shape[0]), s);
    }

    /** True when both tensors share at least one element of the same storage. */
    public boolean overlaps(Tensor other) {
        return storage == other.storage && size > 0 && other.size > 0
                && offset < other.offset + other.size && other.offset < offset + size;
    }

    /** True when both are the same view: same storage, offset and size (an elementwise op may then run in place). */
    public boolean sameElements(Tensor other) {
        return storage == other.storage && offset == other.offset && size == other.size;
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + "@" + backend.name() + "+" + offset;
    }
}
