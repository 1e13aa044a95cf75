package dev.tessitura.engine.cuda;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * cuBLAS SGEMM through the JDK's FFM API. JCublas 12.6 cannot load on CUDA 13 (its natives want libcublas.so.12
 * symbol versions), so we call the three functions we need ourselves, from whichever of libcublas.so.13 or .so.12
 * this machine has. Not thread-safe: one instance per backend, used from the backend's calls only.
 */
@SuppressWarnings("restricted")   // native calls through FFM are the point of this class; the JVM runs with --enable-native-access
final class Cublas implements AutoCloseable {
    /** System property: an explicit path to libcublas, tried first. */
    static final String PROPERTY = "tessitura.cublas";
    private static final List<String> NAMES = List.of("libcublas.so.13", "libcublas.so.12");
    /** Where CUDA toolkits put it when it is not on the loader's path. */
    private static final List<String> DIRS = List.of("/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib");
    private static final int OP_N = 0, OP_T = 1;   // cublasOperation_t

    /** A loaded libcublas and the name or path it was found by. */
    record Library(String name, SymbolLookup lookup) {}

    private final Arena arena = Arena.ofShared();
    private final MemorySegment handle;
    private final MemorySegment alphaBeta;          // two floats: host-side alpha and beta (pointer mode host)
    private final MethodHandle sgemm, destroy;

    /** The candidates in the order they are tried. */
    static List<String> candidates() {
        List<String> c = new ArrayList<>();
        String explicit = System.getProperty(PROPERTY);
        if (explicit != null && !explicit.isBlank()) c.add(explicit);
        c.addAll(NAMES);
        for (String d : DIRS) for (String n : NAMES) c.add(d + "/" + n);
        return c;
    }

    /** The first candidate that loads, or empty. Loading is cheap and cached by the OS loader. */
    static Optional<Library> find() {
        for (String name : candidates()) {
            try {
                return Optional.of(new Library(name, SymbolLookup.libraryLookup(name, Arena.global())));
            } catch (IllegalArgumentException e) {
                // not here; try the next
            }
        }
        return Optional.empty();
    }

    /**
     * Creates a cuBLAS handle bound to {@code stream} (a raw cudaStream_t) in the current CUDA context, with
     * {@code workspaceBytes} of device memory at {@code workspace} as its workspace (0: cuBLAS's own pool). Our own
     * workspace makes stream capture allocation-free: every CUDA graph's products use the same memory.
     */
    Cublas(Library lib, long stream, long workspace, long workspaceBytes) {
        Linker linker = Linker.nativeLinker();
        ValueLayout.OfInt I = ValueLayout.JAVA_INT;
        AddressLayout P = ValueLayout.ADDRESS;
        MethodHandle create = linker.downcallHandle(symbol(lib, "cublasCreate_v2"), FunctionDescriptor.of(I, P));
        MethodHandle setStream = linker.downcallHandle(symbol(lib, "cublasSetStream_v2"), FunctionDescriptor.of(I, P, P));
        destroy = linker.downcallHandle(symbol(lib, "cublasDestroy_v2"), FunctionDescriptor.of(I, P));
        sgemm = linker.downcallHandle(symbol(lib, "cublasSgemm_v2"),
                FunctionDescriptor.of(I, P, I, I, I, I, I, P, P, I, P, I, P, P, I));
        alphaBeta = arena.allocate(ValueLayout.JAVA_FLOAT, 2);
        MemorySegment out = arena.allocate(P);
        check(invoke(() -> (int) create.invokeExact(out)), "cublasCreate_v2 (" + lib.name() + ")");
        handle = out.get(P, 0);
        check(invoke(() -> (int) setStream.invokeExact(handle, MemorySegment.ofAddress(stream))), "cublasSetStream_v2");
        if (workspace != 0) {   // after cublasSetStream, which resets the workspace to the default pool
            MethodHandle setWorkspace = linker.downcallHandle(symbol(lib, "cublasSetWorkspace_v2"), FunctionDescriptor.of(I, P, P, ValueLayout.JAVA_LONG));
            check(invoke(() -> (int) setWorkspace.invokeExact(handle, MemorySegment.ofAddress(workspace), workspaceBytes)),
                    "cublasSetWorkspace_v2 (" + workspaceBytes + " bytes)");
        }
    }

    private static MemorySegment symbol(Library lib, String name) {
        return lib.lookup().find(name).orElseThrow(() -> new CudaException(
                "cuda: " + lib.name() + " has no symbol " + name + " (not a cuBLAS 12 or 13 library?)", "MISSING_SYMBOL"));
    }

    /**
     * Column-major C = alpha op(A) op(B) + beta C on the backend's stream (asynchronous), with raw device
     * addresses: cublasSgemm_v2 exactly.
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
               float beta, long c, int ldc) {
        alphaBeta.setAtIndex(ValueLayout.JAVA_FLOAT, 0, alpha);
        alphaBeta.setAtIndex(ValueLayout.JAVA_FLOAT, 1, beta);
        MemorySegment alphaP = alphaBeta, betaP = alphaBeta.asSlice(4);
        int rc = invoke(() -> (int) sgemm.invokeExact(handle, transA ? OP_T : OP_N, transB ? OP_T : OP_N, m, n, k, alphaP,
                MemorySegment.ofAddress(a), lda, MemorySegment.ofAddress(b), ldb, betaP, MemorySegment.ofAddress(c), ldc));
        check(rc, "cublasSgemm_v2 (m=" + m + ", n=" + n + ", k=" + k + ")");
    }

    @Override
    public void close() {
        try {
            check(invoke(() -> (int) destroy.invokeExact(handle)), "cublasDestroy_v2");
        } finally {
            arena.close();
        }
    }

    private interface Call {
        int run() throws Throwable;
    }

    private static int invoke(Call call) {
        try {
            return call.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void check(int status, String call) {
        if (status != 0) {
            String name = CudaException.cublasStatusName(status);
            throw new CudaException("cuda: " + call + " failed with " + name, name);
        }
    }
}
