package dev.tessitura.engine.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuFuncGetAttribute;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.nio.charset.StandardCharsets;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstream_flags;

/**
 * The real GPU: JCuda's driver API (the device's primary context, one blocking stream, the kernels' module,
 * launches, memory) and cuBLAS SGEMM through FFM ({@link Cublas}). Every call checks its CUresult and throws a
 * {@link CudaException} naming the call.
 */
final class DriverDevice implements Device {
    private static final int DEFAULT_SHARED = 48 * 1024;

    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final DevicePointer.Stream stream = new DevicePointer.Stream();
    private final CUmodule module = new CUmodule();
    private final CUfunction[] functions = new CUfunction[Kernel.values().length];
    private final Cublas cublas;
    private final String description;
    private final int maxShared;
    /** cuBLAS's workspace: 32 MiB, what NVIDIA recommends for Hopper (4 MiB before it); ours, so that capture allocates nothing. */
    private static final long CUBLAS_WORKSPACE = 32L << 20;
    private long workspace;

    /** Opens device {@code ordinal} with the kernels in {@code ptx} and cuBLAS from {@code cublasLibrary}. */
    DriverDevice(int ordinal, String ptx, Cublas.Library cublasLibrary) {
        CudaException.check(cuInit(0), "cuInit");
        CudaException.check(cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
        CudaException.check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        Cublas cb = null;
        try {
            CudaException.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
            // blocking (not CU_STREAM_NON_BLOCKING): ordered with the legacy stream of the synchronous host copies
            CudaException.check(cuStreamCreate(stream, CUstream_flags.CU_STREAM_DEFAULT), "cuStreamCreate");
            byte[] image = (ptx + "\0").getBytes(StandardCharsets.US_ASCII);
            CudaException.check(cuModuleLoadData(module, image), "cuModuleLoadData(" + Kernel.PTX_RESOURCE + ")");
            int[] v = new int[1];
            CudaException.check(cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
                    device), "cuDeviceGetAttribute(MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)");
            maxShared = Math.max(v[0], DEFAULT_SHARED);
            for (Kernel k : Kernel.values()) {
                CUfunction f = new CUfunction();
                CudaException.check(cuModuleGetFunction(f, module, k.entry()), "cuModuleGetFunction(" + k.entry() + ")");
                // every kernel may take more than the default 48 KB (the Gibbs chain's W at 88 x 150 is 53 KB): all the
                // opt-in allows beside its static shared memory (none in our kernels so far)
                int[] fixed = new int[1];
                CudaException.check(cuFuncGetAttribute(fixed, CUfunction_attribute.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f),
                        "cuFuncGetAttribute(" + k.entry() + ", SHARED_SIZE_BYTES)");
                CudaException.check(cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                        maxShared - fixed[0]), "cuFuncSetAttribute(" + k.entry() + ", MAX_DYNAMIC_SHARED_SIZE_BYTES)");
                functions[k.ordinal()] = f;
            }
            workspace = allocate(CUBLAS_WORKSPACE);
            if (workspace == 0) throw new CudaException("cuda: out of device memory for cuBLAS's workspace", "CUDA_ERROR_OUT_OF_MEMORY");
            cb = new Cublas(cublasLibrary, stream.address(), workspace, CUBLAS_WORKSPACE);
            byte[] name = new byte[256];
            CudaException.check(cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
            CudaException.check(cuDriverGetVersion(v), "cuDriverGetVersion");
            String dev = new String(name, StandardCharsets.US_ASCII).trim().replace("\0", "");
            description = dev + " (device " + ordinal + "), driver CUDA " + v[0] / 1000 + "." + v[0] % 1000 / 10
                    + ", " + cublasLibrary.name();
        } catch (RuntimeException e) {
            if (cb != null) cb.close();
            if (workspace != 0) cuMemFree(at(workspace));
            cuDevicePrimaryCtxRelease(device);
            throw e;
        }
        cublas = cb;
    }

    /** A JCuda device pointer for a raw address (JCuda adds a pointer's byte offset to its native value). */
    private static CUdeviceptr at(long address) {
        return new CUdeviceptr().withByteOffset(address);
    }

