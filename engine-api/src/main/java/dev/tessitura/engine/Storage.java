package dev.tessitura.engine;

/**
 * The memory behind one allocation, owned by a backend: a Java array on the CPU, device memory on the GPU.
 * Tensors are views (offset + shape) into a storage; only the owning backend looks inside it.
 */
public interface Storage {
    /** Number of float32 elements this storage holds. */
    long capacity();
}
