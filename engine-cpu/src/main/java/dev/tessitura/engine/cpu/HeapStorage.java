package dev.tessitura.engine.cpu;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Storage;
import dev.tessitura.engine.Tensor;
import java.util.Arrays;
import java.util.Objects;

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

    // ---------------------------------------------------------------- the memory ops both CPU backends share

    /** A new zero-filled tensor of {@code backend} in one fresh array. */
    public static Tensor zeros(Backend backend, int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("zeros: negative dimension in shape " + Arrays.toString(shape));
            n *= d;
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("zeros: shape " + Arrays.toString(shape) + " has " + n
                    + " elements, more than a Java array holds");
        }
        return new Tensor(backend, new HeapStorage((int) n), 0, shape);
    }

    public static void copyFromHost(Backend backend, Tensor dst, float[] src, int srcOffset) {
        Checks.owned(backend, "copyFromHost", dst);
        int n = (int) dst.size();
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        System.arraycopy(src, srcOffset, data(dst), offset(dst), n);
    }

    public static void copyToHost(Backend backend, float[] dst, int dstOffset, Tensor src) {
        Checks.owned(backend, "copyToHost", src);
        int n = (int) src.size();
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        System.arraycopy(data(src), offset(src), dst, dstOffset, n);
    }

    /** The array behind a CPU tensor. */
    public static float[] data(Tensor t) {
        return ((HeapStorage) t.storage()).data;
    }

    /** Where the tensor starts in that array. */
    public static int offset(Tensor t) {
        return (int) t.offset();
    }
}