    @Override public String describe() { return description; }
    @Override public int maxSharedBytes() { return maxShared; }

    @Override
    public void enter() {
        CudaException.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    @Override
    public long allocate(long bytes) {
        DevicePointer p = new DevicePointer();
        int rc = cuMemAlloc(p, bytes);
        if (rc == CUresult.CUDA_ERROR_OUT_OF_MEMORY) return 0;
        CudaException.check(rc, "cuMemAlloc(" + bytes + ")");
        return p.address();
    }

    @Override
    public void free(long address) {
        CudaException.check(cuMemFree(at(address)), "cuMemFree");
    }

    @Override
    public void fill32(long dst, int value, long n) {
        CudaException.check(cuMemsetD32Async(at(dst), value, n, stream), "cuMemsetD32Async");
    }

    @Override
    public void copyIn(long dst, float[] src, int offset, int n) {
        CudaException.check(cuMemcpyHtoD(at(dst), Pointer.to(src).withByteOffset((long) offset * Float.BYTES),
                (long) n * Float.BYTES), "cuMemcpyHtoD");
    }

    @Override
    public void copyOut(float[] dst, int offset, int n, long src) {
        CudaException.check(cuMemcpyDtoH(Pointer.to(dst).withByteOffset((long) offset * Float.BYTES), at(src),
                (long) n * Float.BYTES), "cuMemcpyDtoH");
    }

    @Override
    public void copyOut(double[] dst, long src) {
        CudaException.check(cuMemcpyDtoH(Pointer.to(dst), at(src), (long) dst.length * Double.BYTES), "cuMemcpyDtoH");
    }

    @Override
    public void copy(long dst, long src, long bytes) {
        CudaException.check(cuMemcpyDtoDAsync(at(dst), at(src), bytes, stream), "cuMemcpyDtoDAsync");
    }

    @Override
    public void launch(Kernel k, int blocks, int threads, int sharedBytes, Object... args) {
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            params[i] = switch (args[i]) {
                case Ptr p -> Pointer.to(new long[] {p.address()});
                case Integer x -> Pointer.to(new int[] {x});
                case Long x -> Pointer.to(new long[] {x});
                case Float x -> Pointer.to(new float[] {x});
                default -> throw new IllegalArgumentException("launch " + k.entry() + ": argument " + i + " " + args[i]);
            };
        }
        CudaException.check(cuLaunchKernel(functions[k.ordinal()], blocks, 1, 1, threads, 1, 1, sharedBytes, stream,
                Pointer.to(params), null), "cuLaunchKernel(" + k.entry() + ", " + blocks + " x " + threads + ")");
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                      float beta, long c, int ldc) {
        cublas.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    @Override
    public void synchronize() {
        CudaException.check(cuStreamSynchronize(stream), "cuStreamSynchronize (waiting for queued kernels)");
    }

    @Override
    public void beginCapture() {
        // relaxed: cuBLAS may allocate its workspace with cudaMallocAsync while it is captured
        CudaException.check(cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED), "cuStreamBeginCapture");
    }

    @Override
    public Graph endCapture() {
        CUgraph graph = new CUgraph();
        CudaException.check(cuStreamEndCapture(stream, graph), "cuStreamEndCapture");
        CUgraphExec exec = new CUgraphExec();
        try {
            CudaException.check(cuGraphInstantiate(exec, graph, 0), "cuGraphInstantiate");
        } finally {
            cuGraphDestroy(graph);   // the instantiated graph does not need it
        }
        return new Graph() {
            @Override
            public void launch() {
                CudaException.check(cuGraphLaunch(exec, stream), "cuGraphLaunch");
            }

            @Override
            public void close() {
                CudaException.check(cuGraphExecDestroy(exec), "cuGraphExecDestroy");
            }
        };
    }

    @Override
    public void close() {
        try {
            cublas.close();
        } finally {
            cuMemFree(at(workspace));
            cuModuleUnload(module);
            cuStreamDestroy(stream);
            cuDevicePrimaryCtxRelease(device);
        }
    }
}
