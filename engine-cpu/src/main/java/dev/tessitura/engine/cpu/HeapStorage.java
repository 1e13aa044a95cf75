package dev.tessitura.engine.cpu;

import dev.tessitura.engine.Storage;

/** CPU storage: one Java float[] per allocation, shared by the scalar and the SIMD backend. */
public final class HeapStorage implements Storage {
    private final float[] data;

    public HeapStorage(int n) {
        this.data = new float[n];
    }

    /** The backing array; only CPU backends look inside. */
    public float[] data() {
        return data;
    }

    @Override
    public long capacity() {
        return data.length;
    }
}
