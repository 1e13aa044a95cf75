package dev.tessitura.engine.cuda;

/**
 * What CudaBackend needs of a GPU, in raw device addresses: memory, copies, kernel launches on the backend's one
 * stream, cuBLAS SGEMM. {@link DriverDevice} is the real one (JCuda's driver API and cuBLAS through FFM); the tests
 * also run CudaBackend on a host emulator of the same kernels (engine-cuda/src/test), so that everything above this
 * interface (launch shapes, argument lists, Philox offsets, the GEMM mapping) is checked on machines without a GPU.
 *
 * <p>Kernel arguments are {@link Ptr} (a device address, or 0 for a null pointer), Integer (int or unsigned int),
 * Long (long long or unsigned long long) and Float, in the kernel's parameter order.
 */
interface Device extends AutoCloseable {
    /** A device pointer argument of a kernel launch. */
    record Ptr(long address) {}

    /** The device's name and driver, e.g. "NVIDIA H200 (device 0), driver CUDA 13.0". */
    String describe();

    /** The dynamic shared memory a block may opt into, in bytes. */
    int maxSharedBytes();

    /** Allocates {@code bytes}, aligned to at least 256 bytes; 0 when the device is out of memory. */
    long allocate(long bytes);

    void free(long address);

    /** Sets {@code n} 32-bit words at {@code dst} to {@code value}, queued on the stream. */
    void fill32(long dst, int value, long n);

    /** Copies {@code n} floats from {@code src[offset ..]} to the device, synchronously. */
    void copyIn(long dst, float[] src, int offset, int n);

    /** Copies {@code n} floats from the device into {@code dst[offset ..]}, synchronously (after queued work). */
    void copyOut(float[] dst, int offset, int n, long src);

    /** Copies {@code dst.length} doubles from the device, synchronously (after queued work). */
    void copyOut(double[] dst, long src);

    /** Copies {@code bytes} on the device, queued on the stream. */
    void copy(long dst, long src, long bytes);

    /** Queues kernel {@code k} on {@code blocks} x {@code threads} with {@code sharedBytes} of dynamic shared memory. */
    void launch(Kernel k, int blocks, int threads, int sharedBytes, Object... args);

    /** Column-major C = alpha op(A) op(B) + beta C on the stream: cublasSgemm_v2's arguments exactly. */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
               float beta, long c, int ldc);

    /** Waits for the stream; a kernel fault is reported here. */
    void synchronize();

    /** Work captured from the stream (a CUDA graph, instantiated), queued again as one unit by {@link #launch}. */
    interface Graph extends AutoCloseable {
        void launch();

        @Override
        void close();
    }

    /**
     * Starts capturing the stream: launches, fills, device copies and SGEMMs until {@link #endCapture} are recorded,
     * not run; the synchronous host copies and {@link #synchronize} are errors meanwhile (the caller prevents them).
     */
    void beginCapture();

    /** Ends the capture and returns what it recorded; also after a failed body, so that the stream is usable again. */
    Graph endCapture();

    /** Makes this device's context current on the calling thread (every backend call starts with it). */
    void enter();

    /**
     * Whether the allocator should fill a block it hands out again with NaN bytes first: a test device's way of making
     * an op that reads memory it did not write show, where a reused block would hold its last owner's plausible values.
     */
    default boolean poisonsReuse() {
        return false;
    }

    @Override
    void close();
}
